// The pass pipeline, in the order it runs. `tinyc --print-pipeline` lists it and
// `--dump-ir after=NAME` prints the IR after any of these.
#include "passes.h"

namespace tinyc {

// A pass that takes no options.
static std::function<void(Graph&, const PassOptions&)> plain(void (*f)(Graph&)) {
  return [f](Graph& g, const PassOptions&) { f(g); };
}

const std::vector<Pass>& pipeline() {
  static const std::vector<Pass> passes = {
      {"check-supported", plain(check_supported), "every op is known to tinyc"},
      {"infer-shapes", plain(infer_shapes), "static shape and dtype for every value"},
      {"expand-qoperators", plain(expand_qoperators), "QLinear* ops become Q/DQ around float ops"},
      {"remove-identity", plain(remove_identity), "drop Identity and Dropout"},
      {"fold-constants", plain(fold_constants), "compute nodes whose inputs are known"},
      {"fold-batchnorm", plain(fold_batchnorm), "merge BatchNormalization into Conv/Gemm"},
      {"fuse-activation", plain(fuse_activation), "apply Relu/Clip/LeakyRelu in the producer"},
      {"prune", prune, "remove all-zero channels; --prune channels or weights"},
      {"quantize", quantize, "calibrate and insert int8 QDQ pairs (--quantize int8)"},
      {"uint8-to-int8", plain(uint8_to_int8), "uint8 quantised tensors become int8 (exact)"},
      {"int8-io", int8_io, "int8 model inputs/outputs without their Q/DQ (--io int8)"},
      {"lower-qdq", lower_qdq, "QDQ patterns become int8 kernels"},
      {"eliminate-dead-nodes", plain(eliminate_dead_nodes), "drop nodes whose results are unused"},
      {"drop-unused-outputs", plain(drop_unused_outputs), "omit optional outputs nobody reads"},
      {"choose-kernels", choose_kernels,
       "dense or sparse kernel per Gemm/Conv layer (--sparse-kernels)"},
  };
  return passes;
}

} // namespace tinyc
