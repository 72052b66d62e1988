// Every value gets a static shape and dtype: ONNX's inference from import, completed and
// checked by each op's own rules.
#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

namespace tinyc {

void infer_shapes(Graph& g) {
  for (Node& n : g.nodes) {
    for (int in : n.inputs) {
      if (in < 0) continue;
      const Value& v = g.val(in);
      if (!v.shape_known || v.dtype == DType::Undefined)
        fail("node {}: the shape of its input '{}' is not known at compile time", n.label(), v.name);
    }
    const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
    if (def && def->infer) def->infer(g, n);
    for (int out : n.outputs) {
      if (out < 0) continue;
      const Value& v = g.val(out);
      if (!v.shape_known || v.dtype == DType::Undefined)
        fail("node {}: cannot determine a static shape for its output '{}'; if it depends on the "
             "value of a model input, fix that input with --freeze-input NAME=FILE.pb",
             n.label(), v.name);
      for (int64_t d : v.shape)
        if (d < 0) fail("node {}: output '{}' has a negative dimension", n.label(), v.name);
    }
  }
}

}  // namespace tinyc
