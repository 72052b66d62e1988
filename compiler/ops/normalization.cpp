// BatchNormalization (inference), InstanceNormalization, LayerNormalization,
// MeanVarianceNormalization and LRN (float). The reference loops compute the expressions of
// templates/normalization.h in the same order.
#include "op_util.h"

#include <cmath>

namespace tinyc::ops {
namespace {

// [N, C, rest...] as N, C and the product of the rest.
struct NCHW {
  int64_t N, C, HW;
};
NCHW nchw(const Node& n, const Shape& s) {
  if (s.size() < 2) fail("node {}: input rank {} is below 2", n.label(), s.size());
  return {s[0], s[1], numel(Shape(s.begin() + 2, s.end()))};
}

void require_channels(const Graph& g, const Node& n, size_t k, int64_t c) {
  const Value& v = input(g, n, k);
  if (v.dtype != DType::F32) require_dtype(g, n, k, {DType::F32});
  if (numel(v.shape) != c || v.shape.size() != 1)
    fail("node {}: input {} has shape {}, expected [{}]", n.label(), k, shape_str(v.shape), c);
}

// ---- BatchNormalization ----

void bn_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  if (n.attr_i("training_mode", 0) != 0 || n.output(1) >= 0 || n.output(2) >= 0)
    fail("node {}: BatchNormalization in training mode is not supported", n.label());
  const Value& x = input(g, n, 0);
  const NCHW s = nchw(n, x.shape);
  for (size_t k = 1; k <= 4; ++k) require_channels(g, n, k, s.C);
  set_output(g, n, 0, DType::F32, x.shape);
}

std::vector<TensorData> bn_eval(const Node& n, const Inputs& in) {
  const NCHW s = nchw(n, in[0]->shape);
  const float eps = n.attr_f("epsilon", 1e-5f);
  TensorData y(DType::F32, in[0]->shape);
  for (int64_t c = 0; c < s.C; ++c) {
    const float sc = in[1]->data<float>()[c] / std::sqrt(in[4]->data<float>()[c] + eps);
    const float t = in[2]->data<float>()[c] - in[3]->data<float>()[c] * sc;
    for (int64_t b = 0; b < s.N; ++b)
      for (int64_t i = 0; i < s.HW; ++i) {
        const int64_t at = (b * s.C + c) * s.HW + i;
        y.data<float>()[at] = in[0]->data<float>()[at] * sc + t;
      }
  }
  return {std::move(y)};
}

void bn_emit(EmitContext& ctx, const Node& n) {
  const NCHW s = nchw(n, ctx.graph().val(n.input(0)).shape);
  ctx.use("normalization");
  Params p;
  p.i("N", s.N).i("C", s.C).i("HW", s.HW).f("eps", n.attr_f("epsilon", 1e-5f));
  add_act(p, n.act);
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::batchnorm_float<{}>({}, {}, {}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), ctx.cptr(n.input(2)), ctx.cptr(n.input(3)),
                       ctx.cptr(n.input(4)), ctx.ptr(n.output(0))));
}

// ---- shared moments ----

void moments(const float* x, int64_t count, float eps, float& mean, float& inv_std) {
  float sum = 0.0f;
  for (int64_t i = 0; i < count; ++i) sum += x[i];
  mean = sum / float(count);
  float sq = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    const float d = x[i] - mean;
    sq += d * d;
  }
  inv_std = 1.0f / std::sqrt(sq / float(count) + eps);
}

// ---- InstanceNormalization ----

void in_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  const Value& x = input(g, n, 0);
  if (x.shape.size() < 3) fail("node {}: input rank must be at least 3", n.label());
  const NCHW s = nchw(n, x.shape);
  if (s.HW == 0) fail("node {}: empty spatial extent is not supported", n.label());
  require_channels(g, n, 1, s.C);
  require_channels(g, n, 2, s.C);
  set_output(g, n, 0, DType::F32, x.shape);
}

