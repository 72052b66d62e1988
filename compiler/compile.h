// The whole compilation, as the CLI and the tests drive it: import, passes, emit.
#pragma once

#include "../passes/passes.h"
#include "emitter.h"
#include "onnx_import.h"
#include "quant_accuracy.h"

#include <memory>
#include <optional>

#include <functional>
#include <string>

namespace tinyc {

struct CompileOptions {
  ImportOptions import;
  EmitOptions emit;
  PassOptions passes;
  // --quantize int8: calibration data (sample_data.h forms), read once the input shapes are
  // known, unless passes.quant.calib is already filled; optional validation inputs + labels
  // (also used by --prune).
  std::vector<std::string> calib;
  std::string val_inputs, val_labels;
  // Called after each pass with its name (for --dump-ir).
  std::function<void(const std::string& pass, const Graph&)> after_pass;
};

struct CompileResult {
  Graph graph; // after all passes
  EmittedModel model;
  std::shared_ptr<QuantizeRecord> quant;       // what --quantize did (null without it)
  std::optional<QuantAccuracy> accuracy;       // int8 vs float, measured after compiling
  std::shared_ptr<PruneRecord> prune;          // what the prune pass did
  std::optional<QuantAccuracy> prune_accuracy; // --prune --val: compiled vs unpruned graph
};

// Runs the pass pipeline on an imported graph.
void run_pipeline(Graph& g, const PassOptions& opts = {},
                  const std::function<void(const std::string&, const Graph&)>& after_pass = {});

CompileResult compile_model(const std::string& model_path, const CompileOptions& opts);

} // namespace tinyc
