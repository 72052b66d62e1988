// Exact integer arithmetic of the int8 elementwise, pooling and softmax kernels (qbinary.h,
// qpool.h, qsoftmax.h). The compiler's reference evaluator calls these same functions, so the
// generated code and the evaluator agree bit for bit. Rounding is ONNX's: the real-valued
// result rounded half to even, computed without any float.
#pragma once

#include "requant.h"

#include <stdint.h>

namespace tk {

inline int32_t clamp_q(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : int32_t(v);
}

// QAdd of one element pair: (da * ka + db * kb) * 2^-shift rounded half to even, plus zp,
// clamped. ka = mult_a << (shift - shift_a) (and kb alike) bring both exact rescale factors
// to one power of two; the compiler keeps |da * ka| and |db * kb| below 2^62.
inline int32_t qadd_value(int32_t da, int32_t db, int64_t ka, int64_t kb, int shift, int32_t zp,
                          int32_t lo, int32_t hi) {
  const int64_t acc = int64_t(da) * ka + int64_t(db) * kb;
  return clamp_q(rescale(acc, 1, shift) + zp, lo, hi);
}

// QAdd with a fused LeakyRelu: a negative sum is rescaled with the factors of
// fl(alpha * fl(s / y_s)) instead (ka_n, kb_n on 2^-shift_n).
inline int32_t qadd_leaky_value(int32_t da, int32_t db, int64_t ka, int64_t kb, int shift,
                                int64_t ka_n, int64_t kb_n, int shift_n, int32_t zp, int32_t lo,
                                int32_t hi) {
  const int64_t acc = int64_t(da) * ka + int64_t(db) * kb;
  if (acc >= 0) return clamp_q(rescale(acc, 1, shift) + zp, lo, hi);
  return clamp_q(rescale(int64_t(da) * ka_n + int64_t(db) * kb_n, 1, shift_n) + zp, lo, hi);
}

// QMul of one element pair, with a fused LeakyRelu when mult_n (the multiplier of
// fl(alpha * fl(fl(a_s * b_s) / y_s))) is not 0.
inline int32_t qmul_value(int32_t da, int32_t db, int32_t mult, int shift, int32_t mult_n,
                          int shift_n, int32_t zp, int32_t lo, int32_t hi) {
  const int32_t acc = da * db;
  if (acc < 0 && mult_n != 0) return requantize(acc, mult_n, shift_n, zp, lo, hi);
  return requantize(acc, mult, shift, zp, lo, hi);
}

// round(p / (count * 2^shift)), ties to even, for count >= 1 and shift in [1, 62], without
// forming count * 2^shift (which may not fit 64 bits). The division is 32-bit when the
// quotient fits, which is the common case (Cortex-M has SDIV but no 64-bit divide).
inline int64_t div_round_half_even(int64_t p, int shift, int32_t count) {
  const uint64_t mask = (uint64_t(1) << shift) - 1;
  const int64_t q1 = p >> shift; // floor(p / 2^shift)
  const int64_t r1 = int64_t(uint64_t(p) & mask);
  int64_t q, r2;
  if (q1 >= INT32_MIN && q1 <= INT32_MAX) {
    const int32_t a = int32_t(q1);
    int32_t qq = a / count, rr = a - qq * count;
    if (rr < 0) {
      rr += count;
      --qq;
    }
    q = qq;
    r2 = rr;
  } else {
    q = q1 / count;
    r2 = q1 - q * count;
    if (r2 < 0) {
      r2 += count;
      --q;
    }
  }
  // p / (count * 2^shift) = q + (r2 + r1 / 2^shift) / count; compare the fraction with 1/2.
  const int64_t t = 2 * r1; // < 2^63
  const int64_t lhs = 2 * r2 + (t >> shift);
  const int64_t frac = int64_t(uint64_t(t) & mask);
  if (lhs > count || (lhs == count && frac > 0) || (lhs == count && (q & 1))) ++q;
  return q;
}

// round(num / den), ties to even, for num >= 0 and den > 0.
inline int64_t div_round_half_even_pos(int64_t num, int64_t den) {
  const uint64_t n = uint64_t(num), d = uint64_t(den);
  uint64_t q = n / d;
  const uint64_t r = n - q * d;
  if (r > d - r || (r == d - r && (q & 1))) ++q;
  return int64_t(q);
}

} // namespace tk
