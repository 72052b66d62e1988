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
