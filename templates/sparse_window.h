// What the sparse kernels (sparse_s8.h, sparse_f32.h) share: the entry count heading each
// channel's stream, and the window walk of the convolutions: one output pixel's taps in weight
// order k = (ic, kd, kh, kw), NCDHW input padded to three spatial axes (P as templates/conv.h),
// so each kernel only says how it stores a tap.
#pragma once

#include <stdint.h>

namespace tk {

// The entry count (uint16, little endian) at the head of a channel's stream.
inline int sparse_count(const uint8_t* s) {
  return int(s[0]) | (int(s[1]) << 8);
}

// put(k, off, inside) for every tap: off is its index in the image, valid only when inside
// (false for a padded tap). Interior: the caller knows the whole window is inside (no bounds
// tests at all).
template <class P, bool Interior, class Put>
inline void for_window_taps(int d0, int h0, int w0, Put put) {
  constexpr int KSZ = P::KD * P::KH * P::KW, IDHW = P::ID * P::IH * P::IW;
  const int base = (d0 * P::IH + h0) * P::IW + w0;
  for (int ic = 0; ic < P::C; ++ic)
#pragma GCC unroll 4
    for (int kd = 0; kd < P::KD; ++kd)
#pragma GCC unroll 8
      for (int kh = 0; kh < P::KH; ++kh)
#pragma GCC unroll 8
        for (int kw = 0; kw < P::KW; ++kw) {
          bool in = true;
          if constexpr (!Interior) {
            const int id = d0 + kd * P::DD, ih = h0 + kh * P::DH, iw = w0 + kw * P::DW;
            in = unsigned(id) < unsigned(P::ID) && unsigned(ih) < unsigned(P::IH) &&
                 unsigned(iw) < unsigned(P::IW);
          }
          put(ic * KSZ + (kd * P::KH + kh) * P::KW + kw,
              ic * IDHW + base + (kd * P::DD * P::IH + kh * P::DH) * P::IW + kw * P::DW, in);
        }
}

} // namespace tk
