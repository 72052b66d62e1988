// Integer-only ops with int32 results: ConvInteger, MatMulInteger (ONNX semantics: operands
// minus their zero points, products summed in int32) and DynamicQuantizeLinear (uint8 with a
// scale and zero point computed from the tensor's range). Sums wrap modulo 2^32 (computed in
// uint32), so even an absurdly long reduction has a defined result; the evaluator wraps too.
#pragma once

#include "quantize.h"
#include "requant.h"
#include "window.h"

#include <stdint.h>

namespace tk {

// P: N, C, M, G, window members (see conv.h), wzp_per_channel. Zero points may be null (0).
template <class P, class TX, class TW>
void conv_integer(const TX* x, const TW* w, const TX* xzp, const TW* wzp, int32_t* y) {
  constexpr int CG = P::C / P::G, MG = P::M / P::G;
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
  const int32_t zx = xzp ? int32_t(*xzp) : 0;
  for (int n = 0; n < P::N; ++n)
    for (int oc = 0; oc < P::M; ++oc) {
      const TX* xg = x + (n * P::C + (oc / MG) * CG) * IDHW;
      const TW* wo = w + oc * CG * KSZ;
      const int32_t zw = wzp ? int32_t(wzp[P::wzp_per_channel ? oc : 0]) : 0;
      for (int od = 0; od < P::OD; ++od) {
        const int d0 = od * P::SD - P::PD;
        const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
        for (int oh = 0; oh < P::OH; ++oh) {
          const int h0 = oh * P::SH - P::PH;
          const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
          for (int ow = 0; ow < P::OW; ++ow) {
            const int w0 = ow * P::SW - P::PW;
            const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
            uint32_t acc = 0;
            for (int ic = 0; ic < CG; ++ic)
              for (int kd = kd_lo; kd < kd_hi; ++kd)
                for (int kh = kh_lo; kh < kh_hi; ++kh)
                  for (int kw = kw_lo; kw < kw_hi; ++kw) {
                    const int32_t xv =
                        int32_t(
                            xg[ic * IDHW + ((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW +
                               w0 + kw * P::DW]) -
                        zx;
                    const int32_t wv =
                        int32_t(wo[((ic * P::KD + kd) * P::KH + kh) * P::KW + kw]) - zw;
                    acc += uint32_t(xv * wv);
                  }
            y[((n * P::M + oc) * P::OD + od) * P::OH * P::OW + oh * P::OW + ow] = int32_t(acc);
          }
        }
      }
    }
}

// P: batches, M, N, K, a_off[batches], b_off[batches] (element offsets of each batch's
// matrices), a_per_row (a_zp has M values), b_per_col (b_zp has N values).
template <class P, class TA, class TB>
void matmul_integer(const TA* a, const TB* b, const TA* azp, const TB* bzp, int32_t* y) {
  for (int t = 0; t < P::batches; ++t) {
    const TA* at = a + P::a_off[t];
    const TB* bt = b + P::b_off[t];
    for (int i = 0; i < P::M; ++i) {
      const int32_t za = azp ? int32_t(azp[P::a_per_row ? i : 0]) : 0;
      for (int j = 0; j < P::N; ++j) {
        const int32_t zb = bzp ? int32_t(bzp[P::b_per_col ? j : 0]) : 0;
        uint32_t acc = 0;
        for (int k = 0; k < P::K; ++k)
          acc += uint32_t((int32_t(at[i * P::K + k]) - za) * (int32_t(bt[k * P::N + j]) - zb));
        *y++ = int32_t(acc);
      }
    }
  }
}

// DynamicQuantizeLinear: range [min(x, 0), max(x, 0)] mapped onto [0, 255]. scale = range / 255,
// zero point = round_half_even(clamp(-min / scale, 0, 255)), y = QuantizeLinear(x). An all-zero
// input (scale 0) gives scale 0, zero point 0 and y = 0. P: n.
template <class P>
void dynamic_quantize_linear(const float* x, uint8_t* y, float* scale, uint8_t* zp) {
  float lo = 0.0f, hi = 0.0f;
  for (int i = 0; i < P::n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  const float s = (hi - lo) / 255.0f;
  int32_t z = 0;
  if (s > 0.0f && s <= 3.40282347e38f) {
    float zf = 0.0f - lo / s;
    zf = zf < 0.0f ? 0.0f : zf > 255.0f ? 255.0f : zf;
    z = round_half_even(zf);
    for (int i = 0; i < P::n; ++i) y[i] = uint8_t(quantize_value(x[i], s, z, 0, 255));
  } else {
    for (int i = 0; i < P::n; ++i) y[i] = 0;
  }
  *scale = s;
  *zp = uint8_t(z);
}

} // namespace tk
