// QGemm (domain tinyc): int8 fully connected layer, docs/quantization.md. a int8 [..., K]
// (per-tensor x_zp; leading axes are rows), w int8 [M, K] constant (zero point 0), bias int32
// [M] constant (optional); y[..., m] = requantize(bias[m] + sum_k (a[k] - x_zp) * w[m, k]).
// Kernel in templates/gemm_s8.h. QDQ rules for Gemm and MatMul at the end.
#include "qlinear.h"
#include "sparse_kernel.h"

#include "../quant.h"
#include "../../templates/requant.h"

namespace tinyc::ops {
namespace {

struct QGemmShape {
  int64_t N, M, K;
  Shape out;
};

QGemmShape qgemm_shape(const Node& n, const Shape& a, const Shape& w, const Shape* b) {
  if (a.empty() || w.size() != 2 || a.back() != w[1])
    fail("node {}: input {} and weights {} do not make [N, K] x [M, K]^T", n.label(), shape_str(a),
         shape_str(w));
  QGemmShape s;
  s.M = w[0];
  s.K = w[1];
  s.N = numel(a) / std::max<int64_t>(1, s.K);
  s.out = Shape(a.begin(), a.end() - 1);
  s.out.push_back(s.M);
  if (b && (b->size() != 1 || (*b)[0] != s.M))
    fail("node {}: bias shape {} is not [{}]", n.label(), shape_str(*b), s.M);
  return s;
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
  QGemmShape s = qgemm_shape(n, input(g, n, 0).shape, input(g, n, 1).shape, bias_shape(g, n));
  qlinear_attrs(n, s.M);
  check_accumulator_range(n, s.K, bias);
  set_output(g, n, 0, DType::I8, s.out);
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const bool has_bias = in.size() > 2 && in[2];
  QGemmShape s = qgemm_shape(n, in[0]->shape, in[1]->shape, has_bias ? &in[2]->shape : nullptr);
  const QLinearAttrs a = qlinear_attrs(n, s.M);
  check_accumulator_range(n, s.K, has_bias ? in[2] : nullptr);
  TensorData y(DType::I8, s.out);
  const int8_t *x = in[0]->data<int8_t>(), *w = in[1]->data<int8_t>();
  for (int64_t r = 0; r < s.N; ++r)
    for (int64_t m = 0; m < s.M; ++m) {
      int32_t acc = has_bias ? in[2]->data<int32_t>()[m] : 0;
      for (int64_t k = 0; k < s.K; ++k)
        acc += (int32_t(x[r * s.K + k]) - a.x_zp) * int32_t(w[m * s.K + k]);
      y.data<int8_t>()[r * s.M + m] = int8_t(
          tk::requantize(acc, a.mult[size_t(m)], a.shift[size_t(m)], a.y_zp, a.act_lo, a.act_hi));
    }
  return {std::move(y)};
}

// The sparse kernel (templates/sparse_s8.h): the weight stream, and the bias with the input
// zero point folded in (b[m] - x_zp * sum_k w[m, k], modulo 2^32 like the kernel's sum).
void emit_sparse(EmitContext& ctx, const Node& n, const QGemmShape& s, const QLinearAttrs& a,
                 const RequantTable& rq, const TensorData* bias) {
  const Graph& g = ctx.graph();
  const int8_t* w = g.val(n.input(1)).constant->data<int8_t>();
  TensorData folded(DType::I32, {s.M});
  for (int64_t m = 0; m < s.M; ++m) {
    int64_t sum = 0;
    for (int64_t k = 0; k < s.K; ++k) sum += w[m * s.K + k];
    const int64_t b = (bias ? int64_t(bias->data<int32_t>()[m]) : 0) - int64_t(a.x_zp) * sum;
    folded.data<int32_t>()[m] = int32_t(uint32_t(uint64_t(b)));
  }
  ctx.use("sparse_s8");
  Params p;
  p.i("N", s.N).i("M", s.M).i("K", s.K);
  add_qlinear_params(p, a, rq, true);
  const std::string P = ctx.params(p);
  const std::string wa = ctx.constant_array(DType::I8, encode_sparse_s8(w, s.M, s.K), "w_sparse");
  const std::string ba = ctx.constant_array(DType::I32, folded, "bias_folded");
  const std::string rqa = ctx.constant_array(DType::I32, rq.table, "requant");
  ctx.line(fmt::format("tk::qgemm_sparse_s8<{}>({}, {}, {}, {}, {});", P, ctx.cptr(n.input(0)), wa,
                       ba, rqa, ctx.ptr(n.output(0))));
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_bias = n.input(2) >= 0;
  QGemmShape s = qgemm_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, bias_shape(g, n));
  const QLinearAttrs a = qlinear_attrs(n, s.M);
  const TensorData* bias = has_bias ? &*g.val(n.input(2)).constant : nullptr;
  const RequantTable rq = requant_table(a, accumulator_bound(s.K, bias));
  if (uses_sparse_kernel(n)) {
    emit_sparse(ctx, n, s, a, rq, bias);
    return;
  }
  ctx.use("gemm_s8");
  Params p;
  p.i("N", s.N).i("M", s.M).i("K", s.K);
  add_qlinear_params(p, a, rq, has_bias);
  const std::string P = ctx.params(p);
  // One int8 weight array in the kernel's order, read by both code paths.
  const std::string wa = ctx.constant_array(
      DType::I8, order_weights_s8(*g.val(n.input(1)).constant, s.M, s.K, s.M), "w_s8");
  const std::string rqa = ctx.constant_array(DType::I32, rq.table, "requant");
  ctx.line(fmt::format("tk::qgemm_s8<{}>({}, {}, {}, {}, {}, {});", P, ctx.cptr(n.input(0)), wa,
                       has_bias ? ctx.cptr(n.input(2)) : "nullptr", rqa, ctx.scratch(DType::I32),
                       ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  const Shape& w = g.val(n.input(1)).shape;
  return numel(g.val(n.output(0)).shape) * (w.size() == 2 ? w[1] : 0);
}

int64_t scratch_bytes(const Graph& g, const Node& n) {
  if (uses_sparse_kernel(n)) return 0;
  const Shape& w = g.val(n.input(1)).shape;
  const int64_t K = w.size() == 2 ? w[1] : 0;
  return 2 * ((K + 3) / 4 * 2) * 4;
}

OpDef qgemm_def() {
  OpDef d;
  d.op_type = "QGemm";
  d.domain = "tinyc";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = macs;
  d.scratch_bytes = scratch_bytes;
  return d;
}

TINYC_REGISTER_OP(qgemm_def);

// ---- QDQ rules: DequantizeLinear -> Gemm / MatMul (+ Relu/Clip) -> QuantizeLinear ----

// Common part: A [.., K] int8, B constant with its output axis `b_out_axis` (1 when B is
// [K, M], 0 when [M, K]), optional bias input `bias`.
bool lower_linear(Graph& g, Node& n, const QdqMatch& m, int b_out_axis, const QdqInput& bias) {
  if (m.out.size() != 1 || !m.out[0].quantized() || m.out[0].q_type != DType::I8) return false;
  if (m.in.size() < 2 || !is_int8_activation(m.in[0])) return false;
  const QdqInput& ai = m.in[0];
  const Shape& as = g.val(ai.value).shape;
  const Shape& bs = g.val(m.in[1].value).shape;
  if (as.size() < 2 || bs.size() != 2) return false;
  const int64_t M = bs[size_t(b_out_axis)], K = bs[size_t(1 - b_out_axis)];
  if (as.back() != K) return false;
  int32_t lo = 0, hi = 0;
  if (!fused_act_range(n.act, m.out[0], lo, hi)) return false;
  std::vector<float> sw;
  std::optional<TensorData> w = rule_weights(g, m.in[1], b_out_axis, M, sw);
  if (!w) return false;
  std::vector<int64_t> mult, shift;
  if (!rule_multipliers(ai.scale[0], sw, m.out[0].scale, mult, shift)) return false;
  std::optional<TensorData> b = rule_bias(g, bias, ai.scale[0], sw, M);
  if (!b) return false;
  double bmax = 0;
  for (int64_t c = 0; c < M; ++c) bmax = std::max(bmax, std::fabs(double(b->data<int32_t>()[c])));
  if (K >= (int64_t(1) << 16) || double(K) * 255.0 * 128.0 + bmax >= 2147483647.0) return false;
  // Weights as [M, K].
  TensorData wmk(DType::I8, {M, K});
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k)
      wmk.data<int8_t>()[i * K + k] = w->data<int8_t>()[b_out_axis == 0 ? i * K + k : k * M + i];
  const std::string base = g.val(n.output(0)).name;
  const int wv = g.add_constant(g.unique_name(base + "_w_s8"), std::move(wmk));
  const int bv =
      bias.value >= 0 ? g.add_constant(g.unique_name(base + "_bias_s32"), std::move(*b)) : -1;
  n.op_type = "QGemm";
  n.attrs.clear();
  n.inputs = {ai.q_value, wv};
  if (bv >= 0) n.inputs.push_back(bv);
  n.outputs = {m.out[0].q_value};
  set_qlinear_attrs(n, ai.zero_point[0], m.out[0], lo, hi, mult, shift);
  return true;
}

bool lower_gemm(Graph& g, Node& n, const QdqMatch& m) {
  if (n.attr_f("alpha", 1.0f) != 1.0f || n.attr_f("beta", 1.0f) != 1.0f ||
      n.attr_i("transA", 0) != 0)
    return false;
  const bool tb = n.attr_i("transB", 0) != 0;
  const QdqInput none;
  const QdqInput& c = m.in.size() > 2 ? m.in[2] : none;
  if (c.value >= 0) {
    // C must be one value per output column: [M], [1, M] or a single value.
    const Shape& cs = g.val(c.value).shape;
    const Shape& bs = g.val(m.in[1].value).shape;
    const int64_t M = bs.size() == 2 ? bs[tb ? 0 : 1] : -1;
    const int64_t count = numel(cs);
    const bool per_column = (cs.size() == 1 && cs[0] == M) ||
                            (cs.size() == 2 && cs[0] == 1 && cs[1] == M) || count == 1;
    if (!per_column) return false;
  }
  return lower_linear(g, n, m, tb ? 0 : 1, c);
}

bool lower_matmul(Graph& g, Node& n, const QdqMatch& m) {
  return lower_linear(g, n, m, 1, QdqInput{});
}

TINYC_REGISTER_QDQ_RULE("Gemm", lower_gemm);
TINYC_REGISTER_QDQ_RULE("MatMul", lower_matmul);

} // namespace
} // namespace tinyc::ops