std::vector<TensorData> in_eval(const Node& n, const Inputs& in) {
  const NCHW s = nchw(n, in[0]->shape);
  const float eps = n.attr_f("epsilon", 1e-5f);
  TensorData y(DType::F32, in[0]->shape);
  for (int64_t b = 0; b < s.N; ++b)
    for (int64_t c = 0; c < s.C; ++c) {
      const float* xc = in[0]->data<float>() + (b * s.C + c) * s.HW;
      float* yc = y.data<float>() + (b * s.C + c) * s.HW;
      float mean, inv_std;
      moments(xc, s.HW, eps, mean, inv_std);
      for (int64_t i = 0; i < s.HW; ++i)
        yc[i] = (xc[i] - mean) * inv_std * in[1]->data<float>()[c] + in[2]->data<float>()[c];
    }
  return {std::move(y)};
}

void in_emit(EmitContext& ctx, const Node& n) {
  const NCHW s = nchw(n, ctx.graph().val(n.input(0)).shape);
  ctx.use("normalization");
  const std::string P = ctx.params(
      Params().i("N", s.N).i("C", s.C).i("HW", s.HW).f("eps", n.attr_f("epsilon", 1e-5f)));
  ctx.line(fmt::format("tk::instancenorm_float<{}>({}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), ctx.cptr(n.input(2)), ctx.ptr(n.output(0))));
}

// ---- LayerNormalization ----

struct LnShape {
  int64_t axis, outer, inner, ss, sb;
  Shape stat; // shape of Mean / InvStdDev
};

LnShape ln_shape(const Node& n, const Shape& x, const Shape& scale, const Shape* bias) {
  const int64_t r = int64_t(x.size());
  if (r == 0) fail("node {}: a scalar input is not supported", n.label());
  LnShape s;
  s.axis = normalize_axis(n, n.attr_i("axis", -1), r);
  s.outer = numel(Shape(x.begin(), x.begin() + s.axis));
  s.inner = numel(Shape(x.begin() + s.axis, x.end()));
  if (s.inner == 0) fail("node {}: empty normalized extent is not supported", n.label());
  auto stride = [&](const Shape& p, const char* what) -> int64_t {
    if (numel(p) == 1) return 0;
    if (numel(p) == s.inner && p.size() <= size_t(r - s.axis)) return 1;
    fail("node {}: {} of shape {} is not supported (expected the normalized shape)", n.label(),
         what, shape_str(p));
  };
  s.ss = stride(scale, "Scale");
  s.sb = bias ? stride(*bias, "B") : 0;
  s.stat = x;
  for (int64_t i = s.axis; i < r; ++i) s.stat[size_t(i)] = 1;
  return s;
}

void ln_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  require_dtype(g, n, 1, {DType::F32});
  if (n.input(2) >= 0) require_dtype(g, n, 2, {DType::F32});
  const Value& x = input(g, n, 0);
  LnShape s =
      ln_shape(n, x.shape, input(g, n, 1).shape, n.input(2) >= 0 ? &input(g, n, 2).shape : nullptr);
  set_output(g, n, 0, DType::F32, x.shape);
  set_output(g, n, 1, DType::F32, s.stat);
  set_output(g, n, 2, DType::F32, s.stat);
}

std::vector<TensorData> ln_eval(const Node& n, const Inputs& in) {
  const bool has_b = in.size() > 2 && in[2];
  LnShape s = ln_shape(n, in[0]->shape, in[1]->shape, has_b ? &in[2]->shape : nullptr);
  const float eps = n.attr_f("epsilon", 1e-5f);
  TensorData y(DType::F32, in[0]->shape), mt(DType::F32, s.stat), it(DType::F32, s.stat);
  for (int64_t r = 0; r < s.outer; ++r) {
    const float* xr = in[0]->data<float>() + r * s.inner;
    float* yr = y.data<float>() + r * s.inner;
    float mean, inv_std;
    moments(xr, s.inner, eps, mean, inv_std);
    for (int64_t i = 0; i < s.inner; ++i) {
      float v = (xr[i] - mean) * inv_std * in[1]->data<float>()[i * s.ss];
      if (has_b) v += in[2]->data<float>()[i * s.sb];
      yr[i] = v;
    }
    mt.data<float>()[r] = mean;
    it.data<float>()[r] = inv_std;
  }
  return {std::move(y), std::move(mt), std::move(it)};
}

void ln_emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_b = n.input(2) >= 0;
  LnShape s = ln_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape,
                       has_b ? &g.val(n.input(2)).shape : nullptr);
  ctx.use("normalization");
  Params p;
  p.i("outer", s.outer).i("inner", s.inner).f("eps", n.attr_f("epsilon", 1e-5f));
  p.i("ss", s.ss).i("sb", s.sb).i("has_bias", has_b);
  p.i("store_mean", n.output(1) >= 0).i("store_inv_std", n.output(2) >= 0);
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::layernorm_float<{}>({}, {}, {}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), has_b ? ctx.cptr(n.input(2)) : "nullptr",
                       ctx.ptr(n.output(0)), n.output(1) >= 0 ? ctx.ptr(n.output(1)) : "nullptr",
                       n.output(2) >= 0 ? ctx.ptr(n.output(2)) : "nullptr"));
}

