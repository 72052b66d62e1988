// Integer requantisation shared by every int8 kernel and by the compiler's reference
// evaluator, which includes this very header: host, target and evaluator round identically.
//
// A positive float32 scale s is held exactly as mult * 2^-shift with mult a 24-bit integer
// (float32 has a 24-bit significand), so rescale() computes round(acc * s) on the exact
// real product, ties to even: ONNX's QuantizeLinear rounding applied to the real-valued
// rescale, in integer arithmetic only. Results agree with onnxruntime's float32 requantiser
// except where its float rounding of acc * s crosses a .5 tie (at most 1 LSB, rare).
#pragma once

#include <stdint.h>

namespace tk {

// round(acc * mult / 2^shift), ties to even; shift in [1, 62], |mult| < 2^24.
inline int64_t rescale(int64_t acc, int32_t mult, int shift) {
  const int64_t p = acc * mult;
  const int64_t odd = (p >> shift) & 1; // arithmetic shift: floor division
  return (p + ((int64_t(1) << (shift - 1)) - 1) + odd) >> shift;
}

// Rescaled accumulator plus output zero point, clamped to [lo, hi] (the output type's range
// narrowed by a fused Relu/Clip).
inline int32_t requantize(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo,
                          int32_t hi) {
  int64_t v = rescale(acc, mult, shift) + zp;
  return v < lo ? lo : v > hi ? hi : int32_t(v);
}

// Round half to even of a float32, without the FPU rounding mode or libm (the result must
// not depend on either). |v| must be below 2^23, which callers ensure by clamping first.
inline int32_t round_half_even(float v) {
  int32_t i = int32_t(v);       // truncates toward zero
  const float f = v - float(i); // exact for |v| < 2^23
  if (f > 0.5f || (f == 0.5f && (i & 1)))
    ++i;
  else if (f < -0.5f || (f == -0.5f && (i & 1)))
    --i;
  return i;
}

// ONNX QuantizeLinear of one value: saturate(round_half_even(x / scale) + zp) into [lo, hi];
// NaN becomes the zero point.
inline int32_t quantize_value(float x, float scale, int32_t zp, int32_t lo, int32_t hi) {
  float v = x / scale;
  if (v != v) v = 0.0f;
  const float vlo = float(lo - zp) - 1.0f, vhi = float(hi - zp) + 1.0f;
  v = v < vlo ? vlo : v > vhi ? vhi : v;
  const int32_t q = round_half_even(v) + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

} // namespace tk
