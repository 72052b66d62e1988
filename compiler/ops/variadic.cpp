// Min, Max, Sum, Mean over any number of inputs with numpy broadcasting. The emitter chains
// map_binary pairwise into the output buffer: out = in0 op in1, then out = out op in_k. That is
// safe because the arena planner never lets an output share storage with an input of the same
// node, and out is read only at the element being written.
#include "elementwise_ref.h"

namespace tinyc::ops {
namespace {

struct VariadicOp {
  const char* op_type;
  const char* functor; // in templates/binary_ops.h
  bool float_only;
};

template <class T> T combine(const std::string& op, T a, T b) {
  if (op == "Min" || op == "Max") {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(a) || std::isnan(b)) return std::isnan(a) ? a : b;
    if (op == "Min") return b < a ? b : a;
    return b > a ? b : a;
  }
  if constexpr (std::is_floating_point_v<T>)
    return a + b;
  else
    return wrap_add(a, b);
}

OpDef make(const VariadicOp& v) {
  OpDef d;
  d.op_type = v.op_type;
  const VariadicOp op = v;
  d.infer = [op](Graph& g, Node& n) {
    const size_t k = input_count(n);
    if (k == 0) fail("node {}: needs at least one input", n.label());
    Shape out = input(g, n, 0).shape;
    for (size_t j = 0; j < k; ++j) {
      require_dtype(g, n, j, op.float_only ? kFloatTypes : kNumericTypes);
      if (input(g, n, j).dtype != input(g, n, 0).dtype)
        fail("node {}: inputs have different element types", n.label());
      out = broadcast(n, out, input(g, n, j).shape);
    }
    set_output(g, n, 0, input(g, n, 0).dtype, out);
  };
  d.eval = [op](const Node& n, const Inputs& in) {
    const size_t k = input_count(n);
    Shape out = in[0]->shape;
    for (size_t j = 1; j < k; ++j) out = broadcast(n, out, in[j]->shape);
    TensorData y(in[0]->dtype, out);
    const std::string name = op.op_type;
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      if constexpr (!std::is_same_v<T, bool>) {
        T* o = y.data<T>();
        for (size_t j = 0; j < k; ++j) {
          const T* x = in[j]->data<T>();
          for_each_broadcast_n(out, {broadcast_strides(in[j]->shape, out)},
                               [&](int64_t i, const std::vector<int64_t>& p) {
                                 o[i] = j == 0 ? x[p[0]] : combine(name, o[i], x[p[0]]);
                               });
        }
        if constexpr (std::is_floating_point_v<T>)
          if (name == "Mean")
            for (int64_t i = 0; i < y.size(); ++i) o[i] = o[i] / T(k);
      }
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [op](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const size_t k = input_count(n);
    const int out_id = n.output(0);
    const Shape& out = g.val(out_id).shape;
    if (k == 1) {
      emit_copy(ctx, n);
      return;
    }
    ctx.use("elementwise");
    ctx.use("binary_ops");
    for (size_t j = 1; j < k; ++j) {
      const int a = j == 1 ? n.input(0) : out_id;
      std::string P = ctx.params(binary_params(g.val(a).shape, g.val(n.input(j)).shape, out));
      ctx.line(fmt::format("tk::map_binary<{}, tk::{}>({}, {}, {});", P, op.functor,
                           j == 1 ? ctx.cptr(a) : ctx.ptr(a), ctx.cptr(n.input(j)),
                           ctx.ptr(out_id)));
    }
    if (std::string(op.op_type) == "Mean") {
      ctx.use("unary_ops");
      std::string P = ctx.params(Params().i("n", numel(out)).i("count", int64_t(k)));
      ctx.line(fmt::format("tk::map_unary<{}, tk::op_div_by_count>({}, {});", P, ctx.ptr(out_id),
                           ctx.ptr(out_id)));
    }
  };
  return d;
}

struct Register {
  Register() {
    for (const VariadicOp& v :
         {VariadicOp{"Min", "op_min", false}, VariadicOp{"Max", "op_max", false},
          VariadicOp{"Sum", "op_add", false}, VariadicOp{"Mean", "op_add", true}})
      OpRegistry::instance().add(make(v));
  }
} reg;

} // namespace
} // namespace tinyc::ops
