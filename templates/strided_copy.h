// Affine data movement: y[sy . i + y_off] = x[sx . i + x_off] for every index i of an output
// box `out`. Transpose, Slice, Concat, Split, Expand, Tile, DepthToSpace and SpaceToDepth are
// all this one loop nest with different compile-time strides (negative for reversed slices,
// zero for broadcast), so the target compiler sees constant trip counts and strides.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, int D, class T> inline void strided_copy_dim(const T* x, T* y) {
  for (int i = 0; i < P::out[D]; ++i) {
    if constexpr (D + 1 == P::rank) {
      y[i * P::sy[D]] = x[i * P::sx[D]];
    } else {
      strided_copy_dim<P, D + 1>(x + i * P::sx[D], y + i * P::sy[D]);
    }
  }
}

// P: rank, out[rank], sx[rank], sy[rank] (element strides), x_off, y_off.
template <class P, class T> void strided_copy(const T* x, T* y) {
  if constexpr (P::rank == 0) {
    y[P::y_off] = x[P::x_off];
  } else {
    strided_copy_dim<P, 0>(x + P::x_off, y + P::y_off);
  }
}

} // namespace tk
