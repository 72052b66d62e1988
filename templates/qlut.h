// int8 unary map by table (QLut): y = table[x + 128], the 256 results of the op computed by
// the compiler. P: n.
//
// No DSP variant: a table lookup per byte has no SIMD form on Cortex-M (no gather); the loop
// is one LDRSB, one LDRSB from the table and one STRB per element.
#pragma once

#include <stdint.h>

namespace tk {

template <class P> void qlut(const int8_t* x, int8_t* y, const int8_t* table) {
  for (int i = 0; i < P::n; ++i) y[i] = table[int32_t(x[i]) + 128];
}

} // namespace tk
