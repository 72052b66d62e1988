// Identity and inference-time Dropout disappear: their consumers read the input directly.
#include "passes.h"

namespace tinyc {

// Rewires every reader of `from` to read `to` instead.
static void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& in : n.inputs)
      if (in == from) in = to;
}

void remove_identity(Graph& g) {
  for (Node& n : g.nodes) {
    bool removable = n.domain.empty() && (n.op_type == "Identity" || n.op_type == "Dropout");
    if (!removable || n.inputs.empty() || n.input(0) < 0) continue;
    // Dropout's mask output (if anyone reads it) keeps the node alive.
    if (n.op_type == "Dropout" && n.output(1) >= 0) {
      bool mask_used = g.is_graph_output(n.output(1));
      for (const Node& m : g.nodes)
        for (int in : m.inputs) mask_used |= in == n.output(1);
      if (mask_used) continue;
    }
    const int in = n.input(0), out = n.output(0);
    // A graph output keeps its name and storage; only inner values can be bypassed.
    if (g.is_graph_output(out)) continue;
    replace_uses(g, out, in);
    n.op_type.clear();
  }
  g.compact();
}

} // namespace tinyc
