// Graph passes, one per file. Each transforms the graph in place.
#pragma once

#include "../compiler/ir.h"
#include "../compiler/ops/sparse_kernel.h"
#include "prune.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tinyc {

// What the quantize pass did, for the accuracy report (filled when QuantizeOptions::record
// is set).
struct QuantizeRecord {
  Graph float_graph;   // the graph just before quantisation
  std::string method;  // calibration method used
  int64_t samples = 0; // calibration samples
  int activations = 0; // activation tensors given QuantizeLinear/DequantizeLinear
  int weights = 0;     // int8 weight tensors (and int32 biases)
  std::vector<std::string> quantized_ops; // labels of the nodes placed between QDQ pairs
  // After the whole pipeline (compile_model): ops running on int8 data, and ops left in float
  // between DequantizeLinear and QuantizeLinear (no int8 kernel, or one that declined).
  std::vector<std::string> int8_ops, float_ops;
};

// What the user asked of the passes that take options.
struct QuantizeOptions {
  bool enabled = false;                       // --quantize int8
  std::vector<std::vector<TensorData>> calib; // calibration samples, each in g.inputs order
  std::string method;                         // --calib-method (empty: the default, mse)
  bool int8_io = false;                       // --io int8: int8 model inputs and outputs
  double percentile = 99.99;                  // --calib-percentile, for method percentile
  // Also put QDQ pairs around ops that have no int8 rule yet (they then run in float on
  // dequantised values): estimates the accuracy of a fully int8 deployment.
  bool all_ops = false;
  // Progress of long steps: (what, samples done, samples total).
  std::function<void(const std::string&, int64_t, int64_t)> progress;
  std::shared_ptr<QuantizeRecord> record; // out: filled by the pass when set
};

struct PassOptions {
  QuantizeOptions quant;
  PruneOptions prune;
  SparseKernels sparse_kernels = SparseKernels::Auto; // --sparse-kernels
  std::vector<std::string> sparse_only;               // the layers of --sparse-kernels only=
};

void check_supported(Graph& g);      // every op is known to tinyc; lists all that are not
void infer_shapes(Graph& g);         // every value gets a static shape and dtype
void fold_constants(Graph& g);       // nodes whose inputs are all known are computed now
void expand_qoperators(Graph& g);    // QLinearConv & co. become DequantizeLinear/op/QuantizeLinear
void remove_identity(Graph& g);      // Identity and inference-time Dropout disappear
void fold_batchnorm(Graph& g);       // BatchNormalization merged into the Conv/Gemm before it
void fuse_activation(Graph& g);      // Relu/Clip/LeakyRelu applied by their producer on store
void eliminate_dead_nodes(Graph& g); // nodes whose results nobody reads are dropped
void drop_unused_outputs(Graph& g);  // optional outputs nobody reads are not computed

// Computes one node now if all its inputs are known (clearing its op_type); false otherwise.
// infer_shapes folds as it goes, since later shapes may depend on these values.
bool fold_node(Graph& g, Node& n);

// Pruning (passes/prune*.cpp, docs/pruning.md): channels computed as constant 0 are removed
// always; --prune removes channels (structured) or zeroes weights (unstructured).
void prune(Graph& g, const PassOptions& opts);

// Post-training quantisation: calibrates activation ranges on opts.quant.calib and rewrites
// the float graph into QDQ form (int8 weights, QuantizeLinear/DequantizeLinear pairs).
void quantize(Graph& g, const PassOptions& opts);
// --io int8: model inputs/outputs become the int8 tensors inside their boundary Q/DQ nodes.
void uint8_to_int8(Graph& g); // uint8 Q/DQ tensors inside the model become int8 ones (exact)
void int8_io(Graph& g, const PassOptions& opts);
// QDQ patterns around ops with int8 kernels become those int8 ops (docs/quantization.md).
void lower_qdq(Graph& g, const PassOptions& opts);
// Dense or sparse kernel per Gemm/Conv, int8 or float (--sparse-kernels,
// compiler/ops/sparse_kernel.h).
void choose_kernels(Graph& g, const PassOptions& opts);

struct Pass {
  const char* name;
  std::function<void(Graph&, const PassOptions&)> run;
  const char* purpose;
};

// The pipeline, in order (passes/pipeline.cpp).
const std::vector<Pass>& pipeline();

} // namespace tinyc
