#include "channel_groups.h"

#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace tinyc {

int ChannelGroups::atom(int a) {
  while (atom_parent[size_t(a)] != a) {
    atom_parent[size_t(a)] = atom_parent[size_t(atom_parent[size_t(a)])];
    a = atom_parent[size_t(a)];
  }
  return a;
}

int ChannelGroups::group(int v) {
  while (value_parent[size_t(v)] != v) {
    value_parent[size_t(v)] = value_parent[size_t(value_parent[size_t(v)])];
    v = value_parent[size_t(v)];
  }
  return v;
}

int64_t weight_out_axis(const Node& n) {
  if (n.op_type == "Conv") return 0;
  if (n.op_type == "Gemm") return n.attr_i("transB", 0) ? 0 : 1;
  return 1; // MatMul
}

float fused_act_at_zero(const FusedAct& a) {
  switch (a.kind) {
  case ActKind::Clip:
    return std::min(std::max(0.0f, a.alpha), a.beta);
  case ActKind::Sigmoid:
    return 0.5f;
  case ActKind::HardSigmoid:
    return std::max(0.0f, std::min(1.0f, a.beta));
  default:
    return 0.0f;
  }
}

namespace {

const TensorData* const_f32(const Graph& g, int v) {
  if (v < 0 || !g.val(v).constant || g.val(v).dtype != DType::F32) return nullptr;
  return &*g.val(v).constant;
}

// The DequantizeLinear producing v from constants, or null.
const Node* dequantized_constant(const Graph& g, int v) {
  if (v < 0 || g.val(v).producer < 0 || g.val(v).dtype != DType::F32) return nullptr;
  const Node& dq = g.nodes[size_t(g.val(v).producer)];
  if (!dq.domain.empty() || dq.op_type != "DequantizeLinear" || dq.outputs.size() != 1)
    return nullptr;
  for (int in : dq.inputs)
    if (in >= 0 && !g.val(in).constant) return nullptr;
  return &dq;
}

std::vector<bool> find_weights(const Graph& g) {
  std::vector<bool> w(g.values.size(), false);
  const auto readers = g.consumers();
  for (size_t v = 0; v < g.values.size(); ++v)
    w[v] = const_f32(g, int(v)) || (dequantized_constant(g, int(v)) && readers[v].size() == 1 &&
                                    !g.is_graph_output(int(v)));
  return w;
}

bool is_weight(const Graph& g, int v, const std::vector<bool>& weight) {
  (void)g;
  return v >= 0 && size_t(v) < weight.size() && weight[size_t(v)];
}

bool all_zero(const TensorData& t) {
  for (int64_t i = 0; i < t.size(); ++i)
    if (t.get_f64(i) != 0) return false;
  return true;
}

int64_t norm_axis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + int64_t(rank) : axis;
}

// Conv with constant weights whose group equals its input and output channels.
bool is_depthwise(const Graph& g, const Node& n, const std::vector<bool>& weight) {
  if (n.op_type != "Conv" || !n.domain.empty() || !is_weight(g, n.input(1), weight)) return false;
  const Shape& w = g.val(n.input(1)).shape;
  if (w.size() < 3 || g.val(n.input(0)).shape.size() != w.size()) return false;
  const int64_t group = n.attr_i("group", 1), c = g.val(n.input(0)).shape[1];
  return group > 1 && group == c && w[0] == c && w[1] == 1;
}

// Conv (not depthwise), Gemm or MatMul whose weights (and bias) are constants.
bool is_producer(const Graph& g, const Node& n, const std::vector<bool>& weight) {
  if (!n.domain.empty() || n.outputs.size() != 1 || n.output(0) < 0) return false;
  if (!is_weight(g, n.input(1), weight) || g.val(n.output(0)).dtype != DType::F32) return false;
  const Shape& w = g.val(n.input(1)).shape;
  const Shape& out = g.val(n.output(0)).shape;
  if (n.op_type == "Conv") {
    if (is_depthwise(g, n, weight) || w.size() < 3 || out.size() != w.size()) return false;
    const int b = n.input(2);
    return b < 0 || (is_weight(g, b, weight) && g.val(b).shape == Shape{w[0]});
  }
  if (n.op_type == "Gemm") {
    if (w.size() != 2 || out.size() != 2) return false;
    const int64_t m = out[1];
    const int c = n.input(2);
    if (c < 0) return true;
    const Shape& cs = g.val(c).shape;
    return is_weight(g, c, weight) && numel(cs) == m && !cs.empty() && cs.back() == m;
  }
  if (n.op_type == "MatMul")
    return w.size() == 2 && g.val(n.input(0)).shape.size() >= 2 && n.inputs.size() == 2;
  return false;
}

