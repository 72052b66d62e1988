// Functors for elementwise unary ops (used with map_unary in elementwise.h). A functor is
// written once for every element type T it supports; float math goes through math_fn.h so
// float data uses the float routines. Integer results wrap (traits.h) instead of overflowing.
// Attributes come from P: alpha, beta, gamma, detect_pos, detect_neg.
#pragma once

#include "math_fn.h"
#include "traits.h"

#include <stdint.h>

namespace tk {

struct op_relu {
  template <class P, class T> static T apply(T x) { return is_negative(x) ? T(0) : x; }
};
struct op_neg {
  template <class P, class T> static T apply(T x) {
    if constexpr (num<T>::is_float)
      return -x;
    else
      return wrap_neg(x);
  }
};
struct op_abs {
  template <class P, class T> static T apply(T x) {
    if constexpr (num<T>::is_float)
      return m_fabs(x);
    else
      return is_negative(x) ? wrap_neg(x) : x;
  }
};
struct op_sign {
  template <class P, class T> static T apply(T x) {
    if constexpr (num<T>::is_float)
      if (x != x) return x; // NaN stays NaN
    if (x > T(0)) return T(1);
    if (is_negative(x)) return T(-1);
    return T(0);
  }
};
struct op_not {
  template <class P> static bool apply(bool x) { return !x; }
};
struct op_bitwise_not {
  template <class P, class T> static T apply(T x) { return T(~x); }
};
struct op_isnan {
  template <class P, class T> static bool apply(T x) { return x != x; }
};
struct op_isinf {
  template <class P, class T> static bool apply(T x) {
    return (P::detect_pos && x == num<T>::highest()) || (P::detect_neg && x == num<T>::lowest());
  }
};

// Floating-point only from here on.
#define TK_FLOAT_UNARY(name, expr)                                                                 \
  struct name {                                                                                    \
    template <class P, class T> static T apply(T x) { return expr; }                               \
  };
TK_FLOAT_UNARY(op_exp, m_exp(x))
TK_FLOAT_UNARY(op_log, m_log(x))
TK_FLOAT_UNARY(op_sqrt, m_sqrt(x))
TK_FLOAT_UNARY(op_reciprocal, T(1) / x)
TK_FLOAT_UNARY(op_floor, m_floor(x))
TK_FLOAT_UNARY(op_ceil, m_ceil(x))
TK_FLOAT_UNARY(op_round, m_round_even(x))
TK_FLOAT_UNARY(op_erf, m_erf(x))
TK_FLOAT_UNARY(op_sigmoid, T(1) / (T(1) + m_exp(-x)))
TK_FLOAT_UNARY(op_tanh, m_tanh(x))
TK_FLOAT_UNARY(op_sin, m_sin(x))
TK_FLOAT_UNARY(op_cos, m_cos(x))
TK_FLOAT_UNARY(op_tan, m_tan(x))
TK_FLOAT_UNARY(op_asin, m_asin(x))
TK_FLOAT_UNARY(op_acos, m_acos(x))
TK_FLOAT_UNARY(op_atan, m_atan(x))
TK_FLOAT_UNARY(op_sinh, m_sinh(x))
TK_FLOAT_UNARY(op_cosh, m_cosh(x))
TK_FLOAT_UNARY(op_asinh, m_asinh(x))
TK_FLOAT_UNARY(op_acosh, m_acosh(x))
TK_FLOAT_UNARY(op_atanh, m_atanh(x))
TK_FLOAT_UNARY(op_softsign, x / (T(1) + m_fabs(x)))
TK_FLOAT_UNARY(op_leaky_relu, x < T(0) ? x * T(P::alpha) : x)
TK_FLOAT_UNARY(op_elu, x < T(0) ? T(P::alpha) * (m_exp(x) - T(1)) : x)
TK_FLOAT_UNARY(op_selu,
               x <= T(0) ? T(P::gamma) * (T(P::alpha) * m_exp(x) - T(P::alpha)) : T(P::gamma) * x)
TK_FLOAT_UNARY(op_thresholded_relu, x > T(P::alpha) ? x : T(0))
#undef TK_FLOAT_UNARY

// Clamps to [0, 1], NaN passing through.
template <class T> inline T clamp01(T v) {
  return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
}
// log(1 + exp(x)) without overflowing exp for large x.
template <class T> inline T softplus(T x) {
  return x > T(0) ? x + m_log1p(m_exp(-x)) : m_log1p(m_exp(x));
}

struct op_celu {
  template <class P, class T> static T apply(T x) {
    return x > T(0) ? x : T(P::alpha) * (m_exp(x / T(P::alpha)) - T(1));
  }
};
struct op_hard_sigmoid {
  template <class P, class T> static T apply(T x) { return clamp01(T(P::alpha) * x + T(P::beta)); }
};
struct op_hard_swish {
  template <class P, class T> static T apply(T x) { return x * clamp01(x / T(6) + T(0.5)); }
};
struct op_softplus {
  template <class P, class T> static T apply(T x) { return softplus(x); }
};
struct op_mish {
  template <class P, class T> static T apply(T x) { return x * m_tanh(softplus(x)); }
};

} // namespace tk

namespace tk {

// Mean's final step: the sum divided by the number of inputs, P::count.
struct op_div_by_count {
  template <class P, class T> static T apply(T x) { return x / T(P::count); }
};

} // namespace tk

namespace tk {

// Shrink: x + bias below -lambd (P::alpha), x - bias above lambd, else 0 (P::beta = bias).
struct op_shrink {
  template <class P, class T> static T apply(T x) {
    return x < -T(P::alpha) ? x + T(P::beta) : x > T(P::alpha) ? x - T(P::beta) : T(0);
  }
};

} // namespace tk
