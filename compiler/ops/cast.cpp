// Cast (target type from the `to` attribute) and CastLike (target type of input 1) between
// all element types tinyc supports; float16, bfloat16 and strings are not supported.
#include "elementwise_ref.h"

namespace tinyc::ops {
namespace {

DType target_of(const Graph& g, const Node& n) {
  if (n.op_type == "CastLike") return input(g, n, 1).dtype;
  if (!n.has_attr("to")) fail("node {}: attribute 'to' is required", n.label());
  const int64_t to = n.attr_i("to", 0);
  DType t = dtype_from_onnx(int(to));
  if (t == DType::Undefined)
    fail("node {}: casting to ONNX element type {} is not supported by tinyc", n.label(), to);
  return t;
}

TensorData convert_tensor(const TensorData& x, DType to) {
  TensorData y(to, x.shape);
  dispatch(x.dtype, [&](auto zx) {
    using T = decltype(zx);
    return dispatch(to, [&](auto zy) {
      using U = decltype(zy);
      const T* a = x.data<T>();
      U* o = y.data<U>();
      for (int64_t i = 0; i < x.size(); ++i) o[i] = convert_value<U>(a[i]);
      return 0;
    });
  });
  return y;
}

OpDef cast_def(const char* op_type) {
  OpDef d;
  d.op_type = op_type;
  d.elementwise_inplace = true;
  // The target type is stored in the output value by infer; eval and emit read it from there
  // (eval sees only the node, so it re-derives it from the attribute or input 1).
  d.infer = [](Graph& g, Node& n) {
    const Value& x = input(g, n, 0);
    if (x.dtype == DType::Undefined)
      fail("node {}: input element type is not supported by tinyc", n.label());
    set_output(g, n, 0, target_of(g, n), x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    DType to = n.op_type == "CastLike" ? in[1]->dtype : dtype_from_onnx(int(n.attr_i("to", 0)));
    if (to == DType::Undefined) fail("node {}: target element type is not supported", n.label());
    return std::vector<TensorData>{convert_tensor(*in[0], to)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value &x = g.val(n.input(0)), &y = g.val(n.output(0));
    if (x.dtype == y.dtype) {
      emit_copy(ctx, n);
      return;
    }
    ctx.use("elementwise");
    ctx.use("cast");
    std::string P = ctx.params(Params().i("n", numel(y.shape)).type("out_t", dtype_ctype(y.dtype)));
    ctx.line(fmt::format("tk::map_unary<{}, tk::op_cast>({}, {});", P, ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

OpDef cast() {
  return cast_def("Cast");
}
OpDef cast_like() {
  return cast_def("CastLike");
}
TINYC_REGISTER_OP(cast);
TINYC_REGISTER_OP(cast_like);

} // namespace
} // namespace tinyc::ops
