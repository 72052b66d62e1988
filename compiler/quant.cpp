#include "quant.h"

#include "../templates/requant.h"

#include <cmath>
#include <limits>

namespace tinyc {

std::optional<Multiplier> exact_multiplier(float s) {
  if (!(s > 0.0f) || !std::isfinite(s)) return std::nullopt;
  int exp = 0;
  const float mant = std::frexp(s, &exp); // s = mant * 2^exp, mant in [0.5, 1)
  Multiplier m;
  m.mult = int32_t(std::ldexp(mant, 24)); // exact: 24 significant bits
  m.shift = 24 - exp;
  if (m.shift < 1 || m.shift > 62) return std::nullopt;
  return m;
}

int32_t qmin(DType t) {
  switch (t) {
  case DType::I8:
    return -128;
  case DType::U8:
  case DType::U16:
    return 0;
  case DType::I16:
    return -32768;
  default:
    return std::numeric_limits<int32_t>::min();
  }
}

int32_t qmax(DType t) {
  switch (t) {
  case DType::I8:
    return 127;
  case DType::U8:
    return 255;
  case DType::I16:
    return 32767;
  case DType::U16:
    return 65535;
  default:
    return std::numeric_limits<int32_t>::max();
  }
}

int32_t quantize_value(float x, float scale, int32_t zero_point, DType t) {
  return tk::quantize_value(x, scale, zero_point, qmin(t), qmax(t));
}

} // namespace tinyc