// ---- MeanVarianceNormalization ----

struct MvnShape {
  int64_t groups = 1, count = 1;
  std::vector<int64_t> gsize, gstride, rsize, rstride;
};

MvnShape mvn_shape(const Node& n, const Shape& x) {
  const int64_t r = int64_t(x.size());
  std::vector<bool> reduced(size_t(r), false);
  for (int64_t a : n.attr_ints("axes", {0, 2, 3})) reduced[size_t(normalize_axis(n, a, r))] = true;
  std::vector<int64_t> st = strides_of(x);
  MvnShape s;
  for (int64_t i = 0; i < r; ++i) {
    const size_t a = size_t(i);
    s.gsize.push_back(reduced[a] ? 1 : x[a]);
    s.gstride.push_back(st[a]);
    s.rsize.push_back(reduced[a] ? x[a] : 1);
    s.rstride.push_back(st[a]);
    (reduced[a] ? s.count : s.groups) *= x[a];
  }
  if (s.count == 0) fail("node {}: empty reduction is not supported", n.label());
  return s;
}

int64_t offset_of(int64_t idx, const std::vector<int64_t>& size,
                  const std::vector<int64_t>& stride) {
  int64_t off = 0;
  for (size_t d = size.size(); d-- > 0;) {
    off += (idx % size[d]) * stride[d];
    idx /= size[d];
  }
  return off;
}

void mvn_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  const Value& x = input(g, n, 0);
  if (x.shape.empty()) fail("node {}: a scalar input is not supported", n.label());
  mvn_shape(n, x.shape);
  set_output(g, n, 0, DType::F32, x.shape);
}

std::vector<TensorData> mvn_eval(const Node& n, const Inputs& in) {
  MvnShape s = mvn_shape(n, in[0]->shape);
  TensorData y(DType::F32, in[0]->shape);
  const float* x = in[0]->data<float>();
  for (int64_t gi = 0; gi < s.groups; ++gi) {
    const int64_t base = offset_of(gi, s.gsize, s.gstride);
    float sum = 0.0f, sq = 0.0f;
    for (int64_t r = 0; r < s.count; ++r) {
      const float v = x[base + offset_of(r, s.rsize, s.rstride)];
      sum += v;
      sq += v * v;
    }
    const float mean = sum / float(s.count);
    float var = sq / float(s.count) - mean * mean;
    if (var < 0.0f) var = 0.0f;
    const float den = std::sqrt(var) + 1e-9f;
    for (int64_t r = 0; r < s.count; ++r) {
      const int64_t o = base + offset_of(r, s.rsize, s.rstride);
      y.data<float>()[o] = (x[o] - mean) / den;
    }
  }
  return {std::move(y)};
}

