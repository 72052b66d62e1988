// Float (and, for max, integer) pooling over NC planes, 1-D/2-D/3-D padded to three spatial
// axes like templates/conv.h. Padding never contributes a value; AveragePool's divisor counts
// it when count_include_pad. Taps are visited depth, height, width ascending, as in the
// evaluator.
//
// P: NC, ID/IH/IW, OD/OH/OW, KD/KH/KW, SD/SH/SW, DD/DH/DW, PD/PH/PW (leading pads),
//    ED/EH/EW (trailing pads), and per kernel: lowest (max), count_include_pad (average),
//    p (Lp).
#pragma once

#include "window.h"

#include <math.h>
#include <stdint.h>

namespace tk {

enum { POOL_MAX = 0, POOL_AVG = 1, POOL_LP = 2 };

template <class P, int Kind> struct pool_acc;

template <class P> struct pool_acc<P, POOL_MAX> {
  template <class T> static T init() { return T(P::lowest); }
  template <class T> static T add(T m, T v) { return v > m ? v : m; }
  template <class T> static T finish(T m, int) { return m; }
};

template <class P> struct pool_acc<P, POOL_AVG> {
  template <class T> static T init() { return T(0); }
  template <class T> static T add(T s, T v) { return s + v; }
  template <class T> static T finish(T s, int count) { return count > 0 ? s / T(count) : T(0); }
};

template <class P> struct pool_acc<P, POOL_LP> {
  template <class T> static T init() { return T(0); }
  template <class T> static T add(T s, T v) {
    if constexpr (P::p == 1)
      return s + fabsf(v);
    else if constexpr (P::p == 2)
      return s + v * v;
    else
      return s + powf(fabsf(v), float(P::p));
  }
  template <class T> static T finish(T s, int) {
    if constexpr (P::p == 1)
      return s;
    else if constexpr (P::p == 2)
      return sqrtf(s);
    else
      return powf(s, 1.0f / float(P::p));
  }
};

// Number of taps of one axis counted by an average: inside the input, or inside the input and
// its pads when count_include_pad.
template <class P> inline int pool_count(int o, int d, int n, int taps, int pad_lo, int pad_hi) {
  if constexpr (P::count_include_pad) {
    const int lo = tap_lo(o + pad_lo, d), hi = tap_hi(o + pad_lo, d, n + pad_lo + pad_hi, taps);
    return hi > lo ? hi - lo : 0;
  } else {
    const int lo = tap_lo(o, d), hi = tap_hi(o, d, n, taps);
    return hi > lo ? hi - lo : 0;
  }
}

template <class P, int Kind, class T> void pool(const T* x, T* y) {
  using A = pool_acc<P, Kind>;
  constexpr int IHW = P::IH * P::IW, IDHW = P::ID * IHW;
  for (int c = 0; c < P::NC; ++c) {
    const T* xc = x + c * IDHW;
    for (int od = 0; od < P::OD; ++od) {
      const int d0 = od * P::SD - P::PD;
      const int kd_lo = tap_lo(d0, P::DD), kd_hi = tap_hi(d0, P::DD, P::ID, P::KD);
      for (int oh = 0; oh < P::OH; ++oh) {
        const int h0 = oh * P::SH - P::PH;
        const int kh_lo = tap_lo(h0, P::DH), kh_hi = tap_hi(h0, P::DH, P::IH, P::KH);
        for (int ow = 0; ow < P::OW; ++ow) {
          const int w0 = ow * P::SW - P::PW;
          const int kw_lo = tap_lo(w0, P::DW), kw_hi = tap_hi(w0, P::DW, P::IW, P::KW);
          T acc = A::template init<T>();
          int count = 0;
          if (kd_lo == 0 && kd_hi == P::KD && kh_lo == 0 && kh_hi == P::KH && kw_lo == 0 &&
              kw_hi == P::KW) {
            const T* xi = xc + (d0 * P::IH + h0) * P::IW + w0;
#pragma GCC unroll 8
            for (int kd = 0; kd < P::KD; ++kd) {
#pragma GCC unroll 8
              for (int kh = 0; kh < P::KH; ++kh) {
#pragma GCC unroll 8
                for (int kw = 0; kw < P::KW; ++kw)
                  acc = A::add(acc, xi[(kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW]);
              }
            }
            count = P::KD * P::KH * P::KW;
          } else {
            for (int kd = kd_lo; kd < kd_hi; ++kd)
              for (int kh = kh_lo; kh < kh_hi; ++kh)
                for (int kw = kw_lo; kw < kw_hi; ++kw)
                  acc = A::add(
                      acc,
                      xc[((d0 + kd * P::DD) * P::IH + h0 + kh * P::DH) * P::IW + w0 + kw * P::DW]);
            if constexpr (Kind == POOL_AVG)
              count = pool_count<P>(d0, P::DD, P::ID, P::KD, P::PD, P::ED) *
                      pool_count<P>(h0, P::DH, P::IH, P::KH, P::PH, P::EH) *
                      pool_count<P>(w0, P::DW, P::IW, P::KW, P::PW, P::EW);
          }
          y[((c * P::OD + od) * P::OH + oh) * P::OW + ow] = A::finish(acc, count);
        }
      }
    }
  }
}

// Global pooling: one value per plane of P::HW elements. P: NC, HW, lowest (max).
template <class P, int Kind, class T> void global_pool(const T* x, T* y) {
  using A = pool_acc<P, Kind>;
  for (int c = 0; c < P::NC; ++c) {
    T acc = A::template init<T>();
    for (int i = 0; i < P::HW; ++i) acc = A::add(acc, x[c * P::HW + i]);
    y[c] = A::finish(acc, P::HW);
  }
}

// MaxPool with its Indices output: the flat index into x of each maximum (the first in scan
// order), spatial axes row-major, or column-major when P::storage_order is 1. An empty window
// yields the lowest value and the index of its plane's first element.
template <class P, class T> void maxpool_indices(const T* x, T* y, int64_t* indices) {
  constexpr int IDHW = P::ID * P::IH * P::IW;
  for (int c = 0; c < P::NC; ++c) {
    for (int od = 0; od < P::OD; ++od) {
      const int d0 = od * P::SD - P::PD;
      for (int oh = 0; oh < P::OH; ++oh) {
        const int h0 = oh * P::SH - P::PH;
        for (int ow = 0; ow < P::OW; ++ow) {
          const int w0 = ow * P::SW - P::PW;
          T m = T(P::lowest);
          int best = 0;
          for (int kd = tap_lo(d0, P::DD); kd < tap_hi(d0, P::DD, P::ID, P::KD); ++kd)
            for (int kh = tap_lo(h0, P::DH); kh < tap_hi(h0, P::DH, P::IH, P::KH); ++kh)
              for (int kw = tap_lo(w0, P::DW); kw < tap_hi(w0, P::DW, P::IW, P::KW); ++kw) {
                const int d = d0 + kd * P::DD, h = h0 + kh * P::DH, w = w0 + kw * P::DW;
                const T v = x[c * IDHW + (d * P::IH + h) * P::IW + w];
                if (v > m) {
                  m = v;
                  best =
                      P::storage_order ? d + (h + w * P::IH) * P::ID : (d * P::IH + h) * P::IW + w;
                }
              }
          const int at = ((c * P::OD + od) * P::OH + oh) * P::OW + ow;
          y[at] = m;
          indices[at] = int64_t(c) * IDHW + best;
        }
      }
    }
  }
}

} // namespace tk
