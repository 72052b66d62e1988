// The Cortex-M DSP-extension intrinsics the int8 kernels use, with portable C definitions of
// the same operations for hosts. On the target they are the compiler builtins behind ACLE's
// <arm_acle.h> __smlad, __smlabb, __smlatb, __sxtab16, __sxtb16, __ror (called directly: the model
// generator hoists system includes out of preprocessor conditionals, and the header must not be
// included on hosts). TK_DSP_PATH selects the kernels'
// DSP code: on by default where the target has the DSP extension (__ARM_FEATURE_DSP: M4, M7,
// M33...), and on the host when built with -DTK_FORCE_DSP_PATH, so tests run both code paths
// through the same sanitised host build.
#pragma once

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) || defined(TK_FORCE_DSP_PATH)
#define TK_DSP_PATH 1
#else
#define TK_DSP_PATH 0
#endif

namespace tk {

// A 32-bit word that may alias other types: the int8 kernels write scratch buffers as int16
// and read them back as packed pairs.
typedef int32_t __attribute__((may_alias)) i32_alias;
typedef int16_t __attribute__((may_alias)) i16_alias;
typedef int64_t __attribute__((may_alias, aligned(4))) i64_alias; // LDRD needs 4

// Two consecutive words of a word-aligned array with one load (LDRD on Cortex-M).
inline void load_pair(const void* p, int32_t& lo, int32_t& hi) {
  const uint64_t v = uint64_t(*static_cast<const i64_alias*>(p));
  lo = int32_t(uint32_t(v));
  hi = int32_t(uint32_t(v >> 32));
}

// Makes the optimiser forget what it knows about p (no code): keeps loop-invariant loads
// inside a loop where hoisting them would only spill them to the stack.
template <class T> inline void tk_opaque(T*& p) {
#if defined(__GNUC__)
  asm("" : "+r"(p));
#else
  (void)p;
#endif
}

// hi(a * b) + c, the high word of the 64-bit product plus c (one SMMLA on Cortex-M).
inline int32_t dsp_smmla(int32_t a, int32_t b, int32_t c) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  int32_t r;
  asm("smmla %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
#else
  return int32_t(uint32_t(uint64_t(int64_t(a) * b) >> 32) + uint32_t(c));
#endif
}

// Saturation of v to [-128, 127] (one SSAT on Cortex-M).
inline int32_t sat_s8(int32_t v) {
#if defined(__ARM_FEATURE_SAT)
  return __builtin_arm_ssat(v, 8);
#else
  return v < -128 ? -128 : v > 127 ? 127 : v;
#endif
}

// Unaligned little-endian loads (one LDR/LDRH on Cortex-M, which allows unaligned access).
inline int32_t load_u32(const void* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}
inline void store_u32(void* p, int32_t v) {
  memcpy(p, &v, 4);
}
inline int32_t load_u16(const void* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return int32_t(v);
}

// b rotated right by n bits, 0 < n < 32 (one ROR, or free as an operand shift on Cortex-M).
inline int32_t dsp_ror(int32_t b, int n) {
  const uint32_t u = uint32_t(b);
  return int32_t((u >> n) | (u << (32 - n)));
}

#if defined(__ARM_FEATURE_DSP)

// acc + lo(a) * lo(b) + hi(a) * hi(b), halves signed 16-bit.
inline int32_t dsp_smlad(int32_t a, int32_t b, int32_t acc) {
  return __builtin_arm_smlad(a, b, acc);
}
// acc + lo(a) * lo(b); acc + lo(a) * hi(b); acc + hi(a) * lo(b).
inline int32_t dsp_smlabb(int32_t a, int32_t b, int32_t acc) {
  return __builtin_arm_smlabb(a, b, acc);
}
inline int32_t dsp_smlabt(int32_t a, int32_t b, int32_t acc) {
  return __builtin_arm_smlatb(b, a, acc);
}
inline int32_t dsp_smlatb(int32_t a, int32_t b, int32_t acc) {
  return __builtin_arm_smlatb(a, b, acc);
}
// Halves: a + sign-extended bytes 0 and 2 of b (bytes 1 and 3 after rotating b by 8).
inline int32_t dsp_sxtab16(int32_t a, int32_t b) {
  return __builtin_arm_sxtab16(a, b);
}
inline int32_t dsp_sxtab16_ror8(int32_t a, int32_t b) {
  const uint32_t u = uint32_t(b);
  return __builtin_arm_sxtab16(a, int32_t((u >> 8) | (u << 24)));
}
// Halves: sign-extended bytes 0 and 2 of b (SXTB16); bytes 1 and 3 (SXTB16 with ROR #8).
inline int32_t dsp_sxtb16(int32_t b) {
  return __builtin_arm_sxtb16(b);
}
inline int32_t dsp_sxtb16_ror8(int32_t b) {
  return __builtin_arm_sxtb16(dsp_ror(b, 8));
}

#else

inline int32_t dsp_lo(int32_t a) {
  return int16_t(uint16_t(uint32_t(a) & 0xffffu));
}
inline int32_t dsp_hi(int32_t a) {
  return int16_t(uint16_t(uint32_t(a) >> 16));
}
// The sums wrap modulo 2^32 like the instructions; the kernels keep them in range.
inline int32_t dsp_wrap_add(int32_t acc, int32_t v) {
  return int32_t(uint32_t(acc) + uint32_t(v));
}
inline int32_t dsp_smlad(int32_t a, int32_t b, int32_t acc) {
  return dsp_wrap_add(dsp_wrap_add(acc, dsp_lo(a) * dsp_lo(b)), dsp_hi(a) * dsp_hi(b));
}
inline int32_t dsp_smlabb(int32_t a, int32_t b, int32_t acc) {
  return dsp_wrap_add(acc, dsp_lo(a) * dsp_lo(b));
}
inline int32_t dsp_smlabt(int32_t a, int32_t b, int32_t acc) {
  return dsp_wrap_add(acc, dsp_lo(a) * dsp_hi(b));
}
inline int32_t dsp_smlatb(int32_t a, int32_t b, int32_t acc) {
  return dsp_wrap_add(acc, dsp_hi(a) * dsp_lo(b));
}
inline int32_t dsp_pack16(int32_t lo, int32_t hi) {
  return int32_t((uint32_t(lo) & 0xffffu) | (uint32_t(hi) << 16));
}
inline int32_t dsp_sxtab16(int32_t a, int32_t b) {
  const uint32_t u = uint32_t(b);
  return dsp_pack16(dsp_lo(a) + int8_t(uint8_t(u)), dsp_hi(a) + int8_t(uint8_t(u >> 16)));
}
inline int32_t dsp_sxtab16_ror8(int32_t a, int32_t b) {
  const uint32_t u = uint32_t(b);
  return dsp_pack16(dsp_lo(a) + int8_t(uint8_t(u >> 8)), dsp_hi(a) + int8_t(uint8_t(u >> 24)));
}
inline int32_t dsp_sxtb16(int32_t b) {
  const uint32_t u = uint32_t(b);
  return dsp_pack16(int8_t(uint8_t(u)), int8_t(uint8_t(u >> 16)));
}
inline int32_t dsp_sxtb16_ror8(int32_t b) {
  return dsp_sxtb16(dsp_ror(b, 8));
}

#endif

} // namespace tk
