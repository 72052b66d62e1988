// QuantizeLinear and DequantizeLinear: y = saturate(round_half_even(x / scale) + zp) and
// y = (x - zp) * scale, per tensor or per channel (opset 13 `axis`). Scale and zero point must
// be known at compile time; they become literals of the kernel (templates/quantize.h).
// In a quantised graph these run only at float boundaries: passes/lower_qdq.cpp folds the
// pairs around ops that have int8 kernels.
#include "op_util.h"

#include "../quant.h"

#include <algorithm>
#include <cmath>

namespace tinyc::ops {
namespace {

struct QuantAxis {
  int64_t outer = 1, C = 1, inner = 1;
  std::vector<float> scale;
  std::vector<int64_t> zp;
};

// Scale and zero point of node n applied to a tensor of shape x.
// `strict` rejects scales that are not positive (compile-time parameters); the evaluator of a
// run-time scale instead gives the kernel's defined result.
QuantAxis quant_axis(const Node& n, const Shape& x, const TensorData& scale, const TensorData* zp,
                     bool strict = true) {
  QuantAxis q;
  const int64_t count = scale.size();
  if (scale.shape.size() > 1) fail("node {}: the scale must be a scalar or 1-D", n.label());
  if (zp && zp->shape != scale.shape)
    fail("node {}: zero point shape {} differs from scale shape {}", n.label(),
         shape_str(zp->shape), shape_str(scale.shape));
  if (scale.shape.size() == 1) {
    if (n.opset < 13) fail("node {}: per-axis scales need opset 13", n.label());
    const int64_t axis = normalize_axis(n, n.attr_i("axis", 1), int64_t(x.size()));
    if (x[size_t(axis)] != count)
      fail("node {}: {} scales for axis {} of size {}", n.label(), count, axis, x[size_t(axis)]);
    for (int64_t i = 0; i < int64_t(x.size()); ++i)
      (i < axis ? q.outer : i == axis ? q.C : q.inner) *= x[size_t(i)];
  } else {
    q.inner = numel(x);
  }
  for (int64_t c = 0; c < count; ++c) {
    const float s = float(scale.get_f64(c));
    if (strict && (!(s > 0.0f) || !std::isfinite(s)))
      fail("node {}: scale {} is not a positive finite number", n.label(), s);
    q.scale.push_back(s);
    q.zp.push_back(zp ? zp->get_i64(c) : 0);
  }
  return q;
}

const TensorData* zero_point_of(const Graph& g, const Node& n) {
  return n.input(2) >= 0 ? &const_input(g, n, 2, "zero point") : nullptr;
}

DType quantized_type(const Graph& g, const Node& n) {
  return n.input(2) >= 0 ? g.val(n.input(2)).dtype : DType::U8;
}

// Scale or zero point computed at run time (then it must hold one value: per tensor).
bool runtime_params(const Graph& g, const Node& n) {
  const bool scale_known = has_const_input(g, n, 1);
  const bool zp_known = n.input(2) < 0 || has_const_input(g, n, 2);
  if (scale_known && zp_known) return false;
  // Per-axis parameters must be known at compile time (a model input can be frozen).
  for (size_t k = 1; k <= 2; ++k)
    if (n.input(k) >= 0 && numel(g.val(n.input(k)).shape) != 1)
      const_input(g, n, k, k == 1 ? "per-axis scale" : "per-axis zero point");
  if (n.input(2) >= 0 && g.val(n.input(2)).shape != g.val(n.input(1)).shape)
    fail("node {}: zero point shape {} differs from scale shape {}", n.label(),
         shape_str(g.val(n.input(2)).shape), shape_str(g.val(n.input(1)).shape));
  return true;
}

// The per-tensor kernel reading scale and zero point from their buffers.
void emit_runtime_quant(EmitContext& ctx, const Node& n, bool quantize) {
  const Graph& g = ctx.graph();
  const Value& x = g.val(n.input(0));
  const DType t = quantize ? quantized_type(g, n) : x.dtype;
  ctx.use("quantize");
  Params p;
  p.i("n", numel(x.shape)).i("lo", qmin(t)).i("hi", qmax(t));
  const std::string zp = n.input(2) >= 0
                             ? ctx.cptr(n.input(2))
                             : fmt::format("static_cast<const {}*>(nullptr)", dtype_ctype(t));
  ctx.line(fmt::format("tk::{}<{}, {}>({}, {}, {}, {});",
                       quantize ? "quantize_linear_dynamic" : "dequantize_linear_dynamic",
                       ctx.params(p), dtype_ctype(t), ctx.cptr(n.input(0)), ctx.cptr(n.input(1)),
                       zp, ctx.ptr(n.output(0))));
}

void emit_quant(EmitContext& ctx, const Node& n, bool quantize) {
  const Graph& g = ctx.graph();
  if (runtime_params(g, n)) return emit_runtime_quant(ctx, n, quantize);
  const Value& x = g.val(n.input(0));
  QuantAxis q = quant_axis(n, x.shape, const_input(g, n, 1, "scale"), zero_point_of(g, n));
  const DType t = quantize ? quantized_type(g, n) : x.dtype;
  ctx.use("quantize");
  Params p;
  p.i("outer", q.outer).i("C", q.C).i("inner", q.inner).floats("scale", q.scale).ints("zp", q.zp);
  p.i("lo", qmin(t)).i("hi", qmax(t));
  ctx.line(fmt::format("tk::{}<{}, {}>({}, {});",
                       quantize ? "quantize_linear" : "dequantize_linear", ctx.params(p),
                       dtype_ctype(t), ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
}

OpDef quantize_linear_def() {
  OpDef d;
  d.op_type = "QuantizeLinear";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::F32});
    require_dtype(g, n, 1, {DType::F32});
    if (n.input(2) >= 0) require_dtype(g, n, 2, {DType::I8, DType::U8});
    const Value& x = input(g, n, 0);
    if (!runtime_params(g, n))
      quant_axis(n, x.shape, const_input(g, n, 1, "scale"), zero_point_of(g, n));
    set_output(g, n, 0, quantized_type(g, n), x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const TensorData* zp = in.size() > 2 ? in[2] : nullptr;
    const DType t = zp ? zp->dtype : DType::U8;
    QuantAxis q = quant_axis(n, in[0]->shape, *in[1], zp, false);
    TensorData y(t, in[0]->shape);
    const float* x = in[0]->data<float>();
    int64_t i = 0;
    for (int64_t o = 0; o < q.outer; ++o)
      for (int64_t c = 0; c < q.C; ++c) {
        const float s = q.scale[size_t(c)];
        const int32_t z = int32_t(q.zp[size_t(c)]);
        const bool valid = s > 0.0f && std::isfinite(s); // as tk::quantize_linear_dynamic
        for (int64_t k = 0; k < q.inner; ++k, ++i)
          y.set_f64(i, valid ? quantize_value(x[i], s, z, t) : std::clamp(z, qmin(t), qmax(t)));
      }
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) { emit_quant(ctx, n, true); };
  return d;
}

OpDef dequantize_linear_def() {
  OpDef d;
  d.op_type = "DequantizeLinear";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::I8, DType::U8, DType::I32});
    require_dtype(g, n, 1, {DType::F32});
    if (n.input(2) >= 0 && g.val(n.input(2)).dtype != input(g, n, 0).dtype)
      fail("node {}: the zero point's type differs from the input's", n.label());
    const Value& x = input(g, n, 0);
    if (!runtime_params(g, n))
      quant_axis(n, x.shape, const_input(g, n, 1, "scale"), zero_point_of(g, n));
    set_output(g, n, 0, DType::F32, x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const TensorData* zp = in.size() > 2 ? in[2] : nullptr;
    QuantAxis q = quant_axis(n, in[0]->shape, *in[1], zp, false);
    TensorData y(DType::F32, in[0]->shape);
    float* out = y.data<float>();
    int64_t i = 0;
    for (int64_t o = 0; o < q.outer; ++o)
      for (int64_t c = 0; c < q.C; ++c)
        for (int64_t k = 0; k < q.inner; ++k, ++i)
          out[i] = float(in[0]->get_i64(i) - q.zp[size_t(c)]) * q.scale[size_t(c)];
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) { emit_quant(ctx, n, false); };
  return d;
}

TINYC_REGISTER_OP(quantize_linear_def);
TINYC_REGISTER_OP(dequantize_linear_def);

} // namespace
} // namespace tinyc::ops
