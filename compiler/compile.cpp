#include "compile.h"

#include "../passes/passes.h"
#include "diagnostics.h"
#include "sample_data.h"

namespace tinyc {

// Which ops of a quantised graph run on int8 data and which stayed in float between QDQ pairs.
static void record_lowering(const Graph& g, QuantizeRecord& q) {
  q.int8_ops.clear();
  q.float_ops.clear();
  const auto readers = g.consumers();
  auto is = [](const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; };
  for (const Node& n : g.nodes) {
    if (is(n, "QuantizeLinear") || is(n, "DequantizeLinear")) continue;
    bool int8 = false, next_to_qdq = false;
    for (int o : n.outputs) {
      if (o < 0) continue;
      int8 |= g.val(o).quant.has_value();
      for (int r : readers[size_t(o)]) next_to_qdq |= is(g.nodes[size_t(r)], "QuantizeLinear");
    }
    for (int in : n.inputs)
      if (in >= 0 && g.val(in).producer >= 0 && !g.val(in).constant)
        next_to_qdq |= is(g.nodes[size_t(g.val(in).producer)], "DequantizeLinear");
    if (int8)
      q.int8_ops.push_back(n.label());
    else if (next_to_qdq)
      q.float_ops.push_back(n.label());
  }
}

// Data for --prune: samples that rank channels (calibration data, else validation data); for
// --prune auto, the labelled validation data and the passes after pruning, so a candidate is
// judged as it will be compiled.
static void prepare_prune_search(PassOptions& passes,
                                 const std::vector<std::vector<TensorData>>& val,
                                 const std::vector<int64_t>& labels) {
  PruneOptions& p = passes.prune;
  if (p.samples.empty()) p.samples = !passes.quant.calib.empty() ? passes.quant.calib : val;
  if (!p.automatic) return;
  if (p.val.empty()) {
    p.val = val;
    p.labels = labels;
  }
  if (p.finish) return;
  PassOptions after = passes;
  after.quant.record = nullptr;
  after.quant.progress = nullptr;
  after.prune = {};
  p.finish = [after](Graph& g) {
    bool started = false;
    for (const Pass& pass : pipeline()) {
      if (started) pass.run(g, after);
      started = started || std::string(pass.name) == "prune";
    }
  };
}

void run_pipeline(Graph& g, const PassOptions& opts,
                  const std::function<void(const std::string&, const Graph&)>& after_pass) {
  for (const Pass& p : pipeline()) {
    note(fmt::format("pass {}", p.name));
    p.run(g, opts);
    if (after_pass) after_pass(p.name, g);
  }
}

CompileResult compile_model(const std::string& model_path, const CompileOptions& opts) {
  CompileResult r;
  note(fmt::format("importing {}", model_path));
  r.graph = import_onnx(model_path, opts.import);
  if (opts.after_pass) opts.after_pass("import", r.graph);
  PassOptions passes = opts.passes;
  std::vector<std::vector<TensorData>> val;
  std::vector<int64_t> labels;
  if (passes.quant.enabled || passes.prune.enabled) {
    // Data problems are reported before the long calibration starts.
    if (passes.quant.calib.empty() && !opts.calib.empty())
      passes.quant.calib = load_samples(r.graph, opts.calib, "--calib");
    if (!opts.val_inputs.empty()) {
      val = load_samples(r.graph, {opts.val_inputs}, "--val");
      labels = load_labels(opts.val_labels, "--val");
      if (labels.size() != val.size())
        fail("--val: '{}' holds {} labels but '{}' {} samples", opts.val_labels, labels.size(),
             opts.val_inputs, val.size());
    }
  }
  if (passes.prune.enabled) prepare_prune_search(passes, val, labels);
  if (passes.quant.enabled) {
    if (!passes.quant.record) passes.quant.record = std::make_shared<QuantizeRecord>();
    r.quant = passes.quant.record;
  }
  if (!passes.prune.record) passes.prune.record = std::make_shared<PruneRecord>();
  r.prune = passes.prune.record;
  run_pipeline(r.graph, passes, opts.after_pass);
  note("emitting C++");
  r.model = emit_model(r.graph, opts.emit);
  if (r.quant && passes.quant.enabled) {
    record_lowering(r.graph, *r.quant);
    const bool validation = !val.empty();
    r.accuracy = measure_quant_accuracy(
        r.quant->float_graph, r.graph, validation ? val : passes.quant.calib, labels,
        validation ? "validation" : "calibration", passes.quant.progress);
  }
  if (passes.prune.enabled && !val.empty())
    r.prune_accuracy = measure_quant_accuracy(r.prune->original, r.graph, val, labels, "validation",
                                              passes.quant.progress);
  return r;
}

} // namespace tinyc
