// TopK, CumSum, OneHot, Trilu, Shrink (templates/sequence_ops.h), and the generators whose
// result is fixed at compile time: ConstantOfShape, Range, EyeLike.
#include "data_util.h"

#include <cmath>

namespace tinyc::ops {
namespace {

struct Line {
  int64_t outer = 1, n = 1, inner = 1;
};
Line line_of(const Shape& s, int64_t axis) {
  Line l;
  for (int64_t d = 0; d < int64_t(s.size()); ++d) {
    if (d < axis)
      l.outer *= s[size_t(d)];
    else if (d > axis)
      l.inner *= s[size_t(d)];
    else
      l.n = s[size_t(d)];
  }
  return l;
}

// An output known at compile time but not folded (EyeLike reads only its input's shape):
// emitted as a table copied into place.
void emit_table(EmitContext& ctx, int out, const TensorData& t) {
  if (t.size() == 0) return;
  std::string arr = ctx.constant_array(t.dtype, t, "table");
  ctx.line(fmt::format("memcpy({}, {}, {});", ctx.ptr(out), arr, t.bytes.size()));
}

// ---- TopK
struct TopKPlan {
  Line l;
  int64_t k;
  Shape out;
};
TopKPlan topk_plan(const Node& n, const Shape& s, const ConstArg& arg) {
  const int64_t axis = normalize_axis(n, n.attr_i("axis", -1), int64_t(s.size()));
  TopKPlan p;
  p.l = line_of(s, axis);
  p.k = n.opset < 10 ? n.attr_i("k", 0) : arg(1)->get_i64(0);
  if (p.k < 0 || p.k > p.l.n)
    fail("node {}: k = {} out of range for an axis of {}", n.label(), p.k, p.l.n);
  p.out = s;
  p.out[size_t(axis)] = p.k;
  return p;
}

OpDef topk_def() {
  OpDef d;
  d.op_type = "TopK";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, kNumericTypes);
    require_const_inputs(g, n, {1}, "k");
    if (n.attr_i("sorted", 1) == 0) fail("node {}: TopK with sorted=0 is not supported", n.label());
    TopKPlan p = topk_plan(n, input(g, n, 0).shape, graph_args(g, n, "k"));
    set_output(g, n, 0, input(g, n, 0).dtype, p.out);
    set_output(g, n, 1, DType::I64, p.out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    TopKPlan p = topk_plan(n, in[0]->shape, eval_args(in));
    const bool largest = n.attr_i("largest", 1) != 0;
    TensorData v(in[0]->dtype, p.out), ix(DType::I64, p.out);
    dispatch(v.dtype, [&](auto z) {
      using T = decltype(z);
      const T* x = in[0]->data<T>();
      for (int64_t o = 0; o < p.l.outer; ++o)
        for (int64_t i = 0; i < p.l.inner; ++i) {
          std::vector<int64_t> order;
          for (int64_t j = 0; j < p.l.n; ++j) order.push_back(j);
          auto at = [&](int64_t j) { return x[(o * p.l.n + j) * p.l.inner + i]; };
          std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            return largest ? at(b) < at(a) : at(a) < at(b);
          });
          for (int64_t j = 0; j < p.k; ++j) {
            const int64_t dst = (o * p.k + j) * p.l.inner + i;
            v.data<T>()[dst] = at(order[size_t(j)]);
            ix.data<int64_t>()[dst] = order[size_t(j)];
          }
        }
      return 0;
    });
    return std::vector<TensorData>{v, ix};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    TopKPlan p = topk_plan(n, g.val(n.input(0)).shape, graph_args(g, n, "k"));
    if (numel(p.out) == 0) return;
    if (n.output(0) < 0 || n.output(1) < 0)
      fail("node {}: TopK with an unused output is not supported", n.label());
    ctx.use("sequence_ops");
    Params pr;
    pr.i("outer", p.l.outer).i("n", p.l.n).i("inner", p.l.inner).i("k", p.k);
    pr.i("largest", n.attr_i("largest", 1) != 0);
    ctx.line(fmt::format("tk::top_k<{}>({}, {}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0)), ctx.ptr(n.output(1))));
  };
  return d;
}

// ---- CumSum
OpDef cumsum_def() {
  OpDef d;
  d.op_type = "CumSum";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, kNumericTypes);
    require_const_inputs(g, n, {1}, "axis");
    const Value& x = input(g, n, 0);
    normalize_axis(n, const_input(g, n, 1, "axis").get_i64(0), int64_t(x.shape.size()));
    set_output(g, n, 0, x.dtype, x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const TensorData& x = *in[0];
    Line l = line_of(x.shape, normalize_axis(n, in[1]->get_i64(0), int64_t(x.shape.size())));
    const bool excl = n.attr_i("exclusive", 0) != 0, rev = n.attr_i("reverse", 0) != 0;
    TensorData y(x.dtype, x.shape);
    dispatch(x.dtype, [&](auto z) {
      using T = decltype(z);
      if constexpr (!std::is_same_v<T, bool>) {
        for (int64_t o = 0; o < l.outer; ++o)
          for (int64_t i = 0; i < l.inner; ++i) {
            T acc = T(0);
            for (int64_t s = 0; s < l.n; ++s) {
              const int64_t j = rev ? l.n - 1 - s : s;
              const int64_t at = (o * l.n + j) * l.inner + i;
              T next;
              if constexpr (std::is_integral_v<T>)
                next = T((unsigned long long)acc + (unsigned long long)x.data<T>()[at]);
              else
                next = acc + x.data<T>()[at];
              y.data<T>()[at] = excl ? acc : next;
              acc = next;
            }
          }
      }
      return 0;
    });
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape& s = g.val(n.input(0)).shape;
    if (numel(s) == 0) return;
    Line l =
        line_of(s, normalize_axis(n, const_input(g, n, 1, "axis").get_i64(0), int64_t(s.size())));
    ctx.use("sequence_ops");
    Params pr;
    pr.i("outer", l.outer).i("n", l.n).i("inner", l.inner);
    pr.i("exclusive", n.attr_i("exclusive", 0) != 0).i("reverse", n.attr_i("reverse", 0) != 0);
    ctx.line(fmt::format("tk::cum_sum<{}>({}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

// ---- OneHot
struct OneHotPlan {
  Line l;
  Shape out;
};
OneHotPlan onehot_plan(const Node& n, const Shape& s, const ConstArg& arg) {
  const double depth_f = arg(1)->get_f64(0);
  if (!(depth_f >= 0 && depth_f < 1e9)) fail("node {}: invalid depth", n.label());
  const int64_t depth = int64_t(depth_f);
  const int64_t axis = normalize_axis(n, n.attr_i("axis", -1), int64_t(s.size()) + 1);
  OneHotPlan p;
  p.out = s;
  p.out.insert(p.out.begin() + axis, depth);
  p.l = line_of(p.out, axis);
  if (arg(2)->size() != 2) fail("node {}: values must have two elements", n.label());
  return p;
}

OpDef onehot_def() {
  OpDef d;
  d.op_type = "OneHot";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, kNumericTypes);
    require_const_inputs(g, n, {1, 2}, "depth and values");
    OneHotPlan p = onehot_plan(n, input(g, n, 0).shape, graph_args(g, n, "depth"));
    set_output(g, n, 0, input(g, n, 2).dtype, p.out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    OneHotPlan p = onehot_plan(n, in[0]->shape, eval_args(in));
    const TensorData& vals = *in[2];
    TensorData y(vals.dtype, p.out);
    const size_t es = dtype_size(y.dtype);
    for (int64_t i = 0; i < y.size(); ++i)
      std::memcpy(y.bytes.data() + size_t(i) * es, vals.bytes.data(), es);
    for (int64_t o = 0; o < p.l.outer; ++o)
      for (int64_t i = 0; i < p.l.inner; ++i) {
        const double v = in[0]->get_f64(o * p.l.inner + i);
        if (!(v >= -double(p.l.n) && v < double(p.l.n))) continue;
        int64_t k = int64_t(v);
        if (k < 0) k += p.l.n;
        std::memcpy(y.bytes.data() + size_t((o * p.l.n + k) * p.l.inner + i) * es,
                    vals.bytes.data() + es, es);
      }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    OneHotPlan p = onehot_plan(n, g.val(n.input(0)).shape, graph_args(g, n, "depth"));
    if (numel(p.out) == 0) return;
    const TensorData& vals = const_input(g, n, 2, "values");
    ctx.use("sequence_ops");
    Params pr;
    pr.i("outer", p.l.outer).i("depth", p.l.n).i("inner", p.l.inner);
    const char* ct = dtype_ctype(vals.dtype);
    ctx.line(fmt::format("tk::one_hot<{}>({}, {}, ({}){}, ({}){});", ctx.params(pr),
                         ctx.cptr(n.input(0)), ctx.ptr(n.output(0)), ct,
                         element_literal(vals.dtype, &vals, 0), ct,
                         element_literal(vals.dtype, &vals, 1)));
  };
  return d;
}

// ---- Trilu
int64_t trilu_k(const ConstArg& arg) {
  const TensorData* t = arg(1);
  return t ? t->get_i64(0) : 0;
}
OpDef trilu_def() {
  OpDef d;
  d.op_type = "Trilu";
  d.infer = [](Graph& g, Node& n) {
    require_const_inputs(g, n, {1}, "k");
    const Value& x = input(g, n, 0);
    if (x.shape.size() < 2) fail("node {}: Trilu needs rank >= 2", n.label());
    set_output(g, n, 0, x.dtype, x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const TensorData& x = *in[0];
    const int64_t k = trilu_k(eval_args(in));
    const bool upper = n.attr_i("upper", 1) != 0;
    const int64_t rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
    TensorData y(x.dtype, x.shape);
    const size_t es = dtype_size(x.dtype);
    for (int64_t e = 0; e < x.size(); ++e) {
      const int64_t j = e % cols, i = (e / cols) % rows;
      const bool keep = upper ? j - i >= k : j - i <= k;
      if (keep) std::memcpy(y.bytes.data() + size_t(e) * es, x.bytes.data() + size_t(e) * es, es);
    }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape& s = g.val(n.input(0)).shape;
    if (numel(s) == 0) return;
    int64_t k = trilu_k(graph_args(g, n, "k"));
    const int64_t rows = s[s.size() - 2], cols = s.back();
    k = std::clamp<int64_t>(k, -rows - 1, cols + 1); // beyond the matrix all k act alike
    ctx.use("sequence_ops");
    Params pr;
    pr.i("batch", numel(s) / (rows * cols)).i("rows", rows).i("cols", cols).i("k", k);
    pr.i("upper", n.attr_i("upper", 1) != 0);
    ctx.line(fmt::format("tk::trilu<{}>({}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

// ---- Compile-time generators
TensorData constant_of_shape(const Node& n, const ConstArg& arg) {
  Shape s = arg(0)->to_i64_vector();
  for (int64_t v : s)
    if (v < 0) fail("node {}: negative dimension {}", n.label(), v);
  TensorData v(DType::F32, {});
  if (n.has_attr("value") && n.attrs.at("value").tensor) v = *n.attrs.at("value").tensor;
  if (v.size() != 1) fail("node {}: value must have one element", n.label());
  TensorData y(v.dtype, s);
  const size_t es = dtype_size(v.dtype);
  for (int64_t i = 0; i < y.size(); ++i)
    std::memcpy(y.bytes.data() + size_t(i) * es, v.bytes.data(), es);
  return y;
}

TensorData range_of(const Node& n, const ConstArg& arg) {
  const TensorData &a = *arg(0), &b = *arg(1), &c = *arg(2);
  const DType t = a.dtype;
  if (!dtype_is_float(t) && t != DType::I16 && t != DType::I32 && t != DType::I64)
    fail("node {}: Range of {} is not supported", n.label(), dtype_name(t));
  const double start = a.get_f64(0), limit = b.get_f64(0), delta = c.get_f64(0);
  if (delta == 0) fail("node {}: Range with delta 0", n.label());
  const double count_f = std::max(std::ceil((limit - start) / delta), 0.0);
  if (count_f > 1e8) fail("node {}: Range of {} elements is too large", n.label(), count_f);
  const int64_t count = int64_t(count_f);
  TensorData y(t, {count});
  dispatch(t, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>) {
      const int64_t s0 = a.get_i64(0), dl = c.get_i64(0);
      for (int64_t i = 0; i < count; ++i) y.data<T>()[i] = T(s0 + i * dl);
    } else {
      // Accumulated like the reference implementation (start + i*delta in the element type).
      const T s0 = a.data<T>()[0], dl = c.data<T>()[0];
      for (int64_t i = 0; i < count; ++i) y.data<T>()[i] = T(s0 + T(i) * dl);
    }
    return 0;
  });
  return y;
}

TensorData eye_like(const Node& n, const Shape& s, DType in_t) {
  if (s.size() != 2) fail("node {}: EyeLike needs a 2-D input", n.label());
  DType t = in_t;
  if (n.has_attr("dtype")) t = dtype_from_onnx(int(n.attr_i("dtype", 1)));
  if (t == DType::Undefined) fail("node {}: output dtype is not supported", n.label());
  const int64_t k = n.attr_i("k", 0);
  TensorData y(t, s);
  for (int64_t i = 0; i < s[0]; ++i)
    if (i + k >= 0 && i + k < s[1]) y.set_f64(i * s[1] + i + k, 1.0);
  return y;
}

// An op whose output follows entirely from inputs known at compile time (the inputs `ks`):
// infer, eval and emit all call `make`, and the result is emitted as a table.
OpDef table_op_def(const char* op, std::vector<size_t> ks, const char* what,
                   TensorData (*make)(const Node&, const ConstArg&)) {
  OpDef d;
  d.op_type = op;
  d.infer = [ks, what, make](Graph& g, Node& n) {
    require_const_inputs(g, n, ks, what);
    TensorData y = make(n, graph_args(g, n, what));
    set_output(g, n, 0, y.dtype, y.shape);
  };
  d.eval = [make](const Node& n, const Inputs& in) {
    return std::vector<TensorData>{make(n, eval_args(in))};
  };
  d.emit = [what, make](EmitContext& ctx, const Node& n) {
    emit_table(ctx, n.output(0), make(n, graph_args(ctx.graph(), n, what)));
  };
  return d;
}

OpDef constant_of_shape_def() {
  return table_op_def("ConstantOfShape", {0}, "shape", constant_of_shape);
}

OpDef range_def() {
  return table_op_def("Range", {0, 1, 2}, "start, limit and delta", range_of);
}

OpDef eye_like_def() {
  OpDef d;
  d.op_type = "EyeLike";
  d.infer = [](Graph& g, Node& n) {
    const Value& x = input(g, n, 0);
    TensorData y = eye_like(n, x.shape, x.dtype);
    set_output(g, n, 0, y.dtype, y.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    return std::vector<TensorData>{eye_like(n, in[0]->shape, in[0]->dtype)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Value& x = ctx.graph().val(n.input(0));
    emit_table(ctx, n.output(0), eye_like(n, x.shape, x.dtype));
  };
  return d;
}

TINYC_REGISTER_OP(topk_def);
TINYC_REGISTER_OP(cumsum_def);
TINYC_REGISTER_OP(onehot_def);
TINYC_REGISTER_OP(trilu_def);
TINYC_REGISTER_OP(constant_of_shape_def);
TINYC_REGISTER_OP(range_def);
TINYC_REGISTER_OP(eye_like_def);

} // namespace
} // namespace tinyc::ops
