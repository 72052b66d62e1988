// Sparse float Gemm for unstructured sparsity (--prune-method unstructured): loops over the
// nonzero weights of B only. Chosen per layer like the int8 sparse kernels
// (compiler/ops/sparse_kernel.cpp, docs/sparse_kernels.md).
//
// Weights: two arrays (compiler/ops/sparse_kernel.cpp encode_sparse_f32), per output column j
// of op(B) (one row of B^T):
// - idx (bytes): count (uint16, little endian), then one byte per entry: the distance of the
//   entry's k from the previous entry's (from 0 for the first); a gap over 255 is bridged by
//   an entry of skip 255 and weight 0;
// - wv (float): the entries' weights, in the same order, all columns one after the other.
// Every output is the sum over the column's nonzero weights, k ascending, of a[i, k] * w, then
// alpha, beta * C and the activation, as templates/gemm.h: the dense sum minus terms that are
// exactly +-0 (for finite inputs the same value).
#pragma once

#include "activation.h"

#include <stdint.h>

namespace tk {

// P: M, N, K, alpha, beta, has_c, cs_m, cs_n, act/act_a/act_b (transA = 0).
template <class P>
void gemm_sparse_f32(const float* __restrict__ a, const int8_t* __restrict__ idx,
                     const float* __restrict__ wv, const float* __restrict__ c,
                     float* __restrict__ y) {
  for (int i = 0; i < P::M; ++i) {
    const uint8_t* s = reinterpret_cast<const uint8_t*>(idx);
    const float* w = wv;
    for (int j = 0; j < P::N; ++j) {
      const int cnt = int(s[0]) | (int(s[1]) << 8);
      s += 2;
      const float* xp = a + i * P::K;
      float acc = 0.0f;
      for (int e = 0; e < cnt; ++e) {
        xp += s[e];
        acc += *xp * w[e];
      }
      s += cnt;
      w += cnt;
      float v = acc;
      if constexpr (P::alpha != 1.0f) v *= P::alpha;
      if constexpr (P::has_c) v += P::beta * c[i * P::cs_m + j * P::cs_n];
      y[i * P::N + j] = activate<P>(v);
    }
  }
}

} // namespace tk
