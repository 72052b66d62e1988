// QConv (domain tinyc): int8 convolution, docs/quantization.md. x int8 (per-tensor x_zp),
// w int8 [M, C/G, k...] constant (zero point 0), bias int32 [M] constant (optional);
// acc = bias[m] + sum over in-bounds taps of (x - x_zp) * w, y = requantize(acc, mult[m],
// shift[m], y_zp, act_lo, act_hi). Kernels in templates/conv_s8.h. The QDQ rule for Conv is
// at the end.
#include "qconv_order.h"
#include "qlinear.h"
#include "sparse_kernel.h"
#include "window.h"

#include "../../passes/plan_arena.h"
#include "../quant.h"
#include "../../templates/requant.h"

namespace tinyc::ops {
namespace {

// The convolution's geometry plus K, the products per output (C/G * kernel size).
struct QConvShape : ConvGeometry {
  int64_t K;
};

QConvShape qconv_shape(const Node& n, const Shape& x, const Shape& w, const Shape* b) {
  return {conv_geometry(n, x, w, b), numel(Shape(w.begin() + 1, w.end()))};
}

enum class Kernel { Pointwise, Depthwise, General };

Kernel kernel_of(const QConvShape& s) {
  bool unit = true;
  for (int i = 0; i < s.win.rank; ++i) {
    const size_t a = size_t(i);
    unit &= s.win.kernel[a] == 1 && s.win.strides[a] == 1 && s.win.pad_begin[a] == 0 &&
            s.win.pad_end[a] == 0;
  }
  if (s.G == 1 && unit) return Kernel::Pointwise;
  if (s.G == s.C && s.G == s.M && s.win.rank <= 2) return Kernel::Depthwise;
  return Kernel::General;
}

QConvGeometry geometry_of(const QConvShape& s) {
  QConvGeometry q;
  q.N = s.N;
  q.C = s.C;
  q.M = s.M;
  q.G = s.G;
  q.w = window3(s.win);
  const Kernel k = kernel_of(s);
  q.kernel = k == Kernel::Pointwise   ? QConvKernel::Pointwise
             : k == Kernel::Depthwise ? QConvKernel::Depthwise
                                      : QConvKernel::General;
  return q;
}

// The general kernel's output lags (templates/conv_s8.h): only when input 0 is read by this
// node alone, so that the planner can let the output overlap it (OpDef::overlap_shift).
std::vector<int64_t> lags_of(const Graph& g, const Node& n, const QConvShape& s) {
  if (kernel_of(s) != Kernel::General || g.is_graph_output(n.input(0)) || uses_sparse_kernel(n))
    return {};
  int uses = 0;
  for (const Node& o : g.nodes)
    for (int v : o.inputs) uses += v == n.input(0);
  if (uses != 1) return {};
  return qconv_choose_lags(geometry_of(s), ArenaPlan::kAlign);
}

int64_t scratch_of(const QConvShape& s, const std::vector<int64_t>& lags) {
  const Window3 w = window3(s.win);
  switch (kernel_of(s)) {
  case Kernel::Depthwise: {
    // templates/conv_s8.h DwPlane: the padded plane when it takes up to 1 KB, else a line
    // buffer of the rows one output row reads, each twice
    const int64_t rows = (w.out[1] - 1) * w.s[1] + (w.k[1] - 1) * w.d[1] + 1;
    const int64_t cols = (w.out[2] - 1) * w.s[2] + (w.k[2] - 1) * w.d[2] + 1;
    const int64_t stride = (cols + 2) / 2 * 2;
    const int64_t kept = rows * stride * 2 > 1024 ? 2 * ((w.k[1] - 1) * w.d[1] + 1) : rows;
    return (kept * stride * 2 + 3) / 4 * 4;
  }
  case Kernel::Pointwise:
    return 2 * ((s.C + 3) / 4 * 2) * 4;
  default: {
    QConvGeometry q = geometry_of(s);
    q.lags = lags;
    return 2 * ((s.K + 3) / 4 * 2) * 4 + (qconv_lag_bytes(q) + 3) / 4 * 4;
  }
  }
}

const Shape* bias_shape(const Graph& g, const Node& n) {
  return n.input(2) >= 0 ? &g.val(n.input(2)).shape : nullptr;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::I8});
  require_dtype(g, n, 1, {DType::I8});
  const_input(g, n, 1, "weights");
  const TensorData* bias = nullptr;
  if (n.input(2) >= 0) {
    require_dtype(g, n, 2, {DType::I32});
    bias = &const_input(g, n, 2, "bias");
  }
  QConvShape s = qconv_shape(n, input(g, n, 0).shape, input(g, n, 1).shape, bias_shape(g, n));
  qlinear_attrs(n, s.M);
  check_accumulator_range(n, s.K, bias);
  set_output(g, n, 0, DType::I8, conv_output_shape(s));
}

