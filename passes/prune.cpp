// The prune pass (after fuse-activation, before quantize): removes the channels a model
// computes as constant 0, then applies --prune if asked; records what changed.
#include "passes.h"
#include "prune.h"
#include "prune_stats.h"

#include "../compiler/report.h"

#include <fmt/format.h>

#include <map>

namespace tinyc {

void prune(Graph& g, const PassOptions& opts) {
  const PruneOptions& p = opts.prune;
  if (!p.enabled && !p.remove_zero_channels) return;
  PruneRecord local;
  PruneRecord& rec = p.record ? *p.record : local;
  if (p.enabled) {
    rec.original = g;
    rec.fraction = p.fraction;
    rec.method = p.method == PruneMethod::Structured ? "structured" : "unstructured";
  }
  const std::vector<PrunedLayer> before = measure_layers(g);
  rec.weight_bytes_before = weight_bytes(g);
  rec.macs_before = total_macs(g);
  if (p.remove_zero_channels) remove_zero_channels(g, &rec);
  if (p.enabled && (p.fraction > 0 || p.automatic)) {
    PruneOptions run = p;
    // Channel statistics of the graph as it is now, shared by every candidate of the search.
    if (p.method == PruneMethod::Structured && !p.samples.empty()) {
      run.input_stats = std::make_shared<InputStats>(measure_input_stats(g, p.samples));
      if (p.compensate == PruneCompensation::Refit)
        run.layer_grams = std::make_shared<LayerGrams>(measure_layer_grams(g, p.samples));
    }
    if (p.automatic) run.layer_fraction = search_prune_fractions(g, run, &rec);
    if (p.method == PruneMethod::Structured)
      prune_structured(g, run, &rec);
    else
      prune_unstructured(g, run, &rec);
  }
  rec.weight_bytes_after = weight_bytes(g);
  rec.macs_after = total_macs(g);
  std::map<std::string, PrunedLayer> after;
  for (const PrunedLayer& l : measure_layers(g)) after[l.output] = l;
  rec.layers.clear();
  rec.nonzero_before = rec.nonzero_after = rec.weights_total = 0;
  for (PrunedLayer l : before) {
    auto it = after.find(l.output);
    if (it == after.end()) continue;
    l.channels_after = it->second.channels_before;
    l.weights_after = it->second.weights_before;
    l.nonzero_after = it->second.nonzero_before;
    l.macs_after = it->second.macs_before;
    auto r = rec.removed_channels.find(l.output);
    if (r != rec.removed_channels.end()) l.removed = r->second;
    rec.nonzero_before += l.nonzero_before;
    rec.nonzero_after += l.nonzero_after;
    rec.weights_total += l.weights_after;
    rec.layers.push_back(l);
  }
  // Per-channel constants of Add/Sub/Mul lose channels too (the tests zero them).
  for (const auto& [out, removed] : rec.removed_channels) {
    if (after.count(out)) continue;
    PrunedLayer l;
    l.output = l.name = out;
    l.op_type = "const";
    l.removed = removed;
    rec.layers.push_back(l);
  }
}

static std::string percent(int64_t part, int64_t whole) {
  return whole ? fmt::format("{:.1f}%", 100.0 * double(part) / double(whole)) : "0%";
}

static std::string num(int64_t v) {
  std::string d = std::to_string(v), r;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) r += ',';
    r += d[i];
  }
  return r;
}

