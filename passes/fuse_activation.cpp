// Relu, Clip (constant bounds) and LeakyRelu after an op that accepts a fused activation are
// applied by that op as it stores its result, saving a pass over the tensor.
#include "passes.h"

#include "../compiler/op_registry.h"

#include <limits>

namespace tinyc {

// The activation a node computes, if it is one the producers can apply on store.
static bool activation_of(const Graph& g, const Node& a, FusedAct& act) {
  if (!a.domain.empty() || a.act.kind != ActKind::None) return false;
  if (a.op_type == "Relu") {
    act.kind = ActKind::Relu;
    return true;
  }
  if (a.op_type == "LeakyRelu") {
    act.kind = ActKind::LeakyRelu;
    act.alpha = a.attr_f("alpha", 0.01f);
    return true;
  }
  if (a.op_type == "Clip") {
    act.kind = ActKind::Clip;
    act.alpha = -std::numeric_limits<float>::infinity();
    act.beta = std::numeric_limits<float>::infinity();
    if (g.opset < 11) {
      act.alpha = a.attr_f("min", act.alpha);
      act.beta = a.attr_f("max", act.beta);
      return true;
    }
    for (int k = 1; k <= 2; ++k) {
      int in = a.input(size_t(k));
      if (in < 0) continue;
      const auto& c = g.val(in).constant;
      if (!c || c->size() != 1) return false;
      (k == 1 ? act.alpha : act.beta) = float(c->get_f64(0));
    }
    return true;
  }
  return false;
}

void fuse_activation(Graph& g) {
  auto consumers = g.consumers();
  for (Node& p : g.nodes) {
    if (p.op_type.empty() || p.act.kind != ActKind::None || p.outputs.size() != 1) continue;
    const OpDef* def = OpRegistry::instance().find(p.domain, p.op_type);
    if (!def || !def->accepts_fused_act) continue;
    const int out = p.output(0);
    if (g.val(out).dtype != DType::F32 || g.is_graph_output(out)) continue;
    if (consumers[size_t(out)].size() != 1) continue;
    Node& a = g.nodes[size_t(consumers[size_t(out)][0])];
    FusedAct act;
    if (a.input(0) != out || !activation_of(g, a, act)) continue;
    p.act = act;
    p.outputs[0] = a.output(0);
    a.op_type.clear();
    consumers = g.consumers();
  }
  g.compact();
}

} // namespace tinyc
