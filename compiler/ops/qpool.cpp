// QAveragePool (domain tinyc): AveragePool and GlobalAveragePool on int8, exact
// round_half_even(sum(x - x_zp) * fl(x_s / y_s) / count) + y_zp (docs/quantization.md).
// GlobalAveragePool is lowered to the same op with the whole plane as its window. Kernel:
// templates/qpool.h; the reference below visits the same taps and calls the same rounding.
#include "qop_util.h"
#include "window.h"

#include "../../templates/qarith.h"

namespace tinyc::ops {
namespace {

struct QPoolPlan {
  Window win;
  bool include_pad = false;
  int32_t x_zp = 0, y_zp = 0, lo = -128, hi = 127;
  Multiplier m;
};

QPoolPlan plan_of(const Node& n, const Shape& x) {
  QPoolPlan p;
  std::vector<int64_t> k = n.attr_ints("kernel_shape", {});
  if (k.empty()) fail("node {}: kernel_shape is required", n.label());
  p.win = window_geometry(n, x, k, n.attr_i("ceil_mode", 0) != 0, n.opset >= 19);
  p.include_pad = n.attr_i("count_include_pad", 0) != 0;
  p.x_zp = int32_t(req_i(n, "x_zp"));
  p.y_zp = int32_t(req_i(n, "y_zp"));
  act_range(n, p.lo, p.hi);
  p.m = multiplier_of(n, req_f(n, "x_scale") / req_f(n, "y_scale"), "rescale");
  return p;
}

Shape out_shape(const Shape& x, const Window& w) {
  Shape o = {x[0], x[1]};
  o.insert(o.end(), w.out.begin(), w.out.end());
  return o;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::I8});
  const Shape& x = input(g, n, 0).shape;
  set_output(g, n, 0, DType::I8, out_shape(x, plan_of(n, x).win));
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const TensorData& xt = *in[0];
  const QPoolPlan p = plan_of(n, xt.shape);
  const Window3 w = window3(p.win);
  int64_t pe[3] = {0, 0, 0};
  for (int i = 0; i < p.win.rank; ++i) pe[3 - p.win.rank + i] = p.win.pad_end[size_t(i)];
  TensorData y(DType::I8, out_shape(xt.shape, p.win));
  const int8_t* x = xt.data<int8_t>();
  int8_t* out = y.data<int8_t>();
  const int64_t nc = xt.shape[0] * xt.shape[1], idhw = w.in[0] * w.in[1] * w.in[2];
  for (int64_t c = 0; c < nc; ++c)
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          const int64_t o[3] = {od, oh, ow};
          int64_t sum = 0, count = 1;
          for (int64_t kd = 0; kd < w.k[0]; ++kd)
            for (int64_t kh = 0; kh < w.k[1]; ++kh)
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t k[3] = {kd, kh, kw};
                int64_t pos[3];
                bool inside = true;
                for (int a = 0; a < 3; ++a) {
                  pos[a] = o[a] * w.s[a] - w.p[a] + k[a] * w.d[a];
                  inside = inside && pos[a] >= 0 && pos[a] < w.in[a];
                }
                if (inside)
                  sum += x[c * idhw + (pos[0] * w.in[1] + pos[1]) * w.in[2] + pos[2]] - p.x_zp;
              }
          for (int a = 0; a < 3; ++a) {
            int64_t taps = 0;
            for (int64_t k = 0; k < w.k[a]; ++k) {
              const int64_t pos = o[a] * w.s[a] - w.p[a] + k * w.d[a];
              taps += p.include_pad ? (pos >= -w.p[a] && pos < w.in[a] + pe[a])
                                    : (pos >= 0 && pos < w.in[a]);
            }
            count *= taps;
          }
          const int64_t v =
              count > 0
                  ? tk::div_round_half_even(sum * p.m.mult, p.m.shift, int32_t(count)) + p.y_zp
                  : p.y_zp;
          *out++ = int8_t(tk::clamp_q(v, p.lo, p.hi));
        }
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Shape& x = ctx.graph().val(n.input(0)).shape;
  const QPoolPlan q = plan_of(n, x);
  Params p;
  p.i("NC", x[0] * x[1]);
  p.i("count_include_pad", q.include_pad);
  add_window_params(p, q.win);
  int64_t pe[3] = {0, 0, 0};
  for (int i = 0; i < q.win.rank; ++i) pe[3 - q.win.rank + i] = q.win.pad_end[size_t(i)];
  p.i("ED", pe[0]).i("EH", pe[1]).i("EW", pe[2]);
  p.i("x_zp", q.x_zp).i("y_zp", q.y_zp).i("lo", q.lo).i("hi", q.hi);
  p.i("mult", q.m.mult).i("shift", q.m.shift);
  ctx.use("qpool");
  ctx.line(fmt::format("tk::qavgpool<{}>({}, {});", ctx.params(p), ctx.cptr(n.input(0)),
                       ctx.ptr(n.output(0))));
}

OpDef qavgpool_def() {
  OpDef d;
  d.op_type = "QAveragePool";
  d.domain = "tinyc";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = [](const Graph& g, const Node& n) {
    return numel(g.val(n.output(0)).shape) * numel(n.attr_ints("kernel_shape", {}));
  };
  return d;
}

// Largest window whose int32 sum times a 24-bit multiplier stays in 64 bits (and whose tap
// count fits the kernel's int).
constexpr int64_t kMaxWindow = int64_t(1) << 22;

bool lower(Graph& g, Node& n, const QdqMatch& m) {
  if (m.in.size() != 1 || m.out.size() != 1 || !m.all_int8() || !int8_activation(m.in[0]))
    return false;
  int32_t lo = 0, hi = 0;
  if (!fused_act_range(n.act, m.out[0], lo, hi)) return false;
  if (!exact_multiplier(m.in[0].scale[0] / m.out[0].scale)) return false;
  const Shape& x = g.val(m.in[0].q_value).shape;
  if (x.size() < 3 || x.size() > 5) return false;
  if (n.op_type == "GlobalAveragePool") {
    n.attrs.clear();
    set_attr_ints(n, "kernel_shape", Shape(x.begin() + 2, x.end()));
  } else if (n.output(1) >= 0) {
    return false;
  }
  if (numel(n.attr_ints("kernel_shape", {})) > kMaxWindow) return false;
  become(n, "QAveragePool", {m.in[0].q_value}, m);
  set_attr_f(n, "x_scale", m.in[0].scale[0]);
  set_attr_i(n, "x_zp", m.in[0].zero_point[0]);
  set_attr_f(n, "y_scale", m.out[0].scale);
  set_attr_i(n, "y_zp", m.out[0].zero_point);
  set_attr_i(n, "act_lo", lo);
  set_attr_i(n, "act_hi", hi);
  return true;
}

TINYC_REGISTER_OP(qavgpool_def);
TINYC_REGISTER_QDQ_RULE("AveragePool", lower);
TINYC_REGISTER_QDQ_RULE("GlobalAveragePool", lower);

} // namespace
} // namespace tinyc::ops