struct Analysis {
  const Graph& g;
  ChannelGroups& cg;

  void track(int v, int64_t axis, int64_t channels, int64_t inner) {
    cg.axis[size_t(v)] = axis;
    cg.channels[size_t(v)] = channels;
    cg.inner[size_t(v)] = inner;
    cg.first_atom[size_t(v)] = int(cg.atom_parent.size());
    for (int64_t c = 0; c < channels; ++c) cg.atom_parent.push_back(int(cg.atom_parent.size()));
  }
  void mark_bad(int v, const std::string& why) {
    const int r = cg.group(v);
    if (cg.bad[size_t(r)].empty()) cg.bad[size_t(r)] = why;
  }
  void join(int a, int b) {
    const int ra = cg.group(a), rb = cg.group(b);
    if (ra == rb) return;
    cg.value_parent[size_t(rb)] = ra;
    if (cg.bad[size_t(ra)].empty()) cg.bad[size_t(ra)] = cg.bad[size_t(rb)];
  }
  void join_atoms(int a, int b) {
    const int ra = cg.atom(a), rb = cg.atom(b);
    if (ra != rb) cg.atom_parent[size_t(rb)] = ra;
  }
  // out carries x's channels one to one.
  void pass(int x, int out, int64_t axis, int64_t inner) {
    track(out, axis, cg.channels[size_t(x)], inner);
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c)
      join_atoms(cg.first_atom[size_t(x)] + int(c), cg.first_atom[size_t(out)] + int(c));
    join(x, out);
  }
  void bad_inputs(const Node& n, const std::string& why) {
    for (int in : n.inputs)
      if (cg.tracked(in)) mark_bad(in, why);
  }
  std::string read_by(const Node& n) { return "read by " + n.label(); }

  void producer(const Node& n, int index) {
    const int x = n.input(0);
    if (cg.tracked(x)) {
      const Value& xv = g.val(x);
      const int64_t ax = cg.axis[size_t(x)];
      bool ok = false;
      if (n.op_type == "Conv") {
        ok = ax == 1 && cg.inner[size_t(x)] == 1;
        const int64_t group = n.attr_i("group", 1);
        if (ok && group > 1) cg.blocks.push_back({x, group});
      } else if (n.op_type == "Gemm") {
        ok = ax == 1 && xv.shape.size() == 2 && n.attr_i("transA", 0) == 0;
      } else {
        ok = ax == int64_t(xv.shape.size()) - 1;
      }
      if (!ok) mark_bad(x, read_by(n) + " along another axis");
    }
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (cg.tracked(n.inputs[k])) mark_bad(n.inputs[k], read_by(n) + " as a weight");
    const int out = n.output(0);
    const Shape& os = g.val(out).shape;
    const int64_t ax = n.op_type == "Conv" ? 1 : int64_t(os.size()) - 1;
    track(out, ax, os[size_t(ax)], 1);
    cg.producers.push_back(index);
    if (n.op_type == "Conv" && n.attr_i("group", 1) > 1)
      cg.blocks.push_back({out, n.attr_i("group", 1)});
    if (fused_act_at_zero(n.act) != 0) mark_bad(out, n.label() + "'s activation is not 0 at 0");
  }

  // The value of a Clip at 0, or NaN when its bounds are not constants.
  float clip_at_zero(const Node& n) {
    float lo = -INFINITY, hi = INFINITY;
    if (g.opset < 11) {
      lo = n.attr_f("min", lo);
      hi = n.attr_f("max", hi);
    } else {
      for (size_t k = 1; k <= 2; ++k) {
        const int b = n.input(k);
        if (b < 0) continue;
        if (!g.val(b).constant || g.val(b).constant->size() != 1) return NAN;
        (k == 1 ? lo : hi) = float(g.val(b).constant->get_f64(0));
      }
    }
    return std::min(std::max(0.0f, lo), hi);
  }

  bool per_tensor(const Node& n) {
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      const int in = n.inputs[k];
      if (in >= 0 && (!g.val(in).constant || g.val(in).constant->size() != 1)) return false;
    }
    return true;
  }

  // Pad leaves the channel axis alone and pads with zeros (or repeats values).
  bool pad_keeps_channels(const Node& n, int64_t axis, size_t rank) {
    std::vector<int64_t> pads;
    double value = 0;
    if (g.opset < 11) {
      pads = n.attr_ints("pads", {});
      value = n.attr_f("value", 0.0f);
    } else {
      if (n.input(3) >= 0) return false;
      const int p = n.input(1);
      if (p < 0 || !g.val(p).constant) return false;
      pads = g.val(p).constant->to_i64_vector();
      const int c = n.input(2);
      if (c >= 0) {
        if (!g.val(c).constant || g.val(c).constant->size() != 1) return false;
        value = g.val(c).constant->get_f64(0);
      }
    }
    if (pads.size() != 2 * rank) return false;
    if (pads[size_t(axis)] != 0 || pads[size_t(axis) + rank] != 0) return false;
    return n.attr_s("mode", "constant") != "constant" || value == 0;
  }

  // Add/Sub/Mul of same-shaped tracked tensors and per-channel or broadcast constants.
  void elementwise(const Node& n, int index) {
    const int out = n.output(0);
    const Shape& os = g.val(out).shape;
    int first = -1;
    for (int in : n.inputs)
      if (cg.tracked(in) && first < 0) first = in;
    const int64_t ax = cg.axis[size_t(first)], ch = cg.channels[size_t(first)],
                  inner = cg.inner[size_t(first)];
    std::string why;
    bool has_channel_const = false;
    for (int in : n.inputs) {
      if (cg.tracked(in)) {
        if (cg.axis[size_t(in)] != ax || cg.channels[size_t(in)] != ch ||
            cg.inner[size_t(in)] != inner || g.val(in).shape != os)
          why = read_by(n) + " with another layout";
        continue;
      }
      const TensorData* c = const_f32(g, in);
      if (!c) {
        why = read_by(n) + " with an untracked operand";
        continue;
      }
      const int64_t pos = ax - int64_t(os.size() - c->shape.size());
      const int64_t dim = pos >= 0 ? c->shape[size_t(pos)] : 1;
      if (dim == 1) {
        if (n.op_type != "Mul" && !all_zero(*c))
          why = read_by(n) + " adding a constant to every channel";
      } else if (dim == ch && inner == 1) {
        has_channel_const = true;
      } else {
        why = read_by(n) + " with a constant of another layout";
      }
    }
    if (fused_act_at_zero(n.act) != 0) why = n.label() + "'s activation is not 0 at 0";
    pass(first, out, ax, inner);
    for (int in : n.inputs)
      if (cg.tracked(in) && in != first) {
        for (int64_t c = 0; c < ch; ++c)
          join_atoms(cg.first_atom[size_t(in)] + int(c), cg.first_atom[size_t(out)] + int(c));
        join(in, out);
      }
    if (has_channel_const) cg.const_ops.push_back(index);
    if (!why.empty()) mark_bad(out, why);
  }

  void concat(const Node& n) {
    const int out = n.output(0);
    const Shape& os = g.val(out).shape;
    const int64_t caxis = norm_axis(n.attr_i("axis", 0), os.size());
    int64_t ax = -1;
    bool ok = true;
    for (int in : n.inputs) {
      if (!cg.tracked(in) || cg.inner[size_t(in)] != 1) {
        ok = false;
        continue;
      }
      if (ax < 0) ax = cg.axis[size_t(in)];
      ok &= cg.axis[size_t(in)] == ax;
    }
    if (ax < 0) return;
    if (!ok) {
      bad_inputs(n, read_by(n) + " with untracked or differently laid out inputs");
      return;
    }
    if (ax == caxis) {
      track(out, ax, os[size_t(ax)], 1);
      int64_t off = 0;
      for (int in : n.inputs) {
        for (int64_t c = 0; c < cg.channels[size_t(in)]; ++c)
          join_atoms(cg.first_atom[size_t(in)] + int(c), cg.first_atom[size_t(out)] + int(off + c));
        off += cg.channels[size_t(in)];
        join(in, out);
      }
    } else {
      pass(n.input(0), out, ax, 1);
      for (int in : n.inputs) {
        if (cg.channels[size_t(in)] != cg.channels[size_t(out)]) {
          mark_bad(out, read_by(n) + " with differing channels");
          continue;
        }
        for (int64_t c = 0; c < cg.channels[size_t(in)]; ++c)
          join_atoms(cg.first_atom[size_t(in)] + int(c), cg.first_atom[size_t(out)] + int(c));
        join(in, out);
      }
    }
  }

  void node(const Node& n, int index) {
    if (is_producer(g, n, cg.weight)) return producer(n, index);
    bool any = false;
    for (int in : n.inputs) any |= cg.tracked(in);
    if (!any) return;
    const std::string& op = n.op_type;
    const int x = n.input(0), out = n.output(0);
    if (!n.domain.empty() || n.outputs.size() != 1 || out < 0) return bad_inputs(n, read_by(n));
    const size_t rank = g.val(out).shape.size();
    const int64_t ax = cg.tracked(x) ? cg.axis[size_t(x)] : -1;
    const int64_t inner = cg.tracked(x) ? cg.inner[size_t(x)] : 0;
    const bool act_ok = fused_act_at_zero(n.act) == 0;
    auto single_input = [&] {
      for (size_t k = 1; k < n.inputs.size(); ++k)
        if (cg.tracked(n.inputs[k])) return false;
      return ax >= 0;
    };
    if ((op == "Relu" || op == "LeakyRelu") && single_input() && act_ok)
      return pass(x, out, ax, inner);
    if (op == "Clip" && single_input() && act_ok) {
      pass(x, out, ax, inner);
      if (!(clip_at_zero(n) == 0)) mark_bad(out, n.label() + " is not 0 at 0");
      return;
    }
    if ((op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" ||
         op == "GlobalMaxPool") &&
        single_input() && ax == 1 && inner == 1 && act_ok)
      return pass(x, out, ax, 1);
    if (op == "Pad" && single_input() && act_ok) {
      pass(x, out, ax, inner);
      if (!pad_keeps_channels(n, ax, rank))
        mark_bad(out, n.label() + " pads channels or with a nonzero value");
      return;
    }
    if (op == "Conv" && is_depthwise(g, n, cg.weight) && single_input() && ax == 1 && inner == 1 &&
        act_ok) {
      const int b = n.input(2);
      if (b >= 0 &&
          !(is_weight(g, b, cg.weight) && numel(g.val(b).shape) == cg.channels[size_t(x)]))
        return bad_inputs(n, read_by(n));
      cg.depthwise.push_back(index);
      return pass(x, out, 1, 1);
    }
    const Shape& xs = g.val(x).shape;
    const bool flattens = ax == 1 && rank == 2 && xs.size() >= 2 && g.val(out).shape[0] == xs[0];
    if (op == "Flatten" && single_input() && flattens &&
        norm_axis(n.attr_i("axis", 1), xs.size()) == 1) {
      int64_t spatial = 1;
      for (size_t d = 2; d < xs.size(); ++d) spatial *= xs[d];
      return pass(x, out, 1, inner * spatial);
    }
    if (op == "Reshape" && single_input() && flattens && g.val(n.input(1)).constant) {
      int64_t spatial = 1;
      for (size_t d = 2; d < xs.size(); ++d) spatial *= xs[d];
      cg.reshapes.push_back(index);
      return pass(x, out, 1, inner * spatial);
    }
    // Per-tensor QuantizeLinear/DequantizeLinear of an activation: 0 <-> the zero point.
    if ((op == "QuantizeLinear" || op == "DequantizeLinear") && single_input() && per_tensor(n))
      return pass(x, out, ax, inner);
    if ((op == "Add" || op == "Sub" || op == "Mul") && n.inputs.size() == 2)
      return elementwise(n, index);
    if (op == "Concat") return concat(n);
    bad_inputs(n, read_by(n));
  }
};

} // namespace

