#include "qlinear.h"

#include "../quant.h"

#include <cmath>
#include <limits>

namespace tinyc::ops {

namespace {

Attr int_attr(int64_t v) {
  Attr a;
  a.kind = AttrKind::Int;
  a.i = v;
  return a;
}

Attr ints_attr(std::vector<int64_t> v) {
  Attr a;
  a.kind = AttrKind::Ints;
  a.ints = std::move(v);
  return a;
}

int32_t int8_attr(const Node& n, const char* name, int64_t dflt) {
  const int64_t v = n.attr_i(name, dflt);
  if (v < -128 || v > 127) fail("node {}: {} = {} is not an int8 value", n.label(), name, v);
  return int32_t(v);
}

} // namespace

QLinearAttrs qlinear_attrs(const Node& n, int64_t channels) {
  QLinearAttrs a;
  a.x_zp = int8_attr(n, "x_zp", 0);
  a.y_zp = int8_attr(n, "y_zp", 0);
  a.act_lo = int8_attr(n, "act_lo", -128);
  a.act_hi = int8_attr(n, "act_hi", 127);
  if (a.act_lo > a.act_hi) fail("node {}: act_lo > act_hi", n.label());
  const std::vector<int64_t> mult = n.attr_ints("mult", {}), shift = n.attr_ints("shift", {});
  if (mult.size() != shift.size() || (mult.size() != 1 && int64_t(mult.size()) != channels))
    fail("node {}: mult/shift must hold 1 or {} values", n.label(), channels);
  for (int64_t c = 0; c < channels; ++c) {
    const size_t i = mult.size() == 1 ? 0 : size_t(c);
    if (mult[i] < (int64_t(1) << 23) || mult[i] >= (int64_t(1) << 24) || shift[i] < 1 ||
        shift[i] > 62)
      fail("node {}: multiplier {} * 2^-{} is not supported", n.label(), mult[i], shift[i]);
    a.mult.push_back(int32_t(mult[i]));
    a.shift.push_back(int32_t(shift[i]));
  }
  return a;
}

double accumulator_bound(int64_t K, const TensorData* bias) {
  double b = 0;
  if (bias)
    for (int64_t i = 0; i < bias->size(); ++i) b = std::max(b, std::fabs(bias->get_f64(i)));
  return double(K) * 255.0 * 128.0 + b;
}

void check_accumulator_range(const Node& n, int64_t K, const TensorData* bias) {
  if (K >= (int64_t(1) << 16) || accumulator_bound(K, bias) >= 2147483647.0)
    fail("node {}: a reduction of {} int8 products (accumulator up to {}) is not supported",
         n.label(), K, accumulator_bound(K, bias));
}

RequantTable requant_table(const QLinearAttrs& a, double acc_bound) {
  RequantTable r;
  // acc * mult is a tie when its low `shift` bits are 100..0: with mult = m0 * 2^z (m0 odd)
  // that needs z < shift and acc a nonzero multiple of 2^(shift-1-z).
  r.ties = false;
  for (size_t c = 0; c < a.mult.size(); ++c) {
    int z = 0;
    while (z < 24 && ((a.mult[c] >> z) & 1) == 0) ++z;
    if (z < a.shift[c] && std::ldexp(1.0, a.shift[c] - 1 - z) <= acc_bound) r.ties = true;
  }
  const size_t M = a.mult.size();
  r.fast = true;
  for (int32_t s : a.shift) r.fast &= s + 7 >= 33; // m31 = mult << 7 needs a shift of 33+
  // The output zero point rides in the rounding constant when hi(acc * m31) + C stays in int32.
  r.zp_folded = r.fast;
  for (size_t c = 0; c < M && r.fast; ++c) {
    const int s = a.shift[c] + 7;
    if (s >= 63) continue;
    const double hmax = acc_bound * std::ldexp(double(a.mult[c]), 7 - 32) + 1.0;
    r.zp_folded &= hmax + std::ldexp(1.0, s - 33) + 128.0 * std::ldexp(1.0, s - 32) < 2147483647.0;
  }
  const int32_t zp = r.zp_folded ? a.y_zp : 0;
  r.table = TensorData(DType::I32, {int64_t(M * 3)});
  int32_t* t = r.table.data<int32_t>();
  for (size_t c = 0; c < M; ++c) {
    if (!r.fast) {
      t[3 * c] = a.mult[c];
      t[3 * c + 1] = a.shift[c];
      t[3 * c + 2] = 0;
      continue;
    }
    const int s = a.shift[c] + 7;
    if (s >= 63) { // |acc * m31| < 2^62 <= 2^(s-1): always rounds to 0
      t[3 * c] = 0;
      t[3 * c + 1] = 2 * zp;
      t[3 * c + 2] = 1;
    } else {
      t[3 * c] = a.mult[c] << 7;
      t[3 * c + 1] = int32_t((int64_t(1) << (s - 33)) + int64_t(zp) * (int64_t(1) << (s - 32)));
      t[3 * c + 2] = s - 32;
    }
  }
  return r;
}

TensorData order_weights_s8(const TensorData& w, int64_t M, int64_t K, int64_t mg) {
  const int64_t G = M / mg, mgp = (mg + 1) / 2 * 2, kq = (K + 3) / 4;
  TensorData p(DType::I8, {G * mgp * kq * 4});
  int8_t* out = p.data<int8_t>();
  const int8_t* wv = w.data<int8_t>();
  for (int64_t g = 0; g < G; ++g) {
    const int8_t* wg = wv + g * mg * K;
    // templates/gemm_s8.h wq_index: [mgp/2][kq][2 channels][4 k values].
    for (int64_t m = 0; m < mgp; m += 2)
      for (int64_t q = 0; q < kq; ++q)
        for (int64_t j = 0; j < 2; ++j)
          for (int64_t r = 0; r < 4; ++r) {
            const int64_t c = m + j, k = 4 * q + r;
            *out++ = c < mg && k < K ? wg[c * K + k] : 0; // padded channels and k values are 0
          }
  }
  return p;
}

void add_qlinear_params(Params& p, const QLinearAttrs& a, const RequantTable& rq, bool has_bias) {
  p.i("x_zp", a.x_zp).i("y_zp", a.y_zp).i("act_lo", a.act_lo).i("act_hi", a.act_hi);
  p.i("has_bias", has_bias).i("fast_rq", rq.fast).i("ties", rq.ties).i("zp_folded", rq.zp_folded);
}

bool is_int8_activation(const QdqInput& in) {
  return in.quantized() && !in.is_constant && in.axis < 0 && in.q_type == DType::I8 &&
         in.scale.size() == 1;
}

std::optional<TensorData> rule_weights(const Graph& g, const QdqInput& w, int64_t channel_axis,
                                       int64_t channels, std::vector<float>& scales) {
  if (!w.quantized() || !w.is_constant || w.q_type != DType::I8) return std::nullopt;
  const TensorData& q = *g.val(w.q_value).constant;
  if (w.axis >= 0 && (w.axis != channel_axis || int64_t(w.scale.size()) != channels))
    return std::nullopt;
  if (w.axis < 0 && w.scale.size() != 1) return std::nullopt;
  // Elements per step of the channel axis, and the axis extent.
  int64_t inner = 1;
  for (size_t d = size_t(channel_axis) + 1; d < q.shape.size(); ++d) inner *= q.shape[d];
  TensorData out(DType::I8, q.shape);
  for (int64_t i = 0; i < q.size(); ++i) {
    const size_t c = w.axis < 0 ? 0 : size_t((i / inner) % channels);
    const int64_t v = q.get_i64(i) - w.zero_point[c];
    if (v < -128 || v > 127) return std::nullopt;
    out.data<int8_t>()[i] = int8_t(v);
  }
  scales.clear();
  for (int64_t c = 0; c < channels; ++c) scales.push_back(w.scale[w.axis < 0 ? 0 : size_t(c)]);
  return out;
}

bool rule_multipliers(float sx, const std::vector<float>& sw, float sy, std::vector<int64_t>& mult,
                      std::vector<int64_t>& shift) {
  mult.clear();
  shift.clear();
  for (float s : sw) {
    const float sxw = sx * s; // float32 products and quotient, as onnxruntime computes them
    const float eff = sxw / sy;
    auto m = exact_multiplier(eff);
    if (!m) return false;
    mult.push_back(m->mult);
    shift.push_back(m->shift);
  }
  // One value when every channel has the same multiplier.
  bool same = true;
  for (size_t c = 1; c < mult.size(); ++c) same &= mult[c] == mult[0] && shift[c] == shift[0];
  if (same && !mult.empty()) {
    mult.resize(1);
    shift.resize(1);
  }
  return true;
}

std::optional<TensorData> rule_bias(const Graph& g, const QdqInput& b, float sx,
                                    const std::vector<float>& sw, int64_t channels) {
  TensorData out(DType::I32, {channels});
  if (b.value < 0) return out; // all zero
  const int64_t count = numel(g.val(b.value).shape);
  if (count != 1 && count != channels) return std::nullopt;
  auto bias_scale = [&](int64_t c) { return sx * sw[size_t(c)]; };
  if (b.quantized()) {
    if (!b.is_constant) return std::nullopt;
    const TensorData& q = *g.val(b.q_value).constant;
    auto b_scale = [&](int64_t c) { return b.scale[b.scale.size() == 1 ? 0 : size_t(c)]; };
    auto b_zp = [&](int64_t c) { return b.zero_point[b.zero_point.size() == 1 ? 0 : size_t(c)]; };
    bool as_is = b.q_type == DType::I32 && count == channels;
    for (int64_t c = 0; c < channels && as_is; ++c)
      as_is = b_zp(c) == 0 && b_scale(c) == bias_scale(c);
    if (as_is) {
      for (int64_t c = 0; c < channels; ++c) out.data<int32_t>()[c] = int32_t(q.get_i64(c));
      return out;
    }
    // Dequantised with other parameters: requantise the real values.
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t i = count == 1 ? 0 : c;
      const float real = float(q.get_i64(i) - b_zp(i)) * b_scale(i);
      const double v = std::nearbyint(double(real) / double(bias_scale(c)));
      if (!(std::fabs(v) <= 2147483647.0)) return std::nullopt;
      out.data<int32_t>()[c] = int32_t(v);
    }
    return out;
  }
  const Value& v = g.val(b.value);
  if (!v.constant || v.dtype != DType::F32) return std::nullopt;
  for (int64_t c = 0; c < channels; ++c) {
    const double q =
        std::nearbyint(v.constant->get_f64(count == 1 ? 0 : c) / double(bias_scale(c)));
    if (!(std::fabs(q) <= 2147483647.0)) return std::nullopt;
    out.data<int32_t>()[c] = int32_t(q);
  }
  return out;
}

void set_qlinear_attrs(Node& n, int32_t x_zp, const QdqOutput& out, int32_t lo, int32_t hi,
                       const std::vector<int64_t>& mult, const std::vector<int64_t>& shift) {
  n.attrs["x_zp"] = int_attr(x_zp);
  n.attrs["y_zp"] = int_attr(out.zero_point);
  n.attrs["act_lo"] = int_attr(lo);
  n.attrs["act_hi"] = int_attr(hi);
  n.attrs["mult"] = ints_attr(mult);
  n.attrs["shift"] = ints_attr(shift);
  n.act = FusedAct{};
  n.domain = "tinyc";
}

} // namespace tinyc::ops
