// The pass pipeline, in the order it runs. `tinyc --print-pipeline` lists it and
// `--dump-ir after=NAME` prints the IR after any of these.
#include "passes.h"

namespace tinyc {

const std::vector<Pass>& pipeline() {
  static const std::vector<Pass> passes = {
      {"check-supported", check_supported, "every op is known to tinyc"},
      {"infer-shapes", infer_shapes, "static shape and dtype for every value"},
      {"remove-identity", remove_identity, "drop Identity and Dropout"},
      {"fold-constants", fold_constants, "compute nodes whose inputs are known"},
      {"fold-batchnorm", fold_batchnorm, "merge BatchNormalization into Conv/Gemm"},
      {"fuse-activation", fuse_activation, "apply Relu/Clip/LeakyRelu in the producer"},
      {"eliminate-dead-nodes", eliminate_dead_nodes, "drop nodes whose results are unused"},
      {"drop-unused-outputs", drop_unused_outputs, "omit optional outputs nobody reads"},
  };
  return passes;
}

} // namespace tinyc
