// Every value gets a static shape and dtype: ONNX's inference from import, completed and
// checked by each op's own rules.
#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

namespace tinyc {

// Values computable now (every input constant, or Shape/Size of a static shape) become
// constants as soon as they are inferred, so the next nodes' infer can read them: the
// Shape->Gather->Concat->Reshape chains exporters write, Constant nodes feeding Resize/Slice.
// fold_constants later removes the nodes themselves.
static void propagate_constant(Graph& g, const Node& n, const OpDef& def) {
  if (!def.eval || n.op_type.rfind("Random", 0) == 0) return;
  const bool shape_only = n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
  std::vector<TensorData> shapes;
  shapes.reserve(n.inputs.size());
  Inputs ins;
  for (int in : n.inputs) {
    if (in < 0) {
      ins.push_back(nullptr);
      continue;
    }
    const Value& v = g.val(in);
    if (v.constant) {
      ins.push_back(&*v.constant);
    } else if (shape_only) {
      TensorData t;
      t.dtype = v.dtype;
      t.shape = v.shape;
      shapes.push_back(std::move(t));
      ins.push_back(&shapes.back());
    } else {
      return;
    }
  }
  std::vector<TensorData> outs = def.eval(n, ins);
  for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
    if (n.outputs[k] < 0) continue;
    Value& v = g.val(n.outputs[k]);
    if (v.shape_known && v.shape != outs[k].shape) continue;
    v.dtype = outs[k].dtype;
    v.shape = outs[k].shape;
    v.shape_known = true;
    v.constant = std::move(outs[k]);
  }
}

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
    if (def) propagate_constant(g, n, *def);
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
