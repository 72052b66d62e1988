// Functors for elementwise binary ops (used with map_binary in elementwise.h).
#pragma once

#include <stdint.h>

namespace tk {

struct op_add {
  template <class P, class T> static T apply(T a, T b) { return T(a + b); }
};
struct op_sub {
  template <class P, class T> static T apply(T a, T b) { return T(a - b); }
};
struct op_mul {
  template <class P, class T> static T apply(T a, T b) { return T(a * b); }
};
// Integer division truncates like C and ONNX; division by zero, undefined in C, gives 0.
struct op_div {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (T(0.5) == T(0)) return b == T(0) ? T(0) : T(a / b);
    else return a / b;
  }
};

}  // namespace tk
