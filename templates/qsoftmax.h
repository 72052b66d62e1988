// int8 Softmax (QSoftmax) along one axis of a tensor viewed as [outer, A, inner], integer only:
// e[a] = exp_table[max - x[a]] (exp(-d * x_s) in fixed point, computed by the compiler),
// y[a] = round_half_even(e[a] * P::recip / (sum(e) * 2^P::rshift)) + y_zp, clamped, where
// recip / 2^rshift approximates 1 / y_s to 24 bits. The compiler bounds every product below
// 2^63.
//
// No DSP variant: the work is one table lookup, one 64-bit add and one 64-bit division per
// element; classifier heads have a handful of classes, so nothing here is worth vectorising.
//
// P: outer, A, inner, recip, rshift, y_zp, lo, hi.
#pragma once

#include "qarith.h"

#include <stdint.h>

namespace tk {

template <class P> void qsoftmax(const int8_t* x, int8_t* y, const int32_t* exp_table) {
  if constexpr (P::A == 0) return;
  for (int o = 0; o < P::outer; ++o) {
    for (int i = 0; i < P::inner; ++i) {
      const int8_t* xs = x + o * P::A * P::inner + i;
      int8_t* ys = y + o * P::A * P::inner + i;
      int32_t m = xs[0];
      for (int a = 1; a < P::A; ++a)
        if (xs[a * P::inner] > m) m = xs[a * P::inner];
      int64_t sum = 0;
      for (int a = 0; a < P::A; ++a) sum += exp_table[m - xs[a * P::inner]];
      const int64_t den = sum << P::rshift; // sum >= exp_table[0] > 0
      for (int a = 0; a < P::A; ++a) {
        const int64_t num = int64_t(exp_table[m - xs[a * P::inner]]) * P::recip;
        ys[a * P::inner] =
            int8_t(clamp_q(div_round_half_even_pos(num, den) + P::y_zp, P::lo, P::hi));
      }
    }
  }
}

} // namespace tk
