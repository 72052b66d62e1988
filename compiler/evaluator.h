// The reference evaluator: runs the IR on the host with each op's reference semantics.
// It is the test oracle for the emitted code and the engine behind calibration.
#pragma once

#include "ir.h"

#include <functional>
#include <vector>

namespace tinyc {

// Called with every value computed, in execution order (for calibration and debugging).
using ValueObserver = std::function<void(int value_id, const TensorData&)>;

// Runs the graph on inputs given in g.inputs order; returns outputs in g.outputs order.
std::vector<TensorData> evaluate(const Graph& g, const std::vector<TensorData>& inputs,
                                 const ValueObserver& observe = {});

} // namespace tinyc
