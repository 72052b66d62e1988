// int8 matrix products: the fully connected kernel (QGemm) and the multiply core the int8
// convolutions share (templates/conv_s8.h).
//
// Every output is acc = bias[m] + sum_k (x_k - x_zp) * w[m, k] in int32, requantised with
// the channel's multiplier (requant_s8), which gives exactly tk::requantize: the compiler's
// reference evaluator. |x - x_zp| <= 255 and |w| <= 128, so int32 holds K < 2^16 products.
//
// DSP path (TK_DSP_PATH): operands are int16 pairs multiplied by SMLAD. The compiler stores the
// weights once, as int8 in the order the loop reads them (wq_index); SXTB16 expands them into
// pairs as they are loaded. The kernel converts activations into a small
// scratch "column" buffer of (x - x_zp) pairs, one conversion per input element reused by every
// output channel. Two output channels x two pixels per pass: each SMLAD operand loaded feeds two
// products.
#pragma once

#include "dsp.h"
#include "requant.h"

#include <stdint.h>

namespace tk {

// Requantisation of one accumulator with the channel's parameters rq[0..2], the value
// tk::requantize gives. When P::fast_rq the compiler stored (m31, C, t): the channel scale as
// m31 * 2^-(32 + t) with m31 < 2^31, t in [1, 30], and C = 2^(t-1) (+ y_zp * 2^t when
// P::zp_folded). Then floor((acc * m31 + 2^(31+t)) / 2^(32+t)), the product rounded half up,
// is (hi(acc * m31) + C) >> t: one multiply-accumulate of the high word (SMMLA) and a shift.
// Otherwise rq holds (mult, shift, 0) for tk::requantize.
template <class P> inline int32_t requant_s8(int32_t acc, const int32_t* rq) {
  int32_t y;
  if constexpr (P::fast_rq) {
    const uint64_t p = uint64_t(int64_t(acc) * rq[0]);
    // hi(p) + C; no overflow (the compiler checked C against the accumulator bound).
    const int32_t h =
        P::ties ? int32_t(uint32_t(p >> 32) + uint32_t(rq[1])) : dsp_smmla(acc, rq[0], rq[1]);
    int32_t q = h >> rq[2];
    // A tie (acc * m31 + 2^(31+t) a multiple of 2^(32+t)) goes to the even neighbour. The
    // compiler proves most layers tie-free (P::ties false): with mult = m0 * 2^z, m0 odd, a
    // tie needs |acc| >= 2^(shift-1-z), beyond the layer's accumulator bound.
    if constexpr (P::ties)
      if ((uint32_t(p) | (uint32_t(h) << (32 - rq[2]))) == 0)
        q -= (q - (P::zp_folded ? P::y_zp : 0)) & 1;
    y = sat_s8(P::zp_folded ? q : q + P::y_zp);
  } else {
    y = requantize(acc, rq[0], rq[1], P::y_zp, -128, 127);
  }
  if constexpr (P::act_lo > -128) y = y < P::act_lo ? P::act_lo : y;
  if constexpr (P::act_hi < 127) y = y > P::act_hi ? P::act_hi : y;
  return y;
}

// The int8 weight layout of QGemm and of the pointwise and general QConv kernels, which both
// code paths read (the compiler reorders the weights at compile time, one byte per weight):
// per group, channels rounded up to even and k up to K4 = a multiple of 4 (padding zero),
// [MGP/2][K4/4][2 channels][4 k values]. One 8-byte load gives two channels' four k values;
// SXTB16 expands them into the int16 pairs (k0, k2) and, rotated by 8, (k1, k3).
template <int K> constexpr int wq_group_bytes(int mg) {
  return (mg + 1) / 2 * 2 * ((K + 3) / 4 * 4);
}
template <int K> constexpr int wq_index(int m, int k) {
  return ((m >> 1) * ((K + 3) / 4) + (k >> 2)) * 8 + (m & 1) * 4 + (k & 3);
}

#if TK_DSP_PATH

// Two channels x NPIX pixels over KP int16 pairs (KP even). w: the channel pair's weights,
// [KP/2][2 channels][4 int8 k values]; x: [KP][NPIX] words of two int16 k values, pairs
// (4g, 4g+2) and (4g+1, 4g+3): the halves SXTB16 extracts from a word of weights.
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
// Cortex-M: the k loop in assembly, so every group of four k values is exactly one LDRD of
// the two channels' weights, two SXTB16 per channel, one LDRD of the two pixels' column pairs
// per half (one LDRD of both halves for one pixel) and eight (four) SMLAD; compilers otherwise
// spill or reload operands under this register pressure. Remainder groups first, then four
// per loop iteration.
#define TK_DOT2_STEP2                                                                              \
  "ldrd %[w0], %[w1], [%[wp]], #8\n\t"                                                             \
  "ldrd %[x0], %[x1], [%[xp]], #8\n\t"                                                             \
  "sxtb16 %[t], %[w0]\n\t"                                                                         \
  "smlad %[a00], %[t], %[x0], %[a00]\n\t"                                                          \
  "smlad %[a01], %[t], %[x1], %[a01]\n\t"                                                          \
  "sxtb16 %[t], %[w1]\n\t"                                                                         \
  "smlad %[a10], %[t], %[x0], %[a10]\n\t"                                                          \
  "smlad %[a11], %[t], %[x1], %[a11]\n\t"                                                          \
  "ldrd %[x0], %[x1], [%[xp]], #8\n\t"                                                             \
  "sxtb16 %[t], %[w0], ror #8\n\t"                                                                 \
  "smlad %[a00], %[t], %[x0], %[a00]\n\t"                                                          \
  "smlad %[a01], %[t], %[x1], %[a01]\n\t"                                                          \
  "sxtb16 %[t], %[w1], ror #8\n\t"                                                                 \
  "smlad %[a10], %[t], %[x0], %[a10]\n\t"                                                          \
  "smlad %[a11], %[t], %[x1], %[a11]\n\t"
#define TK_DOT2_STEP1                                                                              \
  "ldrd %[w0], %[w1], [%[wp]], #8\n\t"                                                             \
  "ldrd %[x0], %[x1], [%[xp]], #8\n\t"                                                             \
  "sxtb16 %[t], %[w0]\n\t"                                                                         \
  "smlad %[a00], %[t], %[x0], %[a00]\n\t"                                                          \
  "sxtb16 %[t], %[w1]\n\t"                                                                         \
  "smlad %[a10], %[t], %[x0], %[a10]\n\t"                                                          \
  "sxtb16 %[t], %[w0], ror #8\n\t"                                                                 \
  "smlad %[a00], %[t], %[x1], %[a00]\n\t"                                                          \
  "sxtb16 %[t], %[w1], ror #8\n\t"                                                                 \
  "smlad %[a10], %[t], %[x1], %[a10]\n\t"

// Written out (no .rept) so the compiler sizes the asm correctly when it places literal pools.
#define TK_X4(s) s s s s
#define TK_DOT2_OPS2                                                                               \
  [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [wp] "+r"(w), [xp] "+r"(x),  \
      [w0] "=&r"(w0), [w1] "=&r"(w1), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t)
#define TK_DOT2_OPS1                                                                               \
  [a00] "+r"(a00), [a10] "+r"(a10), [wp] "+r"(w), [xp] "+r"(x), [w0] "=&r"(w0), [w1] "=&r"(w1),    \
      [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t)

// The "memory" clobber covers the operands the assembly reads (no "m" operands: each would
// need an address register of its own, and the loop already uses 12 of the 13 available).
// Measured on Cortex-M4, it also keeps GCC from scheduling the requantiser's loads into the
// accumulation (which costs registers and spills).

template <int KP, int NPIX>
inline void dot2_dsp(const int8_t* __restrict__ w, const i32_alias* __restrict__ x,
                     int32_t (&acc)[2][NPIX]) {
  static_assert(KP % 2 == 0, "pairs come in groups of four k values");
  constexpr int KQ = KP / 2;
  int32_t w0, w1, x0, x1, t, n = KQ / 4;
  int32_t a00 = acc[0][0], a10 = acc[1][0], a01 = acc[0][NPIX - 1], a11 = acc[1][NPIX - 1];
  if constexpr (NPIX == 2) {
#pragma GCC unroll 4
    for (int r = 0; r < KQ % 4; ++r) asm(TK_DOT2_STEP2:TK_DOT2_OPS2 : : "memory");
    if constexpr (KQ >= 4)
      asm("1:\n\t" TK_X4(TK_DOT2_STEP2) "subs %[n], %[n], #1\n\t"
                                        "bne 1b\n\t"
          : TK_DOT2_OPS2, [n] "+r"(n)
          :
          : "memory", "cc");
    acc[0][NPIX - 1] = a01;
    acc[1][NPIX - 1] = a11;
  } else {
    (void)a01;
    (void)a11;
#pragma GCC unroll 4
    for (int r = 0; r < KQ % 4; ++r) asm(TK_DOT2_STEP1:TK_DOT2_OPS1 : : "memory");
    if constexpr (KQ >= 4)
      asm("1:\n\t" TK_X4(TK_DOT2_STEP1) "subs %[n], %[n], #1\n\t"
                                        "bne 1b\n\t"
          : TK_DOT2_OPS1, [n] "+r"(n)
          :
          : "memory", "cc");
  }
  (void)n;
  acc[0][0] = a00;
  acc[1][0] = a10;
}
#undef TK_DOT2_STEP2
#undef TK_DOT2_STEP1
#undef TK_DOT2_OPS2
#undef TK_DOT2_OPS1
#undef TK_X4

#else

template <int KP, int NPIX>
inline void dot2_dsp(const int8_t* __restrict__ w, const i32_alias* __restrict__ x,
                     int32_t (&acc)[2][NPIX]) {
  static_assert(KP % 2 == 0, "pairs come in groups of four k values");
#pragma GCC unroll 16
  for (int g = 0; g < KP / 2; ++g) {
    const int32_t w0 = load_u32(w + 8 * g), w1 = load_u32(w + 8 * g + 4);
    const int32_t e0 = dsp_sxtb16(w0), e1 = dsp_sxtb16(w1);
    const int32_t o0 = dsp_sxtb16_ror8(w0), o1 = dsp_sxtb16_ror8(w1);
#pragma GCC unroll 2
    for (int p = 0; p < NPIX; ++p) {
      const int32_t xe = x[(2 * g) * NPIX + p], xo = x[(2 * g + 1) * NPIX + p];
      acc[0][p] = dsp_smlad(o0, xo, dsp_smlad(e0, xe, acc[0][p]));
      acc[1][p] = dsp_smlad(o1, xo, dsp_smlad(e1, xe, acc[1][p]));
    }
  }
}

#endif

// All MCH channels of one group for NPIX pixels whose column is in x. wp: the group's weights
// (wq_index layout); y[m * YM + p * YP].
template <class P, int KP, int NPIX, int MCH, int YM, int YP>
inline void qmm_dsp(const int8_t* __restrict__ wp, const int32_t* __restrict__ bias,
                    const int32_t* __restrict__ rq, const i32_alias* __restrict__ x,
                    int8_t* __restrict__ y) {
  for (int m = 0; m < MCH; m += 2) {
    const bool two = MCH % 2 == 0 || m + 1 < MCH;
    int32_t acc[2][NPIX];
#pragma GCC unroll 2
    for (int p = 0; p < NPIX; ++p) {
      acc[0][p] = P::has_bias ? bias[m] : 0;
      acc[1][p] = P::has_bias && two ? bias[m + 1] : 0;
    }
    dot2_dsp<KP, NPIX>(wp + m * 2 * KP, x, acc);
#pragma GCC unroll 2
    for (int p = 0; p < NPIX; ++p)
      y[m * YM + p * YP] = int8_t(requant_s8<P>(acc[0][p], rq + 3 * m));
    if (two)
#pragma GCC unroll 2
      for (int p = 0; p < NPIX; ++p)
        y[(m + 1) * YM + p * YP] = int8_t(requant_s8<P>(acc[1][p], rq + 3 * (m + 1)));
  }
}

// The pair (x_k - zp) of both halves' zero point: added to sign-extended bytes by SXTAB16.
template <class P> constexpr int32_t neg_zp_pair() {
  return int32_t((uint32_t(-P::x_zp) & 0xffffu) | (uint32_t(-P::x_zp) << 16));
}

// One row of a (K values, int8) as column words for the QGemm DSP layout: k values are
// paired (4g, 4g+2) and (4g+1, 4g+3), the order SXTAB16 extracts them from one word.
template <class P, int NPIX>
inline void gemm_row_to_column(const int8_t* __restrict__ a, i32_alias* __restrict__ col, int pix) {
  constexpr int32_t nzp = neg_zp_pair<P>();
  constexpr int K4 = P::K / 4;
#pragma GCC unroll 4
  for (int g = 0; g < K4; ++g) {
    const int32_t v = load_u32(a + 4 * g);
    col[(2 * g) * NPIX + pix] = dsp_sxtab16(nzp, v);
    col[(2 * g + 1) * NPIX + pix] = dsp_sxtab16_ror8(nzp, v);
  }
  if constexpr (P::K % 4 != 0) {
    uint32_t v = 0; // the tail's missing values meet zero weights
    for (int i = 0; i < P::K % 4; ++i) v |= uint32_t(uint8_t(a[4 * K4 + i])) << (8 * i);
    col[(2 * K4) * NPIX + pix] = dsp_sxtab16(nzp, int32_t(v));
    col[(2 * K4 + 1) * NPIX + pix] = dsp_sxtab16_ror8(nzp, int32_t(v));
  }
}

#endif

// QGemm: y[n, m] = requant(bias[m] + sum_k (a[n, k] - x_zp) * w[m, k]).
// P: N, M, K, x_zp, y_zp, act_lo, act_hi, has_bias, fast_rq, ties, zp_folded.
// w: int8 weights in the wq_index layout (one group), read by both paths; rq: [M][3];
// scratch: 2 * ceil(K / 4) * 2 words.
template <class P>
void qgemm_s8(const int8_t* __restrict__ a, const int8_t* __restrict__ w,
              const int32_t* __restrict__ bias, const int32_t* __restrict__ rq,
              int32_t* __restrict__ scratch, int8_t* __restrict__ y) {
#if TK_DSP_PATH
  constexpr int KP = (P::K + 3) / 4 * 2;
  i32_alias* col = scratch;
  int n = 0;
  for (; n + 1 < P::N; n += 2) {
    gemm_row_to_column<P, 2>(a + n * P::K, col, 0);
    gemm_row_to_column<P, 2>(a + (n + 1) * P::K, col, 1);
    qmm_dsp<P, KP, 2, P::M, 1, P::M>(w, bias, rq, col, y + n * P::M);
  }
  if constexpr (P::N % 2 != 0) {
    gemm_row_to_column<P, 1>(a + n * P::K, col, 0);
    qmm_dsp<P, KP, 1, P::M, 1, P::M>(w, bias, rq, col, y + n * P::M);
  }
#else
  (void)scratch;
  for (int n = 0; n < P::N; ++n) {
    const int8_t* an = a + n * P::K;
    for (int m = 0; m < P::M; ++m) {
      int32_t acc = P::has_bias ? bias[m] : 0;
      for (int k = 0; k < P::K; ++k)
        acc += (int32_t(an[k]) - P::x_zp) * int32_t(w[wq_index<P::K>(m, k)]);
      y[n * P::M + m] = int8_t(requant_s8<P>(acc, rq + 3 * m));
    }
  }
#endif
}

} // namespace tk
