// Indexing kernels: Gather, GatherElements, GatherND and their scatter counterparts. Indices
// may come from the model's input at run time, so each one is wrapped (negative counts from
// the end) and then clamped into range: an out-of-range index reads or writes the nearest
// valid element instead of memory outside the tensor.
#pragma once

#include <stdint.h>

#include "reduce.h"

namespace tk {

template <class I> inline int64_t clamp_index(I raw, int64_t n) {
  int64_t k = (int64_t)raw;
  if (k < 0) k += n;
  return k < 0 ? 0 : (k >= n ? n - 1 : k);
}

// P: outer, n (axis size), m (number of indices), inner.
template <class P, class T, class I> void gather(const T* x, const I* idx, T* y) {
  for (int o = 0; o < P::outer; ++o) {
    for (int j = 0; j < P::m; ++j) {
      const T* src = x + ((int64_t)o * P::n + clamp_index(idx[j], P::n)) * P::inner;
      T* dst = y + ((int64_t)o * P::m + j) * P::inner;
      for (int i = 0; i < P::inner; ++i) dst[i] = src[i];
    }
  }
}

enum ScatterReduce { kNone, kAdd, kMul, kMaxR, kMinR };

template <int R, class T> inline T scatter_apply(T a, T u) {
  if constexpr (R == kAdd)
    return reduce_add(a, u);
  else if constexpr (R == kMul)
    return reduce_mul(a, u);
  else if constexpr (R == kMaxR)
    return a < u ? u : a;
  else if constexpr (R == kMinR)
    return u < a ? u : a;
  else
    return u;
}

// Offset in the data tensor of position i of the index tensor, leaving out the axis term.
// P: rank, ishape[rank] (index tensor shape), sd[rank] (data strides), axis.
template <class P> inline int64_t elements_offset(int64_t i) {
  int64_t off = 0;
  for (int d = P::rank - 1; d >= 0; --d) {
    const int64_t c = i % P::ishape[d];
    i /= P::ishape[d];
    if (d != P::axis) off += c * P::sd[d];
  }
  return off;
}

// P: rank, n (index count), ishape, sd, axis, dim (data size along axis).
template <class P, class T, class I> void gather_elements(const T* x, const I* idx, T* y) {
  for (int64_t i = 0; i < P::n; ++i)
    y[i] = x[elements_offset<P>(i) + clamp_index(idx[i], P::dim) * P::sd[P::axis]];
}

// y must already hold the data; P as gather_elements plus red.
template <class P, class T, class I> void scatter_elements(const I* idx, const T* upd, T* y) {
  for (int64_t i = 0; i < P::n; ++i) {
    T& dst = y[elements_offset<P>(i) + clamp_index(idx[i], P::dim) * P::sd[P::axis]];
    dst = scatter_apply<P::red>(dst, upd[i]);
  }
}

// Offset of index tuple t (k entries) in the data.
template <class P, class I> inline int64_t nd_offset(const I* t) {
  int64_t off = 0;
  for (int j = 0; j < P::k; ++j) off += clamp_index(t[j], P::dims[j]) * P::dstr[j];
  return off;
}

// P: batches, tuples (per batch), k, dims[k], dstr[k], inner, data_batch.
template <class P, class T, class I> void gather_nd(const T* x, const I* idx, T* y) {
  for (int b = 0; b < P::batches; ++b) {
    for (int t = 0; t < P::tuples; ++t) {
      const I* tup = idx + ((int64_t)b * P::tuples + t) * P::k;
      const T* src = x + (int64_t)b * P::data_batch + nd_offset<P>(tup);
      T* dst = y + ((int64_t)b * P::tuples + t) * P::inner;
      for (int i = 0; i < P::inner; ++i) dst[i] = src[i];
    }
  }
}

// y must already hold the data. P: tuples, k, dims[k], dstr[k], inner, red.
template <class P, class T, class I> void scatter_nd(const I* idx, const T* upd, T* y) {
  for (int t = 0; t < P::tuples; ++t) {
    T* dst = y + nd_offset<P>(idx + (int64_t)t * P::k);
    const T* src = upd + (int64_t)t * P::inner;
    for (int i = 0; i < P::inner; ++i) dst[i] = scatter_apply<P::red>(dst[i], src[i]);
  }
}

} // namespace tk
