// Conv (float): 1-D, 2-D and 3-D, groups (depthwise included), strides, dilations, pads and
// auto_pad, optional bias, fused activation. Kernels in templates/conv.h; 1x1 convolutions
// with stride 1 and no padding take a plane-wise fast path.
#include "sparse_kernel.h"
#include "window.h"

#include "../overlap_trace.h"

namespace tinyc::ops {
namespace {

bool is_pointwise(const ConvGeometry& s) {
  if (s.G != 1) return false;
  for (int i = 0; i < s.win.rank; ++i) {
    const size_t a = size_t(i);
    if (s.win.kernel[a] != 1 || s.win.strides[a] != 1 || s.win.pad_begin[a] != 0 ||
        s.win.pad_end[a] != 0)
      return false;
  }
  return true;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  require_dtype(g, n, 1, {DType::F32});
  if (n.input(2) >= 0) require_dtype(g, n, 2, {DType::F32});
  const Shape* b = n.input(2) >= 0 ? &input(g, n, 2).shape : nullptr;
  ConvGeometry s = conv_geometry(n, input(g, n, 0).shape, input(g, n, 1).shape, b);
  set_output(g, n, 0, DType::F32, conv_output_shape(s));
}

// The same loop nest and summation order as tk::conv_float.
std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const Shape* bs = in.size() > 2 && in[2] ? &in[2]->shape : nullptr;
  ConvGeometry s = conv_geometry(n, in[0]->shape, in[1]->shape, bs);
  TensorData y(DType::F32, conv_output_shape(s));
  const Window3 w = window3(s.win);
  const float* x = in[0]->data<float>();
  const float* wt = in[1]->data<float>();
  const float* bias = bs ? in[2]->data<float>() : nullptr;
  const int64_t CG = s.C / s.G, MG = s.M / s.G;
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], KSZ = w.k[0] * w.k[1] * w.k[2];
  float* out = y.data<float>();
  for (int64_t nn = 0; nn < s.N; ++nn)
    for (int64_t oc = 0; oc < s.M; ++oc) {
      const float* xg = x + (nn * s.C + (oc / MG) * CG) * IDHW;
      const float* wo = wt + oc * CG * KSZ;
      for (int64_t od = 0; od < w.out[0]; ++od)
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            float acc = bias ? bias[oc] : 0.0f;
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
                    acc += xg[ic * IDHW + (id * w.in[1] + ih) * w.in[2] + iw] *
                           wo[((ic * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw];
                  }
                }
              }
            *out++ = acc;
          }
    }
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const bool has_bias = n.input(2) >= 0;
  ConvGeometry s = conv_geometry(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape,
                                 has_bias ? &g.val(n.input(2)).shape : nullptr);
  if (uses_sparse_kernel(n)) {
    // templates/sparse_f32.h: each output channel's nonzero weights (pass choose-kernels).
    const int64_t K = s.C * numel(s.win.kernel);
    TensorData idx, wv;
    encode_sparse_f32(g.val(n.input(1)).constant->data<float>(), K, s.M, true, idx, wv);
    ctx.use("sparse_f32");
    Params p;
    p.i("N", s.N).i("C", s.C).i("M", s.M).i("has_bias", has_bias);
    add_window_params(p, s.win);
    add_act(p, n.act);
    const std::string P = ctx.params(p);
    const std::string ia = ctx.constant_array(DType::I8, idx, "w_sparse_idx");
    const std::string wa = ctx.constant_array(DType::F32, wv, "w_sparse");
    ctx.line(fmt::format("tk::conv_sparse_f32<{}>({}, {}, {}, {}, {}, {});", P,
                         ctx.cptr(n.input(0)), ia, wa, has_bias ? ctx.cptr(n.input(2)) : "nullptr",
                         ctx.scratch(DType::F32), ctx.ptr(n.output(0))));
    return;
  }
  ctx.use("conv");
  Params p;
  p.i("N", s.N).i("C", s.C).i("M", s.M).i("has_bias", has_bias);
  const bool pointwise = is_pointwise(s);
  if (pointwise) {
    p.i("HW", numel(s.win.in));
  } else {
    p.i("G", s.G);
    add_window_params(p, s.win);
  }
  add_act(p, n.act);
  const std::string P = ctx.params(p);
  ctx.line(fmt::format("tk::{}<{}>({}, {}, {}, {});", pointwise ? "conv1x1_float" : "conv_float", P,
                       ctx.cptr(n.input(0)), ctx.cptr(n.input(1)),
                       has_bias ? ctx.cptr(n.input(2)) : "nullptr", ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  const Shape& w = g.val(n.input(1)).shape;
  return numel(g.val(n.output(0)).shape) * numel(Shape(w.begin() + 1, w.end()));
}

// Depthwise convolutions may overlap their input: tk::conv_float computes channel by channel
// (one output channel per block for a depthwise conv), pixel by pixel, each pixel reading its
// window of the channel's input plane; replaying that order gives the shift.
// The sparse kernel (templates/sparse_f32.h): the windows of four pixels, 4 floats per k.
int64_t scratch_bytes(const Graph& g, const Node& n) {
  if (!uses_sparse_kernel(n)) return 0;
  const Shape& w = g.val(n.input(1)).shape;
  return 16 * numel(Shape(w.begin() + 1, w.end()));
}

int64_t overlap_shift(const Graph& g, const Node& n, int64_t align) {
  if (uses_sparse_kernel(n)) return sparse_conv_overlap_shift(g, n, 4, align);
  const bool has_bias = n.input(2) >= 0;
  const ConvGeometry s = conv_geometry(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape,
                                       has_bias ? &g.val(n.input(2)).shape : nullptr);
  if (is_pointwise(s) || s.G != s.C || s.M != s.C) return -1;
  const Window3 w = window3(s.win);
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], OSZ = w.out[0] * w.out[1] * w.out[2];
  AccessTrace t(s.N * s.C * IDHW, s.N * s.M * OSZ);
  for (int64_t nn = 0; nn < s.N; ++nn)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t o = 0; o < OSZ; ++o) {
        const int64_t od = o / (w.out[1] * w.out[2]), oh = o / w.out[2] % w.out[1],
                      ow = o % w.out[2];
        for (int64_t kd = 0; kd < w.k[0]; ++kd)
          for (int64_t kh = 0; kh < w.k[1]; ++kh)
            for (int64_t kw = 0; kw < w.k[2]; ++kw) {
              const int64_t id = od * w.s[0] - w.p[0] + kd * w.d[0];
              const int64_t ih = oh * w.s[1] - w.p[1] + kh * w.d[1];
              const int64_t iw = ow * w.s[2] - w.p[2] + kw * w.d[2];
              if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1] || iw < 0 || iw >= w.in[2])
                continue;
              t.read((nn * s.C + c) * IDHW + (id * w.in[1] + ih) * w.in[2] + iw);
            }
        t.write((nn * s.M + c) * OSZ + o);
        t.next_block();
      }
  return min_overlap_shift({t}, 4, 4, align);
}

OpDef conv_def() {
  OpDef d;
  d.op_type = "Conv";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = macs;
  d.accepts_fused_act = true;
  d.overlap_shift = overlap_shift;
  d.scratch_bytes = scratch_bytes;
  return d;
}

TINYC_REGISTER_OP(conv_def);

} // namespace
} // namespace tinyc::ops
