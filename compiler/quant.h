// Quantisation arithmetic the compiler shares with the kernels (templates/requant.h): a float
// scale as an exact integer multiplier and shift, and ONNX's quantize/dequantize of one value.
#pragma once

#include "ir.h"

#include <cstdint>
#include <optional>

namespace tinyc {

// s = mult * 2^-shift exactly, mult in [2^23, 2^24), shift in [1, 62].
struct Multiplier {
  int32_t mult = 0;
  int shift = 0;
};

// The exact multiplier of a positive float32 scale; nullopt when s is not positive and finite
// or lies outside [2^-39, 2^23) (such a layer cannot be requantised in integers).
std::optional<Multiplier> exact_multiplier(float s);

// The value range of an 8/16/32-bit integer dtype ([-128, 127] for int8).
int32_t qmin(DType t);
int32_t qmax(DType t);

// ONNX QuantizeLinear of one value into dtype t (round half to even, saturate).
int32_t quantize_value(float x, float scale, int32_t zero_point, DType t);

} // namespace tinyc