bool is_constant_weight(const Graph& g, int v) {
  return const_f32(g, v) || dequantized_constant(g, v);
}

TensorData weight_values(const Graph& g, int v) {
  if (const TensorData* t = const_f32(g, v)) return *t;
  const Node* dq = dequantized_constant(g, v);
  if (!dq) fail("pruning: '{}' is not a weight", g.val(v).name);
  const OpDef* def = OpRegistry::instance().find("", "DequantizeLinear");
  Inputs in;
  for (int i : dq->inputs) in.push_back(i >= 0 ? &*g.val(i).constant : nullptr);
  return def->eval(*dq, in).at(0);
}

ChannelGroups analyze_channels(const Graph& g) {
  ChannelGroups cg;
  const size_t nv = g.values.size();
  cg.axis.assign(nv, -1);
  cg.channels.assign(nv, 0);
  cg.inner.assign(nv, 1);
  cg.first_atom.assign(nv, -1);
  cg.value_parent.resize(nv);
  for (size_t v = 0; v < nv; ++v) cg.value_parent[v] = int(v);
  cg.bad.assign(nv, "");
  cg.weight = find_weights(g);
  Analysis a{g, cg};
  for (size_t i = 0; i < g.nodes.size(); ++i) a.node(g.nodes[i], int(i));
  for (int o : g.outputs)
    if (cg.tracked(o)) a.mark_bad(o, "'" + g.val(o).name + "' is a graph output");
  return cg;
}

