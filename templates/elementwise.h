// Elementwise maps: y[i] = Op(x[i]) over P::n elements, and binary ops with numpy
// broadcasting. Op is a functor type with a static apply(); broadcasting walks the output with
// per-input strides from P (0 on broadcast dimensions), recursing over compile-time ranks.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, class Op, class T, class U> void map_unary(const T* x, U* y) {
  for (int i = 0; i < P::n; ++i) y[i] = Op::template apply<P>(x[i]);
}

template <class P, int D, class Op, class A, class B, class U>
inline void broadcast_binary_dim(const A* a, const B* b, U* y) {
  for (int i = 0; i < P::out[D]; ++i) {
    if constexpr (D + 1 == P::rank) {
      y[i] = Op::template apply<P>(a[i * P::sa[D]], b[i * P::sb[D]]);
    } else {
      broadcast_binary_dim<P, D + 1, Op>(a + i * P::sa[D], b + i * P::sb[D], y + i * P::sy[D]);
    }
  }
}

// P: rank, n, out[rank], sa[rank], sb[rank], sy[rank], same_shape (no broadcasting at all).
template <class P, class Op, class A, class B, class U>
void map_binary(const A* a, const B* b, U* y) {
  if constexpr (P::same_shape || P::rank == 0) {
    for (int i = 0; i < P::n; ++i) y[i] = Op::template apply<P>(a[i], b[i]);
  } else {
    broadcast_binary_dim<P, 0, Op>(a, b, y);
  }
}

} // namespace tk
