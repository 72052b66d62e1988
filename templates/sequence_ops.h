// Kernels that work along one axis or over matrices: TopK, CumSum, OneHot, Trilu, Shrink.
// Axis-wise kernels see the tensor as (outer, n, inner) with the axis in the middle.
#pragma once

#include <stdint.h>

#include "reduce.h"

namespace tk {

// Keeps the k best elements of each line sorted by insertion; strict comparison keeps the
// lower index first among equal values. P: outer, n, inner, k, largest.
template <class P, class T> void top_k(const T* x, T* vals, int64_t* idx) {
  for (int o = 0; o < P::outer; ++o) {
    for (int in = 0; in < P::inner; ++in) {
      const T* src = x + (int64_t)o * P::n * P::inner + in;
      T* v = vals + (int64_t)o * P::k * P::inner + in;
      int64_t* ix = idx + (int64_t)o * P::k * P::inner + in;
      int count = 0;
      for (int j = 0; j < P::n; ++j) {
        const T c = src[j * P::inner];
        auto better = [](T a, T b) { return P::largest ? b < a : a < b; };
        if (count == P::k && (P::k == 0 || !better(c, v[(P::k - 1) * P::inner]))) continue;
        int p = count < P::k ? count : P::k - 1;
        while (p > 0 && better(c, v[(p - 1) * P::inner])) {
          v[p * P::inner] = v[(p - 1) * P::inner];
          ix[p * P::inner] = ix[(p - 1) * P::inner];
          --p;
        }
        v[p * P::inner] = c;
        ix[p * P::inner] = j;
        if (count < P::k) ++count;
      }
    }
  }
}

// P: outer, n, inner, exclusive, reverse.
template <class P, class T> void cum_sum(const T* x, T* y) {
  for (int o = 0; o < P::outer; ++o) {
    for (int in = 0; in < P::inner; ++in) {
      const T* src = x + (int64_t)o * P::n * P::inner + in;
      T* dst = y + (int64_t)o * P::n * P::inner + in;
      T acc = T(0);
      for (int s = 0; s < P::n; ++s) {
        const int j = P::reverse ? P::n - 1 - s : s;
        if (P::exclusive) {
          dst[j * P::inner] = acc;
          acc = reduce_add(acc, src[j * P::inner]);
        } else {
          acc = reduce_add(acc, src[j * P::inner]);
          dst[j * P::inner] = acc;
        }
      }
    }
  }
}

// Indices outside [-depth, depth) select nothing. P: outer, depth, inner.
template <class P, class I, class T> void one_hot(const I* idx, T* y, T off, T on) {
  for (int64_t i = 0; i < (int64_t)P::outer * P::depth * P::inner; ++i) y[i] = off;
  for (int o = 0; o < P::outer; ++o) {
    for (int in = 0; in < P::inner; ++in) {
      const double v = (double)idx[o * P::inner + in];
      if (!(v >= -(double)P::depth && v < (double)P::depth)) continue;
      int64_t k = (int64_t)v;
      if (k < 0) k += P::depth;
      y[((int64_t)o * P::depth + k) * P::inner + in] = on;
    }
  }
}

// P: batch, rows, cols, k, upper.
template <class P, class T> void trilu(const T* x, T* y) {
  for (int b = 0; b < P::batch; ++b) {
    for (int i = 0; i < P::rows; ++i) {
      for (int j = 0; j < P::cols; ++j) {
        const int64_t at = ((int64_t)b * P::rows + i) * P::cols + j;
        const int64_t diff = (int64_t)j - i;
        const bool keep = P::upper ? diff >= P::k : diff <= P::k;
        y[at] = keep ? x[at] : T(0);
      }
    }
  }
}

} // namespace tk