TensorData take_along(const TensorData& t, int64_t axis, const std::vector<int64_t>& keep) {
  Shape s = t.shape;
  const int64_t n = s[size_t(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < s.size(); ++d) inner *= s[d];
  s[size_t(axis)] = int64_t(keep.size());
  TensorData r(t.dtype, s);
  const size_t es = dtype_size(t.dtype), row = size_t(inner) * es;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < keep.size(); ++k)
      std::memcpy(r.bytes.data() + (size_t(o) * keep.size() + k) * row,
                  t.bytes.data() + (size_t(o * n + keep[k])) * row, row);
  return r;
}

std::vector<int64_t> kept_channels(ChannelGroups& cg, int v, const std::vector<bool>& removed) {
  std::vector<int64_t> keep;
  for (int64_t c = 0; c < cg.channels[size_t(v)]; ++c)
    if (!removed[size_t(cg.atom_at(v, c))]) keep.push_back(c);
  return keep;
}

namespace {

// Replaces input k of n by a new constant (the old one may be shared with other nodes).
void set_const_input(Graph& g, Node& n, size_t k, TensorData t) {
  const std::string name = g.val(n.inputs[k]).name;
  n.inputs[k] = g.add_constant(name, std::move(t));
}

// Columns of a flattened tensor that survive: each kept channel's `inner` elements.
std::vector<int64_t> expand(const std::vector<int64_t>& keep, int64_t inner) {
  std::vector<int64_t> cols;
  for (int64_t c : keep)
    for (int64_t i = 0; i < inner; ++i) cols.push_back(c * inner + i);
  return cols;
}

// Grouped Conv weights [M, C/G, k...] reading only `keep` of its C input channels; every
// group keeps the same number (the selection guarantees it).
TensorData take_grouped_inputs(const TensorData& w, int64_t group, int64_t c_in,
                               const std::vector<int64_t>& keep) {
  const int64_t m = w.shape[0], per_in = c_in / group, per_out = m / group;
  std::vector<std::vector<int64_t>> local(static_cast<size_t>(group));
  for (int64_t c : keep) local[size_t(c / per_in)].push_back(c % per_in);
  const size_t kept = local[0].size();
  for (const auto& l : local)
    if (l.size() != kept) fail("pruning: uneven channel removal across the groups of a Conv");
  Shape s = w.shape;
  s[1] = int64_t(kept);
  TensorData r(w.dtype, s);
  int64_t spatial = 1;
  for (size_t d = 2; d < s.size(); ++d) spatial *= s[d];
  const size_t row = size_t(spatial) * dtype_size(w.dtype);
  for (int64_t o = 0; o < m; ++o) {
    const auto& l = local[size_t(o / per_out)];
    for (size_t k = 0; k < kept; ++k)
      std::memcpy(r.bytes.data() + (size_t(o) * kept + k) * row,
                  w.bytes.data() + (size_t(o * per_in + l[k])) * row, row);
  }
  return r;
}

// Applies f to weight input k of n: a float constant, or the quantised constant behind its
// DequantizeLinear. When f keeps `keep` along axis `axis` and that is the DequantizeLinear's
// per-channel axis, its scales and zero points keep the same entries.
void transform_weight(Graph& g, Node& n, size_t k,
                      const std::function<TensorData(const TensorData&)>& f, int64_t axis = -1,
                      const std::vector<int64_t>* keep = nullptr) {
  const int v = n.inputs[k];
  if (g.val(v).constant) return set_const_input(g, n, k, f(*g.val(v).constant));
  Node& dq = g.nodes[size_t(g.val(v).producer)];
  const size_t rank = g.val(dq.inputs[0]).shape.size();
  const int64_t dq_axis = norm_axis(dq.attr_i("axis", 1), rank);
  set_const_input(g, dq, 0, f(*g.val(dq.inputs[0]).constant));
  if (!keep || dq_axis != axis) return;
  for (size_t q = 1; q < dq.inputs.size(); ++q) {
    const int p = dq.inputs[q];
    if (p >= 0 && g.val(p).constant->size() > 1)
      set_const_input(g, dq, q, take_along(*g.val(p).constant, 0, *keep));
  }
}

void take_weight(Graph& g, Node& n, size_t k, int64_t axis, const std::vector<int64_t>& keep) {
  transform_weight(
      g, n, k, [&](const TensorData& t) { return take_along(t, axis, keep); }, axis, &keep);
}

} // namespace

