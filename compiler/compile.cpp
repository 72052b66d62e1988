#include "compile.h"

#include "../passes/passes.h"
#include "diagnostics.h"
#include "sample_data.h"

namespace tinyc {

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
  if (passes.quant.enabled) {
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
    if (!passes.quant.record) passes.quant.record = std::make_shared<QuantizeRecord>();
    r.quant = passes.quant.record;
  }
  run_pipeline(r.graph, passes, opts.after_pass);
  note("emitting C++");
  r.model = emit_model(r.graph, opts.emit);
  if (r.quant && passes.quant.enabled) {
    const bool validation = !val.empty();
    r.accuracy = measure_quant_accuracy(
        r.quant->float_graph, r.graph, validation ? val : passes.quant.calib, labels,
        validation ? "validation" : "calibration", passes.quant.progress);
  }
  return r;
}

} // namespace tinyc
