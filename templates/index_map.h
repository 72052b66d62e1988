// Separable gather: each output coordinate i_d along dim d reads input coordinate map_d[i_d],
// or the fill value when that entry is -1. Pad (constant, edge, reflect, wrap) and
// nearest-neighbour Resize are this loop with different per-dimension tables.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, int D, class T>
inline void index_map_dim(const T* x, T* y, T fill, bool outside) {
  for (int i = 0; i < P::out[D]; ++i) {
    const int src = P::map[P::base[D] + i];
    const bool o = outside || src < 0;
    const T* xs = o ? x : x + src * P::sx[D];
    if constexpr (D + 1 == P::rank) {
      y[i] = o ? fill : *xs;
    } else {
      index_map_dim<P, D + 1>(xs, y + i * P::sy[D], fill, o);
    }
  }
}

// P: rank, out[rank], sx[rank] (input strides), sy[rank] (output strides, contiguous),
// base[rank] (start of dim d's table in map), map[sum(out)].
template <class P, class T> void index_map(const T* x, T* y, T fill) {
  if constexpr (P::rank == 0) {
    y[0] = x[0];
  } else {
    index_map_dim<P, 0>(x, y, fill, false);
  }
}

} // namespace tk
