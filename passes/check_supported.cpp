// Every node's op is known to tinyc; all unknown ones are reported at once.
#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

#include <set>

namespace tinyc {

void check_supported(Graph& g) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const Node& n : g.nodes) {
    if (OpRegistry::instance().find(n.domain, n.op_type)) continue;
    std::string op = n.domain.empty() ? n.op_type : n.domain + "::" + n.op_type;
    problems.push_back(fmt::format("node '{}': op {} is not supported by tinyc", n.name, op));
    seen.insert(op);
  }
  if (!problems.empty()) {
    std::string list;
    for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
    problems.push_back(fmt::format("{} unsupported node(s), op types: {} (see `tinyc --list-ops`)",
                                   problems.size(), list));
    throw CompileErrors(problems);
  }
}

} // namespace tinyc
