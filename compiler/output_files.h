// All-or-nothing output: every file is written to a temporary beside its target and renamed
// into place only when all were written, so a failure never leaves a half-written file.
#pragma once

#include <string>
#include <vector>

namespace tinyc {

class OutputFiles {
public:
  void add(std::string path, std::string contents);
  void commit(); // throws CompileError; on failure no target file is changed

private:
  std::vector<std::pair<std::string, std::string>> files_;
};

} // namespace tinyc
