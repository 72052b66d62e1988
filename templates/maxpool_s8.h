// int8 max pooling (MaxPool / GlobalMaxPool on int8 tensors, as lower-qdq leaves them when
// input and output share their quantisation): the window of templates/pool.h, padding never
// contributing a value, an empty window giving -128 like pool.h's POOL_MAX.
//
// With the DSP extension (templates/dsp_simd.h), four neighbouring outputs of a row are
// computed at once in one word of four int8 lanes (SSUB8 + SEL is a four-lane maximum) when
// their windows are full and the word loads stay inside the input row: for stride 1, a tap is
// one unaligned word load; for stride 2, two adjacent taps of four outputs span eight bytes,
// whose pairwise maxima (a word against itself rotated by a byte) sit in the even bytes and are
// packed into one word. Other strides, dilation and the border windows run the scalar loop.
//
// P: NC and the window of pool.h (I*/O*/K*/S*/D*/P* for D, H, W); global: NC, HW.
#pragma once

#include "dsp_simd.h"
#include "window.h"

#include <stdint.h>
#include <string.h>

namespace tk {

template <class P>
inline int8_t maxpool_s8_one(const int8_t* xc, int d0, int kd_lo, int kd_hi, int h0, int kh_lo,
                             int kh_hi, int ow) {
  const int w0 = ow * P::SW - P::PW;
  const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
  int8_t m = -128;
  for (int kd = kd_lo; kd < kd_hi; ++kd)
    for (int kh = kh_lo; kh < kh_hi; ++kh) {
      const int8_t* row = xc + ((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW;
      for (int kw = kw_lo; kw < kw_hi; ++kw) {
        const int8_t v = row[w0 + kw * P::DW];
        m = v > m ? v : m;
      }
    }
  return m;
}

#if defined(TK_DSP_SIMD)
inline uint32_t load_s8x4(const int8_t* p) {
  uint32_t w;
  memcpy(&w, p, 4); // unaligned word load (LDR allows it on M4/M7)
  return w;
}

// Bytes 0 and 2 of a, then bytes 0 and 2 of b.
inline uint32_t even_bytes(uint32_t a, uint32_t b) {
  return (a & 0xffu) | ((a >> 8) & 0xff00u) | ((b & 0xffu) << 16) | ((b << 8) & 0xff000000u);
}

// Whether four outputs at once apply: unit dilation along W, stride 1 or 2.
template <class P> constexpr bool maxpool_s8_simd() {
  return P::DW == 1 && (P::SW == 1 || P::SW == 2);
}

// One past the last input column the four-output block starting at w0 loads.
template <class P> constexpr int maxpool_s8_block_end(int w0) {
  if constexpr (P::SW == 1) return w0 + P::KW + 3;
  // Stride 2: pairs of taps load exactly their 8 bytes; a last odd tap loads one byte more.
  return w0 + (P::KW % 2 ? P::KW + 7 : P::KW + 6);
}

// The maxima of four outputs over one input row of their windows; r = row + w0.
template <class P> inline uint32_t maxpool_s8_row4(const int8_t* r) {
  if constexpr (P::SW == 1) {
    uint32_t m = load_s8x4(r);
#pragma GCC unroll 8
    for (int kw = 1; kw < P::KW; ++kw) m = max_s8x4(m, load_s8x4(r + kw));
    return m;
  } else {
    uint32_t m = 0x80808080u; // -128 in every lane
#pragma GCC unroll 4
    for (int kw = 0; kw + 1 < P::KW; kw += 2) {
      const uint32_t a = load_s8x4(r + kw), b = load_s8x4(r + kw + 4);
      m = max_s8x4(m, even_bytes(max_s8x4(a, ror32(a, 8)), max_s8x4(b, ror32(b, 8))));
    }
    if constexpr (P::KW % 2)
      m = max_s8x4(m, even_bytes(load_s8x4(r + P::KW - 1), load_s8x4(r + P::KW + 3)));
    return m;
  }
}
#endif

template <class P> void maxpool_s8(const int8_t* x, int8_t* y) {
  constexpr int IDHW = P::ID * P::IH * P::IW;
  for (int c = 0; c < P::NC; ++c) {
    const int8_t* xc = x + c * IDHW;
    for (int od = 0; od < P::OD; ++od) {
      const int d0 = od * P::SD - P::PD;
      const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
      for (int oh = 0; oh < P::OH; ++oh) {
        const int h0 = oh * P::SH - P::PH;
        const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
        int8_t* yr = y + ((c * P::OD + od) * P::OH + oh) * P::OW;
        int ow = 0;
#if defined(TK_DSP_SIMD)
        if constexpr (maxpool_s8_simd<P>()) {
          if (kd_lo == 0 && kd_hi == P::KD && kh_lo == 0 && kh_hi == P::KH) {
            // Scalar until the windows start inside the row, then blocks of four.
            for (; ow < P::OW && ow * P::SW < P::PW; ++ow)
              yr[ow] = maxpool_s8_one<P>(xc, d0, kd_lo, kd_hi, h0, kh_lo, kh_hi, ow);
            for (; ow + 4 <= P::OW && maxpool_s8_block_end<P>(ow * P::SW - P::PW) <= P::IW;
                 ow += 4) {
              const int8_t* r0 = xc + (d0 * P::IH + h0) * P::IW + ow * P::SW - P::PW;
              uint32_t m = 0x80808080u;
              for (int kd = 0; kd < P::KD; ++kd)
#pragma GCC unroll 4
                for (int kh = 0; kh < P::KH; ++kh)
                  m = max_s8x4(m,
                               maxpool_s8_row4<P>(r0 + (kd * P::DD * P::IH + kh * P::DH) * P::IW));
              memcpy(yr + ow, &m, 4);
            }
          }
        }
#endif
        for (; ow < P::OW; ++ow)
          yr[ow] = maxpool_s8_one<P>(xc, d0, kd_lo, kd_hi, h0, kh_lo, kh_hi, ow);
      }
    }
  }
}

template <class P> void global_maxpool_s8(const int8_t* x, int8_t* y) {
  for (int c = 0; c < P::NC; ++c) {
    const int8_t* xc = x + c * P::HW;
    int8_t m = -128;
    int i = 0;
#if defined(TK_DSP_SIMD)
    if constexpr (P::HW >= 8) {
      uint32_t v = load_s8x4(xc);
      for (i = 4; i + 4 <= P::HW; i += 4) v = max_s8x4(v, load_s8x4(xc + i));
      v = max_s8x4(v, ror32(v, 16));
      v = max_s8x4(v, ror32(v, 8));
      m = int8_t(v & 0xffu);
    }
#endif
    for (; i < P::HW; ++i) m = xc[i] > m ? xc[i] : m;
    y[c] = m;
  }
}

} // namespace tk
