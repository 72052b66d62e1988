// Cast functor for map_unary: converts to P::out_t. Float->integer truncates and saturates
// (NaN gives 0) so no conversion is undefined; anything->bool is x != 0; integers wrap.
#pragma once

#include "traits.h"

namespace tk {

template <class U, class T> inline U convert(T x) {
  if constexpr (sizeof(U) == 1 && U(2) == U(1)) { // bool
    return x != T(0);
  } else if constexpr (num<T>::is_float && !num<U>::is_float) {
    if (x != x) return U(0);
    if (x <= T(num<U>::lowest())) return num<U>::lowest();
    if (x >= T(num<U>::highest())) return num<U>::highest();
    return U(x);
  } else {
    return U(x);
  }
}

struct op_cast {
  template <class P, class T> static typename P::out_t apply(T x) {
    return convert<typename P::out_t>(x);
  }
};

} // namespace tk
