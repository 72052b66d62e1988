// int8 convolution (QConv), NCHW, 1-D/2-D/3-D padded to three spatial axes like
// templates/conv.h. acc = bias[m] + sum over in-bounds taps of (x - x_zp) * w: padded taps add
// nothing, so the input zero point is subtracted from every real tap (no bias folding needed,
// exact at the borders); y = requant_s8(acc) (templates/gemm_s8.h), bit-identical to the
// evaluator.
//
// Three kernels, each with a portable version and a DSP version (TK_DSP_PATH):
// - qconv1x1_s8: pointwise (1x1, stride 1, no pads, one group): a [M, C] x [C, HW] product.
//   DSP: two pixels' channel vectors become (x - x_zp) int16 pairs with SXTAB16, then every
//   output channel pair runs SMLAD over them (weights expanded by SXTB16 as they are loaded).
// - qconv_dw_s8: depthwise (group == C == M, at most 2-D): the rows of each channel plane are
//   copied as (x - x_zp) into a zero-bordered int16 line buffer (the kernel-height rows one
//   output row reads), so every window is interior. DSP: 3-tap rows
//   are SMLAD + SMLAxy on pairs (two outputs at a time for stride 1).
// - qconv_s8: anything else. DSP: im2col of two output pixels into int16 pairs, then the
//   channel-pair SMLAD core; portable: the same per pixel, taps gathered into int32.
//
// In place: x and y may overlap (no __restrict__ on them). Every kernel works in blocks (a
// pixel or a pair of pixels, a depthwise channel plane) that read all their inputs into the
// scratch before storing any output; the planner replays that block order on the shapes
// (compiler/ops/qconv_order.cpp, which must follow any change of loop order here) to find how
// far before x the output may start.
//
// P: N, C, M, G, ID/IH/IW, OD/OH/OW, KD/KH/KW, SD/SH/SW, DD/DH/DW, PD/PH/PW (leading pads),
//    x_zp, y_zp, act_lo, act_hi, has_bias, fast_rq, ties, zp_folded (templates/gemm_s8.h).
// Weights: one int8 array both paths read: depthwise [M, KH, KW]; pointwise and general in
// the wq_index layout of templates/gemm_s8.h (k = (ic, kd, kh, kw)), reordered at compile
// time. rq: [M][3] requantisation parameters.
#pragma once

#include "gemm_s8.h"
#include "window.h"

