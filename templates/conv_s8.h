// int8 convolution (QConv), NCHW, 1-D/2-D/3-D padded to three spatial axes like
// templates/conv.h. acc = bias[m] + sum over in-bounds taps of (x - x_zp) * w: padded taps add
// nothing, so the input zero point is subtracted from every real tap (no bias folding needed,
// exact at the borders); y = requant_s8(acc) (templates/gemm_s8.h), bit-identical to the
// evaluator.
//
// Three kernels, each with a portable version and a DSP version (TK_DSP_PATH):
// - qconv1x1_s8: pointwise (1x1, stride 1, no pads, one group): a [M, C] x [C, HW] product.
//   DSP: two pixels' channel vectors become (x - x_zp) int16 pairs with SXTAB16, then every
//   output channel pair runs SMLAD over them.
// - qconv_dw_s8: depthwise (group == C == M, at most 2-D): each channel plane is copied as
//   (x - x_zp) into a zero-bordered int16 plane, so every window is interior. DSP: 3-tap rows
//   are SMLAD + SMLAxy on pairs (two outputs at a time for stride 1).
// - qconv_s8: anything else. DSP: im2col of two output pixels into int16 pairs, then the
//   channel-pair SMLAD core; portable: direct loops, taps unrolled for interior windows.
//
// P: N, C, M, G, ID/IH/IW, OD/OH/OW, KD/KH/KW, SD/SH/SW, DD/DH/DW, PD/PH/PW (leading pads),
//    x_zp, y_zp, act_lo, act_hi, has_bias, fast_rq, ties, zp_folded (templates/gemm_s8.h).
// Weights: w int8 [M, C/G, KD, KH, KW] (portable and depthwise) and wp, packed at compile
// time for the DSP path. rq: [M][3] requantisation parameters.
#pragma once

#include "gemm_s8.h"
#include "window.h"

