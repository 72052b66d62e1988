// Every value gets a static shape and dtype: ONNX's inference from import, completed and
// checked by each op's own rules. Nodes whose inputs are known are folded on the way, because
// the shapes after them can depend on their values.
#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

#include <algorithm>

namespace tinyc {

// Far beyond any microcontroller's memory, and small enough that sizes never overflow int64.
static constexpr int64_t kMaxValueBytes = int64_t(1) << 31;

// Rejects a value whose size in bytes is absurd (or overflows), before anything multiplies it out.
static void check_size(const Value& v, const std::string& what) {
  int64_t bytes = int64_t(std::max<size_t>(1, dtype_size(v.dtype)));
  for (int64_t d : v.shape) {
    if (d < 0) fail("{} '{}' has a negative dimension ({})", what, v.name, d);
    if (d != 0 && bytes > kMaxValueBytes / d)
      fail("{} '{}' of shape {} is too large (over {} bytes)", what, v.name, shape_str(v.shape),
           kMaxValueBytes);
    bytes *= d;
  }
}

void infer_shapes(Graph& g) {
  for (int in : g.inputs) check_size(g.val(in), "input");
  for (Node& n : g.nodes) {
    for (int in : n.inputs) {
      if (in < 0) continue;
      const Value& v = g.val(in);
      if (!v.shape_known || v.dtype == DType::Undefined)
        fail("node {}: the shape of its input '{}' is not known at compile time", n.label(),
             v.name);
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
      check_size(v, fmt::format("node {}: output", n.label()));
    }
    // A shape further on may depend on this node's value (PyTorch's Shape->Gather->Concat->
    // Reshape chains), so a node computable now becomes a constant right away.
    fold_node(g, n);
  }
  g.compact();
}

} // namespace tinyc