void remove_channels(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed) {
  auto changed = [&](int v) {
    return cg.tracked(v) && int64_t(kept_channels(cg, v, removed).size()) != cg.channels[size_t(v)];
  };
  for (int i : cg.producers) {
    Node& n = g.nodes[size_t(i)];
    const int x = n.input(0), out = n.output(0);
    if (changed(x)) {
      const std::vector<int64_t> keep = kept_channels(cg, x, removed);
      const int64_t group = n.attr_i("group", 1), c_in = cg.channels[size_t(x)];
      if (n.op_type == "Conv" && group > 1)
        transform_weight(g, n, 1, [&](const TensorData& w) {
          return take_grouped_inputs(w, group, c_in, keep);
        });
      else if (n.op_type == "Conv")
        take_weight(g, n, 1, 1, keep);
      else
        take_weight(g, n, 1, n.op_type == "Gemm" && n.attr_i("transB", 0) ? 1 : 0,
                    expand(keep, cg.inner[size_t(x)]));
    }
    if (changed(out)) {
      const std::vector<int64_t> keep = kept_channels(cg, out, removed);
      take_weight(g, n, 1, weight_out_axis(n), keep);
      const int b = n.input(2);
      if (b >= 0) take_weight(g, n, 2, int64_t(g.val(b).shape.size()) - 1, keep);
    }
  }
  for (int i : cg.depthwise) {
    Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    if (!changed(out)) continue;
    const std::vector<int64_t> keep = kept_channels(cg, out, removed);
    take_weight(g, n, 1, 0, keep);
    if (n.input(2) >= 0) take_weight(g, n, 2, 0, keep);
    n.attrs["group"].i = int64_t(keep.size());
  }
  for (int i : cg.const_ops) {
    Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    if (!changed(out)) continue;
    const std::vector<int64_t> keep = kept_channels(cg, out, removed);
    const size_t rank = g.val(out).shape.size();
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int in = n.inputs[k];
      if (cg.tracked(in) || !g.val(in).constant) continue;
      const TensorData& c = *g.val(in).constant;
      const int64_t pos = cg.axis[size_t(out)] - int64_t(rank - c.shape.size());
      if (pos >= 0 && c.shape[size_t(pos)] == cg.channels[size_t(out)])
        set_const_input(g, n, k, take_along(c, pos, keep));
    }
  }
  for (int i : cg.reshapes) {
    Node& n = g.nodes[size_t(i)];
    if (!changed(n.output(0))) continue;
    std::vector<int64_t> s = g.val(n.input(1)).constant->to_i64_vector();
    TensorData t(DType::I64, {2});
    t.data<int64_t>()[0] = s.at(0);
    t.data<int64_t>()[1] = -1;
    set_const_input(g, n, 1, t);
  }
  infer_shapes(g);
}

} // namespace tinyc
