// MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool (NC + 1-3
// spatial axes). Kernels in templates/pool.h; the reference loops below visit taps in the
// same order and divide the same way.
#include "window.h"

#include <cmath>
#include <limits>

namespace tinyc::ops {
namespace {

enum Kind { Max = 0, Avg = 1, Lp = 2 };

Kind kind_of(const std::string& op) {
  if (op.find("Max") != std::string::npos) return Max;
  if (op.find("Average") != std::string::npos) return Avg;
  return Lp;
}

Window pool_window(const Node& n, const Shape& x) {
  std::vector<int64_t> k = n.attr_ints("kernel_shape", {});
  if (k.empty()) fail("node {}: kernel_shape is required", n.label());
  const bool ceil_mode = n.attr_i("ceil_mode", 0) != 0;
  return window_geometry(n, x, k, ceil_mode,
                         n.op_type == "MaxPool" || n.op_type == "LpPool" || n.opset >= 19);
}

Shape pooled_shape(const Shape& x, const Window& w) {
  Shape o = {x[0], x[1]};
  o.insert(o.end(), w.out.begin(), w.out.end());
  return o;
}

int64_t lp_p(const Node& n) {
  int64_t p = n.attr_i("p", 2);
  if (p < 1) fail("node {}: p = {} is not supported", n.label(), p);
  return p;
}

void infer(Graph& g, Node& n) {
  const Kind kind = kind_of(n.op_type);
  if (kind == Max)
    require_dtype(g, n, 0, {DType::F32, DType::I8, DType::U8});
  else
    require_dtype(g, n, 0, {DType::F32});
  const Value& x = input(g, n, 0);
  if (n.output(1) >= 0 && n.op_type != "MaxPool")
    fail("node {}: a second output is not supported", n.label());
  if (n.op_type.rfind("Global", 0) == 0) {
    if (x.shape.size() < 3) fail("node {}: input rank must be at least 3", n.label());
    Shape o = x.shape;
    for (size_t i = 2; i < o.size(); ++i) o[i] = 1;
    set_output(g, n, 0, x.dtype, o);
    return;
  }
  if (kind == Lp) lp_p(n);
  const Shape out = pooled_shape(x.shape, pool_window(n, x.shape));
  set_output(g, n, 0, x.dtype, out);
  set_output(g, n, 1, DType::I64, out);
}

template <class T> struct RefAcc {
  Kind kind;
  int64_t p;
  T init() const {
    if (kind == Max) {
      if constexpr (std::is_floating_point_v<T>)
        return -std::numeric_limits<T>::infinity();
      else
        return std::numeric_limits<T>::lowest();
    }
    return T(0);
  }
  T add(T s, T v) const {
    if (kind == Max) return v > s ? v : s;
    if (kind == Avg) return T(s + v);
    if (p == 1) return T(s + std::fabs(float(v)));
    if (p == 2) return T(s + v * v);
    return T(s + std::pow(std::fabs(float(v)), float(p)));
  }
  T finish(T s, int64_t count) const {
    if (kind == Max) return s;
    if (kind == Avg) return count > 0 ? T(s / T(count)) : T(0);
    if (p == 1) return s;
    if (p == 2) return T(std::sqrt(float(s)));
    return T(std::pow(float(s), 1.0f / float(p)));
  }
};

// MaxPool's Indices, as tk::maxpool_indices computes them.
template <class T> TensorData max_indices(const Node& n, const TensorData& xt) {
  const Window win = pool_window(n, xt.shape);
  const Window3 w = window3(win);
  const bool col = n.attr_i("storage_order", 0) != 0;
  TensorData idx(DType::I64, pooled_shape(xt.shape, win));
  const T* x = xt.data<T>();
  int64_t* out = idx.data<int64_t>();
  const int64_t nc = xt.shape[0] * xt.shape[1], idhw = w.in[0] * w.in[1] * w.in[2];
  for (int64_t c = 0; c < nc; ++c)
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          T m = RefAcc<T>{Max, 2}.init();
          int64_t best = 0;
          for (int64_t kd = 0; kd < w.k[0]; ++kd)
            for (int64_t kh = 0; kh < w.k[1]; ++kh)
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t d = od * w.s[0] - w.p[0] + kd * w.d[0];
                const int64_t h = oh * w.s[1] - w.p[1] + kh * w.d[1];
                const int64_t ww = ow * w.s[2] - w.p[2] + kw * w.d[2];
                if (d < 0 || d >= w.in[0] || h < 0 || h >= w.in[1] || ww < 0 || ww >= w.in[2])
                  continue;
                const T v = x[c * idhw + (d * w.in[1] + h) * w.in[2] + ww];
                if (v > m) {
                  m = v;
                  best = col ? d + (h + ww * w.in[1]) * w.in[0] : (d * w.in[1] + h) * w.in[2] + ww;
                }
              }
          *out++ = c * idhw + best;
        }
  return idx;
}

