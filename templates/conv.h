// Float convolution, NCHW, 1-D/2-D/3-D (shorter ranks are padded to three spatial axes of size
// 1, whose loops the compiler removes). Every output element sums bias + x * w over input
// channels, then kernel depth, height and width, in that order: the evaluator's order.
// Windows fully inside the input run fixed-bound loops over compile-time offsets; only border
// windows clip their kernel range.
//
// In place: x and y may overlap (a depthwise conv's output starting a row before its input,
// compiler/ops/conv.cpp overlap_shift replays this loop order): each output element is stored
// after its window was read.
//
// P: N, C, M, G, ID/IH/IW, OD/OH/OW, KD/KH/KW, SD/SH/SW (strides), DD/DH/DW (dilations),
//    PD/PH/PW (leading pads), has_bias, act/act_a/act_b.
#pragma once

#include "activation.h"
#include "window.h"

namespace tk {

// Output channels computed together (sharing every input load): 4, 2 or 1, whichever divides
// the channels per group.
template <class P> constexpr int conv_channel_block() {
  return (P::M / P::G) % 4 == 0 ? 4 : (P::M / P::G) % 2 == 0 ? 2 : 1;
}

template <class P>
void conv_float(const float* x, const float* __restrict__ w, const float* __restrict__ bias,
                float* y) {
  constexpr int CG = P::C / P::G, MG = P::M / P::G;
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
  constexpr int B = conv_channel_block<P>();
  constexpr int WB = CG * KSZ; // weights per output channel
  for (int n = 0; n < P::N; ++n) {
    for (int oc = 0; oc < P::M; oc += B) {
      const float* xg = x + (n * P::C + (oc / MG) * CG) * IDHW;
      const float* wo = w + oc * WB;
      // Small filters (depthwise 3x3: 9 values) are copied to locals the compiler keeps in
      // registers across the whole output plane.
      constexpr bool in_regs = B * WB <= 16;
      float wl[in_regs ? B * WB : 1];
      if constexpr (in_regs)
        for (int k = 0; k < B * WB; ++k) wl[k] = wo[k];
      for (int od = 0; od < P::OD; ++od) {
        const int d0 = od * P::SD - P::PD;
        const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
        for (int oh = 0; oh < P::OH; ++oh) {
          const int h0 = oh * P::SH - P::PH;
          const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
          for (int ow = 0; ow < P::OW; ++ow) {
            const int w0 = ow * P::SW - P::PW;
            const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
            float acc[B];
#pragma GCC unroll 4
            for (int j = 0; j < B; ++j) {
              acc[j] = 0.0f;
              if constexpr (P::has_bias) acc[j] = bias[oc + j];
            }
            if (kd_lo == 0 && kd_hi == P::KD && kh_lo == 0 && kh_hi == P::KH && kw_lo == 0 &&
                kw_hi == P::KW) {
              const float* xi = xg + (d0 * P::IH + h0) * P::IW + w0;
              const float* wi = in_regs ? wl : wo;
              for (int ic = 0; ic < CG; ++ic, xi += IDHW, wi += KSZ) {
                // Unrolled kernel taps: every offset becomes an immediate.
#pragma GCC unroll 8
                for (int kd = 0; kd < P::KD; ++kd) {
#pragma GCC unroll 8
                  for (int kh = 0; kh < P::KH; ++kh) {
#pragma GCC unroll 8
                    for (int kw = 0; kw < P::KW; ++kw) {
                      const float xv = xi[(kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW];
#pragma GCC unroll 4
                      for (int j = 0; j < B; ++j)
                        acc[j] += xv * wi[j * WB + (kd * P::KH + kh) * P::KW + kw];
                    }
                  }
                }
              }
            } else {
              for (int ic = 0; ic < CG; ++ic)
                for (int kd = kd_lo; kd < kd_hi; ++kd)
                  for (int kh = kh_lo; kh < kh_hi; ++kh)
                    for (int kw = kw_lo; kw < kw_hi; ++kw) {
                      const float xv =
                          xg[ic * IDHW + ((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW +
                             w0 + kw * P::DW];
#pragma GCC unroll 4
                      for (int j = 0; j < B; ++j)
                        acc[j] += xv * wo[j * WB + ((ic * P::KD + kd) * P::KH + kh) * P::KW + kw];
                    }
            }
#pragma GCC unroll 4
            for (int j = 0; j < B; ++j)
              y[((n * P::M + oc + j) * P::OD + od) * P::OH * P::OW + oh * P::OW + ow] =
                  activate<P>(acc[j]);
          }
        }
      }
    }
  }
}

// 1x1 convolution, stride 1, no padding, one group: a [M, C] x [C, HW] product. Four output
// channels are computed together so each input element loaded feeds four accumulators, which
// stay in registers across the channel sum (Cortex-M4 has no cache: loads are the cost).
// P: N, C, M, HW (spatial size), has_bias, act/act_a/act_b.
template <class P, int B>
inline void conv1x1_block(const float* xn, const float* w, const float* bias, float* yn, int oc) {
  for (int i = 0; i < P::HW; ++i) {
    float acc[B];
#pragma GCC unroll 4
    for (int j = 0; j < B; ++j) {
      acc[j] = 0.0f;
      if constexpr (P::has_bias) acc[j] = bias[oc + j];
    }
    for (int ic = 0; ic < P::C; ++ic) {
      const float xv = xn[ic * P::HW + i];
#pragma GCC unroll 4
      for (int j = 0; j < B; ++j) acc[j] += w[(oc + j) * P::C + ic] * xv;
    }
#pragma GCC unroll 4
    for (int j = 0; j < B; ++j) yn[(oc + j) * P::HW + i] = activate<P>(acc[j]);
  }
}

template <class P> void conv1x1_float(const float* x, const float* w, const float* bias, float* y) {
  constexpr int full = P::M / 4 * 4;
  for (int n = 0; n < P::N; ++n) {
    const float* xn = x + n * P::C * P::HW;
    float* yn = y + n * P::M * P::HW;
    for (int oc = 0; oc < full; oc += 4) conv1x1_block<P, 4>(xn, w, bias, yn, oc);
    if constexpr (P::M % 4 != 0) conv1x1_block<P, P::M % 4>(xn, w, bias, yn, full);
  }
}

} // namespace tk
