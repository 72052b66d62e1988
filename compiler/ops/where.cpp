// Where: y = cond ? x : z, all three inputs broadcast together (templates/where.h).
#include "elementwise_ref.h"

namespace tinyc::ops {
namespace {

OpDef where_def() {
  OpDef d;
  d.op_type = "Where";
  d.elementwise_inplace = true;
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::Bool});
    const Value &c = input(g, n, 0), &x = input(g, n, 1), &z = input(g, n, 2);
    if (x.dtype != z.dtype)
      fail("node {}: X and Y have different element types ({} and {})", n.label(),
           dtype_name(x.dtype), dtype_name(z.dtype));
    set_output(g, n, 0, x.dtype, broadcast(n, broadcast(n, c.shape, x.shape), z.shape));
  };
  d.eval = [](const Node& n, const Inputs& in) {
    Shape out = broadcast(n, broadcast(n, in[0]->shape, in[1]->shape), in[2]->shape);
    TensorData y(in[1]->dtype, out);
    std::vector<std::vector<int64_t>> st;
    for (int k = 0; k < 3; ++k) st.push_back(broadcast_strides(in[size_t(k)]->shape, out));
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      const bool* c = in[0]->data<bool>();
      const T *x = in[1]->data<T>(), *w = in[2]->data<T>();
      T* o = y.data<T>();
      for_each_broadcast_n(out, st, [&](int64_t i, const std::vector<int64_t>& p) {
        o[i] = c[p[0]] ? x[p[1]] : w[p[2]];
      });
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape& out = g.val(n.output(0)).shape;
    const Shape &sc = g.val(n.input(0)).shape, &sx = g.val(n.input(1)).shape,
                &sz = g.val(n.input(2)).shape;
    ctx.use("where");
    Params p;
    p.i("rank", int64_t(out.size())).i("n", numel(out));
    p.i("same_shape", sc == out && sx == out && sz == out);
    p.ints("out", out).ints("sc", broadcast_strides(sc, out));
    p.ints("sx", broadcast_strides(sx, out)).ints("sz", broadcast_strides(sz, out));
    p.ints("sy", strides_of(out));
    std::string P = ctx.params(p);
    ctx.line(fmt::format("tk::where<{}>({}, {}, {}, {});", P, ctx.cptr(n.input(0)),
                         ctx.cptr(n.input(1)), ctx.cptr(n.input(2)), ctx.ptr(n.output(0))));
  };
  return d;
}

TINYC_REGISTER_OP(where_def);

} // namespace
} // namespace tinyc::ops