namespace tk {

// ---- pointwise ----

// Weights: wq_index<C> layout. Scratch (DSP): 2 * KP words, KP = 2 * ceil(C / 4).
template <class P>
void qconv1x1_s8(const int8_t* x, const int8_t* __restrict__ w, const int32_t* __restrict__ bias,
                 const int32_t* __restrict__ rq, int32_t* __restrict__ scratch, int8_t* y) {
  constexpr int HW = P::ID * P::IH * P::IW;
#if TK_DSP_PATH
  constexpr int KP = (P::C + 3) / 4 * 2;
  constexpr int32_t nzp = neg_zp_pair<P>();
  // Pair j holds channels (4g, 4g+2) for j = 2g and (4g+1, 4g+3) for j = 2g+1, the order
  // SXTB16 extracts the weights in; channels past C meet zero weights (read as 0).
  auto ch = [](int j, int half) { return 4 * (j >> 1) + (j & 1) + 2 * half; };
  i32_alias* col = scratch;
  for (int n = 0; n < P::N; ++n) {
    const int8_t* xn = x + n * P::C * HW;
    int8_t* yn = y + n * P::M * HW;
    int p = 0;
    for (; p + 1 < HW; p += 2) {
      // Bytes (x[a, p], x[a, p+1], x[b, p], x[b, p+1]) of pair j = (a, b) -> one word per
      // pixel.
      const int8_t* xp = xn + p;
      auto pair_word = [&](int j) {
        const uint32_t lo = ch(j, 0) < P::C ? uint32_t(load_u16(xp + ch(j, 0) * HW)) : 0u;
        const uint32_t hi = ch(j, 1) < P::C ? uint32_t(load_u16(xp + ch(j, 1) * HW)) : 0u;
        return int32_t(lo | (hi << 16));
      };
#pragma GCC unroll 4
      for (int g = 0; g < P::C / 4; ++g) { // whole groups: no bounds to test
        const int8_t* xq = xp + 4 * g * HW;
        const int32_t v0 =
            int32_t(uint32_t(load_u16(xq)) | (uint32_t(load_u16(xq + 2 * HW)) << 16));
        const int32_t v1 =
            int32_t(uint32_t(load_u16(xq + HW)) | (uint32_t(load_u16(xq + 3 * HW)) << 16));
        col[4 * g] = dsp_sxtab16(nzp, v0);
        col[4 * g + 1] = dsp_sxtab16_ror8(nzp, v0);
        col[4 * g + 2] = dsp_sxtab16(nzp, v1);
        col[4 * g + 3] = dsp_sxtab16_ror8(nzp, v1);
      }
      if constexpr (P::C % 4 != 0)
#pragma GCC unroll 2
        for (int j = 2 * (P::C / 4); j < KP; ++j) {
          const int32_t v = pair_word(j);
          col[2 * j] = dsp_sxtab16(nzp, v);
          col[2 * j + 1] = dsp_sxtab16_ror8(nzp, v);
        }
      qmm_dsp<P, KP, 2, P::M, HW, 1>(w, bias, rq, col, yn + p);
    }
    if constexpr (HW % 2 != 0) {
#pragma GCC unroll 8
      for (int j = 0; j < KP; ++j) {
        const int32_t lo = ch(j, 0) < P::C ? int32_t(xn[ch(j, 0) * HW + p]) : 0;
        const int32_t hi = ch(j, 1) < P::C ? int32_t(xn[ch(j, 1) * HW + p]) : 0;
        col[j] = dsp_sxtab16(nzp, int32_t((uint32_t(lo) & 0xffu) | (uint32_t(hi) << 16)));
      }
      qmm_dsp<P, KP, 1, P::M, HW, 1>(w, bias, rq, col, yn + p);
    }
  }
#else
  // Pixel by pixel: its channel vector goes to the scratch before any of its outputs is
  // stored (the order that lets the output overwrite the input, see the header).
  constexpr int B = P::M % 4 == 0 ? 4 : P::M % 2 == 0 ? 2 : 1;
  int32_t* xv = scratch;
  for (int n = 0; n < P::N; ++n) {
    const int8_t* xn = x + n * P::C * HW;
    int8_t* yn = y + n * P::M * HW;
    for (int i = 0; i < HW; ++i) {
      for (int c = 0; c < P::C; ++c) xv[c] = int32_t(xn[c * HW + i]) - P::x_zp;
      for (int m = 0; m < P::M; m += B) {
        int32_t acc[B];
#pragma GCC unroll 4
        for (int j = 0; j < B; ++j) acc[j] = P::has_bias ? bias[m + j] : 0;
        for (int c = 0; c < P::C; ++c)
#pragma GCC unroll 4
          for (int j = 0; j < B; ++j) acc[j] += xv[c] * w[wq_index<P::C>(m + j, c)];
#pragma GCC unroll 4
        for (int j = 0; j < B; ++j)
          yn[(m + j) * HW + i] = int8_t(requant_s8<P>(acc[j], rq + 3 * (m + j)));
      }
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
  // A large plane keeps only the rows one output row reads: a ring of `ring` rows (a line
  // buffer), each row stored twice (slots j and j + ring) so that the rows of any output row
  // are consecutive and every tap keeps a compile-time offset. A small one (up to 1 KB) is
  // kept whole, its border zeroed once per call: fewer steps per row.
  static constexpr bool lines = rows * stride * 2 > 1024;
  static constexpr int ring = lines ? (P::KH - 1) * P::DH + 1 : rows;
  static constexpr int size = lines ? 2 * ring * stride : rows * stride;
  // Input rows/columns that land in the plane.
  static constexpr int in_rows = P::IH < rows - P::PH ? P::IH : rows - P::PH;
  static constexpr int in_cols = P::IW < cols - P::PW ? P::IW : cols - P::PW;
};

// Loads the padded rows output row oh reads that are not in the ring yet (padded row pr goes
// to slots pr % ring and pr % ring + ring: (x - x_zp) in the input's columns, zero elsewhere)
// and returns its first row: kernel row kh is Pl::stride * kh * DH further. Input rows are read
// in order, each once, before the output rows that need them are stored: output row oh may
// overwrite input rows below oh * SH - PH + KH - 1 (in place, see the header).
template <class P>
inline const i16_alias* dw_rows(const int8_t* xc, i16_alias* plane, int& filled, int oh) {
  using Pl = DwPlane<P>;
  for (; filled <= oh * P::SH + (P::KH - 1) * P::DH; ++filled) {
    const int r = filled - P::PH;
    if constexpr (!Pl::lines) { // a whole plane: the border is zero already
      if (r < 0 || r >= Pl::in_rows) continue;
    }
    i16_alias* row = plane + (Pl::lines ? filled % Pl::ring : filled) * Pl::stride;
    i16_alias* mirror = Pl::lines ? row + Pl::ring * Pl::stride : row;
    if constexpr (Pl::lines) {
      if (r < 0 || r >= Pl::in_rows) {
        for (int i = 0; i < Pl::stride; ++i) row[i] = mirror[i] = 0;
        continue;
      }
      for (int i = 0; i < P::PW; ++i) row[i] = 0;
      for (int i = P::PW + Pl::in_cols; i < Pl::stride; ++i) row[i] = 0;
    }
    const int8_t* src = xc + r * P::IW;
    i16_alias* full = row;
    row += P::PW;
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
    if constexpr (Pl::lines)
      for (int j = 0; j < Pl::stride; j += 2) store_u32(mirror + j, load_u32(full + j));
    (void)full;
    (void)mirror;
  }
  return plane + (Pl::lines ? oh * P::SH % Pl::ring : oh * P::SH) * Pl::stride;
}

// Weights: w int8 [C, KH, KW]. The DSP path (KW == 3, DW == 1) expands each channel's
// kernel rows into the int16 words (w0, w1), (w1, w2), (w2, 0), 0 on the stack first.
// Scratch: DwPlane<P>::size int16.
template <class P>
void qconv_dw_s8(const int8_t* x, const int8_t* __restrict__ w, const int32_t* __restrict__ bias,
                 const int32_t* __restrict__ rq, int32_t* __restrict__ scratch, int8_t* y) {
  using Pl = DwPlane<P>;
  constexpr int IHW = P::IH * P::IW, OHW = P::OH * P::OW;
  i16_alias* plane = reinterpret_cast<i16_alias*>(scratch);
  if constexpr (!Pl::lines)
    for (int i = 0; i < Pl::size; ++i) plane[i] = 0; // the border stays zero for every channel
  for (int n = 0; n < P::N; ++n)
    for (int c = 0; c < P::C; ++c) {
      const int8_t* xc = x + (n * P::C + c) * IHW;
      int8_t* yc = y + (n * P::C + c) * OHW;
      int filled = 0; // padded rows loaded so far
      const int32_t b = P::has_bias ? bias[c] : 0;
      const int32_t* rqc = rq + 3 * c;
#if TK_DSP_PATH
      // The channel's kernel rows as int16 pairs, rows 16 bytes apart: one LDRD loads
      // (w0, w1), (w1, w2).
      constexpr bool rows3 = P::KW == 3 && P::DW == 1 && P::KH <= 4;
      alignas(8) int32_t wpc[rows3 ? 4 * P::KH : 1];
      if constexpr (rows3) {
        const int8_t* wk = w + c * 3 * P::KH;
#pragma GCC unroll 4
        for (int kh = 0; kh < P::KH; ++kh) {
          const int32_t w0 = wk[3 * kh], w1 = wk[3 * kh + 1], w2 = wk[3 * kh + 2];
          wpc[4 * kh] = int32_t((uint32_t(w0) & 0xffffu) | (uint32_t(w1) << 16));
          wpc[4 * kh + 1] = int32_t((uint32_t(w1) & 0xffffu) | (uint32_t(w2) << 16));
          wpc[4 * kh + 2] = int32_t(uint32_t(w2) & 0xffffu);
          wpc[4 * kh + 3] = 0;
        }
      }
      if constexpr (P::KW == 3 && P::DW == 1 && P::SW == 1 && P::KH <= 4) {
        // With A = (x0, x1), B = (x2, x3), C = (x4, x5) of a kernel row (aligned pairs):
        // out0 += x0 w0 + x1 w1 + x2 w2 = SMLAD(A, w01) + SMLABT(B, w12),
        // out1 += x1 w0 + x2 w1 + x3 w2 = SMLATB(A, w01) + SMLAD(B, w12),
        // and out2, out3 the same with B, C. Four outputs per step share the row's loads; the
        // weights of a kernel row are one LDRD.
        const int32_t* wc = wpc;
        for (int oh = 0; oh < P::OH; ++oh) {
          const i16_alias* r0 = dw_rows<P>(xc, plane, filled, oh);
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
        const int32_t* wc = wpc;
        for (int oh = 0; oh < P::OH; ++oh) {
          const i16_alias* r0 = dw_rows<P>(xc, plane, filled, oh);
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
      for (int oh = 0; oh < P::OH; ++oh) {
        const i16_alias* r0 = dw_rows<P>(xc, plane, filled, oh);
        for (int ow = 0; ow < P::OW; ++ow) {
          int32_t acc = b;
#pragma GCC unroll 8
          for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
            for (int kw = 0; kw < P::KW; ++kw)
              acc += int32_t(r0[kh * P::DH * Pl::stride + ow * P::SW + kw * P::DW]) *
                     wc[kh * P::KW + kw];
          yc[oh * P::OW + ow] = int8_t(requant_s8<P>(acc, rqc));
        }
      }
    }
}

// ---- general ----

#if TK_DSP_PATH
// The im2col column of output pixel (od, oh, ow) as slot `pix` of an NPIX-pixel column
// buffer: k = (ic, kd, kh, kw) in the weights' order, value (x - x_zp) or 0 for a padded tap,
// in pair 2 * (k / 4) + k % 2, half (k % 4) / 2 (the order SXTB16 expands the weights in):
// int16 element pair * 2 * NPIX + 2 * pix + half. Input channels go in blocks of U (so that
// U * taps is a multiple of 4) so that every block starts a new group of four and each of its
// taps has a compile-time input offset and column slot.
template <class P, int NPIX, bool Interior, int U>
inline void im2col_block(const int8_t* __restrict__ xc, int base, i16_alias* __restrict__ out,
                         int d0, int h0, int w0) {
  constexpr int KSZ = P::KD * P::KH * P::KW, IHW = P::IH * P::IW, IDHW = P::ID * IHW;
#pragma GCC unroll 128
  for (int j = 0; j < U * KSZ; ++j) {
    const int u = j / KSZ, t = j % KSZ;
    const int kd = t / (P::KH * P::KW), kh = t / P::KW % P::KH, kw = t % P::KW;
    const int slot = (2 * (j >> 2) + (j & 1)) * 2 * NPIX + ((j >> 1) & 1);
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
  constexpr int U = KSZ % 4 == 0 ? 1 : KSZ % 2 == 0 ? 2 : 4;
  // Offset of the window's first tap: negative for windows starting in the leading pad, so
  // it stays an integer and only in-range taps are read.
  const int base = (d0 * P::IH + h0) * P::IW + w0;
  int ic = 0;
  for (; ic + U <= CG; ic += U, out += U * KSZ * NPIX)
    im2col_block<P, NPIX, Interior, U>(xg + ic * IDHW, base, out, d0, h0, w0);
  if constexpr (CG % U != 0) {
    constexpr int R = CG % U, J = R * KSZ;
    im2col_block<P, NPIX, Interior, R>(xg + ic * IDHW, base, out, d0, h0, w0);
    // The pad slots of the last group (they meet zero weights; written so no value is stale).
#pragma GCC unroll 4
    for (int j = J; j < (J + 3) / 4 * 4; ++j)
      out[(2 * (j >> 2) + (j & 1)) * 2 * NPIX + ((j >> 1) & 1)] = 0;
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

// Output lags (P::lagged): output pixel q of channel m is stored only once pixel q + lags[m]
// has been computed, so that the output may overwrite input rows still read by the next few
// windows (in place, same shape: a lag of one row plus the leading pad columns). Until then
// it waits in the channel's ring of lags[m] + 2 pixels (none for a lag of 0), after the column
// buffer; the pixels just computed pass through `vals` ([MG][2], after the rings).
template <class P> constexpr int lag_ring_bytes(int channels) {
  int o = 0;
  if constexpr (P::lagged)
    for (int m = 0; m < channels; ++m) o += P::lags[m] ? P::lags[m] + 2 : 0;
  return o;
}

// Pixels [p, p + np) of the group's MG channels, from vals: stored (lag 0) or put in the
// channel's ring; then the ring pixels that became due are stored.
template <class P, int MG, int OSZ>
inline void lag_store(const int8_t* vals, int np, int8_t* ring, int8_t* yg, int p) {
  int at = 0; // ring offset of channel m
  for (int m = 0; m < MG; ++m) {
    const int L = P::lags[m];
    int8_t* ym = yg + m * OSZ;
    if (L == 0) {
      for (int i = 0; i < np; ++i) ym[p + i] = vals[2 * m + i];
      continue;
    }
    const int R = L + 2;
    int8_t* rm = ring + at;
    at += R;
    for (int i = 0; i < np; ++i) rm[(p + i) % R] = vals[2 * m + i];
    for (int q = p - L > 0 ? p - L : 0; q < p + np - L; ++q) ym[q] = rm[q % R];
  }
}

// The ring pixels still waiting after the last pixel.
template <class P, int MG, int OSZ> inline void lag_finish(const int8_t* ring, int8_t* yg) {
  int at = 0;
  for (int m = 0; m < MG; ++m) {
    const int L = P::lags[m];
    if (L == 0) continue;
    const int R = L + 2;
    for (int q = OSZ - L > 0 ? OSZ - L : 0; q < OSZ; ++q) yg[m * OSZ + q] = ring[at + q % R];
    at += R;
  }
}

// Weights: per group, wq_index<C/G * KD*KH*KW> layout (wq_group_bytes apart).
// Scratch: 2 * KP words, KP = 2 * ceil(C/G * KD*KH*KW / 4), then (lagged) the rings
// (lag_ring_bytes<P>(MG) bytes) and vals (2 * MG bytes).
template <class P>
void qconv_s8(const int8_t* x, const int8_t* __restrict__ w, const int32_t* __restrict__ bias,
              const int32_t* __restrict__ rq, int32_t* __restrict__ scratch, int8_t* y) {
  constexpr int CG = P::C / P::G, MG = P::M / P::G;
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  constexpr int OHW = P::OH * P::OW, OSZ = P::OD * OHW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
#if TK_DSP_PATH
  constexpr int KP = (CG * KSZ + 3) / 4 * 2;
  i16_alias* col = reinterpret_cast<i16_alias*>(scratch);
  const i32_alias* colw = scratch;
  int8_t* ring = reinterpret_cast<int8_t*>(scratch + 2 * KP);
  int8_t* vals = ring + lag_ring_bytes<P>(MG);
  for (int n = 0; n < P::N; ++n)
    for (int g = 0; g < P::G; ++g) {
      const int8_t* xg = x + (n * P::C + g * CG) * IDHW;
      int8_t* yg = y + (n * P::M + g * MG) * OSZ;
      const int8_t* wg = w + g * wq_group_bytes<CG * KSZ>(MG);
      const int32_t* bg = bias + (P::has_bias ? g * MG : 0);
      const int32_t* rg = rq + 3 * g * MG;
      int p = 0;
      for (; p + 1 < OSZ; p += 2) {
        im2col_s8<P, 2>(xg, p / OHW, p % OHW / P::OW, p % P::OW, col, 0);
        im2col_s8<P, 2>(xg, (p + 1) / OHW, (p + 1) % OHW / P::OW, (p + 1) % P::OW, col, 1);
        if constexpr (P::lagged) {
          qmm_dsp<P, KP, 2, MG, 2, 1>(wg, bg, rg, colw, vals);
          lag_store<P, MG, OSZ>(vals, 2, ring, yg, p);
        } else {
          qmm_dsp<P, KP, 2, MG, OSZ, 1>(wg, bg, rg, colw, yg + p);
        }
      }
      if constexpr (OSZ % 2 != 0) {
        im2col_s8<P, 1>(xg, p / OHW, p % OHW / P::OW, p % P::OW, col, 0);
        if constexpr (P::lagged) {
          qmm_dsp<P, KP, 1, MG, 2, 1>(wg, bg, rg, colw, vals);
          lag_store<P, MG, OSZ>(vals, 1, ring, yg, p);
        } else {
          qmm_dsp<P, KP, 1, MG, OSZ, 1>(wg, bg, rg, colw, yg + p);
        }
      }
      if constexpr (P::lagged) lag_finish<P, MG, OSZ>(ring, yg);
    }
  (void)ring;
  (void)vals;
#else
  // Pixel by pixel: the window's taps go to the scratch (0 for a padded tap) before any of
  // the pixel's outputs is stored (the order that lets the output overwrite the input).
  constexpr int K = CG * KSZ;
  int32_t* col = scratch;
  int8_t* ring = reinterpret_cast<int8_t*>(scratch + (K + 3) / 4 * 4);
  int8_t* vals = ring + lag_ring_bytes<P>(MG);
  for (int n = 0; n < P::N; ++n)
    for (int g = 0; g < P::G; ++g) {
      const int8_t* xg = x + (n * P::C + g * CG) * IDHW;
      int8_t* yg = y + (n * P::M + g * MG) * OSZ;
      // Output channel m's weight k lives at wg[wq_index<K>(m, k)].
      const int8_t* wg = w + g * wq_group_bytes<K>(MG);
      for (int od = 0; od < P::OD; ++od) {
        const int d0 = od * P::SD - P::PD;
        for (int oh = 0; oh < P::OH; ++oh) {
          const int h0 = oh * P::SH - P::PH;
          for (int ow = 0; ow < P::OW; ++ow) {
            const int w0 = ow * P::SW - P::PW;
            if (d0 >= 0 && d0 + (P::KD - 1) * P::DD < P::ID && h0 >= 0 &&
                h0 + (P::KH - 1) * P::DH < P::IH && w0 >= 0 && w0 + (P::KW - 1) * P::DW < P::IW) {
              const int8_t* xi = xg + (d0 * P::IH + h0) * P::IW + w0;
              for (int ic = 0; ic < CG; ++ic, xi += IDHW)
#pragma GCC unroll 4
                for (int kd = 0; kd < P::KD; ++kd)
#pragma GCC unroll 8
                  for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
                    for (int kw = 0; kw < P::KW; ++kw)
                      col[ic * KSZ + (kd * P::KH + kh) * P::KW + kw] =
                          int32_t(xi[(kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW]) -
                          P::x_zp;
            } else {
              for (int ic = 0; ic < CG; ++ic)
                for (int kd = 0; kd < P::KD; ++kd)
                  for (int kh = 0; kh < P::KH; ++kh)
                    for (int kw = 0; kw < P::KW; ++kw) {
                      const int id = d0 + kd * P::DD, ih = h0 + kh * P::DH, iw = w0 + kw * P::DW;
                      const bool in = unsigned(id) < unsigned(P::ID) &&
                                      unsigned(ih) < unsigned(P::IH) &&
                                      unsigned(iw) < unsigned(P::IW);
                      col[ic * KSZ + (kd * P::KH + kh) * P::KW + kw] =
                          in ? int32_t(xg[ic * IDHW + (id * P::IH + ih) * P::IW + iw]) - P::x_zp
                             : 0;
                    }
            }
            const int o = (od * P::OH + oh) * P::OW + ow;
            for (int m = 0; m < MG; ++m) {
              int32_t acc = P::has_bias ? bias[g * MG + m] : 0;
              for (int k = 0; k < K; ++k) acc += col[k] * wg[wq_index<K>(m, k)];
              const int8_t v = int8_t(requant_s8<P>(acc, rq + 3 * (g * MG + m)));
              if constexpr (P::lagged)
                vals[2 * m] = v;
              else
                yg[m * OSZ + o] = v;
            }
            if constexpr (P::lagged) lag_store<P, MG, OSZ>(vals, 1, ring, yg, o);
          }
        }
      }
      if constexpr (P::lagged) lag_finish<P, MG, OSZ>(ring, yg);
    }
  (void)ring;
  (void)vals;
#endif
}

} // namespace tk
