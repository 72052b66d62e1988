// The compile summary (stdout) and the JSON report (--report).
#pragma once

#include "emitter.h"

#include <string>

namespace tinyc {

// Short summary: weights, arena, MACs; with per_layer, one row per layer.
std::string summary_text(const Graph& g, const EmittedModel& m, bool per_layer);

// The JSON report: per-layer op, shapes, MACs, weight bytes; arena buffers; totals.
std::string report_json(const Graph& g, const EmittedModel& m, const std::string& model_file);

// "tensor_name", or "scratch of NODE" for a kernel's scratch buffer.
std::string buffer_name(const Graph& g, const ArenaBuffer& b);

// The arena plan as a self-contained HTML page with an SVG picture: time (execution steps)
// across, arena offset up, one rectangle per buffer coloured by the layer that writes it.
std::string report_html(const Graph& g, const EmittedModel& m, const std::string& model_file);

} // namespace tinyc
