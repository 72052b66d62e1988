// ConvTranspose (float), 1-D/2-D/3-D: strides, dilations, groups, pads, output_padding,
// output_shape and auto_pad. Kernel in templates/conv_transpose.h.
#include "op_util.h"

namespace tinyc::ops {
namespace {

// Python-style floor division (output_shape may ask for less padding than zero).
int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct CtShape {
  int64_t N, C, M, G;
  int rank;
  int64_t in[3], out[3], k[3], s[3], d[3], p[3]; // padded to three axes
};

std::vector<int64_t> ints_or(const Node& n, const char* name, int rank, int64_t dflt) {
  std::vector<int64_t> v = n.attr_ints(name, {});
  if (v.empty()) return std::vector<int64_t>(size_t(rank), dflt);
  if (int(v.size()) != rank)
    fail("node {}: attribute {} has {} values, expected {}", n.label(), name, v.size(), rank);
  return v;
}

CtShape ct_shape(const Node& n, const Shape& x, const Shape& w, const Shape* b) {
  if (x.size() < 3 || x.size() > 5 || w.size() != x.size())
    fail("node {}: input {} and weights {} are not supported (1 to 3 spatial axes)", n.label(),
         shape_str(x), shape_str(w));
  CtShape s;
  s.rank = int(x.size()) - 2;
  s.N = x[0];
  s.C = x[1];
  s.G = n.attr_i("group", 1);
  if (s.G < 1 || w[0] != s.C || s.C % s.G != 0)
    fail("node {}: weights {} do not fit {} input channels in {} groups", n.label(), shape_str(w),
         s.C, s.G);
  s.M = w[1] * s.G;
  if (b && (b->size() != 1 || (*b)[0] != s.M))
    fail("node {}: bias shape {} is not [{}]", n.label(), shape_str(*b), s.M);
  const int r = s.rank;
  std::vector<int64_t> kernel(w.begin() + 2, w.end());
  std::vector<int64_t> ks = n.attr_ints("kernel_shape", {});
  if (!ks.empty() && ks != kernel)
    fail("node {}: kernel_shape disagrees with the weights", n.label());
  auto strides = ints_or(n, "strides", r, 1), dil = ints_or(n, "dilations", r, 1);
  auto opad = ints_or(n, "output_padding", r, 0);
  std::vector<int64_t> pads = n.attr_ints("pads", {});
  if (pads.empty()) pads.assign(size_t(2 * r), 0);
  if (int(pads.size()) != 2 * r)
    fail("node {}: pads has {} values, expected {}", n.label(), pads.size(), 2 * r);
  std::vector<int64_t> oshape = n.attr_ints("output_shape", {});
  if (oshape.size() == size_t(r + 2)) oshape.erase(oshape.begin(), oshape.begin() + 2);
  if (!oshape.empty() && int(oshape.size()) != r)
    fail("node {}: output_shape has {} values, expected {}", n.label(), oshape.size(), r);
  const std::string auto_pad = n.attr_s("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER" && !auto_pad.empty())
    fail("node {}: auto_pad '{}' is not supported", n.label(), auto_pad);
  const int off = 3 - r;
  for (int i = 0; i < 3; ++i) {
    s.in[i] = s.out[i] = s.k[i] = s.s[i] = s.d[i] = 1;
    s.p[i] = 0;
  }
  for (int i = 0; i < r; ++i) {
    const size_t a = size_t(i);
    const int j = i + off;
    if (strides[a] < 1 || dil[a] < 1)
      fail("node {}: strides and dilations must be positive", n.label());
    s.in[j] = x[a + 2];
    s.k[j] = kernel[a];
    s.s[j] = strides[a];
    s.d[j] = dil[a];
    const int64_t full = strides[a] * (s.in[j] - 1) + opad[a] + (kernel[a] - 1) * dil[a] + 1;
    if (!oshape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = !oshape.empty() ? oshape[a] : s.in[j] * strides[a];
      const int64_t total = full - out;
      const int64_t half = floor_div(total, 2);
      s.p[j] = auto_pad == "SAME_UPPER" ? half : total - half;
      s.out[j] = out;
    } else {
      s.p[j] = auto_pad == "VALID" ? 0 : pads[a];
      s.out[j] = full - (auto_pad == "VALID" ? 0 : pads[a] + pads[a + size_t(r)]);
    }
    if (s.out[j] < 1) fail("node {}: the output would be empty", n.label());
  }
  return s;
}

Shape out_shape(const CtShape& s) {
  Shape o = {s.N, s.M};
  for (int i = 3 - s.rank; i < 3; ++i) o.push_back(s.out[i]);
  return o;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  require_dtype(g, n, 1, {DType::F32});
  if (n.input(2) >= 0) require_dtype(g, n, 2, {DType::F32});
  CtShape s = ct_shape(n, input(g, n, 0).shape, input(g, n, 1).shape,
                       n.input(2) >= 0 ? &input(g, n, 2).shape : nullptr);
  set_output(g, n, 0, DType::F32, out_shape(s));
}

// Same scatter order as tk::conv_transpose_float.
std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const bool has_b = in.size() > 2 && in[2];
  CtShape s = ct_shape(n, in[0]->shape, in[1]->shape, has_b ? &in[2]->shape : nullptr);
  TensorData yt(DType::F32, out_shape(s));
  float* y = yt.data<float>();
  const float *x = in[0]->data<float>(), *w = in[1]->data<float>();
  const int64_t CG = s.C / s.G, MG = s.M / s.G;
  const int64_t ODHW = s.out[0] * s.out[1] * s.out[2], IDHW = s.in[0] * s.in[1] * s.in[2];
  const int64_t KSZ = s.k[0] * s.k[1] * s.k[2];
  for (int64_t b = 0; b < s.N; ++b)
    for (int64_t oc = 0; oc < s.M; ++oc)
      for (int64_t i = 0; i < ODHW; ++i)
        y[(b * s.M + oc) * ODHW + i] = has_b ? in[2]->data<float>()[oc] : 0.0f;
  for (int64_t b = 0; b < s.N; ++b)
    for (int64_t ic = 0; ic < s.C; ++ic)
      for (int64_t m = 0; m < MG; ++m) {
        const int64_t oc = (ic / CG) * MG + m;
        const float* wk = w + (ic * MG + m) * KSZ;
        float* yo = y + (b * s.M + oc) * ODHW;
        for (int64_t id = 0; id < s.in[0]; ++id)
          for (int64_t ih = 0; ih < s.in[1]; ++ih)
            for (int64_t iw = 0; iw < s.in[2]; ++iw) {
              const float xv = x[(b * s.C + ic) * IDHW + (id * s.in[1] + ih) * s.in[2] + iw];
              for (int64_t kd = 0; kd < s.k[0]; ++kd) {
                const int64_t od = id * s.s[0] + kd * s.d[0] - s.p[0];
                if (od < 0 || od >= s.out[0]) continue;
                for (int64_t kh = 0; kh < s.k[1]; ++kh) {
                  const int64_t oh = ih * s.s[1] + kh * s.d[1] - s.p[1];
                  if (oh < 0 || oh >= s.out[1]) continue;
                  for (int64_t kw = 0; kw < s.k[2]; ++kw) {
                    const int64_t ow = iw * s.s[2] + kw * s.d[2] - s.p[2];
                    if (ow < 0 || ow >= s.out[2]) continue;
                    yo[(od * s.out[1] + oh) * s.out[2] + ow] +=
                        xv * wk[(kd * s.k[1] + kh) * s.k[2] + kw];
                  }
                }
              }
            }
      }
  return {std::move(yt)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_b = n.input(2) >= 0;
  CtShape s = ct_shape(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape,
                       has_b ? &g.val(n.input(2)).shape : nullptr);
  ctx.use("conv_transpose");
  Params p;
  p.i("N", s.N).i("C", s.C).i("M", s.M).i("G", s.G).i("has_bias", has_b);
  const char* ax[3] = {"D", "H", "W"};
  for (int i = 0; i < 3; ++i) {
    p.i(std::string("I") + ax[i], s.in[i]).i(std::string("O") + ax[i], s.out[i]);
    p.i(std::string("K") + ax[i], s.k[i]).i(std::string("S") + ax[i], s.s[i]);
    p.i(std::string("D") + ax[i], s.d[i]).i(std::string("P") + ax[i], s.p[i]);
  }
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::conv_transpose_float<{}>({}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                       ctx.cptr(n.input(1)), has_b ? ctx.cptr(n.input(2)) : "nullptr",
                       ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  const Shape& w = g.val(n.input(1)).shape;
  const Shape& x = g.val(n.input(0)).shape;
  return numel(x) * numel(Shape(w.begin() + 1, w.end()));
}

OpDef conv_transpose_def() {
  OpDef d;
  d.op_type = "ConvTranspose";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = macs;
  return d;
}

TINYC_REGISTER_OP(conv_transpose_def);

} // namespace
} // namespace tinyc::ops
