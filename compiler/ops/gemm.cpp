// Gemm and MatMul (float), both with fused activation. Gemm: alpha, beta, transA, transB and
// a C broadcast to [M, N]. MatMul: numpy semantics (1-D operands promoted and their axis
// dropped, batch axes broadcast). Kernels in templates/gemm.h.
#include "op_util.h"
#include "sparse_kernel.h"

namespace tinyc::ops {
namespace {

// ---- Gemm ----

struct GemmShape {
  int64_t M, N, K;
  bool ta, tb;
};

GemmShape gemm_shape(const Node& n, const Shape& a, const Shape& b, const Shape* c) {
  if (a.size() != 2 || b.size() != 2)
    fail("node {}: Gemm needs 2-D A and B, got {} and {}", n.label(), shape_str(a), shape_str(b));
  GemmShape s;
  s.ta = n.attr_i("transA", 0) != 0;
  s.tb = n.attr_i("transB", 0) != 0;
  s.M = s.ta ? a[1] : a[0];
  s.K = s.ta ? a[0] : a[1];
  const int64_t kb = s.tb ? b[1] : b[0];
  s.N = s.tb ? b[0] : b[1];
  if (kb != s.K) fail("node {}: inner dimensions {} and {} differ", n.label(), s.K, kb);
  if (c) {
    if (c->size() > 2)
      fail("node {}: C of rank {} does not broadcast to [M, N]", n.label(), c->size());
    Shape y = {s.M, s.N};
    if (broadcast(n, *c, y) != y)
      fail("node {}: C {} does not broadcast to [{}, {}]", n.label(), shape_str(*c), s.M, s.N);
  }
  return s;
}

void gemm_infer(Graph& g, Node& n) {
  for (size_t k = 0; k < 3; ++k)
    if (n.input(k) >= 0) require_dtype(g, n, k, {DType::F32});
  const Shape* c = n.input(2) >= 0 ? &input(g, n, 2).shape : nullptr;
  GemmShape s = gemm_shape(n, input(g, n, 0).shape, input(g, n, 1).shape, c);
  set_output(g, n, 0, DType::F32, {s.M, s.N});
}

std::vector<TensorData> gemm_eval(const Node& n, const Inputs& in) {
  const bool has_c = in.size() > 2 && in[2];
  GemmShape s = gemm_shape(n, in[0]->shape, in[1]->shape, has_c ? &in[2]->shape : nullptr);
  const float alpha = n.attr_f("alpha", 1.0f), beta = n.attr_f("beta", 1.0f);
  TensorData y(DType::F32, {s.M, s.N});
  const float *a = in[0]->data<float>(), *b = in[1]->data<float>();
  std::vector<int64_t> cs =
      has_c ? broadcast_strides(in[2]->shape, {s.M, s.N}) : std::vector<int64_t>{0, 0};
  for (int64_t i = 0; i < s.M; ++i)
    for (int64_t j = 0; j < s.N; ++j) {
      float acc = 0.0f;
      for (int64_t k = 0; k < s.K; ++k)
        acc += (s.ta ? a[k * s.M + i] : a[i * s.K + k]) * (s.tb ? b[j * s.K + k] : b[k * s.N + j]);
      if (alpha != 1.0f) acc *= alpha;
      if (has_c) acc += beta * in[2]->data<float>()[i * cs[0] + j * cs[1]];
      y.data<float>()[i * s.N + j] = acc;
    }
  return {std::move(y)};
}

void gemm_emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_c = n.input(2) >= 0;
  const Shape* c = has_c ? &g.val(n.input(2)).shape : nullptr;
  GemmShape s = gemm_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, c);
  std::vector<int64_t> cs = has_c ? broadcast_strides(*c, {s.M, s.N}) : std::vector<int64_t>{0, 0};
  if (uses_sparse_kernel(n)) {
    // templates/sparse_f32.h: B's nonzeros per output column (pass choose-kernels).
    TensorData idx, wv;
    encode_sparse_f32(g.val(n.input(1)).constant->data<float>(), s.K, s.N, s.tb, idx, wv);
    ctx.use("sparse_f32");
    Params p;
    p.i("M", s.M).i("N", s.N).i("K", s.K);
    p.f("alpha", n.attr_f("alpha", 1.0f)).f("beta", n.attr_f("beta", 1.0f));
    p.i("has_c", has_c).i("cs_m", cs[0]).i("cs_n", cs[1]);
    add_act(p, n.act);
    const std::string P = ctx.params(p);
    const std::string ia = ctx.constant_array(DType::I8, idx, "w_sparse_idx");
    const std::string wa = ctx.constant_array(DType::F32, wv, "w_sparse");
    ctx.line(fmt::format("tk::gemm_sparse_f32<{}>({}, {}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                         ia, wa, has_c ? ctx.cptr(n.input(2)) : "nullptr", ctx.ptr(n.output(0))));
    return;
  }
  ctx.use("gemm");
  Params p;
  p.i("M", s.M).i("N", s.N).i("K", s.K).i("transA", s.ta).i("transB", s.tb);
  p.f("alpha", n.attr_f("alpha", 1.0f)).f("beta", n.attr_f("beta", 1.0f));
  p.i("has_c", has_c).i("cs_m", cs[0]).i("cs_n", cs[1]);
  add_act(p, n.act);
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::gemm_float<{}>({}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), has_c ? ctx.cptr(n.input(2)) : "nullptr",
                       ctx.ptr(n.output(0))));
}

