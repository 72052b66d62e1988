// Einsum (float or double) by direct summation: labels 0..n_out-1 index the output (row-major), the
// rest are summed. Each operand reads element sum(idx[l] * st[op][l]) (stride 0 where a label
// is absent or broadcast; a repeated label has its strides added, giving diagonals). Products
// multiply operands in order and sums run over summed labels row-major, as in the evaluator.
// P: L (labels), n_out, ops, out_total, sum_total, size[L], st[ops * L].
#pragma once

namespace tk {

template <class P, class T> void einsum(const T* const* in, T* y) {
  int idx[P::L + 1] = {};
  for (int o = 0; o < P::out_total; ++o) {
    int r = o;
    for (int d = P::n_out - 1; d >= 0; --d) {
      idx[d] = r % P::size[d];
      r /= P::size[d];
    }
    T acc = T(0);
    for (int s = 0; s < P::sum_total; ++s) {
      int q = s;
      for (int d = P::L - 1; d >= P::n_out; --d) {
        idx[d] = q % P::size[d];
        q /= P::size[d];
      }
      T prod = T(1);
      for (int op = 0; op < P::ops; ++op) {
        int off = 0;
        for (int d = 0; d < P::L; ++d) off += idx[d] * P::st[op * P::L + d];
        prod *= in[op][off];
      }
      acc += prod;
    }
    y[o] = acc;
  }
}

} // namespace tk
