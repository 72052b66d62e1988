// Where: y = cond ? x : z with numpy broadcasting of all three inputs. P: rank, n, out[rank],
// sc/sx/sz[rank] (input strides, 0 on broadcast dimensions), sy[rank], same_shape.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, int D, class T>
inline void where_dim(const bool* c, const T* x, const T* z, T* y) {
  for (int i = 0; i < P::out[D]; ++i) {
    if constexpr (D + 1 == P::rank) {
      y[i] = c[i * P::sc[D]] ? x[i * P::sx[D]] : z[i * P::sz[D]];
    } else {
      where_dim<P, D + 1>(c + i * P::sc[D], x + i * P::sx[D], z + i * P::sz[D], y + i * P::sy[D]);
    }
  }
}

template <class P, class T> void where(const bool* c, const T* x, const T* z, T* y) {
  if constexpr (P::same_shape || P::rank == 0) {
    for (int i = 0; i < P::n; ++i) y[i] = c[i] ? x[i] : z[i];
  } else {
    where_dim<P, 0>(c, x, z, y);
  }
}

} // namespace tk
