// Sparse kernels (templates/sparse_s8.h: QGemm and one-group QConv; templates/sparse_f32.h:
// float Gemm and one-group Conv): the weight streams they read, and the cost model that picks
// them per layer instead of the dense kernels
// (docs/sparse_kernels.md). The choice is made once, before memory planning (pass
// choose-kernels), and recorded on the node as the attribute `sparse_kernel` = 1, so that the
// emitter, the scratch size and the in-place planning all see the same kernel.
#pragma once

#include "../ir.h"

#include <string>

namespace tinyc {

// Only: the layers named in a list (for measurements: tools/sparse_check.py).
enum class SparseKernels { Auto, Never, Always, Only };

// What each kernel would cost for one layer.
struct SparseEstimate {
  bool possible = false;    // a sparse kernel exists for this node
  int64_t nonzeros = 0;     // nonzero weights
  int64_t weights = 0;      // all weights (M * K)
  int64_t dense_bytes = 0;  // dense weight array (+ bias)
  int64_t sparse_bytes = 0; // weight stream (+ bias)
  double dense_instr = 0;   // estimated Cortex-M4 instructions per inference
  double sparse_instr = 0;
  // The estimate covers this shape: the cost constants were fitted on convolutions with
  // several input channels; with one, the estimate was off by 25% to 3x (docs/sparse_kernels.md).
  bool estimated = true;
};

SparseEstimate estimate_sparse(const Graph& g, const Node& n);

// The sparse conv kernels' smallest safe shift of the output before the input
// (OpDef::overlap_shift), from their access order: blocks of four output pixels, each reading
// the pixels' windows (every channel) before writing the pixels of every output channel.
// s: a one-group convolution; elem_bytes: 1 (int8) or 4 (float).
int64_t sparse_conv_overlap_shift(const Graph& g, const Node& n, int64_t elem_bytes, int64_t align);

// Auto: sparse only when it is both smaller and estimated faster. Only: decided by the caller.
bool choose_sparse(const SparseEstimate& e, SparseKernels mode);

// The name the summary and --sparse-kernels only=... use for a layer: the node's name, else
// its first output's.
std::string sparse_layer_name(const Graph& g, const Node& n);

// The node was given the sparse kernel (pass choose-kernels).
inline bool uses_sparse_kernel(const Node& n) {
  return n.attr_i("sparse_kernel", 0) != 0;
}

// --sparse-kernels auto|never|always|only=NAME[,NAME...]; fails on anything else.
SparseKernels parse_sparse_kernels(const std::string& s, std::vector<std::string>& only);

// "sparse kernels: N layers (names), weights X -> Y B\n" when any node uses one, else "".
std::string sparse_summary_text(const Graph& g);

// Float Gemm: the columns of op(B) (B [K, N], or [N, K] when `transB`) as the two arrays of
// templates/sparse_f32.h: idx (int8 bytes) and wv (float).
void encode_sparse_f32(const float* b, int64_t K, int64_t N, bool transB, TensorData& idx,
                       TensorData& wv);

// w int8 [M, K] row-major -> the stream of templates/sparse_s8.h (int8 bytes).
TensorData encode_sparse_s8(const int8_t* w, int64_t M, int64_t K);

} // namespace tinyc
