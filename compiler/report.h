// The compile summary (stdout) and the JSON report (--report).
#pragma once

#include "emitter.h"
#include "quant_accuracy.h"
#include "../passes/passes.h"

#include <optional>

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
// s as a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(const std::string& s);

std::string summary_text(const Graph& g, const EmittedModel& m, bool per_layer);

// The JSON report: per-layer op, shapes, MACs, weight bytes; arena buffers; totals; and
// `extra`, more top-level members ("\"key\": value" lines) when not empty.
std::string report_json(const Graph& g, const EmittedModel& m, const std::string& model_file,
                        const std::string& extra = "");

// What --quantize did and the accuracy measured: summary lines and the report's
// "quantization" member ("" when q is null).
std::string quant_summary_text(const QuantizeRecord& q, const std::optional<QuantAccuracy>& a);
std::string quant_report_json(const QuantizeRecord* q, const std::optional<QuantAccuracy>& a);

// "tensor_name", or "scratch of NODE" for a kernel's scratch buffer.
std::string buffer_name(const Graph& g, const ArenaBuffer& b);

// The arena plan as a self-contained HTML page with an SVG picture: time (execution steps)
// across, arena offset up, one rectangle per buffer coloured by the layer that writes it.
std::string report_html(const Graph& g, const EmittedModel& m, const std::string& model_file);

} // namespace tinyc