void mvn_emit(EmitContext& ctx, const Node& n) {
  const Shape& x = ctx.graph().val(n.input(0)).shape;
  MvnShape s = mvn_shape(n, x);
  ctx.use("normalization");
  Params p;
  p.i("rank", int64_t(x.size())).i("groups", s.groups).i("count", s.count);
  p.ints("gsize", s.gsize)
      .ints("gstride", s.gstride)
      .ints("rsize", s.rsize)
      .ints("rstride", s.rstride);
  const std::string P = ctx.params(p);
  ctx.line(
      fmt::format("tk::mvn_float<{}>({}, {});", P, ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
}

// ---- LRN ----

void lrn_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  const Value& x = input(g, n, 0);
  nchw(n, x.shape);
  if (n.attr_i("size", 0) < 1) fail("node {}: size must be positive", n.label());
  set_output(g, n, 0, DType::F32, x.shape);
}

std::vector<TensorData> lrn_eval(const Node& n, const Inputs& in) {
  const NCHW s = nchw(n, in[0]->shape);
  const int64_t size = n.attr_i("size", 1);
  const float alpha = n.attr_f("alpha", 1e-4f), beta = n.attr_f("beta", 0.75f),
              bias = n.attr_f("bias", 1.0f);
  const int64_t lo_off = (size - 1) / 2, hi_off = size - 1 - lo_off;
  TensorData y(DType::F32, in[0]->shape);
  const float* x = in[0]->data<float>();
  for (int64_t b = 0; b < s.N; ++b)
    for (int64_t c = 0; c < s.C; ++c) {
      const int64_t c0 = std::max<int64_t>(0, c - lo_off), c1 = std::min(s.C - 1, c + hi_off);
      for (int64_t i = 0; i < s.HW; ++i) {
        float sq = 0.0f;
        for (int64_t k = c0; k <= c1; ++k) {
          const float v = x[(b * s.C + k) * s.HW + i];
          sq += v * v;
        }
        const int64_t at = (b * s.C + c) * s.HW + i;
        y.data<float>()[at] = x[at] / std::pow(bias + alpha / float(size) * sq, beta);
      }
    }
  return {std::move(y)};
}

void lrn_emit(EmitContext& ctx, const Node& n) {
  const NCHW s = nchw(n, ctx.graph().val(n.input(0)).shape);
  ctx.use("normalization");
  Params p;
  p.i("N", s.N).i("C", s.C).i("HW", s.HW).i("size", n.attr_i("size", 1));
  p.f("alpha", n.attr_f("alpha", 1e-4f))
      .f("beta", n.attr_f("beta", 0.75f))
      .f("bias", n.attr_f("bias", 1.0f));
  const std::string P = ctx.params(p);
  ctx.line(
      fmt::format("tk::lrn_float<{}>({}, {});", P, ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
}

OpDef make(const char* op, decltype(OpDef::infer) infer, decltype(OpDef::eval) eval,
           decltype(OpDef::emit) emit, bool fused_act = false) {
  OpDef d;
  d.op_type = op;
  d.infer = std::move(infer);
  d.eval = std::move(eval);
  d.emit = std::move(emit);
  d.accepts_fused_act = fused_act;
  return d;
}

struct Register {
  Register() {
    auto& r = OpRegistry::instance();
    r.add(make("BatchNormalization", bn_infer, bn_eval, bn_emit, true));
    r.add(make("InstanceNormalization", in_infer, in_eval, in_emit));
    r.add(make("LayerNormalization", ln_infer, ln_eval, ln_emit));
    r.add(make("MeanVarianceNormalization", mvn_infer, mvn_eval, mvn_emit));
    r.add(make("LRN", lrn_infer, lrn_eval, lrn_emit));
  }
} reg;

} // namespace
} // namespace tinyc::ops
