// int8 Add and Mul with numpy broadcasting (map_binary of elementwise.h), in exact integer
// arithmetic (qarith.h).
//
// QAdd P: ka, kb (exact rescale factors of a and b on the common power of two 2^-shift), shift,
//         a_zp, b_zp, y_zp, lo, hi; leaky, ka_n, kb_n, shift_n (fused LeakyRelu: the factors
//         of a negative sum).
// QMul P: mult, shift (exact fl(fl(a_s * b_s) / y_s)), a_zp, b_zp, y_zp, lo, hi; mult_n,
//         shift_n (fused LeakyRelu, mult_n = 0 without).
//
// No DSP variant: each element needs a 64-bit product of a 9-bit difference with a factor of
// up to 54 bits (Add) or a 64-bit rounding shift (Mul), so the packed 16-bit SIMD of the DSP
// extension (__sadd16, __smlad) cannot carry the exact rescale; the loop is dominated by the
// 64-bit multiply-accumulate (SMLAL/UMULL pairs), not by loading or unpacking the int8 data.
#pragma once

#include "elementwise.h"
#include "qarith.h"

#include <stdint.h>

namespace tk {

struct op_qadd {
  template <class P> static int8_t apply(int8_t a, int8_t b) {
    const int32_t da = int32_t(a) - P::a_zp, db = int32_t(b) - P::b_zp;
    if constexpr (P::leaky)
      return int8_t(qadd_leaky_value(da, db, P::ka, P::kb, P::shift, P::ka_n, P::kb_n, P::shift_n,
                                     P::y_zp, P::lo, P::hi));
    else
      return int8_t(qadd_value(da, db, P::ka, P::kb, P::shift, P::y_zp, P::lo, P::hi));
  }
};

struct op_qmul {
  template <class P> static int8_t apply(int8_t a, int8_t b) {
    return int8_t(qmul_value(int32_t(a) - P::a_zp, int32_t(b) - P::b_zp, P::mult, P::shift,
                             P::mult_n, P::shift_n, P::y_zp, P::lo, P::hi));
  }
};

template <class P> void qadd(const int8_t* a, const int8_t* b, int8_t* y) {
  map_binary<P, op_qadd>(a, b, y);
}

template <class P> void qmul(const int8_t* a, const int8_t* b, int8_t* y) {
  map_binary<P, op_qmul>(a, b, y);
}

} // namespace tk
