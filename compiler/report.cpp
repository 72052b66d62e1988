#include "report.h"

#include "../passes/plan_arena.h"
#include "ops/sparse_kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tinyc {

std::string json_string(const std::string& s) {
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

PrecisionSummary precision_summary(const Graph& g) {
  PrecisionSummary p;
  for (const Node& n : g.nodes)
    for (int o : n.outputs)
      if (o >= 0 && (g.val(o).dtype == DType::I8 || g.val(o).dtype == DType::U8))
        p.quantized = true;
  for (int i : g.inputs)
    if (g.val(i).dtype == DType::I8 || g.val(i).dtype == DType::U8) p.quantized = true;
  if (!p.quantized) return p;
  for (const Node& n : g.nodes) {
    const bool conversion =
        n.domain.empty() && (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear" ||
                             n.op_type == "DynamicQuantizeLinear");
    if (conversion || is_view_node(g, n)) continue;
    bool computes_float = false;
    for (int o : n.outputs)
      if (o >= 0 && dtype_is_float(g.val(o).dtype)) computes_float = true;
    if (computes_float)
      p.float_ops.push_back(&n);
    else
      ++p.integer_ops;
  }
  return p;
}

// "int8: 12 ops; float fallback: 2 ops (Softmax 'sm', Conv 'c1')"
static std::string precision_line(const PrecisionSummary& p) {
  std::string s = fmt::format("  int8: {} op{}; float fallback: {} op{}", p.integer_ops,
                              p.integer_ops == 1 ? "" : "s", p.float_ops.size(),
                              p.float_ops.size() == 1 ? "" : "s");
  if (!p.float_ops.empty()) {
    s += " (";
    for (size_t i = 0; i < p.float_ops.size(); ++i)
      s += fmt::format("{}{} '{}'", i ? ", " : "", p.float_ops[i]->op_type, p.float_ops[i]->name);
    s += ")";
  }
  return s + "\n";
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
  const PrecisionSummary p = precision_summary(g);
  if (p.quantized) s += precision_line(p);
  int overlapping = 0;
  for (int64_t k : m.plan.overlap_shift) overlapping += k >= 0;
  s += fmt::format("  memory plan: {} buffers, {} in place ({} overlapping their input), {}; model "
                   "inputs+outputs {} B {}\n",
                   m.plan.buffers.size(), inplace, overlapping,
                   m.plan.method[0] ? m.plan.method : "no buffers", grouped(io),
                   m.plan.io_in_arena ? "inside the arena" : "in the caller's buffers");
  return s;
}

std::string report_json(const Graph& g, const EmittedModel& m, const std::string& model_file,
                        const std::string& extra) {
  std::string s = "{\n";
  s += fmt::format("  \"model\": {},\n", json_string(model_file));
  s += fmt::format(
      "  \"totals\": {{\"weights_bytes\": {}, \"arena_bytes\": {}, \"arena_lower_bound\": {}, "
      "\"arena_naive_bytes\": {}, \"io_bytes\": {}, \"io_in_arena\": {}, \"macs\": {}, "
      "\"layers\": {}}},\n",
      m.weight_bytes, m.plan.arena_bytes, m.plan.lower_bound, m.plan.naive_bytes, io_bytes(g),
      m.plan.io_in_arena ? "true" : "false", m.macs, m.layers.size());
  const PrecisionSummary p = precision_summary(g);
  if (p.quantized) {
    s += fmt::format("  \"precision\": {{\"int8_ops\": {}, \"float_fallback_ops\": {}, "
                     "\"float_fallback\": [",
                     p.integer_ops, p.float_ops.size());
    for (size_t i = 0; i < p.float_ops.size(); ++i)
      s += fmt::format("{}{{\"name\": {}, \"op\": {}}}", i ? ", " : "",
                       json_string(p.float_ops[i]->name), json_string(p.float_ops[i]->op_type));
    s += "]},\n";
  }
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
    // Layers with a sparse kernel available: which one runs, weight bytes of both.
    std::string kernel;
    if (l.node_index >= 0) {
      const Node& n = g.nodes[size_t(l.node_index)];
      const SparseEstimate e = estimate_sparse(g, n);
      if (e.possible)
        kernel = fmt::format(", \"kernel\": \"{}\", \"kernel_bytes\": {{\"dense\": {}, "
                             "\"sparse\": {}}}, \"weight_count\": {}, \"nonzero_weights\": {}, "
                             "\"estimated_instructions\": "
                             "{{\"dense\": {:.0f}, \"sparse\": {:.0f}}}",
                             uses_sparse_kernel(n) ? "sparse" : "dense", e.dense_bytes,
                             e.sparse_bytes, e.weights, e.nonzeros, e.dense_instr, e.sparse_instr);
    }
    s += fmt::format(
        "    {{\"index\": {}, \"name\": {}, \"op\": {}, \"input_shapes\": [{}], "
        "\"output_shape\": {}, \"output_dtype\": \"{}\", \"macs\": {}, \"weight_bytes\": {}, "
        "\"in_place\": {}{}}}{}\n",
        i, json_string(l.name), json_string(l.op), ins, json_shape(l.out_shape),
        dtype_name(l.out_dtype), l.macs, l.weight_bytes, l.inplace ? "true" : "false", kernel,
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
    // Where each value stored here really is (a Concat slice, an output overlapping its input).
    std::string at;
    for (size_t k = 0; k < b.values.size(); ++k) {
      const Value& v = g.val(b.values[k]);
      at += fmt::format("{}{{\"value\": {}, \"offset\": {}, \"bytes\": {}}}", k ? ", " : "",
                        json_string(v.name), b.offset + m.plan.alias_offset[size_t(b.values[k])],
                        numel(v.shape) * int64_t(dtype_size(v.dtype)));
    }
    s += fmt::format("      {{\"name\": {}, \"kind\": \"{}\", \"offset\": {}, \"size\": {}, "
                     "\"first_use\": {}, \"last_use\": {}, \"overlap_group\": {}, \"values\": "
                     "[{}], \"value_offsets\": [{}]}}{}\n",
                     json_string(buffer_name(g, b)),
                     b.value_id < 0 ? "scratch"
                     : io           ? "model_io"
                                    : "activation",
                     b.offset, b.size, b.first, b.last, b.group, values, at,
                     i + 1 < m.plan.buffers.size() ? "," : "");
  }
  s += "    ]\n  }" + (extra.empty() ? "" : ",\n" + extra) + "\n}\n";
  return s;
}

std::string quant_summary_text(const QuantizeRecord& q, const std::optional<QuantAccuracy>& a) {
  std::string s =
      fmt::format("  int8: {} calibration samples, method {}, {} activations and {} "
                  "weight tensors quantised, {} ops between QDQ pairs\n",
                  q.samples, q.method, q.activations, q.weights, q.quantized_ops.size());
  // Which of them run on int8 kernels is the summary's precision line (and the JSON's lists).
  if (a) s += accuracy_text(*a);
  return s;
}

// A finite number for JSON (which has no inf/nan), else null.
static std::string json_number(double v) {
  return std::isfinite(v) ? fmt::format("{:.6g}", v) : "null";
}

std::string quant_report_json(const QuantizeRecord* q, const std::optional<QuantAccuracy>& a) {
  if (!q) return "";
  std::string s = fmt::format("  \"quantization\": {{\"scheme\": \"int8\", \"method\": {}, "
                              "\"calibration_samples\": {}, \"activations\": {}, "
                              "\"weight_tensors\": {}, \"qdq_ops\": {}",
                              json_string(q->method), q->samples, q->activations, q->weights,
                              q->quantized_ops.size());
  for (const auto* list : {&q->int8_ops, &q->float_ops}) {
    s += list == &q->int8_ops ? ",\n    \"int8_ops\": [" : ",\n    \"float_ops\": [";
    for (size_t i = 0; i < list->size(); ++i) s += (i ? ", " : "") + json_string((*list)[i]);
    s += "]";
  }
  if (a) {
    s += fmt::format(",\n    \"accuracy\": {{\"data\": {}, \"samples\": {}, \"snr_db\": {}, "
                     "\"max_abs_error\": {}, \"top1_agreement\": {}",
                     json_string(a->data), a->samples, a->exact ? "null" : json_number(a->snr_db),
                     json_number(a->max_abs_error), json_number(a->top1_agreement));
    if (a->has_labels)
      s += fmt::format(", \"top1_float\": {}, \"top1_int8\": {}", json_number(a->top1_float),
                       json_number(a->top1_int8));
    s += "}";
  }
  return s + "}";
}

} // namespace tinyc
