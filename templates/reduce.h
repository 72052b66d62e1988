// Reductions over any set of axes: the input is walked once in memory order and each element
// is folded into its output slot (output stride 0 on reduced axes), then each slot is
// finalised (mean, sqrt, log). Integer sums and products wrap (reduce_add/reduce_mul compute
// in unsigned) instead of overflowing. ArgMax/ArgMin scan one axis.
#pragma once

#include <math.h>
#include <stdint.h>

namespace tk {

enum ReduceKind { kSum, kMean, kProd, kMax, kMin, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

template <class T> inline constexpr bool is_integer_type() {
  return T(0.5) == T(0);
}

template <class T> inline T reduce_add(T a, T b) {
  if constexpr (is_integer_type<T>())
    return T((unsigned long long)a + (unsigned long long)b);
  else
    return a + b;
}
template <class T> inline T reduce_mul(T a, T b) {
  if constexpr (is_integer_type<T>())
    return T((unsigned long long)a * (unsigned long long)b);
  else
    return a * b;
}

template <int K, class T> inline T reduce_step(T a, T x) {
  if constexpr (K == kSum || K == kMean || K == kLogSum)
    return reduce_add(a, x);
  else if constexpr (K == kProd)
    return reduce_mul(a, x);
  else if constexpr (K == kMax)
    return a < x ? x : a;
  else if constexpr (K == kMin)
    return x < a ? x : a;
  else if constexpr (K == kL1)
    return reduce_add(a, x < T(0) ? T(0 - x) : x);
  else if constexpr (K == kL2 || K == kSumSquare)
    return reduce_add(a, reduce_mul(x, x));
  else
    return a + expf(x); // kLogSumExp, float only
}

template <int K, int Count, class T> inline T reduce_finish(T a) {
  if constexpr (K == kMean) {
    if constexpr (Count == 0)
      return a;
    else if constexpr (is_integer_type<T>())
      return T(a / T(Count));
    else
      return a / T(Count);
  } else if constexpr (K == kL2) {
    if constexpr (is_integer_type<T>())
      return T(sqrt(double(a)));
    else
      return sqrtf(a);
  } else if constexpr (K == kLogSum || K == kLogSumExp) {
    return logf(a);
  } else {
    return a;
  }
}

template <class P, int D, class T> inline void reduce_dim(const T* x, T* y) {
  for (int i = 0; i < P::in[D]; ++i) {
    if constexpr (D + 1 == P::rank) {
      y[i * P::so[D]] = reduce_step<P::kind>(y[i * P::so[D]], x[i]);
    } else {
      reduce_dim<P, D + 1>(x + i * P::sx[D], y + i * P::so[D]);
    }
  }
}

// P: kind, rank, in[rank], sx[rank] (input strides), so[rank] (output strides, 0 on reduced
// axes), n_out, count (elements per output).
template <class P, class T> void reduce(const T* x, T* y, T init) {
  for (int i = 0; i < P::n_out; ++i) y[i] = init;
  if constexpr (P::rank == 0) {
    y[0] = reduce_step<P::kind>(y[0], x[0]);
  } else {
    reduce_dim<P, 0>(x, y);
  }
  for (int i = 0; i < P::n_out; ++i) y[i] = reduce_finish<P::kind, P::count>(y[i]);
}

// P: outer, n, inner, is_max, last (select_last_index). n >= 1.
template <class P, class T> void arg_reduce(const T* x, int64_t* y) {
  for (int o = 0; o < P::outer; ++o) {
    for (int k = 0; k < P::inner; ++k) {
      const T* p = x + o * P::n * P::inner + k;
      T best = p[0];
      int64_t at = 0;
      for (int j = 1; j < P::n; ++j) {
        const T v = p[j * P::inner];
        bool take;
        if constexpr (P::is_max)
          take = P::last ? !(v < best) : best < v;
        else
          take = P::last ? !(best < v) : v < best;
        if (take) {
          best = v;
          at = j;
        }
      }
      y[o * P::inner + k] = at;
    }
  }
}

} // namespace tk
