// Reshape, Flatten, Squeeze, Unsqueeze: the same elements under a new shape. They are views
// (no code, no storage) unless their result is a graph output, which is then copied.
#include "op_util.h"

#include <limits>

namespace tinyc::ops {
namespace {

Shape reshape_target(const Graph& g, const Node& n) {
  const Value& x = input(g, n, 0);
  std::vector<int64_t> spec = const_input(g, n, 1, "target shape").to_i64_vector();
  const bool allowzero = n.attr_i("allowzero", 0) != 0;
  Shape out(spec.size());
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowzero) {
      if (i >= x.shape.size())
        fail("node {}: 0 in the target shape at position {} has no input dim", n.label(), i);
      d = x.shape[i];
    }
    if (d == -1) {
      if (infer_at >= 0) fail("node {}: the target shape has more than one -1", n.label());
      infer_at = int64_t(i);
      continue;
    }
    if (d < 0) fail("node {}: invalid dimension {} in the target shape", n.label(), d);
    if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
      fail("node {}: the target shape {} is too large", n.label(), shape_str(Shape(spec)));
    out[i] = d;
    known *= d;
  }
  const int64_t total = numel(x.shape);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      fail("node {}: cannot reshape {} into {}", n.label(), shape_str(x.shape),
           shape_str(Shape(spec)));
    out[size_t(infer_at)] = total / known;
  } else if (known != total) {
    fail("node {}: cannot reshape {} ({} elements) into {} ({} elements)", n.label(),
         shape_str(x.shape), total, shape_str(out), known);
  }
  return out;
}

Shape flatten_target(const Graph& g, const Node& n) {
  const Shape& s = input(g, n, 0).shape;
  int64_t r = int64_t(s.size());
  int64_t axis = n.attr_i("axis", 1);
  if (axis < -r || axis > r)
    fail("node {}: axis {} is out of range for rank {}", n.label(), axis, r);
  if (axis < 0) axis += r;
  int64_t a = 1, b = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? a : b) *= s[size_t(i)];
  return {a, b};
}

std::vector<int64_t> axes_of(const Graph& g, const Node& n) {
  if (n.opset >= 13 && n.inputs.size() >= 2 && n.input(1) >= 0)
    return const_input(g, n, 1, "axes").to_i64_vector();
  return n.attr_ints("axes", {});
}

Shape squeeze_target(const Graph& g, const Node& n) {
  const Shape& s = input(g, n, 0).shape;
  std::vector<int64_t> axes = axes_of(g, n);
  std::vector<bool> drop(s.size(), false);
  if (axes.empty()) {
    for (size_t i = 0; i < s.size(); ++i) drop[i] = s[i] == 1;
  }
  for (int64_t a : axes) {
    int64_t k = normalize_axis(n, a, int64_t(s.size()));
    if (s[size_t(k)] != 1)
      fail("node {}: cannot squeeze axis {} of size {}", n.label(), a, s[size_t(k)]);
    drop[size_t(k)] = true;
  }
  Shape out;
  for (size_t i = 0; i < s.size(); ++i)
    if (!drop[i]) out.push_back(s[i]);
  return out;
}

Shape unsqueeze_target(const Graph& g, const Node& n) {
  const Shape& s = input(g, n, 0).shape;
  std::vector<int64_t> axes = axes_of(g, n);
  const int64_t r = int64_t(s.size() + axes.size());
  std::vector<bool> ins(size_t(r), false);
  for (int64_t a : axes) {
    int64_t k = normalize_axis(n, a, r);
    if (ins[size_t(k)]) fail("node {}: axis {} given twice", n.label(), a);
    ins[size_t(k)] = true;
  }
  Shape out;
  size_t j = 0;
  for (int64_t i = 0; i < r; ++i) out.push_back(ins[size_t(i)] ? 1 : s[j++]);
  return out;
}

OpDef make(const char* op, Shape (*target)(const Graph&, const Node&)) {
  OpDef d;
  d.op_type = op;
  d.is_view = true;
  d.infer = [target](Graph& g, Node& n) {
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, x.dtype, target(g, n));
  };
  d.eval = [target](const Node& n, const Inputs& in) {
    // Rebuild a tiny graph view so eval and infer share one shape rule.
    Graph g;
    Node m = n;
    m.inputs.clear();
    for (size_t k = 0; k < in.size(); ++k) {
      if (!in[k]) {
        m.inputs.push_back(-1);
        continue;
      }
      Value v;
      v.name = "in" + std::to_string(k);
      v.dtype = in[k]->dtype;
      v.shape = in[k]->shape;
      v.shape_known = true;
      if (k > 0) v.constant = *in[k];
      m.inputs.push_back(g.add_value(v));
    }
    TensorData y = *in[0];
    y.shape = target(g, m);
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = emit_copy;
  return d;
}

TINYC_REGISTER_OP([] { return make("Reshape", reshape_target); });
TINYC_REGISTER_OP([] { return make("Flatten", flatten_target); });
TINYC_REGISTER_OP([] { return make("Squeeze", squeeze_target); });
TINYC_REGISTER_OP([] { return make("Unsqueeze", unsqueeze_target); });

} // namespace
} // namespace tinyc::ops
