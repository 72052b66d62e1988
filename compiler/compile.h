// The whole compilation, as the CLI and the tests drive it: import, passes, emit.
#pragma once

#include "../passes/passes.h"
#include "emitter.h"
#include "onnx_import.h"

#include <functional>
#include <string>

namespace tinyc {

struct CompileOptions {
  ImportOptions import;
  EmitOptions emit;
  PassOptions passes;
  // Called after each pass with its name (for --dump-ir).
  std::function<void(const std::string& pass, const Graph&)> after_pass;
};

struct CompileResult {
  Graph graph; // after all passes
  EmittedModel model;
};

// Runs the pass pipeline on an imported graph.
void run_pipeline(Graph& g, const PassOptions& opts = {},
                  const std::function<void(const std::string&, const Graph&)>& after_pass = {});

CompileResult compile_model(const std::string& model_path, const CompileOptions& opts);

} // namespace tinyc
