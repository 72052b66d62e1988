// Nodes whose inputs are all known at compile time are computed now and become constants;
// Shape and Size of a static shape fold too, which resolves the Shape->Gather->Concat->Reshape
// chains that exporters write.
#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

namespace tinyc {

// Ops whose result must not be computed once at compile time. DequantizeLinear stays until
// lower-qdq has read its int8 input (the weights of a QDQ graph); lower-qdq folds what is left.
static bool never_fold(const Node& n) {
  return n.op_type.rfind("Random", 0) == 0 || (n.domain.empty() && n.op_type == "DequantizeLinear");
}

// Shape and Size read only the static shape of their input.
static bool reads_only_shape(const Node& n) {
  return n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
}

bool fold_node(Graph& g, Node& n) {
  if (n.op_type.empty() || never_fold(n)) return false;
  const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
  if (!def || !def->eval) return false;
  std::vector<TensorData> shape_only;
  Inputs ins;
  shape_only.reserve(n.inputs.size());
  for (int in : n.inputs) {
    if (in < 0) {
      ins.push_back(nullptr);
      continue;
    }
    const Value& v = g.val(in);
    if (v.constant) {
      ins.push_back(&*v.constant);
    } else if (reads_only_shape(n) && v.shape_known) {
      TensorData t; // shape without elements: Shape/Size never read them
      t.dtype = v.dtype;
      t.shape = v.shape;
      shape_only.push_back(std::move(t));
      ins.push_back(&shape_only.back());
    } else {
      return false;
    }
  }
  std::vector<TensorData> outs = def->eval(n, ins);
  for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
    if (n.outputs[k] < 0) continue;
    Value& v = g.val(n.outputs[k]);
    if (v.shape_known && v.shape != outs[k].shape)
      fail("node {}: computed shape {} of '{}' differs from the inferred shape {}", n.label(),
           shape_str(outs[k].shape), v.name, shape_str(v.shape));
    v.dtype = outs[k].dtype;
    v.shape = outs[k].shape;
    v.shape_known = true;
    v.constant = std::move(outs[k]);
  }
  n.op_type.clear();
  return true;
}

void fold_constants(Graph& g) {
  for (Node& n : g.nodes) fold_node(g, n);
  g.compact();
}

} // namespace tinyc
