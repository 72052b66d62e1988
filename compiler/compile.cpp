#include "compile.h"

#include "../passes/passes.h"
#include "diagnostics.h"

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
  run_pipeline(r.graph, opts.passes, opts.after_pass);
  note("emitting C++");
  r.model = emit_model(r.graph, opts.emit);
  return r;
}

} // namespace tinyc
