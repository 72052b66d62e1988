// QSoftmax (domain tinyc): Softmax between DequantizeLinear and QuantizeLinear, integer only
// and deterministic (templates/qsoftmax.h). The exp table and the reciprocal of the output
// scale are computed here once, in double precision; the result is within 1 LSB of float
// softmax followed by QuantizeLinear. Axis semantics as compiler/ops/softmax.cpp: before
// opset 13 over the whole block from `axis`, from 13 along the single axis.
#include "qop_util.h"

#include "../../templates/qarith.h"

#include <cmath>

namespace tinyc::ops {
namespace {

// Fixed-point bits of the exp table: exp(0) = 2^22.
constexpr int kExpBits = 22;

struct QSoftmaxPlan {
  int64_t outer = 1, A = 1, inner = 1;
  std::vector<int32_t> table; // 256 entries, index max - x
  int64_t recip = 0;
  int rshift = 0;
  int32_t y_zp = 0, lo = -128, hi = 127;
};

// The fixed-point plan for input scale x_s, output scale y_s and axis length A; false when
// 1 / y_s is too large for 64-bit products.
bool fixed_point(float x_s, float y_s, int64_t A, QSoftmaxPlan& p) {
  p.table.assign(256, 0);
  for (int d = 0; d < 256; ++d)
    p.table[size_t(d)] = int32_t(std::nearbyint(std::ldexp(std::exp(-double(d) * x_s), kExpBits)));
  // den = sum << rshift <= A * 2^kExpBits * 2^rshift and num = 2^kExpBits * recip stay < 2^62.
  const double inv = 1.0 / double(y_s);
  int bits_a = 0;
  while ((int64_t(1) << bits_a) < std::max<int64_t>(A, 1)) ++bits_a;
  int rshift = 0;
  while (rshift < 40 && std::ldexp(inv, rshift) < double(1 << 23) &&
         bits_a + kExpBits + rshift + 1 < 62)
    ++rshift;
  const double r = std::nearbyint(std::ldexp(inv, rshift));
  if (!(r >= 1.0) || r >= std::ldexp(1.0, 62 - kExpBits - 1)) return false;
  if (bits_a + kExpBits + rshift >= 62) return false;
  p.recip = int64_t(r);
  p.rshift = rshift;
  return true;
}

void split(const Node& n, const Shape& s, QSoftmaxPlan& p) {
  const int64_t r = int64_t(s.size());
  const bool per_axis = n.opset >= 13;
  if (r == 0) fail("node {}: a scalar input is not supported", n.label());
  const int64_t axis = normalize_axis(n, n.attr_i("axis", per_axis ? -1 : 1), r);
  for (int64_t i = 0; i < r; ++i) {
    if (i < axis)
      p.outer *= s[size_t(i)];
    else if (i == axis || !per_axis)
      p.A *= s[size_t(i)];
    else
      p.inner *= s[size_t(i)];
  }
}

QSoftmaxPlan plan_of(const Node& n, const Shape& x) {
  QSoftmaxPlan p;
  split(n, x, p);
  p.y_zp = int32_t(req_i(n, "y_zp"));
  act_range(n, p.lo, p.hi);
  if (!fixed_point(req_f(n, "x_scale"), req_f(n, "y_scale"), p.A, p))
    fail("node {}: output scale {} is not supported", n.label(), req_f(n, "y_scale"));
  return p;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::I8});
  const Shape& x = input(g, n, 0).shape;
  plan_of(n, x);
  set_output(g, n, 0, DType::I8, x);
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const QSoftmaxPlan p = plan_of(n, in[0]->shape);
  TensorData y(DType::I8, in[0]->shape);
  const int8_t* x = in[0]->data<int8_t>();
  int8_t* out = y.data<int8_t>();
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      const int64_t base = o * p.A * p.inner + i;
      int32_t m = -128;
      for (int64_t a = 0; a < p.A; ++a) m = std::max<int32_t>(m, x[base + a * p.inner]);
      int64_t sum = 0;
      for (int64_t a = 0; a < p.A; ++a) sum += p.table[size_t(m - x[base + a * p.inner])];
      for (int64_t a = 0; a < p.A; ++a) {
        const int64_t num = int64_t(p.table[size_t(m - x[base + a * p.inner])]) * p.recip;
        const int64_t v = tk::div_round_half_even_pos(num, sum << p.rshift) + p.y_zp;
        out[base + a * p.inner] = int8_t(tk::clamp_q(v, p.lo, p.hi));
      }
    }
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const QSoftmaxPlan q = plan_of(n, ctx.graph().val(n.input(0)).shape);
  TensorData t(DType::I32, {256});
  for (int d = 0; d < 256; ++d) t.data<int32_t>()[d] = q.table[size_t(d)];
  const std::string table = ctx.constant_array(DType::I32, t, "exp_table");
  Params p;
  p.i("outer", q.outer).i("A", q.A).i("inner", q.inner);
  p.i("recip", q.recip).i("rshift", q.rshift).i("y_zp", q.y_zp).i("lo", q.lo).i("hi", q.hi);
  ctx.use("qsoftmax");
  ctx.line(fmt::format("tk::qsoftmax<{}>({}, {}, {});", ctx.params(p), ctx.cptr(n.input(0)),
                       ctx.ptr(n.output(0)), table));
}

OpDef qsoftmax_def() {
  OpDef d;
  d.op_type = "QSoftmax";
  d.domain = "tinyc";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  return d;
}

bool lower(Graph& g, Node& n, const QdqMatch& m) {
  if (m.in.size() != 1 || m.out.size() != 1 || !m.all_int8() || !int8_activation(m.in[0]))
    return false;
  if (n.act.kind != ActKind::None) return false;
  const Shape& x = g.val(m.in[0].q_value).shape;
  if (x.empty()) return false;
  QSoftmaxPlan p;
  split(n, x, p);
  if (!fixed_point(m.in[0].scale[0], m.out[0].scale, p.A, p)) return false;
  become(n, "QSoftmax", {m.in[0].q_value}, m);
  set_attr_f(n, "x_scale", m.in[0].scale[0]);
  set_attr_i(n, "x_zp", m.in[0].zero_point[0]);
  set_attr_f(n, "y_scale", m.out[0].scale);
  set_attr_i(n, "y_zp", m.out[0].zero_point);
  return true;
}

TINYC_REGISTER_OP(qsoftmax_def);
TINYC_REGISTER_QDQ_RULE("Softmax", lower);

} // namespace
} // namespace tinyc::ops
