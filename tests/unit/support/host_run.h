// Compiles a graph with tinyc's emitter, builds the generated C++ with host g++ under
// -fsanitize=address,undefined -Wall -Wextra -Werror, runs it, and returns its outputs: the
// way kernel tests compare generated code with the reference evaluator.
#pragma once

#include "compiler/ir.h"

#include <string>
#include <vector>

namespace tinyc::test {

struct HostRun {
  std::vector<TensorData> outputs;
  std::string source; // the generated model.cpp
};

// Runs the pass pipeline first when `run_passes` (the graph must then be as after import).
// `checking_build`: dead arena buffers are poisoned and the model's inputs and outputs live
// in the arena (also switched on for every test by TINYC_TEST_PLAN=poison,io-in-arena;
// TINYC_TEST_PLAN=no-inplace plans without in-place or overlapping outputs).
HostRun compile_and_run(Graph g, const std::vector<TensorData>& inputs, bool run_passes = true,
                        const std::string& extra_flags = "", bool checking_build = false);

} // namespace tinyc::test
