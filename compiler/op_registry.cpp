#include "op_registry.h"

#include "diagnostics.h"

#include <algorithm>

namespace tinyc {

OpRegistry& OpRegistry::instance() {
  static OpRegistry r;
  return r;
}

void OpRegistry::add(OpDef def) {
  if (find(def.domain, def.op_type))
    throw std::logic_error("op registered twice: " + def.domain + "::" + def.op_type);
  defs_.push_back(std::move(def));
}

const OpDef* OpRegistry::find(const std::string& domain, const std::string& op_type) const {
  const std::string d = domain == "ai.onnx" ? "" : domain;
  for (const auto& def : defs_)
    if (def.op_type == op_type && def.domain == d) return &def;
  return nullptr;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> r;
  for (const auto& def : defs_)
    r.push_back(def.domain.empty() ? def.op_type : def.domain + "::" + def.op_type);
  std::sort(r.begin(), r.end());
  return r;
}

} // namespace tinyc
