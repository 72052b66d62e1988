// Optional outputs nobody reads are omitted, so they get no arena memory and no code: an
// exported LSTM names Y, Y_h and Y_c, and a classifier usually reads only one of them.
#include "passes.h"

#include "../compiler/op_registry.h"

namespace tinyc {

void drop_unused_outputs(Graph& g) {
  const auto consumers = g.consumers();
  for (Node& n : g.nodes) {
    const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
    if (!def || !def->optional_outputs) continue;
    for (int& out : n.outputs)
      if (out >= 0 && consumers[size_t(out)].empty() && !g.is_graph_output(out)) out = -1;
  }
}

} // namespace tinyc
