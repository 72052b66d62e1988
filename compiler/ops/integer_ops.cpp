// ConvInteger and MatMulInteger (int8/uint8 operands minus their zero points, exact int32
// sums) and DynamicQuantizeLinear (float -> uint8 with the scale and zero point of the tensor's
// own range). Kernels in templates/integer_ops.h; these evaluators mirror them exactly.
#include "window.h"

#include "../../templates/integer_ops.h"

namespace tinyc::ops {
namespace {

const std::initializer_list<DType> k8bit = {DType::I8, DType::U8};

// Zero point input k of node n: absent, one value, or `count` values along one axis.
// Returns whether it has one value per row/column/channel.
bool zero_point_layout(const Graph& g, const Node& n, size_t k, int64_t count, const char* what) {
  if (n.input(k) < 0) return false;
  const Value& z = g.val(n.input(k));
  if (z.dtype != input(g, n, k == 2 ? 0 : 1).dtype)
    fail("node {}: the {} has type {}, not its operand's", n.label(), what, dtype_name(z.dtype));
  if (numel(z.shape) == 1) return false;
  if (z.shape.size() == 1 && z.shape[0] == count) return true;
  fail("node {}: a {} of shape {} is not supported by tinyc (a scalar or {} values)", n.label(),
       what, shape_str(z.shape), count);
}

// Element i of an optional integer operand (0 when absent).
int64_t at(const TensorData* t, int64_t i) {
  return t ? t->get_i64(i) : 0;
}

std::string zp_ptr(EmitContext& ctx, const Node& n, size_t k, DType t) {
  return n.input(k) >= 0 ? ctx.cptr(n.input(k))
                         : fmt::format("static_cast<const {}*>(nullptr)", dtype_ctype(t));
}

// ---- ConvInteger ----

OpDef conv_integer_def() {
  OpDef d;
  d.op_type = "ConvInteger";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, k8bit);
    require_dtype(g, n, 1, k8bit);
    const ConvGeometry s = conv_geometry(n, input(g, n, 0).shape, input(g, n, 1).shape, nullptr);
    zero_point_layout(g, n, 2, 1, "x zero point");
    zero_point_layout(g, n, 3, s.M, "w zero point");
    set_output(g, n, 0, DType::I32, conv_output_shape(s));
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const ConvGeometry s = conv_geometry(n, in[0]->shape, in[1]->shape, nullptr);
    const TensorData* xz = in.size() > 2 ? in[2] : nullptr;
    const TensorData* wz = in.size() > 3 ? in[3] : nullptr;
    const bool per_channel = wz && wz->size() > 1;
    TensorData y(DType::I32, conv_output_shape(s));
    const Window3 w = window3(s.win);
    const int64_t CG = s.C / s.G, MG = s.M / s.G;
    const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], KSZ = w.k[0] * w.k[1] * w.k[2];
    int32_t* out = y.data<int32_t>();
    const int64_t zx = at(xz, 0);
    for (int64_t nn = 0; nn < s.N; ++nn)
      for (int64_t oc = 0; oc < s.M; ++oc) {
        const int64_t xg = (nn * s.C + (oc / MG) * CG) * IDHW, wo = oc * CG * KSZ;
        const int64_t zw = at(wz, per_channel ? oc : 0);
        for (int64_t od = 0; od < w.out[0]; ++od)
          for (int64_t oh = 0; oh < w.out[1]; ++oh)
            for (int64_t ow = 0; ow < w.out[2]; ++ow) {
              int64_t acc = 0;
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
                      acc +=
                          (in[0]->get_i64(xg + ic * IDHW + (id * w.in[1] + ih) * w.in[2] + iw) -
                           zx) *
                          (in[1]->get_i64(wo + ((ic * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw) -
                           zw);
                    }
                  }
                }
              *out++ = int32_t(uint32_t(uint64_t(acc))); // wraps like the kernel
            }
      }
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value &x = g.val(n.input(0)), &w = g.val(n.input(1));
    const ConvGeometry s = conv_geometry(n, x.shape, w.shape, nullptr);
    ctx.use("integer_ops");
    Params p;
    p.i("N", s.N).i("C", s.C).i("M", s.M).i("G", s.G);
    p.i("wzp_per_channel", zero_point_layout(g, n, 3, s.M, "w zero point"));
    add_window_params(p, s.win);
    ctx.line(fmt::format("tk::conv_integer<{}, {}, {}>({}, {}, {}, {}, {});", ctx.params(p),
                         dtype_ctype(x.dtype), dtype_ctype(w.dtype), ctx.cptr(n.input(0)),
                         ctx.cptr(n.input(1)), zp_ptr(ctx, n, 2, x.dtype),
                         zp_ptr(ctx, n, 3, w.dtype), ctx.ptr(n.output(0))));
  };
  d.macs = [](const Graph& g, const Node& n) {
    const Shape& w = g.val(n.input(1)).shape;
    return numel(g.val(n.output(0)).shape) * numel(Shape(w.begin() + 1, w.end()));
  };
  return d;
}

// ---- MatMulInteger ----

struct MatMulIntShape {
  int64_t M, N, K;
  Shape out;
  std::vector<int64_t> a_off, b_off; // element offset of each batch's matrices
};

