#include "report.h"

#include <fmt/format.h>

#include <algorithm>

namespace tinyc {

static std::string json_string(const std::string& s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      r += std::string("\\") + char(c);
    else if (c < 0x20)
      r += fmt::format("\\u{:04x}", c);
    else
      r += char(c);
  }
  return r + "\"";
}

static std::string json_shape(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// 1234567 -> "1,234,567"
static std::string grouped(int64_t v) {
  std::string d = std::to_string(v < 0 ? -v : v), r;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) r += ',';
    r += d[i];
  }
  return (v < 0 ? "-" : "") + r;
}

// Bytes of the model's inputs and outputs (each value once).
static int64_t io_bytes(const Graph& g) {
  std::vector<int> seen;
  int64_t total = 0;
  for (const auto* list : {&g.inputs, &g.outputs})
    for (int v : *list) {
      if (std::find(seen.begin(), seen.end(), v) != seen.end() || g.val(v).constant) continue;
      seen.push_back(v);
      total += numel(g.val(v).shape) * int64_t(dtype_size(g.val(v).dtype));
    }
  return total;
}

std::string buffer_name(const Graph& g, const ArenaBuffer& b) {
  return b.value_id >= 0 ? g.val(b.value_id).name
                         : "scratch of " + g.nodes[size_t(b.scratch_of)].name;
}

std::string summary_text(const Graph& g, const EmittedModel& m, bool per_layer) {
  std::string s;
  if (per_layer) {
    s += fmt::format("  {:<4} {:<28} {:<22} {:<18} {:>12} {:>10}\n", "#", "layer", "op", "output",
                     "MACs", "weights B");
    for (size_t i = 0; i < m.layers.size(); ++i) {
      const auto& l = m.layers[i];
      std::string name = l.name.size() > 28 ? l.name.substr(0, 25) + "..." : l.name;
      s += fmt::format("  {:<4} {:<28} {:<22} {:<18} {:>12} {:>10}\n", i, name, l.op,
                       shape_str(l.out_shape), grouped(l.macs), grouped(l.weight_bytes));
    }
  }
  int inplace = 0;
  for (const auto& l : m.layers) inplace += l.inplace;
  const int64_t io = io_bytes(g);
  s +=
      fmt::format("  weights {} B (flash) | arena {} B (RAM; lower bound {} B, every buffer "
                  "separate {} B) | {} MACs | {} layers\n",
                  grouped(m.weight_bytes), grouped(m.plan.arena_bytes), grouped(m.plan.lower_bound),
                  grouped(m.plan.naive_bytes), grouped(m.macs), g.nodes.size());
  s +=
      fmt::format("  memory plan: {} buffers, {} in place, {}; model inputs+outputs {} B {}\n",
                  m.plan.buffers.size(), inplace, m.plan.method[0] ? m.plan.method : "no buffers",
                  grouped(io), m.plan.io_in_arena ? "inside the arena" : "in the caller's buffers");
  return s;
}

std::string report_json(const Graph& g, const EmittedModel& m, const std::string& model_file) {
  std::string s = "{\n";
  s += fmt::format("  \"model\": {},\n", json_string(model_file));
  s += fmt::format(
      "  \"totals\": {{\"weights_bytes\": {}, \"arena_bytes\": {}, \"arena_lower_bound\": {}, "
      "\"arena_naive_bytes\": {}, \"io_bytes\": {}, \"io_in_arena\": {}, \"macs\": {}, "
      "\"layers\": {}}},\n",
      m.weight_bytes, m.plan.arena_bytes, m.plan.lower_bound, m.plan.naive_bytes, io_bytes(g),
      m.plan.io_in_arena ? "true" : "false", m.macs, m.layers.size());
  s += "  \"inputs\": [";
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value& v = g.val(g.inputs[i]);
    s += fmt::format("{}{{\"name\": {}, \"dtype\": \"{}\", \"shape\": {}}}", i ? ", " : "",
                     json_string(v.name), dtype_name(v.dtype), json_shape(v.shape));
  }
  s += "],\n  \"outputs\": [";
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& v = g.val(g.outputs[i]);
    s += fmt::format("{}{{\"name\": {}, \"dtype\": \"{}\", \"shape\": {}}}", i ? ", " : "",
                     json_string(v.name), dtype_name(v.dtype), json_shape(v.shape));
  }
  s += "],\n  \"layers\": [\n";
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& l = m.layers[i];
    std::string ins;
    for (size_t k = 0; k < l.in_shapes.size(); ++k)
      ins += (k ? ", " : "") + json_shape(l.in_shapes[k]);
    s += fmt::format(
        "    {{\"index\": {}, \"name\": {}, \"op\": {}, \"input_shapes\": [{}], "
        "\"output_shape\": {}, \"output_dtype\": \"{}\", \"macs\": {}, \"weight_bytes\": {}, "
        "\"in_place\": {}}}{}\n",
        i, json_string(l.name), json_string(l.op), ins, json_shape(l.out_shape),
        dtype_name(l.out_dtype), l.macs, l.weight_bytes, l.inplace ? "true" : "false",
        i + 1 < m.layers.size() ? "," : "");
  }
  s += "  ],\n  \"arena\": {\n";
  s +=
      fmt::format("    \"bytes\": {}, \"alignment\": {}, \"lower_bound\": {}, \"naive_bytes\": {}, "
                  "\"placement\": {},\n",
                  m.plan.arena_bytes, ArenaPlan::kAlign, m.plan.lower_bound, m.plan.naive_bytes,
                  json_string(m.plan.method));
  s += "    \"_note\": \"first_use/last_use are indices into layers (the execution order)\",\n";
  s += "    \"buffers\": [\n";
  for (size_t i = 0; i < m.plan.buffers.size(); ++i) {
    const auto& b = m.plan.buffers[i];
    std::string values;
    for (size_t k = 0; k < b.values.size(); ++k)
      values += (k ? ", " : "") + json_string(g.val(b.values[k]).name);
    const bool io = b.value_id >= 0 &&
                    (g.is_graph_output(b.value_id) ||
                     std::find(g.inputs.begin(), g.inputs.end(), b.value_id) != g.inputs.end());
    s += fmt::format("      {{\"name\": {}, \"kind\": \"{}\", \"offset\": {}, \"size\": {}, "
                     "\"first_use\": {}, \"last_use\": {}, \"values\": [{}]}}{}\n",
                     json_string(buffer_name(g, b)),
                     b.value_id < 0 ? "scratch"
                     : io           ? "model_io"
                                    : "activation",
                     b.offset, b.size, b.first, b.last, values,
                     i + 1 < m.plan.buffers.size() ? "," : "");
  }
  s += "    ]\n  }\n}\n";
  return s;
}

} // namespace tinyc