// The integer reference: the same sums as the kernels (integer addition is exact, so order
// does not matter), requantised by tk::requantize.
std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const bool has_bias = in.size() > 2 && in[2];
  QConvShape s = qconv_shape(n, in[0]->shape, in[1]->shape, has_bias ? &in[2]->shape : nullptr);
  const QLinearAttrs a = qlinear_attrs(n, s.M);
  check_accumulator_range(n, s.K, has_bias ? in[2] : nullptr);
  TensorData y(DType::I8, conv_output_shape(s));
  const Window3 w = window3(s.win);
  const int8_t* x = in[0]->data<int8_t>();
  const int8_t* wt = in[1]->data<int8_t>();
  const int64_t CG = s.C / s.G, MG = s.M / s.G;
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], KSZ = w.k[0] * w.k[1] * w.k[2];
  int8_t* out = y.data<int8_t>();
  for (int64_t nn = 0; nn < s.N; ++nn)
    for (int64_t oc = 0; oc < s.M; ++oc) {
      const int8_t* xg = x + (nn * s.C + (oc / MG) * CG) * IDHW;
      const int8_t* wo = wt + oc * CG * KSZ;
      for (int64_t od = 0; od < w.out[0]; ++od)
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            int32_t acc = has_bias ? in[2]->data<int32_t>()[oc] : 0;
            for (int64_t ic = 0; ic < CG; ++ic)
              for (int64_t kd = 0; kd < w.k[0]; ++kd) {
                const int64_t id = od * w.s[0] - w.p[0] + kd * w.d[0];
                if (id < 0 || id >= w.in[0]) continue;
                for (int64_t kh = 0; kh < w.k[1]; ++kh) {
                  const int64_t ih = oh * w.s[1] - w.p[1] + kh * w.d[1];
                  if (ih < 0 || ih >= w.in[1]) continue;
                  for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                    const int64_t iw = ow * w.s[2] - w.p[2] + kw * w.d[2];
                    if (iw < 0 || iw >= w.in[2]) continue;
                    acc += (int32_t(xg[ic * IDHW + (id * w.in[1] + ih) * w.in[2] + iw]) - a.x_zp) *
                           int32_t(wo[((ic * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw]);
                  }
                }
              }
            *out++ = int8_t(tk::requantize(acc, a.mult[size_t(oc)], a.shift[size_t(oc)], a.y_zp,
                                           a.act_lo, a.act_hi));
          }
    }
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_bias = n.input(2) >= 0;
  QConvShape s = qconv_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, bias_shape(g, n));
  const QLinearAttrs a = qlinear_attrs(n, s.M);
  const TensorData* bias = has_bias ? &*g.val(n.input(2)).constant : nullptr;
  const RequantTable rq = requant_table(a, accumulator_bound(s.K, bias));
  const TensorData& w = *g.val(n.input(1)).constant;
  const Kernel kern = kernel_of(s);
  if (uses_sparse_kernel(n)) {
    // templates/sparse_s8.h: the weights as a stream of nonzeros, k = (ic, kd, kh, kw) as
    // the model holds them.
    ctx.use("sparse_s8");
    Params p;
    p.i("N", s.N).i("C", s.C).i("M", s.M).i("G", s.G);
    add_window_params(p, s.win);
    add_qlinear_params(p, a, rq, has_bias);
    const std::string P = ctx.params(p);
    const std::string wa =
        ctx.constant_array(DType::I8, encode_sparse_s8(w.data<int8_t>(), s.M, s.K), "w_sparse");
    const std::string rqa = ctx.constant_array(DType::I32, rq.table, "requant");
    ctx.line(fmt::format("tk::qconv_sparse_s8<{}>({}, {}, {}, {}, {}, {});", P,
                         ctx.cptr(n.input(0)), wa, has_bias ? ctx.cptr(n.input(2)) : "nullptr", rqa,
                         ctx.scratch(DType::I32), ctx.ptr(n.output(0))));
    return;
  }
  ctx.use("conv_s8");
  Params p;
  p.i("N", s.N).i("C", s.C).i("M", s.M).i("G", s.G);
  if (kern == Kernel::General) {
    const std::vector<int64_t> lags = lags_of(g, n, s);
    p.i("lagged", lags.empty() ? 0 : 1);
    if (!lags.empty()) p.ints("lags", lags);
  }
  add_window_params(p, s.win);
  add_qlinear_params(p, a, rq, has_bias);
  const std::string P = ctx.params(p);
  // One int8 weight array, read by both code paths: depthwise as the model holds it, the
  // others in the order of the DSP loop (the original array is then never emitted).
  const std::string wa =
      kern == Kernel::Depthwise
          ? ctx.cptr(n.input(1))
          : ctx.constant_array(DType::I8, order_weights_s8(w, s.M, s.K, s.M / s.G), "w_s8");
  const std::string rqa = ctx.constant_array(DType::I32, rq.table, "requant");
  const char* fn = kern == Kernel::Pointwise   ? "qconv1x1_s8"
                   : kern == Kernel::Depthwise ? "qconv_dw_s8"
                                               : "qconv_s8";
  ctx.line(fmt::format("tk::{}<{}>({}, {}, {}, {}, {}, {});", fn, P, ctx.cptr(n.input(0)), wa,
                       has_bias ? ctx.cptr(n.input(2)) : "nullptr", rqa, ctx.scratch(DType::I32),
                       ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  const Shape& w = g.val(n.input(1)).shape;
  return numel(g.val(n.output(0)).shape) * numel(Shape(w.begin() + 1, w.end()));
}

int64_t scratch_bytes(const Graph& g, const Node& n) {
  const QConvShape s =
      qconv_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, bias_shape(g, n));
  if (uses_sparse_kernel(n)) return 8 * s.K; // templates/sparse_s8.h: two words per k
  return scratch_of(s, lags_of(g, n, s));
}

