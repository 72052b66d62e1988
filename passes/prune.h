// Pruning (docs/pruning.md): removing whole output channels (structured), zeroing single
// weights (unstructured), and removing channels an already-sparse model computes as zeros.
#pragma once

#include "../compiler/ir.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tinyc {

enum class PruneMethod { Structured, Unstructured };
enum class PruneNorm { L1, L2 };

// What one layer (a node owning output channels or weights) looked like before and after.
struct PrunedLayer {
  std::string output;  // the layer's output value (what identifies it across the pass)
  std::string name;    // node name (or its output's name when the node has none)
  std::string op_type; // Conv, Gemm, MatMul, or Add/Sub/Mul holding a per-channel constant
  int64_t channels_before = 0, channels_after = 0;
  std::vector<int64_t> removed;                  // original indices of the removed output channels
  int64_t weights_before = 0, weights_after = 0; // weight elements (biases not counted)
  int64_t nonzero_before = 0, nonzero_after = 0; // of which nonzero
  int64_t macs_before = 0, macs_after = 0;
};

// What the prune pass did, for the summary and the report.
struct PruneRecord {
  Graph original;                   // the graph just before pruning (for accuracy before/after)
  std::string method;               // "structured", "unstructured" or "" (zero channels only)
  double fraction = 0;              // requested
  int zero_channels_removed = 0;    // all-zero channels removed without being asked
  int constant_channels_folded = 0; // of which constant, folded into the next layers' biases
  std::vector<PrunedLayer> layers;
  int64_t weight_bytes_before = 0, weight_bytes_after = 0; // float constants read by layers
  int64_t nonzero_before = 0, nonzero_after = 0;           // nonzero weights of the layers
  int64_t weights_total = 0;                               // weights of the layers after
  int64_t macs_before = 0, macs_after = 0;
  std::vector<std::string> unprunable; // why groups of channels were left alone
  // Bookkeeping while pruning, keyed by a layer's output value name: the original index of
  // each current channel, and the original indices removed so far.
  std::map<std::string, std::vector<int64_t>> channel_origin, removed_channels;
};

struct PruneOptions {
  bool enabled = false; // --prune FRACTION
  double fraction = 0;  // of channels (structured) or weights (unstructured) to remove
  PruneMethod method = PruneMethod::Structured;
  PruneNorm norm = PruneNorm::L1;
  bool per_layer = false; // unstructured: one threshold per layer instead of a global one
  // Structured: fraction for the channel group fed by the named layer (overrides `fraction`;
  // a group fed by several layers takes the smallest of theirs).
  std::map<std::string, double> layer_fraction;
  bool remove_zero_channels = true;    // channels whose output is constantly 0 (no flag needed)
  std::shared_ptr<PruneRecord> record; // out: filled by the pass when set
};

// The pieces of the pass, callable on their own (tests). Each re-infers shapes when it
// changes the graph. They return the number of channels (or weights) removed.
int remove_zero_channels(Graph& g, PruneRecord* rec = nullptr);
int prune_structured(Graph& g, const PruneOptions& opts, PruneRecord* rec = nullptr);
int64_t prune_unstructured(Graph& g, const PruneOptions& opts, PruneRecord* rec = nullptr);

// Summary lines after compiling, and the report's "pruning" member.
std::string prune_summary_text(const PruneRecord& r);
std::string prune_report_json(const PruneRecord& r);

} // namespace tinyc
