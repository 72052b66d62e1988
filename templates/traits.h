// Tiny type traits and numeric limits for the kernels (the generated code includes no C++
// standard library headers): which element types are signed or floating point, their
// unsigned counterparts for wrapping arithmetic, and their ranges.
#pragma once

#include <stdint.h>

namespace tk {

template <class T> struct num; // is_float, is_signed, lowest(), highest(), using uns = ...
template <> struct num<bool> {
  static constexpr bool is_float = false, is_signed = false;
  using uns = bool;
  static constexpr bool lowest() { return false; }
  static constexpr bool highest() { return true; }
};
#define TK_INT_TRAITS(T, U, SIGNED, LO, HI)                                                        \
  template <> struct num<T> {                                                                      \
    static constexpr bool is_float = false, is_signed = SIGNED;                                    \
    using uns = U;                                                                                 \
    static constexpr T lowest() { return LO; }                                                     \
    static constexpr T highest() { return HI; }                                                    \
  };
TK_INT_TRAITS(int8_t, uint8_t, true, INT8_MIN, INT8_MAX)
TK_INT_TRAITS(uint8_t, uint8_t, false, 0, UINT8_MAX)
TK_INT_TRAITS(int16_t, uint16_t, true, INT16_MIN, INT16_MAX)
TK_INT_TRAITS(uint16_t, uint16_t, false, 0, UINT16_MAX)
TK_INT_TRAITS(int32_t, uint32_t, true, INT32_MIN, INT32_MAX)
TK_INT_TRAITS(uint32_t, uint32_t, false, 0, UINT32_MAX)
TK_INT_TRAITS(int64_t, uint64_t, true, INT64_MIN, INT64_MAX)
TK_INT_TRAITS(uint64_t, uint64_t, false, 0, UINT64_MAX)
#undef TK_INT_TRAITS
template <> struct num<float> {
  static constexpr bool is_float = true, is_signed = true;
  static constexpr float lowest() { return -__builtin_inff(); }
  static constexpr float highest() { return __builtin_inff(); }
};
template <> struct num<double> {
  static constexpr bool is_float = true, is_signed = true;
  static constexpr double lowest() { return -__builtin_inf(); }
  static constexpr double highest() { return __builtin_inf(); }
};

// Unsigned type at least as wide as int, so integer arithmetic wraps instead of overflowing
// (uint16_t * uint16_t would otherwise promote to int and may overflow).
template <class T> struct wide_uns { using type = typename num<T>::uns; };
template <> struct wide_uns<int8_t> { using type = uint32_t; };
template <> struct wide_uns<uint8_t> { using type = uint32_t; };
template <> struct wide_uns<int16_t> { using type = uint32_t; };
template <> struct wide_uns<uint16_t> { using type = uint32_t; };

// Two's complement wrapping add/sub/mul/neg (the conversion back to a signed type is modular).
template <class T> inline T wrap_add(T a, T b) {
  using W = typename wide_uns<T>::type;
  return T(W(a) + W(b));
}
template <class T> inline T wrap_sub(T a, T b) {
  using W = typename wide_uns<T>::type;
  return T(W(a) - W(b));
}
template <class T> inline T wrap_mul(T a, T b) {
  using W = typename wide_uns<T>::type;
  return T(W(a) * W(b));
}
template <class T> inline T wrap_neg(T a) {
  using W = typename wide_uns<T>::type;
  return T(W(0) - W(a));
}

template <class T> inline bool is_negative(T x) {
  if constexpr (num<T>::is_signed)
    return x < T(0);
  else
    return false;
}

} // namespace tk