// The output may start k bytes before the input: k from the kernels' block order.
int64_t overlap_shift(const Graph& g, const Node& n, int64_t align) {
  if (uses_sparse_kernel(n)) return sparse_conv_overlap_shift(g, n, 1, align);
  const QConvShape s =
      qconv_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, bias_shape(g, n));
  QConvGeometry q = geometry_of(s);
  q.lags = lags_of(g, n, s);
  return qconv_overlap_shift(q, align);
}

OpDef qconv_def() {
  OpDef d;
  d.op_type = "QConv";
  d.domain = "tinyc";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = macs;
  d.scratch_bytes = scratch_bytes;
  d.overlap_shift = overlap_shift;
  return d;
}

TINYC_REGISTER_OP(qconv_def);

// ---- QDQ rule: DequantizeLinear -> Conv (+ Relu/Clip) -> QuantizeLinear ----

Attr ints_attr(std::vector<int64_t> v) {
  Attr a;
  a.kind = AttrKind::Ints;
  a.ints = std::move(v);
  return a;
}

bool lower_conv(Graph& g, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.out[0].quantized() || m.out[0].q_type != DType::I8) return false;
  if (m.in.size() < 2 || !is_int8_activation(m.in[0])) return false;
  const QdqInput& xi = m.in[0];
  const Shape& xs = g.val(xi.value).shape;
  const Shape& ws = g.val(m.in[1].value).shape;
  if (xs.size() < 3 || xs.size() > 5 || ws.size() != xs.size()) return false;
  int32_t lo = 0, hi = 0;
  if (!fused_act_range(n.act, m.out[0], lo, hi)) return false;
  const int64_t M = ws[0];
  std::vector<float> sw;
  std::optional<TensorData> w = rule_weights(g, m.in[1], 0, M, sw);
  if (!w) return false;
  std::vector<int64_t> mult, shift;
  if (!rule_multipliers(xi.scale[0], sw, m.out[0].scale, mult, shift)) return false;
  const QdqInput none;
  std::optional<TensorData> bias =
      rule_bias(g, m.in.size() > 2 ? m.in[2] : none, xi.scale[0], sw, M);
  if (!bias) return false;
  const QConvShape s = qconv_shape(n, xs, ws, nullptr);
  // The accumulator bound (check_accumulator_range) as a decline rather than an error.
  double bmax = 0;
  for (int64_t c = 0; c < M; ++c)
    bmax = std::max(bmax, std::fabs(double(bias->data<int32_t>()[c])));
  if (s.K >= (int64_t(1) << 16) || double(s.K) * 255.0 * 128.0 + bmax >= 2147483647.0) return false;
  // Rewrite in place: explicit pads, int8 operands.
  std::vector<int64_t> pads = s.win.pad_begin;
  pads.insert(pads.end(), s.win.pad_end.begin(), s.win.pad_end.end());
  n.attrs.erase("auto_pad");
  n.attrs["pads"] = ints_attr(pads);
  n.attrs["kernel_shape"] = ints_attr(s.win.kernel);
  n.attrs["strides"] = ints_attr(s.win.strides);
  n.attrs["dilations"] = ints_attr(s.win.dilations);
  const std::string base = g.val(n.output(0)).name;
  const int wv = g.add_constant(g.unique_name(base + "_w_s8"), std::move(*w));
  const bool any_bias = m.in.size() > 2 && m.in[2].value >= 0;
  const int bv =
      any_bias ? g.add_constant(g.unique_name(base + "_bias_s32"), std::move(*bias)) : -1;
  n.op_type = "QConv";
  n.inputs = {xi.q_value, wv};
  if (bv >= 0) n.inputs.push_back(bv);
  n.outputs = {m.out[0].q_value};
  set_qlinear_attrs(n, xi.zero_point[0], m.out[0], lo, hi, mult, shift);
  return true;
}

TINYC_REGISTER_QDQ_RULE("Conv", lower_conv);

} // namespace
} // namespace tinyc::ops
