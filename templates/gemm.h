// Float matrix products. Every output element is the sum over k ascending of a[i,k] * b[k,j]
// (the evaluator's order), then scaled, biased and activated. Four output columns are
// computed together, so each element of A loaded feeds four register accumulators.
#pragma once

#include "activation.h"

namespace tk {

// acc[0..B) = sum_k A(i, k) * B(k, j0 + jj) for an [M, K] x [K, N] product, either operand
// optionally stored transposed.
template <int M, int N, int K, bool TA, bool TB, int B>
inline void dot_block(const float* a, const float* b, int i, int j0, float* acc) {
#pragma GCC unroll 4
  for (int jj = 0; jj < B; ++jj) acc[jj] = 0.0f;
  for (int k = 0; k < K; ++k) {
    const float av = TA ? a[k * M + i] : a[i * K + k];
#pragma GCC unroll 4
    for (int jj = 0; jj < B; ++jj) acc[jj] += av * (TB ? b[(j0 + jj) * K + k] : b[k * N + j0 + jj]);
  }
}

// Gemm: y = act(alpha * op(A) op(B) + beta * C), op() an optional transpose.
// P: M, N, K, transA, transB, alpha, beta, has_c, cs_m, cs_n (strides of C, 0 on broadcast
// axes), act/act_a/act_b.
template <class P, int B>
inline void gemm_cols(const float* a, const float* b, const float* c, float* y, int i, int j0) {
  float acc[B];
  dot_block<P::M, P::N, P::K, P::transA != 0, P::transB != 0, B>(a, b, i, j0, acc);
#pragma GCC unroll 4
  for (int jj = 0; jj < B; ++jj) {
    float v = acc[jj];
    if constexpr (P::alpha != 1.0f) v *= P::alpha;
    if constexpr (P::has_c) v += P::beta * c[i * P::cs_m + (j0 + jj) * P::cs_n];
    y[i * P::N + j0 + jj] = activate<P>(v);
  }
}

template <class P> void gemm_float(const float* a, const float* b, const float* c, float* y) {
  constexpr int full = P::N / 4 * 4;
  for (int i = 0; i < P::M; ++i) {
    for (int j = 0; j < full; j += 4) gemm_cols<P, 4>(a, b, c, y, i, j);
    if constexpr (P::N % 4 != 0) gemm_cols<P, P::N % 4>(a, b, c, y, i, full);
  }
}

// One [M, K] x [K, N] product into y.
template <class P, int B>
inline void matmul_cols(const float* a, const float* b, float* y, int i, int j0) {
  float acc[B];
  dot_block<P::M, P::N, P::K, false, false, B>(a, b, i, j0, acc);
#pragma GCC unroll 4
  for (int jj = 0; jj < B; ++jj) y[i * P::N + j0 + jj] = activate<P>(acc[jj]);
}

// Batched MatMul with broadcasting: batch t reads a + a_off[t], b + b_off[t].
// P: batches, M, N, K, a_off[batches], b_off[batches], act/act_a/act_b.
template <class P> void matmul_float(const float* a, const float* b, float* y) {
  constexpr int full = P::N / 4 * 4;
  for (int t = 0; t < P::batches; ++t) {
    const float* at = a + P::a_off[t];
    const float* bt = b + P::b_off[t];
    float* yt = y + t * P::M * P::N;
    for (int i = 0; i < P::M; ++i) {
      for (int j = 0; j < full; j += 4) matmul_cols<P, 4>(at, bt, yt, i, j);
      if constexpr (P::N % 4 != 0) matmul_cols<P, P::N % 4>(at, bt, yt, i, full);
    }
  }
}

} // namespace tk
