// One input of an int8 Concat (QConcat): copies the input's [outer, block] elements into its
// place of the output, verbatim when its quantisation equals the output's, else requantised
// (requant.h: round_half_even((x - x_zp) * fl(x_s / y_s)) + y_zp, saturated).
//
// P: outer, block (the input's axis extent times the inner size), out_block (the output's),
//    offset (of this input along the output block), copy, x_zp, y_zp, mult, shift.
//
// No DSP variant: the requantising path needs a 64-bit rounding shift per element, beyond the
// 16-bit lanes of the SIMD instructions; the verbatim path is a memcpy.
#pragma once

#include "requant.h"

#include <stdint.h>
#include <string.h>

namespace tk {

template <class P> void qconcat_part(const int8_t* x, int8_t* y) {
  for (int o = 0; o < P::outer; ++o) {
    const int8_t* xs = x + o * P::block;
    int8_t* ys = y + o * P::out_block + P::offset;
    if constexpr (P::copy) {
      memcpy(ys, xs, P::block);
    } else {
      for (int i = 0; i < P::block; ++i)
        ys[i] = int8_t(requantize(int32_t(xs[i]) - P::x_zp, P::mult, P::shift, P::y_zp, -128, 127));
    }
  }
}

} // namespace tk
