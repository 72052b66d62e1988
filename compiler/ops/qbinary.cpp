// QAdd and QMul (domain tinyc): int8 Add/Mul between DequantizeLinear and QuantizeLinear, with
// numpy broadcasting and the fused Relu/Clip as an output clamp. docs/quantization.md gives
// the formulas; templates/qarith.h computes them exactly for both kernel and evaluator.
#include "elementwise_ref.h"
#include "qop_util.h"

#include "../../templates/qarith.h"

#include <algorithm>

namespace tinyc::ops {
namespace {

bool is_add(const Node& n) {
  return n.op_type == "QAdd";
}

// The integer constants of one QAdd/QMul node.
struct QBinaryPlan {
  int32_t a_zp = 0, b_zp = 0, y_zp = 0, lo = -128, hi = 127;
  // Add: y = rescale(da * ka + db * kb, 1, shift); Mul: requantize(da * db, mult, shift).
  int64_t ka = 0, kb = 0;
  int32_t mult = 0;
  int shift = 0;
  // A fused LeakyRelu: the same constants for negative results (mult_n = 0 without).
  bool leaky = false;
  int64_t ka_n = 0, kb_n = 0;
  int32_t mult_n = 0;
  int shift_n = 0;
};

// Largest gap between the two shifts of QAdd: |d| * mult << gap stays below 2^62.
constexpr int kMaxAddShiftGap = 29;

// ka, kb, shift of the factors fa = a_s / y_s and fb = b_s / y_s (as float32).
bool add_factors(float fa, float fb, int64_t& ka, int64_t& kb, int& shift) {
  auto ma = exact_multiplier(fa), mb = exact_multiplier(fb);
  if (!ma || !mb) return false;
  shift = std::max(ma->shift, mb->shift);
  const int ga = shift - ma->shift, gb = shift - mb->shift;
  if (ga > kMaxAddShiftGap || gb > kMaxAddShiftGap) return false;
  ka = int64_t(ma->mult) << ga;
  kb = int64_t(mb->mult) << gb;
  return true;
}

// Fills p from the scales (and the LeakyRelu slope `alpha` when leaky); false when the scales
// are out of the exact integer range.
bool plan_from_scales(bool add, float a_s, float b_s, float y_s, bool leaky, float alpha,
                      QBinaryPlan& p) {
  p.leaky = leaky;
  if (leaky && !(alpha > 0.0f)) return false;
  if (add) {
    const float fa = a_s / y_s, fb = b_s / y_s;
    if (!add_factors(fa, fb, p.ka, p.kb, p.shift)) return false;
    return !leaky || add_factors(alpha * fa, alpha * fb, p.ka_n, p.kb_n, p.shift_n);
  }
  const float f = (a_s * b_s) / y_s;
  auto m = exact_multiplier(f);
  if (!m) return false;
  p.mult = m->mult;
  p.shift = m->shift;
  if (leaky) {
    auto mn = exact_multiplier(alpha * f);
    if (!mn) return false;
    p.mult_n = mn->mult;
    p.shift_n = mn->shift;
  }
  return true;
}

QBinaryPlan plan_of(const Node& n) {
  QBinaryPlan p;
  p.a_zp = int32_t(req_i(n, "a_zp"));
  p.b_zp = int32_t(req_i(n, "b_zp"));
  p.y_zp = int32_t(req_i(n, "y_zp"));
  act_range(n, p.lo, p.hi);
  if (!plan_from_scales(is_add(n), req_f(n, "a_scale"), req_f(n, "b_scale"), req_f(n, "y_scale"),
                        n.has_attr("leaky_alpha"), n.attr_f("leaky_alpha", 0.0f), p))
    fail("node {}: scales out of the exact integer range are not supported", n.label());
  return p;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::I8});
  require_dtype(g, n, 1, {DType::I8});
  plan_of(n);
  set_output(g, n, 0, DType::I8, broadcast(n, input(g, n, 0).shape, input(g, n, 1).shape));
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const QBinaryPlan p = plan_of(n);
  const TensorData &a = *in[0], &b = *in[1];
  const Shape out = broadcast(n, a.shape, b.shape);
  TensorData y(DType::I8, out);
  const int8_t *pa = a.data<int8_t>(), *pb = b.data<int8_t>();
  int8_t* py = y.data<int8_t>();
  const bool add = is_add(n);
  for_each_broadcast_n(
      out, {broadcast_strides(a.shape, out), broadcast_strides(b.shape, out)},
      [&](int64_t i, const std::vector<int64_t>& pos) {
        const int32_t da = pa[pos[0]] - p.a_zp, db = pb[pos[1]] - p.b_zp;
        if (!add)
          py[i] = int8_t(
              tk::qmul_value(da, db, p.mult, p.shift, p.mult_n, p.shift_n, p.y_zp, p.lo, p.hi));
        else if (p.leaky)
          py[i] = int8_t(tk::qadd_leaky_value(da, db, p.ka, p.kb, p.shift, p.ka_n, p.kb_n,
                                              p.shift_n, p.y_zp, p.lo, p.hi));
        else
          py[i] = int8_t(tk::qadd_value(da, db, p.ka, p.kb, p.shift, p.y_zp, p.lo, p.hi));
      });
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const QBinaryPlan q = plan_of(n);
  const Shape &sa = g.val(n.input(0)).shape, &sb = g.val(n.input(1)).shape;
  Params p = binary_params(sa, sb, g.val(n.output(0)).shape);
  p.i("a_zp", q.a_zp).i("b_zp", q.b_zp).i("y_zp", q.y_zp).i("lo", q.lo).i("hi", q.hi);
  p.i("shift", q.shift);
  p.i("shift_n", q.shift_n);
  if (is_add(n))
    p.i("ka", q.ka).i("kb", q.kb).i("leaky", q.leaky).i("ka_n", q.ka_n).i("kb_n", q.kb_n);
  else
    p.i("mult", q.mult).i("mult_n", q.mult_n);
  ctx.use("qbinary");
  ctx.line(fmt::format("tk::{}<{}>({}, {}, {});", is_add(n) ? "qadd" : "qmul", ctx.params(p),
                       ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
}

// Add/Mul between DequantizeLinear and QuantizeLinear, both inputs int8 activations (or
// int8 constants), output int8 with a clamp-type fused activation or a fused LeakyRelu
// (a second set of factors for negative results, fl(alpha * factor), within 1 LSB of float).
bool lower(Graph&, Node& n, const QdqMatch& m) {
  if (m.in.size() != 2 || m.out.size() != 1 || !m.all_int8()) return false;
  for (const QdqInput& in : m.in)
    if (!in.quantized() || in.axis >= 0 || in.q_type != DType::I8) return false;
  int32_t lo = 0, hi = 0;
  const bool leaky = n.act.kind == ActKind::LeakyRelu;
  if (!leaky && !fused_act_range(n.act, m.out[0], lo, hi)) return false;
  if (leaky) fused_act_range(FusedAct{}, m.out[0], lo, hi);
  const float alpha = n.act.alpha;
  const bool add = n.op_type == "Add";
  QBinaryPlan p;
  if (!plan_from_scales(add, m.in[0].scale[0], m.in[1].scale[0], m.out[0].scale, leaky, alpha, p))
    return false;
  if (n.opset < 7 && n.attr_i("broadcast", 0) != 0) return false; // legacy axis alignment
  const QdqOutput& o = m.out[0];
  n.attrs.clear();
  become(n, add ? "QAdd" : "QMul", {m.in[0].q_value, m.in[1].q_value}, m);
  set_attr_f(n, "a_scale", m.in[0].scale[0]);
  set_attr_i(n, "a_zp", m.in[0].zero_point[0]);
  set_attr_f(n, "b_scale", m.in[1].scale[0]);
  set_attr_i(n, "b_zp", m.in[1].zero_point[0]);
  set_attr_f(n, "y_scale", o.scale);
  set_attr_i(n, "y_zp", o.zero_point);
  set_attr_i(n, "act_lo", lo);
  set_attr_i(n, "act_hi", hi);
  if (leaky) set_attr_f(n, "leaky_alpha", alpha);
  return true;
}

struct Register {
  Register() {
    for (const char* op : {"QAdd", "QMul"}) {
      OpDef d;
      d.op_type = op;
      d.domain = "tinyc";
      d.infer = infer;
      d.eval = eval;
      d.emit = emit;
      d.macs = [](const Graph& g, const Node& n) { return numel(g.val(n.output(0)).shape); };
      d.elementwise_inplace = true; // map_binary reads element i before writing it
      OpRegistry::instance().add(std::move(d));
    }
  }
} reg;

TINYC_REGISTER_QDQ_RULE("Add", lower);
TINYC_REGISTER_QDQ_RULE("Mul", lower);

} // namespace
} // namespace tinyc::ops
