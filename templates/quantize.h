// QuantizeLinear and DequantizeLinear (ONNX semantics), per tensor or per channel along one
// axis: the tensor is walked as [outer, C, inner] with scale[c] and zp[c] (C = 1 per tensor).
// Used at the float boundaries of a quantised graph and where an op runs in float.
// P: outer, C, inner, scale[C] (float), zp[C], lo, hi (output range, QuantizeLinear).
#pragma once

#include "requant.h"

#include <stdint.h>

namespace tk {

template <class P, class T> void quantize_linear(const float* x, T* y) {
  for (int o = 0; o < P::outer; ++o)
    for (int c = 0; c < P::C; ++c)
      for (int i = 0; i < P::inner; ++i, ++x, ++y)
        *y = T(quantize_value(*x, P::scale[c], P::zp[c], P::lo, P::hi));
}

template <class P, class T> void dequantize_linear(const T* x, float* y) {
  for (int o = 0; o < P::outer; ++o)
    for (int c = 0; c < P::C; ++c)
      for (int i = 0; i < P::inner; ++i, ++x, ++y) *y = float(int32_t(*x) - P::zp[c]) * P::scale[c];
}

} // namespace tk

namespace tk {

// The per-tensor scale and zero point of a QuantizeLinear/DequantizeLinear computed at run time
// (DynamicQuantizeLinear's expansion). A scale that is not a positive finite number maps every
// element to the zero point, so a degenerate input defines a result instead of dividing by 0.
// P: n, lo, hi. zp may be null (zero point 0).
template <class P, class T>
void quantize_linear_dynamic(const float* x, const float* scale, const T* zp, T* y) {
  const float s = *scale;
  const int32_t z = zp ? int32_t(*zp) : 0;
  const bool valid = s > 0.0f && s <= 3.40282347e38f;
  for (int i = 0; i < P::n; ++i)
    y[i] = T(valid ? quantize_value(x[i], s, z, P::lo, P::hi)
                   : (z < P::lo   ? P::lo
                      : z > P::hi ? P::hi
                                  : z));
}

template <class P, class T>
void dequantize_linear_dynamic(const T* x, const float* scale, const T* zp, float* y) {
  const float s = *scale;
  const int32_t z = zp ? int32_t(*zp) : 0;
  for (int i = 0; i < P::n; ++i) y[i] = float(int64_t(x[i]) - z) * s;
}

} // namespace tk
