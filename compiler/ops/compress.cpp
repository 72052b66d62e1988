// Compress with a condition known at compile time (frozen if it is a model input): the kept
// positions along the axis (or of the flattened tensor) become an index map
// (templates/index_map.h), so the output shape is static.
#include "data_util.h"

namespace tinyc::ops {
namespace {

IndexMap compress_map(const Node& n, const Shape& s, const TensorData& cond) {
  std::vector<int64_t> kept;
  IndexMap m;
  const bool flat = !n.has_attr("axis");
  const int64_t axis = flat ? 0 : normalize_axis(n, n.attr_i("axis", 0), int64_t(s.size()));
  const int64_t dim = flat ? numel(s) : s[size_t(axis)];
  for (int64_t i = 0; i < cond.size() && i < dim; ++i)
    if (cond.get_i64(i) != 0) kept.push_back(i);
  if (flat) {
    m.out = {int64_t(kept.size())};
    m.sx = {1};
    m.map = {kept};
    return m;
  }
  m.out = s;
  m.out[size_t(axis)] = int64_t(kept.size());
  m.sx = strides_of(s);
  for (size_t d = 0; d < s.size(); ++d) {
    std::vector<int64_t> t;
    if (int64_t(d) == axis)
      t = kept;
    else
      for (int64_t i = 0; i < s[d]; ++i) t.push_back(i);
    m.map.push_back(t);
  }
  return m;
}

OpDef compress_def() {
  OpDef d;
  d.op_type = "Compress";
  d.infer = [](Graph& g, Node& n) {
    require_const_inputs(g, n, {1}, "condition");
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, x.dtype, compress_map(n, x.shape, const_input(g, n, 1, "condition")).out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    IndexMap m = compress_map(n, in[0]->shape, *in[1]);
    TensorData y(in[0]->dtype, m.out);
    index_map_eval(m, *in[0], nullptr, y);
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value& x = g.val(n.input(0));
    IndexMap m = compress_map(n, x.shape, const_input(g, n, 1, "condition"));
    emit_index_map(ctx, m, n.input(0), n.output(0), element_literal(x.dtype, nullptr));
  };
  return d;
}

TINYC_REGISTER_OP(compress_def);

} // namespace
} // namespace tinyc::ops
