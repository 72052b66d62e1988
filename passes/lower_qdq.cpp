// DequantizeLinear -> op -> QuantizeLinear patterns become the int8 ops of
// docs/quantization.md where a rule and a kernel exist (passes/qdq_rules.h); every other op
// keeps running in float between its DequantizeLinear and QuantizeLinear. DequantizeLinear
// nodes of constants that are still read afterwards are folded into float constants.
#include "passes.h"
#include "qdq_rules.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

namespace tinyc {

static bool is_op(const Node& n, const char* op) {
  return n.domain.empty() && n.op_type == op;
}

// Scale and zero point of a QuantizeLinear/DequantizeLinear node, when known at compile time.
static bool quant_params_of(const Graph& g, const Node& n, std::vector<float>& scale,
                            std::vector<int32_t>& zp, int64_t& axis, int64_t rank) {
  const Value& s = g.val(n.input(1));
  if (!s.constant) return false;
  const Value* z = n.input(2) >= 0 ? &g.val(n.input(2)) : nullptr;
  if (z && !z->constant) return false;
  scale.clear();
  zp.clear();
  for (int64_t i = 0; i < s.constant->size(); ++i) {
    scale.push_back(float(s.constant->get_f64(i)));
    zp.push_back(z ? int32_t(z->constant->get_i64(i)) : 0);
  }
  axis = -1;
  if (s.constant->shape.size() == 1) {
    axis = n.attr_i("axis", 1);
    if (axis < 0) axis += rank;
  }
  return true;
}

static QdqInput match_input(const Graph& g, int value) {
  QdqInput in;
  in.value = value;
  if (value < 0) return in;
  const Value& v = g.val(value);
  if (v.producer < 0) return in;
  const Node& dq = g.nodes[size_t(v.producer)];
  if (!is_op(dq, "DequantizeLinear")) return in;
  const Value& q = g.val(dq.input(0));
  if (!quant_params_of(g, dq, in.scale, in.zero_point, in.axis, int64_t(q.shape.size()))) return in;
  in.dq_node = v.producer;
  in.q_value = dq.input(0);
  in.q_type = q.dtype;
  in.is_constant = q.constant.has_value();
  return in;
}

static QdqOutput match_output(const Graph& g, const std::vector<std::vector<int>>& consumers,
                              int value) {
  QdqOutput out;
  if (value < 0 || g.is_graph_output(value)) return out;
  const auto& readers = consumers[size_t(value)];
  if (readers.size() != 1) return out; // several readers: several QuantizeLinear or float use
  const Node& q = g.nodes[size_t(readers[0])];
  if (!is_op(q, "QuantizeLinear") || q.input(0) != value) return out;
  std::vector<float> scale;
  std::vector<int32_t> zp;
  int64_t axis = -1;
  if (!quant_params_of(g, q, scale, zp, axis, int64_t(g.val(value).shape.size())) || axis >= 0)
    return out;
  out.q_node = readers[0];
  out.q_value = q.output(0);
  out.q_type = g.val(q.output(0)).dtype;
  out.scale = scale[0];
  out.zero_point = zp[0];
  return out;
}

// Records the quantisation of every per-tensor QuantizeLinear result on its value.
static void annotate_quantized_values(Graph& g) {
  for (const Node& n : g.nodes) {
    if (!is_op(n, "QuantizeLinear")) continue;
    std::vector<float> scale;
    std::vector<int32_t> zp;
    int64_t axis = -1;
    Value& y = g.val(n.output(0));
    if (quant_params_of(g, n, scale, zp, axis, int64_t(y.shape.size())) && axis < 0)
      y.quant = QuantParam{scale[0], zp[0]};
  }
}

// DequantizeLinear of a constant that a float op still reads: computed now.
static void fold_dequantized_constants(Graph& g) {
  const OpDef* dq = OpRegistry::instance().find("", "DequantizeLinear");
  for (Node& n : g.nodes) {
    if (!is_op(n, "DequantizeLinear")) continue;
    Inputs ins;
    bool known = true;
    for (int in : n.inputs) {
      if (in >= 0 && !g.val(in).constant) known = false;
      ins.push_back(in >= 0 && known ? &*g.val(in).constant : nullptr);
    }
    if (!known) continue;
    g.val(n.output(0)).constant = dq->eval(n, ins)[0];
    n.op_type.clear();
  }
  g.compact();
}

// Lowers node k if its pattern and rule allow; true when it did.
static bool lower_node(Graph& g, size_t k) {
  const Node& n = g.nodes[k];
  if (n.op_type.empty() || !n.domain.empty() || is_op(n, "QuantizeLinear") ||
      is_op(n, "DequantizeLinear"))
    return false;
  const QdqRule* rule = find_qdq_rule(n.op_type);
  if (!rule) return false;
  const auto consumers = g.consumers();
  QdqMatch m;
  for (int in : n.inputs) m.in.push_back(match_input(g, in));
  for (int out : n.outputs) m.out.push_back(match_output(g, consumers, out));
  bool any = false;
  for (const QdqOutput& o : m.out) any |= o.quantized();
  if (!any && !qdq_rule_takes_unquantized_output(n.op_type)) return false;
  const Node before = n;
  if (!(*rule)(g, g.nodes[k], m)) {
    g.nodes[k] = before; // a rule that declines changes nothing
    return false;
  }
  // The int8 node now produces the QuantizeLinear results itself.
  for (const QdqOutput& o : m.out)
    if (o.quantized()) g.nodes[size_t(o.q_node)].op_type.clear();
  g.compact();
  return true;
}

void lower_qdq(Graph& g, const PassOptions&) {
  annotate_quantized_values(g);
  // Rules rewrite their node in place and only QuantizeLinear nodes after it are removed, so
  // indices up to k stay valid.
  for (size_t k = 0; k < g.nodes.size(); ++k) lower_node(g, k);
  // Unread DequantizeLinear nodes (of lowered weights) are dropped by eliminate-dead-nodes;
  // those still feeding a float op are folded so they cost nothing at run time.
  std::vector<bool> read(g.values.size(), false);
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in >= 0) read[size_t(in)] = true;
  for (int o : g.outputs) read[size_t(o)] = true;
  for (Node& n : g.nodes)
    if (is_op(n, "DequantizeLinear") && !read[size_t(n.output(0))]) n.op_type.clear();
  g.compact();
  fold_dequantized_constants(g);
}

} // namespace tinyc