// numpy matmul shapes: 1-D operands promoted, batch dimensions broadcast.
MatMulIntShape matmul_int_shape(const Node& n, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) fail("node {}: operands must have rank >= 1", n.label());
  const Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  const Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  MatMulIntShape s;
  s.M = a2[a2.size() - 2];
  s.K = a2.back();
  s.N = b2.back();
  if (b2[b2.size() - 2] != s.K)
    fail("node {}: inner dimensions of {} and {} differ", n.label(), shape_str(a), shape_str(b));
  const Shape ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  const Shape batch = broadcast(n, ab, bb);
  s.out = batch;
  if (a.size() > 1) s.out.push_back(s.M);
  if (b.size() > 1) s.out.push_back(s.N);
  const std::vector<int64_t> sa = broadcast_strides(ab, batch), sb = broadcast_strides(bb, batch);
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t t = 0; t < numel(batch); ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t k = 0; k < batch.size(); ++k) {
      oa += idx[k] * sa[k];
      ob += idx[k] * sb[k];
    }
    s.a_off.push_back(oa * s.M * s.K);
    s.b_off.push_back(ob * s.K * s.N);
    for (size_t k = batch.size(); k-- > 0;) {
      if (++idx[k] < batch[k]) break;
      idx[k] = 0;
    }
  }
  return s;
}

OpDef matmul_integer_def() {
  OpDef d;
  d.op_type = "MatMulInteger";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, k8bit);
    require_dtype(g, n, 1, k8bit);
    MatMulIntShape s = matmul_int_shape(n, input(g, n, 0).shape, input(g, n, 1).shape);
    zero_point_layout(g, n, 2, s.M, "a zero point");
    zero_point_layout(g, n, 3, s.N, "b zero point");
    set_output(g, n, 0, DType::I32, s.out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    MatMulIntShape s = matmul_int_shape(n, in[0]->shape, in[1]->shape);
    const TensorData* az = in.size() > 2 ? in[2] : nullptr;
    const TensorData* bz = in.size() > 3 ? in[3] : nullptr;
    const bool per_row = az && az->size() > 1, per_col = bz && bz->size() > 1;
    TensorData y(DType::I32, s.out);
    int32_t* o = y.data<int32_t>();
    for (size_t t = 0; t < s.a_off.size(); ++t)
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < s.N; ++j) {
          int64_t acc = 0;
          for (int64_t k = 0; k < s.K; ++k)
            acc += (in[0]->get_i64(s.a_off[t] + i * s.K + k) - at(az, per_row ? i : 0)) *
                   (in[1]->get_i64(s.b_off[t] + k * s.N + j) - at(bz, per_col ? j : 0));
          *o++ = int32_t(uint32_t(uint64_t(acc)));
        }
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value &a = g.val(n.input(0)), &b = g.val(n.input(1));
    MatMulIntShape s = matmul_int_shape(n, a.shape, b.shape);
    ctx.use("integer_ops");
    Params p;
    p.i("batches", int64_t(s.a_off.size())).i("M", s.M).i("N", s.N).i("K", s.K);
    p.ints("a_off", s.a_off).ints("b_off", s.b_off);
    p.i("a_per_row", zero_point_layout(g, n, 2, s.M, "a zero point"));
    p.i("b_per_col", zero_point_layout(g, n, 3, s.N, "b zero point"));
    ctx.line(fmt::format("tk::matmul_integer<{}, {}, {}>({}, {}, {}, {}, {});", ctx.params(p),
                         dtype_ctype(a.dtype), dtype_ctype(b.dtype), ctx.cptr(n.input(0)),
                         ctx.cptr(n.input(1)), zp_ptr(ctx, n, 2, a.dtype),
                         zp_ptr(ctx, n, 3, b.dtype), ctx.ptr(n.output(0))));
  };
  d.macs = [](const Graph& g, const Node& n) {
    MatMulIntShape s = matmul_int_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape);
    return int64_t(s.a_off.size()) * s.M * s.N * s.K;
  };
  return d;
}

// ---- DynamicQuantizeLinear ----

OpDef dynamic_quantize_linear_def() {
  OpDef d;
  d.op_type = "DynamicQuantizeLinear";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::F32});
    set_output(g, n, 0, DType::U8, input(g, n, 0).shape);
    set_output(g, n, 1, DType::F32, {});
    set_output(g, n, 2, DType::U8, {});
  };
  // Exactly tk::dynamic_quantize_linear, in the same float32 operations.
  d.eval = [](const Node&, const Inputs& in) {
    const TensorData& x = *in[0];
    const float* xv = x.data<float>();
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < x.size(); ++i) {
      lo = xv[i] < lo ? xv[i] : lo;
      hi = xv[i] > hi ? xv[i] : hi;
    }
    const float s = (hi - lo) / 255.0f;
    TensorData y(DType::U8, x.shape), scale(DType::F32, {}), zp(DType::U8, {});
    int32_t z = 0;
    if (s > 0.0f && s <= 3.40282347e38f) {
      float zf = 0.0f - lo / s;
      zf = zf < 0.0f ? 0.0f : zf > 255.0f ? 255.0f : zf;
      z = tk::round_half_even(zf);
      for (int64_t i = 0; i < x.size(); ++i)
        y.data<uint8_t>()[i] = uint8_t(tk::quantize_value(xv[i], s, z, 0, 255));
    }
    scale.data<float>()[0] = s;
    zp.data<uint8_t>()[0] = uint8_t(z);
    return std::vector<TensorData>{std::move(y), std::move(scale), std::move(zp)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    ctx.use("integer_ops");
    const std::string P = ctx.params(Params().i("n", numel(g.val(n.input(0)).shape)));
    // Outputs nobody reads still need somewhere to go.
    std::string outs[3];
    for (size_t k = 0; k < 3; ++k) outs[k] = ctx.ptr(n.output(k));
    ctx.line(fmt::format("tk::dynamic_quantize_linear<{}>({}, {}, {}, {});", P,
                         ctx.cptr(n.input(0)), outs[0], outs[1], outs[2]));
  };
  return d;
}

TINYC_REGISTER_OP(conv_integer_def);
TINYC_REGISTER_OP(matmul_integer_def);
TINYC_REGISTER_OP(dynamic_quantize_linear_def);

} // namespace
} // namespace tinyc::ops
