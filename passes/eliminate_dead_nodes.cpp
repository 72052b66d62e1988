// Nodes whose results nobody reads (directly or through other nodes) are dropped.
#include "passes.h"

namespace tinyc {

void eliminate_dead_nodes(Graph& g) {
  std::vector<bool> live(g.values.size(), false);
  for (int o : g.outputs) live[size_t(o)] = true;
  for (size_t k = g.nodes.size(); k-- > 0;) {
    Node& n = g.nodes[k];
    bool needed = false;
    for (int o : n.outputs) needed |= o >= 0 && live[size_t(o)];
    if (!needed) {
      n.op_type.clear();
      continue;
    }
    for (int in : n.inputs)
      if (in >= 0) live[size_t(in)] = true;
  }
  g.compact();
}

} // namespace tinyc
