// Linear and cubic Resize as separable taps: output coordinate i along dim d blends
// P::ntap[d] input coordinates idx[...] with weights w[...] (tables built by the compiler from
// the coordinate transformation mode). Dims that are not resized have a single tap of weight
// 1. A first tap index of -1 marks a coordinate outside the crop box (tf_crop_and_resize):
// such outputs take the extrapolation value.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, int D> inline float resize_taps(const float* x, const int* at) {
  const int b = P::base[D] + at[D] * P::ntap[D];
  float s = 0.0f;
  for (int t = 0; t < P::ntap[D]; ++t) {
    const float* xs = x + P::idx[b + t] * P::sx[D];
    float v;
    if constexpr (D + 1 == P::rank)
      v = *xs;
    else
      v = resize_taps<P, D + 1>(xs, at);
    s += P::w[b + t] * v;
  }
  return s;
}

// P: rank, n (output elements), out[rank], sx[rank], ntap[rank], base[rank], idx[], w[],
// has_outside.
template <class P> void resize_interp(const float* x, float* y, float extrapolation) {
  int at[P::rank] = {};
  for (int64_t i = 0; i < P::n; ++i) {
    bool outside = false;
    if constexpr (P::has_outside)
      for (int d = 0; d < P::rank; ++d) outside |= P::idx[P::base[d] + at[d] * P::ntap[d]] < 0;
    y[i] = outside ? extrapolation : resize_taps<P, 0>(x, at);
    for (int d = P::rank - 1; d >= 0; --d) {
      if (++at[d] < P::out[d]) break;
      at[d] = 0;
    }
  }
}

} // namespace tk
