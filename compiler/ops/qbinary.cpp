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
};

// Largest gap between the two shifts of QAdd: |d| * mult << gap stays below 2^62.
constexpr int kMaxAddShiftGap = 29;

// Fills p from the scales; false when the scales are out of the exact integer range.
bool plan_from_scales(bool add, float a_s, float b_s, float y_s, QBinaryPlan& p) {
  if (add) {
    auto ma = exact_multiplier(a_s / y_s), mb = exact_multiplier(b_s / y_s);
    if (!ma || !mb) return false;
    p.shift = std::max(ma->shift, mb->shift);
    const int ga = p.shift - ma->shift, gb = p.shift - mb->shift;
    if (ga > kMaxAddShiftGap || gb > kMaxAddShiftGap) return false;
    p.ka = int64_t(ma->mult) << ga;
    p.kb = int64_t(mb->mult) << gb;
    return true;
  }
  auto m = exact_multiplier((a_s * b_s) / y_s);
  if (!m) return false;
  p.mult = m->mult;
  p.shift = m->shift;
  return true;
}

QBinaryPlan plan_of(const Node& n) {
  QBinaryPlan p;
  p.a_zp = int32_t(req_i(n, "a_zp"));
  p.b_zp = int32_t(req_i(n, "b_zp"));
  p.y_zp = int32_t(req_i(n, "y_zp"));
  act_range(n, p.lo, p.hi);
  if (!plan_from_scales(is_add(n), req_f(n, "a_scale"), req_f(n, "b_scale"), req_f(n, "y_scale"),
                        p))
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
  for_each_broadcast_n(out, {broadcast_strides(a.shape, out), broadcast_strides(b.shape, out)},
                       [&](int64_t i, const std::vector<int64_t>& pos) {
                         const int32_t da = pa[pos[0]] - p.a_zp, db = pb[pos[1]] - p.b_zp;
                         py[i] = int8_t(
                             add ? tk::qadd_value(da, db, p.ka, p.kb, p.shift, p.y_zp, p.lo, p.hi)
                                 : tk::requantize(da * db, p.mult, p.shift, p.y_zp, p.lo, p.hi));
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
  if (is_add(n))
    p.i("ka", q.ka).i("kb", q.kb);
  else
    p.i("mult", q.mult);
  ctx.use("qbinary");
  ctx.line(fmt::format("tk::{}<{}>({}, {}, {});", is_add(n) ? "qadd" : "qmul", ctx.params(p),
                       ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
}

// Add/Mul between DequantizeLinear and QuantizeLinear, both inputs int8 activations (or
// int8 constants), output int8 with a clamp-type fused activation.
bool lower(Graph&, Node& n, const QdqMatch& m) {
  if (m.in.size() != 2 || m.out.size() != 1 || !m.all_int8()) return false;
  for (const QdqInput& in : m.in)
    if (!in.quantized() || in.axis >= 0 || in.q_type != DType::I8) return false;
  int32_t lo = 0, hi = 0;
  if (!fused_act_range(n.act, m.out[0], lo, hi)) return false;
  const bool add = n.op_type == "Add";
  QBinaryPlan p;
  if (!plan_from_scales(add, m.in[0].scale[0], m.in[1].scale[0], m.out[0].scale, p)) return false;
  if (n.opset < 7 && n.attr_i("broadcast", 0) != 0) return false; // legacy axis alignment
  const QdqOutput& o = m.out[0];
  const std::string op_type = n.op_type;
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
      OpRegistry::instance().add(std::move(d));
    }
  }
} reg;

TINYC_REGISTER_QDQ_RULE("Add", lower);
TINYC_REGISTER_QDQ_RULE("Mul", lower);

} // namespace
} // namespace tinyc::ops
