// Elementwise binary ops with numpy broadcasting: reference formula and kernel functor
// (templates/binary_ops.h) side by side.
#include "op_util.h"

#include <limits>

namespace tinyc::ops {
namespace {

struct BinaryOp {
  const char* op_type;
  const char* functor;
};

const std::vector<BinaryOp>& table() {
  static const std::vector<BinaryOp> t = {
      {"Add", "op_add"}, {"Sub", "op_sub"}, {"Mul", "op_mul"}, {"Div", "op_div"}};
  return t;
}

template <class T> T apply(const std::string& op, T a, T b) {
  if (op == "Add") return T(a + b);
  if (op == "Sub") return T(a - b);
  if (op == "Mul") return T(a * b);
  if constexpr (std::is_integral_v<T>) return b == T(0) ? T(0) : T(a / b);
  else return a / b;
}

// Walks the broadcast output in row-major order, calling f(out_index, a_index, b_index).
template <class F>
void for_each_broadcast(const Shape& out, const std::vector<int64_t>& sa,
                        const std::vector<int64_t>& sb, F&& f) {
  const int64_t n = numel(out);
  std::vector<int64_t> idx(out.size(), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, ia, ib);
    for (size_t d = out.size(); d-- > 0;) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

OpDef make(const BinaryOp& b) {
  OpDef d;
  d.op_type = b.op_type;
  const std::string name = b.op_type;
  d.accepts_fused_act = true;
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::F32, DType::F64, DType::I8, DType::U8, DType::I16, DType::U16,
                            DType::I32, DType::U32, DType::I64, DType::U64});
    const Value &a = input(g, n, 0), &c = input(g, n, 1);
    if (a.dtype != c.dtype)
      fail("node {}: inputs have different element types ({} and {})", n.label(),
           dtype_name(a.dtype), dtype_name(c.dtype));
    set_output(g, n, 0, a.dtype, broadcast(n, a.shape, c.shape));
  };
  d.eval = [name](const Node& n, const Inputs& in) {
    Shape out = broadcast(n, in[0]->shape, in[1]->shape);
    TensorData y(in[0]->dtype, out);
    auto sa = broadcast_strides(in[0]->shape, out), sb = broadcast_strides(in[1]->shape, out);
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      if constexpr (std::is_same_v<T, bool>) {
        fail("node {}: bool inputs are not supported", n.label());
      } else {
        const T *a = in[0]->data<T>(), *c = in[1]->data<T>();
        T* o = y.data<T>();
        for_each_broadcast(out, sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
          o[i] = apply<T>(name, a[ia], c[ib]);
        });
      }
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  const std::string functor = b.functor;
  d.emit = [functor](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape& out = g.val(n.output(0)).shape;
    const Shape &sa = g.val(n.input(0)).shape, &sb = g.val(n.input(1)).shape;
    ctx.use("elementwise");
    ctx.use("binary_ops");
    Params p;
    p.i("rank", int64_t(out.size())).i("n", numel(out));
    p.i("same_shape", sa == out && sb == out);
    p.ints("out", out).ints("sa", broadcast_strides(sa, out)).ints("sb", broadcast_strides(sb, out));
    p.ints("sy", strides_of(out));
    std::string functor_expr = "tk::" + functor;
    if (n.act.kind != ActKind::None) {
      // A fused activation wraps the functor.
      ctx.use("activation");
      add_act(p, n.act);
      functor_expr = "tk::with_act<tk::" + functor + ">";
    }
    std::string P = ctx.params(p);
    ctx.line(fmt::format("tk::map_binary<{}, {}>({}, {}, {});", P, functor_expr,
                         ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
  };
  d.macs = [](const Graph& g, const Node& n) {
    return n.op_type == "Mul" ? numel(g.val(n.output(0)).shape) : int64_t(0);
  };
  return d;
}

struct Register {
  Register() {
    for (const auto& b : table()) OpRegistry::instance().add(make(b));
  }
} reg;

}  // namespace
}  // namespace tinyc::ops
