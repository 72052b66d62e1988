// Pruning (docs/pruning.md): removing whole output channels (structured), zeroing single
// weights (unstructured), and removing channels an already-sparse model computes as zeros.
#pragma once

#include "prune_data.h"
#include "prune_reconstruct.h"

#include "../compiler/ir.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tinyc {

enum class PruneMethod { Structured, Unstructured };
// How structured pruning ranks channels: the norm of the weights producing a channel, or Data:
// the error removing it causes in the layers reading it, measured on sample data.
enum class PruneNorm { L1, L2, Data };
// What replaces the removed channels in the layers reading them (needs sample data): nothing,
// their mean (in the bias), or a least-squares refit of the readers' kept weights and bias.
enum class PruneCompensation { None, Mean, Refit };

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
  int mean_compensated = 0;            // removed channels replaced by their mean in a bias
  int layers_refit = 0; // layers whose kept inputs were refit by least squares on sample data
  // --prune auto: the budget, the accuracy it kept, and the fraction chosen per layer.
  bool automatic = false;
  double max_accuracy_drop = 0; // points of top-1
  double top1_before = 0, top1_after = 0;
  int candidates_evaluated = 0;
  std::vector<std::pair<std::string, double>> auto_choice; // layer name -> fraction
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
  // Fraction for the named layer (overrides `fraction`; unstructured: per-layer threshold;
  // structured: the channel group fed by the layer, which takes the smallest fraction of the
  // layers feeding it).
  std::map<std::string, double> layer_fraction;
  // Sample inputs (g.inputs order) for --prune-norm data and for replacing a removed channel
  // by its mean in the next layer's bias; empty: weight norms only, no compensation.
  std::vector<std::vector<TensorData>> samples;
  PruneCompensation compensate = PruneCompensation::Refit;
  // Refit layer after layer on what the pruned layers before feed them (evaluates the model
  // once per layer); false: all at once from the unpruned model's statistics (faster).
  bool refit_in_order = true;
  std::shared_ptr<const InputStats> input_stats; // measured on `samples` by the pass
  std::shared_ptr<const LayerGrams> layer_grams; // the same, for least-squares reconstruction
  // --prune auto: per-layer fractions searched on validation data (val, labels) to keep top-1
  // within max_accuracy_drop points of the unpruned model. `finish` runs the passes after
  // pruning on a candidate (quantisation), so the budget holds for the model as compiled.
  bool automatic = false;
  double max_accuracy_drop = 1.0;
  std::vector<std::vector<TensorData>> val;
  std::vector<int64_t> labels;
  std::function<void(Graph&)> finish;
  std::function<void(const std::string&)> progress;
  bool remove_zero_channels = true;    // channels whose output is constantly 0 (no flag needed)
  std::shared_ptr<PruneRecord> record; // out: filled by the pass when set
};

// The pieces of the pass, callable on their own (tests). Each re-infers shapes when it
// changes the graph. They return the number of channels (or weights) removed.
int remove_zero_channels(Graph& g, PruneRecord* rec = nullptr);
int prune_structured(Graph& g, const PruneOptions& opts, PruneRecord* rec = nullptr);
int64_t prune_unstructured(Graph& g, const PruneOptions& opts, PruneRecord* rec = nullptr);
// --prune auto: the per-layer fractions (layer name -> fraction) of the most compressed model
// the search found within the accuracy budget; records the choice in rec.
std::map<std::string, double> search_prune_fractions(const Graph& g, const PruneOptions& opts,
                                                     PruneRecord* rec = nullptr);

// Summary lines after compiling, and the report's "pruning" member.
std::string prune_summary_text(const PruneRecord& r);
std::string prune_report_json(const PruneRecord& r);

} // namespace tinyc