int64_t gemm_macs(const Graph& g, const Node& n) {
  const Shape& a = g.val(n.input(0)).shape;
  return numel(g.val(n.output(0)).shape) * (n.attr_i("transA", 0) ? a[0] : a[1]);
}

OpDef gemm_def() {
  OpDef d;
  d.op_type = "Gemm";
  d.infer = gemm_infer;
  d.eval = gemm_eval;
  d.emit = gemm_emit;
  d.macs = gemm_macs;
  d.accepts_fused_act = true;
  return d;
}

// ---- MatMul ----

struct MatMulShape {
  int64_t M, N, K;
  Shape out;
  std::vector<int64_t> a_off, b_off; // element offset of each batch's matrix
};

MatMulShape matmul_shape(const Node& n, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) fail("node {}: MatMul operands must have rank >= 1", n.label());
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  MatMulShape s;
  s.M = a2[a2.size() - 2];
  s.K = a2.back();
  s.N = b2.back();
  if (b2[b2.size() - 2] != s.K)
    fail("node {}: inner dimensions of {} and {} differ", n.label(), shape_str(a), shape_str(b));
  Shape ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  Shape batch = broadcast(n, ab, bb);
  s.out = batch;
  if (a.size() > 1) s.out.push_back(s.M);
  if (b.size() > 1) s.out.push_back(s.N);
  std::vector<int64_t> sa = broadcast_strides(ab, batch), sb = broadcast_strides(bb, batch);
  const int64_t count = numel(batch);
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t t = 0; t < count; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    s.a_off.push_back(oa * s.M * s.K);
    s.b_off.push_back(ob * s.K * s.N);
    for (size_t d = batch.size(); d-- > 0;) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return s;
}

void matmul_infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  require_dtype(g, n, 1, {DType::F32});
  set_output(g, n, 0, DType::F32, matmul_shape(n, input(g, n, 0).shape, input(g, n, 1).shape).out);
}

std::vector<TensorData> matmul_eval(const Node& n, const Inputs& in) {
  MatMulShape s = matmul_shape(n, in[0]->shape, in[1]->shape);
  TensorData y(DType::F32, s.out);
  float* o = y.data<float>();
  for (size_t t = 0; t < s.a_off.size(); ++t) {
    const float* a = in[0]->data<float>() + s.a_off[t];
    const float* b = in[1]->data<float>() + s.b_off[t];
    for (int64_t i = 0; i < s.M; ++i)
      for (int64_t j = 0; j < s.N; ++j) {
        float acc = 0.0f;
        for (int64_t k = 0; k < s.K; ++k) acc += a[i * s.K + k] * b[k * s.N + j];
        *o++ = acc;
      }
  }
  return {std::move(y)};
}

void matmul_emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  MatMulShape s = matmul_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape);
  ctx.use("gemm");
  Params p;
  p.i("batches", int64_t(s.a_off.size())).i("M", s.M).i("N", s.N).i("K", s.K);
  p.ints("a_off", s.a_off).ints("b_off", s.b_off);
  add_act(p, n.act);
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::matmul_float<{}>({}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
}

int64_t matmul_macs(const Graph& g, const Node& n) {
  MatMulShape s = matmul_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape);
  return int64_t(s.a_off.size()) * s.M * s.N * s.K;
}

OpDef matmul_def() {
  OpDef d;
  d.op_type = "MatMul";
  d.infer = matmul_infer;
  d.eval = matmul_eval;
  d.emit = matmul_emit;
  d.macs = matmul_macs;
  d.accepts_fused_act = true;
  return d;
}

TINYC_REGISTER_OP(gemm_def);
TINYC_REGISTER_OP(matmul_def);

} // namespace
} // namespace tinyc::ops
