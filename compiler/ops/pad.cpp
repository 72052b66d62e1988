// Pad (constant, edge, reflect, wrap): a separable index map (templates/index_map.h) whose
// per-dimension table says which input coordinate each output coordinate reads, -1 meaning
// the constant value.
#include "data_util.h"

namespace tinyc::ops {
namespace {

struct PadPlan {
  IndexMap m;
  std::string mode;
};

int64_t source_index(const std::string& mode, int64_t i, int64_t dim) {
  if (i >= 0 && i < dim) return i;
  if (mode == "constant" || dim == 0) return -1;
  if (mode == "edge") return i < 0 ? 0 : dim - 1;
  if (mode == "wrap") return ((i % dim) + dim) % dim;
  // reflect: mirror without repeating the edge, period 2*(dim-1)
  if (dim == 1) return 0;
  const int64_t period = 2 * (dim - 1);
  int64_t k = ((i % period) + period) % period;
  return k < dim ? k : period - k;
}

PadPlan pad_plan(const Node& n, const Shape& s, const ConstArg& arg) {
  const int64_t r = int64_t(s.size());
  PadPlan p;
  p.mode = n.attr_s("mode", "constant");
  if (p.mode != "constant" && p.mode != "edge" && p.mode != "reflect" && p.mode != "wrap")
    fail("node {}: pad mode '{}' is not supported", n.label(), p.mode);
  std::vector<int64_t> pads =
      n.opset < 11 ? n.attr_ints("pads", n.attr_ints("paddings", {})) : arg(1)->to_i64_vector();
  std::vector<int64_t> axes;
  if (n.opset >= 18)
    if (const TensorData* t = arg(3)) axes = t->to_i64_vector();
  if (axes.empty())
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size())
    fail("node {}: pads has {} entries for {} axes", n.label(), pads.size(), axes.size());
  std::vector<int64_t> before(size_t(r), 0), after(size_t(r), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normalize_axis(n, axes[i], r);
    before[size_t(a)] = pads[i];
    after[size_t(a)] = pads[i + axes.size()];
  }
  p.m.sx = strides_of(s);
  for (int64_t d = 0; d < r; ++d) {
    const int64_t dim = s[size_t(d)];
    const int64_t o = dim + before[size_t(d)] + after[size_t(d)];
    if (o < 0) fail("node {}: negative padded size on axis {}", n.label(), d);
    if (dim == 0 && o > 0 && p.mode != "constant")
      fail("node {}: mode '{}' cannot pad an empty axis (not supported)", n.label(), p.mode);
    p.m.out.push_back(o);
    std::vector<int64_t> t;
    for (int64_t i = 0; i < o; ++i) t.push_back(source_index(p.mode, i - before[size_t(d)], dim));
    p.m.map.push_back(t);
  }
  return p;
}

// The constant value: attribute `value` before opset 11, else the optional input 2.
TensorData fill_value(const Node& n, DType t, const ConstArg& arg) {
  TensorData v(t, {});
  if (n.opset < 11)
    v.set_f64(0, n.attr_f("value", 0.0f));
  else if (const TensorData* c = arg(2); c && c->size() > 0) {
    v = *c;
    v.shape = {};
  }
  return v;
}

OpDef pad_def() {
  OpDef d;
  d.op_type = "Pad";
  d.infer = [](Graph& g, Node& n) {
    require_const_inputs(g, n, {1, 2, 3}, "pads");
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, x.dtype, pad_plan(n, x.shape, graph_args(g, n, "pads")).m.out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    PadPlan p = pad_plan(n, in[0]->shape, eval_args(in));
    TensorData v = fill_value(n, in[0]->dtype, eval_args(in));
    TensorData y(in[0]->dtype, p.m.out);
    index_map_eval(p.m, *in[0], &v, y);
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value& x = g.val(n.input(0));
    PadPlan p = pad_plan(n, x.shape, graph_args(g, n, "pads"));
    TensorData v = fill_value(n, x.dtype, graph_args(g, n, "constant value"));
    emit_index_map(ctx, p.m, n.input(0), n.output(0), element_literal(x.dtype, &v));
  };
  return d;
}

TINYC_REGISTER_OP(pad_def);

} // namespace
} // namespace tinyc::ops
