// int8 average pooling (QAveragePool): per output, the sum of (x - x_zp) over the window's
// in-bounds taps times the exact multiplier of fl(x_s / y_s), divided by the tap count (ONNX
// count_include_pad) and rounded half to even in one exact step (qarith.h), plus y_zp.
//
// P: the window of pool.h (NC, I*/O*/K*/S*/D*/P*, E* trailing pads, count_include_pad) and
//    x_zp, y_zp, lo, hi, mult, shift.
//
// With the DSP extension, full windows of unit dilation sum each kernel row four int8 at a
// time: sxtab16 adds bytes 0/2 and 1/3 of a word into two 16-bit lanes each (no overflow:
// a lane takes at most KD*KH*ceil(KW/4) <= 256 values of |x| <= 128, checked at compile
// time), and smuad adds the lanes. Scalar code handles border windows and the row tails.
#pragma once

#include "dsp_simd.h"
#include "pool.h"
#include "qarith.h"

#include <stdint.h>
#include <string.h>

namespace tk {

// Sum of the full window starting at xi (unit dilation along W).
template <class P> inline int32_t qavgpool_window_sum(const int8_t* xi) {
  int32_t sum = 0;
#if defined(TK_DSP_SIMD)
  if constexpr (P::DW == 1 && P::KW >= 4 && P::KD * P::KH * ((P::KW + 3) / 4) <= 256) {
    uint32_t even = 0, odd = 0; // 16-bit lane sums
    for (int kd = 0; kd < P::KD; ++kd)
      for (int kh = 0; kh < P::KH; ++kh) {
        const int8_t* row = xi + (kd * P::DD * P::IH + kh * P::DH) * P::IW;
        int kw = 0;
        for (; kw + 4 <= P::KW; kw += 4) {
          uint32_t w;
          memcpy(&w, row + kw, 4); // unaligned word load (LDR allows it on M4/M7)
          even = sxtab16(even, w);
          odd = sxtab16(odd, ror32(w, 8));
        }
        for (; kw < P::KW; ++kw) sum += row[kw];
      }
    return sum + smuad(even, 0x00010001u) + smuad(odd, 0x00010001u);
  }
#endif
#pragma GCC unroll 8
  for (int kd = 0; kd < P::KD; ++kd)
#pragma GCC unroll 8
    for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
      for (int kw = 0; kw < P::KW; ++kw)
        sum += xi[(kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW];
  return sum;
}

template <class P> inline int8_t qavg_finish(int32_t sum, int taps, int count) {
  if (count <= 0) return int8_t(clamp_q(P::y_zp, P::lo, P::hi));
  const int64_t acc = int64_t(sum - taps * P::x_zp) * P::mult;
  return int8_t(clamp_q(div_round_half_even(acc, P::shift, count) + P::y_zp, P::lo, P::hi));
}

template <class P> void qavgpool(const int8_t* x, int8_t* y) {
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  for (int c = 0; c < P::NC; ++c) {
    const int8_t* xc = x + c * IDHW;
    for (int od = 0; od < P::OD; ++od) {
      const int d0 = od * P::SD - P::PD;
      const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
      for (int oh = 0; oh < P::OH; ++oh) {
        const int h0 = oh * P::SH - P::PH;
        const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
        for (int ow = 0; ow < P::OW; ++ow) {
          const int w0 = ow * P::SW - P::PW;
          const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
          int8_t* out = y + ((c * P::OD + od) * P::OH + oh) * P::OW + ow;
          if (kd_lo == 0 && kd_hi == P::KD && kh_lo == 0 && kh_hi == P::KH && kw_lo == 0 &&
              kw_hi == P::KW) {
            constexpr int full = P::KD * P::KH * P::KW;
            *out = qavg_finish<P>(qavgpool_window_sum<P>(xc + (d0 * P::IH + h0) * P::IW + w0), full,
                                  full);
            continue;
          }
          int32_t sum = 0;
          for (int kd = kd_lo; kd < kd_hi; ++kd)
            for (int kh = kh_lo; kh < kh_hi; ++kh)
              for (int kw = kw_lo; kw < kw_hi; ++kw)
                sum += xc[((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW + w0 + kw * P::DW];
          const int taps = (kd_hi > kd_lo ? kd_hi - kd_lo : 0) *
                           (kh_hi > kh_lo ? kh_hi - kh_lo : 0) *
                           (kw_hi > kw_lo ? kw_hi - kw_lo : 0);
          const int count = pool_count<P>(d0, P::DD, P::ID, P::KD, P::PD, P::ED) *
                            pool_count<P>(h0, P::DH, P::IH, P::KH, P::PH, P::EH) *
                            pool_count<P>(w0, P::DW, P::IW, P::KW, P::PW, P::EW);
          *out = qavg_finish<P>(sum, taps, count);
        }
      }
    }
  }
}

} // namespace tk
