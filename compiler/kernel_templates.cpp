#include "kernel_templates.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tinyc {

// `#include "name.h"` -> "name"; empty for any other line.
static std::string local_include(const std::string& line) {
  if (line.rfind("#include \"", 0) != 0) return "";
  auto end = line.find(".h\"", 10);
  return end == std::string::npos ? "" : line.substr(10, end - 10);
}

static void add_kernel(const std::string& name, std::set<std::string>& done,
                       std::set<std::string>& system, std::string& code) {
  if (done.count(name)) return;
  done.insert(name);
  auto it = kernel_templates().find(name);
  if (it == kernel_templates().end()) throw std::logic_error("no kernel template " + name);
  std::istringstream in(it->second);
  std::string line, body;
  while (std::getline(in, line)) {
    std::string dep = local_include(line);
    if (!dep.empty()) {
      add_kernel(dep, done, system, code);
      continue;
    }
    if (line.rfind("#include <", 0) == 0) {
      system.insert(line);
      continue;
    }
    if (line == "#pragma once") continue;
    body += line + "\n";
  }
  code += "// ---- templates/" + name + ".h\n" + body;
}

AssembledKernels assemble_kernels(const std::vector<std::string>& names) {
  std::set<std::string> done, system;
  AssembledKernels r;
  for (const auto& n : names) add_kernel(n, done, system, r.code);
  r.system_includes.assign(system.begin(), system.end());
  return r;
}

} // namespace tinyc
