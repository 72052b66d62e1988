// Reference arithmetic shared by the elementwise op files: integer arithmetic that wraps like
// the kernels (templates/traits.h) instead of overflowing, the defined results for integer
// division by zero, the saturating float->int conversion of Cast, and a broadcast walker.
#pragma once

#include "../ir.h"
#include "op_util.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace tinyc::ops {

// Unsigned type at least as wide as int (uint16_t * uint16_t would promote to int).
template <class T>
using wide_uns_t = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;

template <class T> T wrap_add(T a, T b) {
  return T(wide_uns_t<T>(a) + wide_uns_t<T>(b));
}
template <class T> T wrap_sub(T a, T b) {
  return T(wide_uns_t<T>(a) - wide_uns_t<T>(b));
}
template <class T> T wrap_mul(T a, T b) {
  return T(wide_uns_t<T>(a) * wide_uns_t<T>(b));
}
template <class T> T wrap_neg_int(T a) {
  return T(wide_uns_t<T>(0) - wide_uns_t<T>(a));
}

template <class T> bool negative(T x) {
  if constexpr (std::is_signed_v<T>)
    return x < T(0);
  else
    return false;
}

// Integer division truncating like C; x / 0 = 0 and MIN / -1 wraps to MIN.
template <class T> T int_div(T a, T b) {
  if (b == T(0)) return T(0);
  if constexpr (std::is_signed_v<T>)
    if (b == T(-1)) return wrap_neg_int(a);
  return T(a / b);
}
// Integer remainder: sign of the dividend when `fmod`, else of the divisor (Python); x % 0 = 0.
template <class T> T int_mod(T a, T b, bool fmod) {
  if (b == T(0)) return T(0);
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(0);
    T r = T(a % b);
    if (!fmod && r != T(0) && ((r < T(0)) != (b < T(0)))) r = T(r + b);
    return r;
  } else {
    return T(a % b);
  }
}

// Value conversion as Cast defines it, without undefined behaviour: float->int truncates and
// saturates, NaN gives 0; anything->bool is x != 0; int->int wraps.
template <class U, class T> U convert_value(T x) {
  if constexpr (std::is_same_v<U, bool>) {
    return x != T(0);
  } else if constexpr (std::is_floating_point_v<T> && std::is_integral_v<U>) {
    if (std::isnan(x)) return U(0);
    if (x <= T(std::numeric_limits<U>::lowest())) return std::numeric_limits<U>::lowest();
    if (x >= T(std::numeric_limits<U>::max())) return std::numeric_limits<U>::max();
    return U(x);
  } else {
    return U(x);
  }
}

// Calls f(out_index, index_0, ..., index_{k-1}) for every element of `out`, where index_j
// reads input j with broadcast strides st[j].
template <class F>
void for_each_broadcast_n(const Shape& out, const std::vector<std::vector<int64_t>>& st, F&& f) {
  const int64_t n = numel(out);
  const size_t k = st.size();
  std::vector<int64_t> idx(out.size(), 0), pos(k, 0);
  for (int64_t i = 0; i < n; ++i) {
    f(i, pos);
    for (size_t d = out.size(); d-- > 0;) {
      ++idx[d];
      for (size_t j = 0; j < k; ++j) pos[j] += st[j][d];
      if (idx[d] < out[d]) break;
      for (size_t j = 0; j < k; ++j) pos[j] -= st[j][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Parameters of map_binary (templates/elementwise.h) for inputs of shapes a, b.
inline Params binary_params(const Shape& a, const Shape& b, const Shape& out) {
  Params p;
  p.i("rank", int64_t(out.size())).i("n", numel(out));
  p.i("same_shape", a == out && b == out);
  p.ints("out", out).ints("sa", broadcast_strides(a, out)).ints("sb", broadcast_strides(b, out));
  p.ints("sy", strides_of(out));
  return p;
}

} // namespace tinyc::ops
