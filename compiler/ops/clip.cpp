// Clip: y = min(max(x, lo), hi). Before opset 11 the bounds are float attributes; from opset 11
// they are optional inputs that may be constants (emitted as literals) or computed at run time
// (read from their tensor). A Clip after an op that accepts a fused activation is merged into
// it by passes/fuse_activation.cpp instead.
#include "elementwise_ref.h"

namespace tinyc::ops {
namespace {

// C++ literal for element i of a constant tensor.
std::string literal_of(const TensorData& t, int64_t i) {
  if (t.dtype == DType::F32) return float_literal(t.get_f64(i));
  if (t.dtype == DType::F64) return double_literal(t.get_f64(i));
  return int_literal(t.get_i64(i), t.dtype);
}

// Bound k (1 = min, 2 = max) as a C++ expression of type `ctype`.
std::string bound_expr(EmitContext& ctx, const Node& n, int k, DType t) {
  const Graph& g = ctx.graph();
  const std::string ctype = dtype_ctype(t);
  const std::string dflt = fmt::format("tk::num<{}>::{}()", ctype, k == 1 ? "lowest" : "highest");
  if (n.opset < 11) {
    const char* name = k == 1 ? "min" : "max";
    if (!n.has_attr(name)) return dflt;
    return fmt::format("{}({})", ctype, float_literal(n.attr_f(name, 0)));
  }
  const int id = n.input(size_t(k));
  if (id < 0) return dflt;
  if (g.val(id).constant) return fmt::format("{}({})", ctype, literal_of(*g.val(id).constant, 0));
  return fmt::format("{}[0]", ctx.cptr(id));
}

template <class T> void clip_ref(const TensorData& x, TensorData& y, T lo, T hi) {
  const T* a = x.data<T>();
  T* o = y.data<T>();
  for (int64_t i = 0; i < x.size(); ++i) {
    T v = a[i] < lo ? lo : a[i];
    o[i] = v > hi ? hi : v;
  }
}

OpDef clip_def() {
  OpDef d;
  d.op_type = "Clip";
  d.elementwise_inplace = true;
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, n.opset < 11 ? kFloatTypes : kNumericTypes);
    const Value& x = input(g, n, 0);
    for (size_t k = 1; k <= 2; ++k) {
      if (n.input(k) < 0) continue;
      const Value& b = g.val(n.input(k));
      if (b.dtype != x.dtype)
        fail("node {}: bound {} has element type {} but X has {}", n.label(), k,
             dtype_name(b.dtype), dtype_name(x.dtype));
      if (numel(b.shape) != 1) fail("node {}: bound {} must be a scalar", n.label(), k);
    }
    set_output(g, n, 0, x.dtype, x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    TensorData y(in[0]->dtype, in[0]->shape);
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      if constexpr (!std::is_same_v<T, bool>) {
        T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
        if constexpr (std::is_floating_point_v<T>) {
          lo = -std::numeric_limits<T>::infinity();
          hi = std::numeric_limits<T>::infinity();
        }
        if (n.opset < 11) {
          if (n.has_attr("min")) lo = T(n.attr_f("min", 0));
          if (n.has_attr("max")) hi = T(n.attr_f("max", 0));
        } else {
          if (in.size() > 1 && in[1]) lo = in[1]->data<T>()[0];
          if (in.size() > 2 && in[2]) hi = in[2]->data<T>()[0];
        }
        clip_ref<T>(*in[0], y, lo, hi);
      }
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Value& y = ctx.graph().val(n.output(0));
    ctx.use("traits");
    ctx.use("clip");
    std::string P = ctx.params(Params().i("n", numel(y.shape)));
    ctx.line(fmt::format("tk::clip<{}, {}>({}, {}, {}, {});", P, dtype_ctype(y.dtype),
                         ctx.cptr(n.input(0)), ctx.ptr(n.output(0)), bound_expr(ctx, n, 1, y.dtype),
                         bound_expr(ctx, n, 2, y.dtype)));
  };
  return d;
}

TINYC_REGISTER_OP(clip_def);

} // namespace
} // namespace tinyc::ops