std::string prune_summary_text(const PruneRecord& r) {
  std::string s;
  if (r.zero_channels_removed)
    s += fmt::format("  removed {} all-zero channel{} (outputs constant 0{})\n",
                     r.zero_channels_removed, r.zero_channels_removed == 1 ? "" : "s",
                     r.constant_channels_folded
                         ? fmt::format(", or constant and folded into the next layer's bias: {}",
                                       r.constant_channels_folded)
                         : "");
  if (r.method.empty()) {
    for (const PrunedLayer& l : r.layers)
      if (l.op_type != "const" && l.channels_after != l.channels_before)
        s += fmt::format("    {:<34} channels {} -> {}, weights {} -> {}, MACs {} -> {}\n",
                         l.name.substr(0, 34), l.channels_before, l.channels_after,
                         num(l.weights_before), num(l.weights_after), num(l.macs_before),
                         num(l.macs_after));
    return s;
  }
  if (r.automatic) {
    s += fmt::format("  prune auto ({}): {} candidates evaluated; top-1 {:.2f}% -> {:.2f}% "
                     "(budget {:g} points); per-layer fraction:\n",
                     r.method, r.candidates_evaluated, r.top1_before, r.top1_after,
                     r.max_accuracy_drop);
    for (const auto& [layer, f] : r.auto_choice)
      s += fmt::format("    {:<34} {:g}\n", layer.substr(0, 34), f);
    if (r.auto_choice.empty()) s += "    (no layer can be pruned)\n";
  }
  s +=
      fmt::format("  pruning ({}, {}): weights {} -> {} B, nonzero weights {} -> {} "
                  "(sparsity {}), MACs {} -> {}\n",
                  r.method, r.automatic ? std::string("auto") : fmt::format("{:g}", r.fraction),
                  num(r.weight_bytes_before), num(r.weight_bytes_after), num(r.nonzero_before),
                  num(r.nonzero_after), percent(r.weights_total - r.nonzero_after, r.weights_total),
                  num(r.macs_before), num(r.macs_after));
  s += fmt::format("    {:<34} {:>12} {:>9} {:>21} {:>23}\n", "layer", "channels", "sparsity",
                   "weights", "MACs");
  for (const PrunedLayer& l : r.layers) {
    if (l.op_type == "const") continue;
    s += fmt::format("    {:<34} {:>12} {:>9} {:>21} {:>23}\n", l.name.substr(0, 34),
                     fmt::format("{} -> {}", l.channels_before, l.channels_after),
                     percent(l.weights_after - l.nonzero_after, l.weights_after),
                     fmt::format("{} -> {}", num(l.weights_before), num(l.weights_after)),
                     fmt::format("{} -> {}", num(l.macs_before), num(l.macs_after)));
  }
  if (r.layers_refit)
    s += fmt::format("    {} layer{} reading removed channels refit by least squares on the sample "
                     "data\n",
                     r.layers_refit, r.layers_refit == 1 ? "" : "s");
  if (r.mean_compensated)
    s += fmt::format("    {} removed channel{} replaced by {} mean on the sample data (in the next "
                     "layer's bias)\n",
                     r.mean_compensated, r.mean_compensated == 1 ? "" : "s",
                     r.mean_compensated == 1 ? "its" : "their");
  for (const std::string& u : r.unprunable) s += "    kept: " + u + "\n";
  return s;
}

std::string prune_report_json(const PruneRecord& r) {
  std::string s = fmt::format(
      "\"pruning\": {{\"method\": {}, \"fraction\": {}, \"zero_channels_removed\": {}, "
      "\"constant_channels_folded\": {}, "
      "\"weights_bytes_before\": {}, \"weights_bytes_after\": {}, \"nonzero_weights_before\": {}, "
      "\"nonzero_weights_after\": {}, \"weights_after\": {}, \"macs_before\": {}, "
      "\"macs_after\": {},\n    \"layers\": [",
      json_string(r.method), r.fraction, r.zero_channels_removed, r.constant_channels_folded,
      r.weight_bytes_before, r.weight_bytes_after, r.nonzero_before, r.nonzero_after,
      r.weights_total, r.macs_before, r.macs_after);
  bool first = true;
  for (const PrunedLayer& l : r.layers) {
    if (l.op_type == "const") continue;
    s += fmt::format("{}\n      {{\"name\": {}, \"op\": {}, \"channels_before\": {}, "
                     "\"channels_after\": {}, \"weights_before\": {}, \"weights_after\": {}, "
                     "\"nonzero_before\": {}, \"nonzero_after\": {}, \"macs_before\": {}, "
                     "\"macs_after\": {}}}",
                     first ? "" : ",", json_string(l.name), json_string(l.op_type),
                     l.channels_before, l.channels_after, l.weights_before, l.weights_after,
                     l.nonzero_before, l.nonzero_after, l.macs_before, l.macs_after);
    first = false;
  }
  s += "],\n    \"unprunable\": [";
  for (size_t i = 0; i < r.unprunable.size(); ++i)
    s += (i ? ", " : "") + json_string(r.unprunable[i]);
  s += fmt::format("],\n    \"mean_compensated\": {}, \"layers_refit\": {}", r.mean_compensated,
                   r.layers_refit);
  if (r.automatic) {
    s += fmt::format(",\n    \"auto\": {{\"max_accuracy_drop\": {}, \"top1_before\": {}, "
                     "\"top1_after\": {}, \"candidates_evaluated\": {}, \"fractions\": {{",
                     r.max_accuracy_drop, r.top1_before / 100.0, r.top1_after / 100.0,
                     r.candidates_evaluated);
    for (size_t i = 0; i < r.auto_choice.size(); ++i)
      s += fmt::format("{}{}: {}", i ? ", " : "", json_string(r.auto_choice[i].first),
                       r.auto_choice[i].second);
    s += "}}";
  }
  return s + "}";
}

} // namespace tinyc