template <class T> void eval_typed(const Node& n, const TensorData& xt, TensorData& y) {
  const Kind kind = kind_of(n.op_type);
  const RefAcc<T> A{kind, kind == Lp ? lp_p(n) : 2};
  const T* x = xt.data<T>();
  T* out = y.data<T>();
  const int64_t nc = xt.shape[0] * xt.shape[1];
  if (n.op_type.rfind("Global", 0) == 0) {
    const int64_t hw = numel(Shape(xt.shape.begin() + 2, xt.shape.end()));
    for (int64_t c = 0; c < nc; ++c) {
      T acc = A.init();
      for (int64_t i = 0; i < hw; ++i) acc = A.add(acc, x[c * hw + i]);
      out[c] = A.finish(acc, hw);
    }
    return;
  }
  const Window win = pool_window(n, xt.shape);
  const Window3 w = window3(win);
  int64_t pe[3] = {0, 0, 0};
  for (int i = 0; i < win.rank; ++i) pe[3 - win.rank + i] = win.pad_end[size_t(i)];
  const bool include_pad = kind == Avg && n.attr_i("count_include_pad", 0) != 0;
  const int64_t idhw = w.in[0] * w.in[1] * w.in[2];
  for (int64_t c = 0; c < nc; ++c)
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          const int64_t o[3] = {od, oh, ow};
          T acc = A.init();
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
                  acc = A.add(acc, x[c * idhw + (pos[0] * w.in[1] + pos[1]) * w.in[2] + pos[2]]);
              }
          int64_t count = 1;
          for (int a = 0; a < 3; ++a) {
            int64_t taps = 0;
            for (int64_t k = 0; k < w.k[a]; ++k) {
              const int64_t pos = o[a] * w.s[a] - w.p[a] + k * w.d[a];
              taps += include_pad ? (pos >= -w.p[a] && pos < w.in[a] + pe[a])
                                  : (pos >= 0 && pos < w.in[a]);
            }
            count *= taps;
          }
          *out++ = A.finish(acc, count);
        }
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const TensorData& x = *in[0];
  Shape os = x.shape;
  if (n.op_type.rfind("Global", 0) == 0) {
    for (size_t i = 2; i < os.size(); ++i) os[i] = 1;
  } else {
    os = pooled_shape(x.shape, pool_window(n, x.shape));
  }
  TensorData y(x.dtype, os);
  std::vector<TensorData> outs;
  const bool with_indices = n.op_type == "MaxPool" && n.output(1) >= 0;
  switch (x.dtype) {
  case DType::F32:
    eval_typed<float>(n, x, y);
    if (with_indices) outs.push_back(max_indices<float>(n, x));
    break;
  case DType::I8:
    eval_typed<int8_t>(n, x, y);
    if (with_indices) outs.push_back(max_indices<int8_t>(n, x));
    break;
  case DType::U8:
    eval_typed<uint8_t>(n, x, y);
    if (with_indices) outs.push_back(max_indices<uint8_t>(n, x));
    break;
  default:
    fail("node {}: element type {} is not supported", n.label(), dtype_name(x.dtype));
  }
  outs.insert(outs.begin(), std::move(y));
  return outs;
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const Value& x = g.val(n.input(0));
  const Kind kind = kind_of(n.op_type);
  const bool with_indices = n.op_type == "MaxPool" && n.output(1) >= 0;
  // int8 MaxPool has its own kernel, with a four-lane DSP path.
  const bool max_s8 = kind == Max && x.dtype == DType::I8 && !with_indices;
  ctx.use(max_s8 ? "maxpool_s8" : "pool");
  Params p;
  p.i("NC", x.shape[0] * x.shape[1]);
  if (kind == Max) {
    if (x.dtype == DType::F32)
      p.f("lowest", -std::numeric_limits<float>::infinity());
    else
      p.i("lowest", x.dtype == DType::I8 ? -128 : 0);
  }
  if (kind == Lp) p.i("p", lp_p(n));
  p.i("count_include_pad", kind == Avg && n.attr_i("count_include_pad", 0) != 0);
  const bool global = n.op_type.rfind("Global", 0) == 0;
  if (global) {
    p.i("HW", numel(Shape(x.shape.begin() + 2, x.shape.end())));
  } else {
    const Window win = pool_window(n, x.shape);
    add_window_params(p, win);
    int64_t pe[3] = {0, 0, 0};
    for (int i = 0; i < win.rank; ++i) pe[3 - win.rank + i] = win.pad_end[size_t(i)];
    p.i("ED", pe[0]).i("EH", pe[1]).i("EW", pe[2]);
  }
  if (with_indices) p.i("storage_order", n.attr_i("storage_order", 0) != 0);
  const std::string P = ctx.params(p);
  if (with_indices) {
    ctx.line(fmt::format("tk::maxpool_indices<{}>({}, {}, {});", P, ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0)), ctx.ptr(n.output(1))));
    return;
  }
  if (max_s8) {
    ctx.line(fmt::format("tk::{}<{}>({}, {});", global ? "global_maxpool_s8" : "maxpool_s8", P,
                         ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
    return;
  }
  const char* kinds[] = {"tk::POOL_MAX", "tk::POOL_AVG", "tk::POOL_LP"};
  ctx.line(fmt::format("tk::{}<{}, {}>({}, {});", global ? "global_pool" : "pool", P, kinds[kind],
                       ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  // Window taps visited (comparisons or additions), as a cost estimate.
  const Shape& x = g.val(n.input(0)).shape;
  if (n.op_type.rfind("Global", 0) == 0) return numel(x);
  return numel(g.val(n.output(0)).shape) * numel(n.attr_ints("kernel_shape", {}));
}

struct Register {
  Register() {
    for (const char* op : {"MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool",
                           "GlobalLpPool"}) {
      OpDef d;
      d.op_type = op;
      d.infer = infer;
      d.eval = eval;
      d.emit = emit;
      d.macs = macs;
      OpRegistry::instance().add(std::move(d));
    }
  }
} reg;

} // namespace
} // namespace tinyc::ops
