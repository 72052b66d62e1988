// choose-kernels: per QGemm / one-group QConv, dense or sparse int8 kernel
// (compiler/ops/sparse_kernel.h cost model, --sparse-kernels); marks the sparse ones.
#include "passes.h"

namespace tinyc {

void choose_kernels(Graph& g, const PassOptions& opts) {
  for (Node& n : g.nodes) {
    if (n.op_type.empty()) continue;
    n.attrs.erase("sparse_kernel");
    const SparseEstimate e = estimate_sparse(g, n);
    if (!choose_sparse(e, opts.sparse_kernels)) continue;
    Attr a;
    a.kind = AttrKind::Int;
    a.i = 1;
    n.attrs["sparse_kernel"] = a;
  }
}

} // namespace tinyc