namespace tk {

// ---- pointwise ----

// Packed weights (DSP): channel pairs, [M/2][KP = ceil(C/2)][2] words of (c, c+1) values.
template <class P>
void qconv1x1_s8(const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                 const int32_t* __restrict__ wp, const int32_t* __restrict__ bias,
                 const int32_t* __restrict__ rq, int32_t* __restrict__ scratch,
                 int8_t* __restrict__ y) {
  constexpr int HW = P::ID * P::IH * P::IW;
#if TK_DSP_PATH
  (void)w;
  constexpr int C2 = P::C / 2, KP = (P::C + 1) / 2;
  constexpr int32_t nzp = neg_zp_pair<P>();
  i32_alias* col = scratch;
  for (int n = 0; n < P::N; ++n) {
    const int8_t* xn = x + n * P::C * HW;
    int8_t* yn = y + n * P::M * HW;
    int p = 0;
    for (; p + 1 < HW; p += 2) {
      // Bytes (x[c, p], x[c, p+1], x[c+1, p], x[c+1, p+1]) -> words per pixel.
      const int8_t* xp = xn + p;
#pragma GCC unroll 8
      for (int k = 0; k < C2; ++k) {
        const int32_t v = int32_t(uint32_t(load_u16(xp + 2 * k * HW)) |
                                  (uint32_t(load_u16(xp + (2 * k + 1) * HW)) << 16));
        col[2 * k] = dsp_sxtab16(nzp, v);
        col[2 * k + 1] = dsp_sxtab16_ror8(nzp, v);
      }
      if constexpr (P::C % 2 != 0) {
        const int32_t v = load_u16(xp + (P::C - 1) * HW); // the pad value meets zero weights
        col[2 * C2] = dsp_sxtab16(nzp, v);
        col[2 * C2 + 1] = dsp_sxtab16_ror8(nzp, v);
      }
      qmm_dsp<P, KP, 2, P::M, HW, 1>(wp, bias, rq, col, yn + p);
    }
    if constexpr (HW % 2 != 0) {
#pragma GCC unroll 8
      for (int k = 0; k < KP; ++k) {
        const int32_t lo = xn[2 * k * HW + p];
        const int32_t hi = 2 * k + 1 < P::C ? int32_t(xn[(2 * k + 1) * HW + p]) : 0;
        col[k] = dsp_sxtab16(nzp, int32_t((uint32_t(lo) & 0xffu) | (uint32_t(hi) << 16)));
      }
      qmm_dsp<P, KP, 1, P::M, HW, 1>(wp, bias, rq, col, yn + p);
    }
  }
#else
  (void)wp;
  (void)scratch;
  // Four output channels share each input load.
  constexpr int B = P::M % 4 == 0 ? 4 : P::M % 2 == 0 ? 2 : 1;
  for (int n = 0; n < P::N; ++n) {
    const int8_t* xn = x + n * P::C * HW;
    int8_t* yn = y + n * P::M * HW;
    for (int m = 0; m < P::M; m += B)
      for (int i = 0; i < HW; ++i) {
        int32_t acc[B];
#pragma GCC unroll 4
        for (int j = 0; j < B; ++j) acc[j] = P::has_bias ? bias[m + j] : 0;
        for (int c = 0; c < P::C; ++c) {
          const int32_t xv = int32_t(xn[c * HW + i]) - P::x_zp;
#pragma GCC unroll 4
          for (int j = 0; j < B; ++j) acc[j] += xv * w[(m + j) * P::C + c];
        }
#pragma GCC unroll 4
        for (int j = 0; j < B; ++j)
          yn[(m + j) * HW + i] = int8_t(requant_s8<P>(acc[j], rq + 3 * (m + j)));
      }
  }
#endif
}

// ---- depthwise ----

// The zero-bordered plane: every tap position any window reads, row stride even and one
// spare column (the DSP stride-1 path loads one value past the last window).
template <class P> struct DwPlane {
  static constexpr int rows = (P::OH - 1) * P::SH + (P::KH - 1) * P::DH + 1;
  static constexpr int cols = (P::OW - 1) * P::SW + (P::KW - 1) * P::DW + 1;
  static constexpr int stride = (cols + 2) / 2 * 2;
  static constexpr int size = rows * stride;
  // Input rows/columns that land in the plane.
  static constexpr int in_rows = P::IH < rows - P::PH ? P::IH : rows - P::PH;
  static constexpr int in_cols = P::IW < cols - P::PW ? P::IW : cols - P::PW;
};

// Weights: w int8 [C, KH, KW]; wp (DSP, KW == 3 and DW == 1): per channel and kernel row the
// words (w0, w1), (w1, w2), (w2, 0), 0.
// Scratch: DwPlane<P>::size int16.
template <class P>
void qconv_dw_s8(const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                 const int32_t* __restrict__ wp, const int32_t* __restrict__ bias,
                 const int32_t* __restrict__ rq, int32_t* __restrict__ scratch,
                 int8_t* __restrict__ y) {
  using Pl = DwPlane<P>;
  constexpr int IHW = P::IH * P::IW, OHW = P::OH * P::OW;
  i16_alias* plane = reinterpret_cast<i16_alias*>(scratch);
  for (int i = 0; i < Pl::size; ++i) plane[i] = 0; // the border stays zero for every channel
  (void)wp;
  for (int n = 0; n < P::N; ++n)
    for (int c = 0; c < P::C; ++c) {
      const int8_t* xc = x + (n * P::C + c) * IHW;
      int8_t* yc = y + (n * P::C + c) * OHW;
      for (int r = 0; r < Pl::in_rows; ++r) {
        i16_alias* row = plane + (r + P::PH) * Pl::stride + P::PW;
        const int8_t* src = xc + r * P::IW;
        int i = 0;
#if TK_DSP_PATH
        // Four values per step: SXTAB16 gives (x0, x2) and (x1, x3) minus the zero point,
        // two pack operations put them in order.
        constexpr int32_t nzp = neg_zp_pair<P>();
#pragma GCC unroll 4
        for (; i + 3 < Pl::in_cols; i += 4) {
          const int32_t v = load_u32(src + i);
          const uint32_t e = uint32_t(dsp_sxtab16(nzp, v)), o = uint32_t(dsp_sxtab16_ror8(nzp, v));
          store_u32(row + i, int32_t((e & 0xffffu) | (o << 16)));
          store_u32(row + i + 2, int32_t((o & 0xffff0000u) | (e >> 16)));
        }
#endif
#pragma GCC unroll 8
        for (; i < Pl::in_cols; ++i) row[i] = int16_t(src[i] - P::x_zp);
      }
      const int32_t b = P::has_bias ? bias[c] : 0;
      const int32_t* rqc = rq + 3 * c;
#if TK_DSP_PATH
      if constexpr (P::KW == 3 && P::DW == 1 && P::SW == 1 && P::KH <= 4) {
        // With A = (x0, x1), B = (x2, x3), C = (x4, x5) of a kernel row (aligned pairs):
        // out0 += x0 w0 + x1 w1 + x2 w2 = SMLAD(A, w01) + SMLABT(B, w12),
        // out1 += x1 w0 + x2 w1 + x3 w2 = SMLATB(A, w01) + SMLAD(B, w12),
        // and out2, out3 the same with B, C. Four outputs per step share the row's loads; the
        // weights of a kernel row are one LDRD.
        const int32_t* wc = wp + c * 4 * P::KH;
        for (int oh = 0; oh < P::OH; ++oh) {
          const i16_alias* r0 = plane + oh * P::SH * Pl::stride;
          int8_t* yr = yc + oh * P::OW;
          int ow = 0;
          for (; ow + 3 < P::OW; ow += 4) {
            int32_t a0 = b, a1 = b, a2 = b, a3 = b;
            // Reload the weights (one LDRD per row) rather than let the optimiser hoist them
            // out of the loop into stack spills.
            tk_opaque(wc);
#pragma GCC unroll 4
            for (int kh = 0; kh < P::KH; ++kh) {
              const i16_alias* q = r0 + kh * P::DH * Pl::stride + ow;
              int32_t A, B, w01, w12;
              load_pair(q, A, B);
              const int32_t C = reinterpret_cast<const i32_alias*>(q)[2];
              load_pair(wc + 4 * kh, w01, w12);
              a0 = dsp_smlabt(B, w12, dsp_smlad(A, w01, a0));
              a1 = dsp_smlatb(A, w01, dsp_smlad(B, w12, a1));
              a2 = dsp_smlabt(C, w12, dsp_smlad(B, w01, a2));
              a3 = dsp_smlatb(B, w01, dsp_smlad(C, w12, a3));
            }
            yr[ow] = int8_t(requant_s8<P>(a0, rqc));
            yr[ow + 1] = int8_t(requant_s8<P>(a1, rqc));
            yr[ow + 2] = int8_t(requant_s8<P>(a2, rqc));
            yr[ow + 3] = int8_t(requant_s8<P>(a3, rqc));
          }
          if constexpr (P::OW % 4 >= 2) {
            int32_t a0 = b, a1 = b;
#pragma GCC unroll 4
            for (int kh = 0; kh < P::KH; ++kh) {
              int32_t A, B, w01, w12;
              load_pair(r0 + kh * P::DH * Pl::stride + ow, A, B);
              load_pair(wc + 4 * kh, w01, w12);
              a0 = dsp_smlabt(B, w12, dsp_smlad(A, w01, a0));
              a1 = dsp_smlatb(A, w01, dsp_smlad(B, w12, a1));
            }
            yr[ow] = int8_t(requant_s8<P>(a0, rqc));
            yr[ow + 1] = int8_t(requant_s8<P>(a1, rqc));
            ow += 2;
          }
          if constexpr (P::OW % 2 != 0) {
            int32_t a0 = b;
#pragma GCC unroll 4
            for (int kh = 0; kh < P::KH; ++kh) {
              int32_t A, B, w01, w12;
              load_pair(r0 + kh * P::DH * Pl::stride + ow, A, B);
              load_pair(wc + 4 * kh, w01, w12);
              a0 = dsp_smlabt(B, w12, dsp_smlad(A, w01, a0));
            }
            yr[ow] = int8_t(requant_s8<P>(a0, rqc));
          }
        }
        continue;
      } else if constexpr (P::KW == 3 && P::DW == 1 && P::KH <= 4) {
        // Strided: one output per step, each kernel row one SMLAD and one SMLABB on two
        // (possibly unaligned) pair loads.
        const int32_t* wc = wp + c * 4 * P::KH;
        for (int oh = 0; oh < P::OH; ++oh) {
          const i16_alias* r0 = plane + oh * P::SH * Pl::stride;
          for (int ow = 0; ow < P::OW; ++ow) {
            int32_t a0 = b;
#pragma GCC unroll 4
            for (int kh = 0; kh < P::KH; ++kh) {
              const i16_alias* q = r0 + kh * P::DH * Pl::stride + ow * P::SW;
              a0 = dsp_smlabb(load_u32(q + 2), wc[4 * kh + 2],
                              dsp_smlad(load_u32(q), wc[4 * kh], a0));
            }
            yc[oh * P::OW + ow] = int8_t(requant_s8<P>(a0, rqc));
          }
        }
        continue;
      }
#endif
      // Portable: every tap of the padded plane, unrolled.
      const int8_t* wc = w + c * P::KH * P::KW;
      for (int oh = 0; oh < P::OH; ++oh)
        for (int ow = 0; ow < P::OW; ++ow) {
          const i16_alias* q = plane + oh * P::SH * Pl::stride + ow * P::SW;
          int32_t acc = b;
#pragma GCC unroll 8
          for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
            for (int kw = 0; kw < P::KW; ++kw)
              acc += int32_t(q[kh * P::DH * Pl::stride + kw * P::DW]) * wc[kh * P::KW + kw];
          yc[oh * P::OW + ow] = int8_t(requant_s8<P>(acc, rqc));
        }
    }
}

// ---- general ----

#if TK_DSP_PATH
// The im2col column of output pixel (od, oh, ow) as slot `pix` of an NPIX-pixel column
// buffer: k = (ic, kd, kh, kw) in the weights' order, value (x - x_zp) or 0 for a padded tap,
// stored as int16 element (k / 2) * 2 * NPIX + 2 * pix + k % 2. Input channels go in blocks
// of U (two when the kernel has an odd number of taps) so that every block starts a new pair
// and each of its taps has a compile-time input offset and column slot.
template <class P, int NPIX, bool Interior, int U>
inline void im2col_block(const int8_t* __restrict__ xc, int base, i16_alias* __restrict__ out,
                         int d0, int h0, int w0) {
  constexpr int KSZ = P::KD * P::KH * P::KW, IHW = P::IH * P::IW, IDHW = P::ID * IHW;
#pragma GCC unroll 128
  for (int j = 0; j < U * KSZ; ++j) {
    const int u = j / KSZ, t = j % KSZ;
    const int kd = t / (P::KH * P::KW), kh = t / P::KW % P::KH, kw = t % P::KW;
    const int slot = (j >> 1) * 2 * NPIX + (j & 1);
    bool in = true;
    if constexpr (!Interior) {
      const int id = d0 + kd * P::DD, ih = h0 + kh * P::DH, iw = w0 + kw * P::DW;
      in = unsigned(id) < unsigned(P::ID) && unsigned(ih) < unsigned(P::IH) &&
           unsigned(iw) < unsigned(P::IW);
    }
    const int off = u * IDHW + base + (kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW;
    out[slot] = in ? int16_t(xc[off] - P::x_zp) : int16_t(0);
  }
}

template <class P, int NPIX, bool Interior>
inline void im2col_pixel(const int8_t* __restrict__ xg, int d0, int h0, int w0,
                         i16_alias* __restrict__ out) {
  constexpr int CG = P::C / P::G, KSZ = P::KD * P::KH * P::KW;
  constexpr int IDHW = P::ID * P::IH * P::IW;
  constexpr int U = KSZ % 2 == 0 ? 1 : 2;
  // Offset of the window's first tap: negative for windows starting in the leading pad, so
  // it stays an integer and only in-range taps are read.
  const int base = (d0 * P::IH + h0) * P::IW + w0;
  int ic = 0;
  for (; ic + U <= CG; ic += U, out += U * KSZ * NPIX)
    im2col_block<P, NPIX, Interior, U>(xg + ic * IDHW, base, out, d0, h0, w0);
  if constexpr (CG % U != 0) {
    im2col_block<P, NPIX, Interior, 1>(xg + ic * IDHW, base, out, d0, h0, w0);
    out[(KSZ >> 1) * 2 * NPIX + 1] = 0; // the pad slot of the last pair
  }
}

template <class P, int NPIX>
inline void im2col_s8(const int8_t* __restrict__ xg, int od, int oh, int ow,
                      i16_alias* __restrict__ col, int pix) {
  const int d0 = od * P::SD - P::PD, h0 = oh * P::SH - P::PH, w0 = ow * P::SW - P::PW;
  const bool interior = d0 >= 0 && d0 + (P::KD - 1) * P::DD < P::ID && h0 >= 0 &&
                        h0 + (P::KH - 1) * P::DH < P::IH && w0 >= 0 &&
                        w0 + (P::KW - 1) * P::DW < P::IW;
  if (interior)
    im2col_pixel<P, NPIX, true>(xg, d0, h0, w0, col + 2 * pix);
  else
    im2col_pixel<P, NPIX, false>(xg, d0, h0, w0, col + 2 * pix);
}
#endif

// Packed weights (DSP): per group, its channels rounded up to even, [MG/2][KP][2] words of
// k pairs (2j, 2j+1), KP = ceil(C/G * KD*KH*KW / 2). Scratch: 2 * KP words.
template <class P>
void qconv_s8(const int8_t* __restrict__ x, const int8_t* __restrict__ w,
              const int32_t* __restrict__ wp, const int32_t* __restrict__ bias,
              const int32_t* __restrict__ rq, int32_t* __restrict__ scratch,
              int8_t* __restrict__ y) {
  constexpr int CG = P::C / P::G, MG = P::M / P::G;
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  constexpr int OHW = P::OH * P::OW, OSZ = P::OD * OHW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
#if TK_DSP_PATH
  (void)w;
  constexpr int KP = (CG * KSZ + 1) / 2, MGP = (MG + 1) / 2 * 2;
  i16_alias* col = reinterpret_cast<i16_alias*>(scratch);
  const i32_alias* colw = scratch;
  for (int n = 0; n < P::N; ++n)
    for (int g = 0; g < P::G; ++g) {
      const int8_t* xg = x + (n * P::C + g * CG) * IDHW;
      int8_t* yg = y + (n * P::M + g * MG) * OSZ;
      const int32_t* wg = wp + g * MGP * KP;
      const int32_t* bg = bias + (P::has_bias ? g * MG : 0);
      const int32_t* rg = rq + 3 * g * MG;
      int p = 0;
      for (; p + 1 < OSZ; p += 2) {
        im2col_s8<P, 2>(xg, p / OHW, p % OHW / P::OW, p % P::OW, col, 0);
        im2col_s8<P, 2>(xg, (p + 1) / OHW, (p + 1) % OHW / P::OW, (p + 1) % P::OW, col, 1);
        qmm_dsp<P, KP, 2, MG, OSZ, 1>(wg, bg, rg, colw, yg + p);
      }
      if constexpr (OSZ % 2 != 0) {
        im2col_s8<P, 1>(xg, p / OHW, p % OHW / P::OW, p % P::OW, col, 0);
        qmm_dsp<P, KP, 1, MG, OSZ, 1>(wg, bg, rg, colw, yg + p);
      }
    }
#else
  (void)wp;
  (void)scratch;
  for (int n = 0; n < P::N; ++n)
    for (int m = 0; m < P::M; ++m) {
      const int8_t* xg = x + (n * P::C + (m / MG) * CG) * IDHW;
      const int8_t* wm = w + m * CG * KSZ;
      int8_t* ym = y + (n * P::M + m) * OSZ;
      for (int od = 0; od < P::OD; ++od) {
        const int d0 = od * P::SD - P::PD;
        const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
        for (int oh = 0; oh < P::OH; ++oh) {
          const int h0 = oh * P::SH - P::PH;
          const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
          for (int ow = 0; ow < P::OW; ++ow) {
            const int w0 = ow * P::SW - P::PW;
            const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
            int32_t acc = P::has_bias ? bias[m] : 0;
            if (kd_lo == 0 && kd_hi == P::KD && kh_lo == 0 && kh_hi == P::KH && kw_lo == 0 &&
                kw_hi == P::KW) {
              const int8_t* xi = xg + (d0 * P::IH + h0) * P::IW + w0;
              const int8_t* wi = wm;
              for (int ic = 0; ic < CG; ++ic, xi += IDHW, wi += KSZ)
#pragma GCC unroll 4
                for (int kd = 0; kd < P::KD; ++kd)
#pragma GCC unroll 8
                  for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
                    for (int kw = 0; kw < P::KW; ++kw)
                      acc += (int32_t(xi[(kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW]) -
                              P::x_zp) *
                             wi[(kd * P::KH + kh) * P::KW + kw];
            } else {
              for (int ic = 0; ic < CG; ++ic)
                for (int kd = kd_lo; kd < kd_hi; ++kd)
                  for (int kh = kh_lo; kh < kh_hi; ++kh)
                    for (int kw = kw_lo; kw < kw_hi; ++kw)
                      acc += (int32_t(xg[ic * IDHW +
                                         ((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW +
                                         w0 + kw * P::DW]) -
                              P::x_zp) *
                             wm[((ic * P::KD + kd) * P::KH + kh) * P::KW + kw];
            }
            ym[(od * P::OH + oh) * P::OW + ow] = int8_t(requant_s8<P>(acc, rq + 3 * m));
          }
        }
      }
    }
#endif
}

} // namespace tk
