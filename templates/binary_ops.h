// Functors for elementwise binary ops (used with map_binary in elementwise.h). Integer
// arithmetic wraps (traits.h) rather than overflowing, and the cases C leaves undefined have
// a defined result: x / 0 = 0, x % 0 = 0, MIN / -1 = MIN, shifts by >= the width give 0.
#pragma once

#include "math_fn.h"
#include "traits.h"

#include <stdint.h>

namespace tk {

struct op_add {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float)
      return a + b;
    else
      return wrap_add(a, b);
  }
};
struct op_sub {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float)
      return a - b;
    else
      return wrap_sub(a, b);
  }
};
struct op_mul {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float)
      return a * b;
    else
      return wrap_mul(a, b);
  }
};
struct op_div {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float) {
      return a / b;
    } else {
      if (b == T(0)) return T(0);
      if constexpr (num<T>::is_signed)
        if (b == T(-1)) return wrap_neg(a);
      return T(a / b);
    }
  }
};
// P::fmod: remainder with the sign of the dividend (C fmod); else of the divisor (Python).
struct op_mod {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float) {
      T r = m_fmod(a, b);
      if (!P::fmod && r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    } else if constexpr (num<T>::is_signed) {
      if (b == T(0) || b == T(-1)) return T(0);
      T r = T(a % b);
      if (!P::fmod && r != T(0) && ((r < T(0)) != (b < T(0)))) r = T(r + b);
      return r;
    } else {
      return b == T(0) ? T(0) : T(a % b);
    }
  }
};
// Integer power by squaring, wrapping; a negative exponent gives 1/a^-b truncated.
template <class A, class B> inline A int_pow(A a, B b) {
  if (is_negative(b)) {
    if (a == A(1)) return A(1);
    if constexpr (num<A>::is_signed)
      if (a == A(-1)) return (b % B(2)) == B(0) ? A(1) : A(-1);
    return A(0);
  }
  A r = A(1);
  while (b != B(0)) {
    if (b % B(2) != B(0)) r = wrap_mul(r, a);
    a = wrap_mul(a, a);
    b = B(b / B(2));
  }
  return r;
}
// Float->integer conversion that saturates and maps NaN to 0 (never undefined).
template <class U, class F> inline U saturate_to(F x) {
  if (x != x) return U(0);
  if (x <= F(num<U>::lowest())) return num<U>::lowest();
  if (x >= F(num<U>::highest())) return num<U>::highest();
  return U(x);
}
// The result has the type of the base; an integer base with a float exponent is computed in
// double and converted back.
struct op_pow {
  template <class P, class A, class B> static A apply(A a, B b) {
    if constexpr (num<A>::is_float)
      return m_pow(a, A(b));
    else if constexpr (num<B>::is_float)
      return saturate_to<A>(m_pow(double(a), double(b)));
    else
      return int_pow(a, b);
  }
};
// P::left: shift left, else right (unsigned types only).
struct op_bitshift {
  template <class P, class T> static T apply(T a, T b) {
    using W = typename wide_uns<T>::type;
    if (b >= T(sizeof(T) * 8)) return T(0);
    return P::left ? T(W(a) << b) : T(W(a) >> b);
  }
};
struct op_and {
  template <class P> static bool apply(bool a, bool b) { return a && b; }
};
struct op_or {
  template <class P> static bool apply(bool a, bool b) { return a || b; }
};
struct op_xor {
  template <class P> static bool apply(bool a, bool b) { return a != b; }
};
struct op_bitwise_and {
  template <class P, class T> static T apply(T a, T b) { return T(a & b); }
};
struct op_bitwise_or {
  template <class P, class T> static T apply(T a, T b) { return T(a | b); }
};
struct op_bitwise_xor {
  template <class P, class T> static T apply(T a, T b) { return T(a ^ b); }
};
struct op_equal {
  template <class P, class T> static bool apply(T a, T b) { return a == b; }
};
struct op_less {
  template <class P, class T> static bool apply(T a, T b) { return a < b; }
};
struct op_greater {
  template <class P, class T> static bool apply(T a, T b) { return a > b; }
};
struct op_less_equal {
  template <class P, class T> static bool apply(T a, T b) { return a <= b; }
};
struct op_greater_equal {
  template <class P, class T> static bool apply(T a, T b) { return a >= b; }
};
// PRelu: x where x >= 0, else x * slope.
struct op_prelu {
  template <class P, class T> static T apply(T x, T slope) {
    if constexpr (num<T>::is_float)
      return x < T(0) ? x * slope : x;
    else
      return is_negative(x) ? wrap_mul(x, slope) : x;
  }
};
// Min and Max propagate NaN like numpy's minimum/maximum.
struct op_min {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float)
      if (a != a || b != b) return a != a ? a : b;
    return b < a ? b : a;
  }
};
struct op_max {
  template <class P, class T> static T apply(T a, T b) {
    if constexpr (num<T>::is_float)
      if (a != a || b != b) return a != a ? a : b;
    return b > a ? b : a;
  }
};

} // namespace tk
