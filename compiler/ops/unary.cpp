// Elementwise unary ops: one table row each, with the reference formula next to the name of
// the kernel functor (templates/unary_ops.h) that must compute the same thing.
#include "op_util.h"

#include <cmath>
#include <functional>

namespace tinyc::ops {
namespace {

using FloatFn = std::function<float(const Node&, float)>;

struct UnaryOp {
  const char* op_type;
  const char* functor;  // in templates/unary_ops.h
  FloatFn f;            // reference semantics for float
  bool integers;        // also defined on integer types (computed as in the functor)
};

template <class T> T int_apply(const std::string& op, T x) {
  if (op == "Relu") return x < T(0) ? T(0) : x;
  if (op == "Neg") return T(-x);
  if (op == "Abs") return x < T(0) ? T(-x) : x;
  return x;
}

const std::vector<UnaryOp>& table() {
  static const std::vector<UnaryOp> t = {
      {"Relu", "op_relu", [](const Node&, float x) { return x < 0 ? 0.0f : x; }, true},
      {"Neg", "op_neg", [](const Node&, float x) { return -x; }, true},
      {"Abs", "op_abs", [](const Node&, float x) { return std::fabs(x); }, true},
      {"Exp", "op_exp", [](const Node&, float x) { return std::exp(x); }, false},
      {"Sigmoid", "op_sigmoid", [](const Node&, float x) { return 1.0f / (1.0f + std::exp(-x)); }, false},
      {"Tanh", "op_tanh", [](const Node&, float x) { return std::tanh(x); }, false},
  };
  return t;
}

OpDef make(const UnaryOp& u) {
  OpDef d;
  d.op_type = u.op_type;
  const std::string name = u.op_type;
  const bool ints = u.integers;
  d.infer = [ints](Graph& g, Node& n) {
    if (ints) require_dtype(g, n, 0, {DType::F32, DType::I8, DType::I16, DType::I32, DType::I64});
    else require_dtype(g, n, 0, {DType::F32});
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, x.dtype, x.shape);
  };
  FloatFn f = u.f;
  d.eval = [f, name](const Node& n, const Inputs& in) {
    TensorData y(in[0]->dtype, in[0]->shape);
    dispatch(in[0]->dtype, [&](auto z) {
      using T = decltype(z);
      const T* x = in[0]->data<T>();
      T* o = y.data<T>();
      for (int64_t i = 0; i < y.size(); ++i) {
        if constexpr (std::is_same_v<T, float>) o[i] = f(n, x[i]);
        else o[i] = int_apply<T>(name, x[i]);
      }
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  const std::string functor = u.functor;
  d.emit = [functor](EmitContext& ctx, const Node& n) {
    ctx.use("elementwise");
    ctx.use("unary_ops");
    Params p;
    p.i("n", numel(ctx.graph().val(n.output(0)).shape));
    std::string P = ctx.params(p);
    ctx.line(fmt::format("tk::map_unary<{}, tk::{}>({}, {});", P, functor, ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

struct Register {
  Register() {
    for (const auto& u : table()) OpRegistry::instance().add(make(u));
  }
} reg;

}  // namespace
}  // namespace tinyc::ops
