// Float matrix products. Every output element is the sum over k ascending of a[i,k] * b[k,j]
// (the evaluator's order), then scaled, biased and activated.
#pragma once

#include "activation.h"

namespace tk {

// Gemm: y = act(alpha * op(A) op(B) + beta * C), op() an optional transpose.
// P: M, N, K, transA, transB, alpha, beta, has_c, cs_m, cs_n (strides of C, 0 on broadcast
// axes), act/act_a/act_b.
template <class P> void gemm_float(const float* a, const float* b, const float* c, float* y) {
  for (int i = 0; i < P::M; ++i) {
    for (int j = 0; j < P::N; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < P::K; ++k) {
        const float av = P::transA ? a[k * P::M + i] : a[i * P::K + k];
        const float bv = P::transB ? b[j * P::K + k] : b[k * P::N + j];
        acc += av * bv;
      }
      if constexpr (P::alpha != 1.0f) acc *= P::alpha;
      if constexpr (P::has_c) acc += P::beta * c[i * P::cs_m + j * P::cs_n];
      y[i * P::N + j] = activate<P>(acc);
    }
  }
}

// One [M, K] x [K, N] product into y, row by row: the k loop outermost per row keeps both the
// b row and the y row contiguous.
template <class P> inline void matmul_rows(const float* a, const float* b, float* y) {
  for (int i = 0; i < P::M; ++i) {
    float* yr = y + i * P::N;
    for (int j = 0; j < P::N; ++j) yr[j] = 0.0f;
    for (int k = 0; k < P::K; ++k) {
      const float av = a[i * P::K + k];
      const float* br = b + k * P::N;
      for (int j = 0; j < P::N; ++j) yr[j] += av * br[j];
    }
    if constexpr (P::act != ACT_NONE)
      for (int j = 0; j < P::N; ++j) yr[j] = activate<P>(yr[j]);
  }
}

// Batched MatMul with broadcasting: batch t reads a + a_off[t], b + b_off[t].
// P: batches, M, N, K, a_off[batches], b_off[batches], act/act_a/act_b.
template <class P> void matmul_float(const float* a, const float* b, float* y) {
  for (int t = 0; t < P::batches; ++t)
    matmul_rows<P>(a + P::a_off[t], b + P::b_off[t], y + t * P::M * P::N);
}

} // namespace tk
