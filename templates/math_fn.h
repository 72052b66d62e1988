// Float and double overloads of the <math.h> functions, so a kernel written once for a type T
// calls expf for float and exp for double (never a double routine on float data).
#pragma once

#include <math.h>

namespace tk {

#define TK_MATH1(name)                                                                             \
  inline float m_##name(float x) {                                                                 \
    return name##f(x);                                                                             \
  }                                                                                                \
  inline double m_##name(double x) {                                                               \
    return name(x);                                                                                \
  }
TK_MATH1(exp)
TK_MATH1(log)
TK_MATH1(sqrt)
TK_MATH1(floor)
TK_MATH1(ceil)
TK_MATH1(fabs)
TK_MATH1(erf)
TK_MATH1(tanh)
TK_MATH1(sin)
TK_MATH1(cos)
TK_MATH1(tan)
TK_MATH1(asin)
TK_MATH1(acos)
TK_MATH1(atan)
TK_MATH1(sinh)
TK_MATH1(cosh)
TK_MATH1(asinh)
TK_MATH1(acosh)
TK_MATH1(atanh)
TK_MATH1(log1p)
TK_MATH1(trunc)
#undef TK_MATH1
inline float m_pow(float x, float y) {
  return powf(x, y);
}
inline double m_pow(double x, double y) {
  return pow(x, y);
}
inline float m_fmod(float x, float y) {
  return fmodf(x, y);
}
inline double m_fmod(double x, double y) {
  return fmod(x, y);
}

// Round half to even without depending on the current rounding mode.
template <class T> inline T m_round_even(T x) {
  T f = m_floor(x);
  T d = x - f;
  if (d > T(0.5)) return f + T(1);
  if (d < T(0.5)) return f;
  return m_fmod(f, T(2)) == T(0) ? f : f + T(1);
}

} // namespace tk
