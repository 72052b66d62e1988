// Errors the compiler reports to the user: one clear message per problem, never a crash.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace tinyc {

// A problem with the user's model or command line. The message names the node or the
// input and says what to do; main() prints it and exits non-zero.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Several problems found in one sweep (e.g. all unsupported ops at once).
struct CompileErrors : std::runtime_error {
  std::vector<std::string> messages;
  explicit CompileErrors(std::vector<std::string> m)
      : std::runtime_error(m.empty() ? "" : m.front()), messages(std::move(m)) {}
};

// A model input whose value decides a shape, so it has to be known at compile time.
struct NeedsConstantInput : CompileError {
  std::string input_name;
  NeedsConstantInput(const std::string& msg, std::string input)
      : CompileError(msg), input_name(std::move(input)) {}
};

template <class... Args> [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw CompileError(fmt::format(f, std::forward<Args>(args)...));
}

// Verbosity-controlled progress output on stderr.
extern int g_verbosity;
void note(const std::string& msg); // printed when verbosity >= 1

} // namespace tinyc
