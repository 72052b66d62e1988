// choose-kernels: per Gemm / one-group Conv (int8 and float), dense or sparse kernel
// (compiler/ops/sparse_kernel.h cost model, --sparse-kernels); marks the sparse ones.
#include "passes.h"

#include "../compiler/diagnostics.h"

#include <algorithm>

namespace tinyc {

void choose_kernels(Graph& g, const PassOptions& opts) {
  const std::vector<std::string>& only = opts.sparse_only;
  std::vector<bool> found(only.size(), false);
  for (Node& n : g.nodes) {
    if (n.op_type.empty()) continue;
    n.attrs.erase("sparse_kernel");
    const SparseEstimate e = estimate_sparse(g, n);
    bool sparse = choose_sparse(e, opts.sparse_kernels);
    if (opts.sparse_kernels == SparseKernels::Only && e.possible) {
      const auto it = std::find(only.begin(), only.end(), sparse_layer_name(g, n));
      if (it != only.end()) found[size_t(it - only.begin())] = sparse = true;
    }
    if (!sparse) continue;
    Attr a;
    a.kind = AttrKind::Int;
    a.i = 1;
    n.attrs["sparse_kernel"] = a;
  }
  for (size_t i = 0; i < only.size(); ++i)
    if (!found[i])
      fail("--sparse-kernels only=: no layer '{}' with a sparse kernel (Gemm or one-group Conv; "
           "names as in the --report layers)",
           only[i]);
}

} // namespace tinyc
