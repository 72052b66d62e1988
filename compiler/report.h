// The compile summary (stdout) and the JSON report (--report).
#pragma once

#include "emitter.h"

#include <string>

namespace tinyc {

// Which ops of a quantised graph run on integers and which fall back to float.
struct PrecisionSummary {
  bool quantized = false;             // the graph computes int8 values
  int integer_ops = 0;                // ops on integer data (int8 kernels, data movement, ...)
  std::vector<const Node*> float_ops; // ops that compute in float between Q/DQ nodes
};
// Quantize/DequantizeLinear (the conversions themselves) and views (no code) are not counted.
PrecisionSummary precision_summary(const Graph& g);

// Short summary: weights, arena, MACs; with per_layer, one row per layer.
std::string summary_text(const Graph& g, const EmittedModel& m, bool per_layer);

// The JSON report: per-layer op, shapes, MACs, weight bytes; arena buffers; totals.
std::string report_json(const Graph& g, const EmittedModel& m, const std::string& model_file);

} // namespace tinyc
