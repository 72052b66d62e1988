// The few Cortex-M DSP (SIMD32) instructions the int8 pooling kernels use, as tk:: functions:
// the compiler builtins behind ACLE's __sxtab16/__smuad (and SSUB8 + SEL for a four-lane
// maximum) when the target has __ARM_FEATURE_DSP, and a portable emulation when TK_EMULATE_DSP is
// defined (host tests run the SIMD code paths that way). TK_DSP_SIMD is defined when either is
// available. <arm_acle.h> itself is not included: the generated file hoists every system include of
// a template to its top, unconditionally, and hosts have no such header. The builtins are exactly
// what <arm_acle.h>'s inline functions call (GCC and clang alike).
#pragma once

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#define TK_DSP_SIMD 1
#elif defined(TK_EMULATE_DSP)
#define TK_DSP_SIMD 1
#endif

#if defined(TK_DSP_SIMD)
namespace tk {

inline uint32_t ror32(uint32_t x, unsigned r) {
  return (x >> r) | (x << ((32u - r) & 31u)); // the compiler emits ROR
}

#if defined(__ARM_FEATURE_DSP)
// Two 16-bit lanes: a.lo + sext(b.byte0), a.hi + sext(b.byte2).
inline uint32_t sxtab16(uint32_t a, uint32_t b) {
  return uint32_t(__builtin_arm_sxtab16(int32_t(a), int32_t(b)));
}
// a.lo * b.lo + a.hi * b.hi, 16-bit signed lanes.
inline int32_t smuad(uint32_t a, uint32_t b) {
  return __builtin_arm_smuad(int32_t(a), int32_t(b));
}
// Four signed int8 lanes: max(a, b) per lane. SSUB8 sets a lane's GE flag when a >= b and SEL
// picks that lane of a; one asm block, because the flags must not be clobbered in between.
inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b));
  return r;
}
#else
inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r = 0;
  for (unsigned i = 0; i < 32; i += 8) {
    const int8_t x = int8_t((a >> i) & 0xffu), y = int8_t((b >> i) & 0xffu);
    r |= uint32_t(uint8_t(x > y ? x : y)) << i;
  }
  return r;
}
inline uint32_t sxtab16(uint32_t a, uint32_t b) {
  const uint32_t lo = (a + uint32_t(int32_t(int8_t(b & 0xffu)))) & 0xffffu;
  const uint32_t hi = ((a >> 16) + uint32_t(int32_t(int8_t((b >> 16) & 0xffu)))) & 0xffffu;
  return lo | (hi << 16);
}
inline int32_t smuad(uint32_t a, uint32_t b) {
  const int32_t alo = int16_t(a & 0xffffu), ahi = int16_t(a >> 16);
  const int32_t blo = int16_t(b & 0xffffu), bhi = int16_t(b >> 16);
  return alo * blo + ahi * bhi;
}
#endif

} // namespace tk
#endif
