// One op, one place: each file in compiler/ops/ registers an OpDef with the op's shape rules,
// its reference semantics and its emitter, side by side.
#pragma once

#include "ir.h"

#include <functional>
#include <string>
#include <vector>

namespace tinyc {

class EmitContext;

using Inputs = std::vector<const TensorData*>; // nullptr where an optional input is omitted

struct OpDef {
  std::string op_type;
  std::string domain; // "" for the default ONNX domain
  // Validates the node (attributes, input ranks and dtypes) and sets the dtype and shape of
  // every output value. Shapes inferred by ONNX at import are already set; infer may rely on
  // them or recompute. May read constant inputs (g.val(id).constant). Throws CompileError.
  std::function<void(Graph&, Node&)> infer;
  // Reference semantics: output tensors from input tensors. Used for constant folding and by
  // the reference evaluator. Must not crash on any input (guard integer division etc.).
  std::function<std::vector<TensorData>(const Node&, const Inputs&)> eval;
  // Writes the C++ statements that compute the node in the generated model.
  std::function<void(EmitContext&, const Node&)> emit;
  // Multiply-accumulates per inference (0 when not meaningful).
  std::function<int64_t(const Graph&, const Node&)> macs;
  // Bytes of temporary arena memory the kernel needs while it runs (EmitContext::scratch).
  std::function<int64_t(const Graph&, const Node&)> scratch_bytes;
  // The output is the input 0 buffer reinterpreted (Reshape family): no code, no storage.
  bool is_view = false;
  // The op may carry a FusedAct (its emitter applies node.act on store).
  bool accepts_fused_act = false;
  // Every output is optional: the emitter handles -1 and computes only the outputs present, so
  // drop_unused_outputs may omit those nobody reads (LSTM's Y when only Y_h is used).
  bool optional_outputs = false;
  // Elementwise in the memory sense: the kernel reads element i of every input that has the
  // output's element count before writing element i of the output, and never reads it again
  // (no __restrict__). The arena planner may then store the output over such an input of the
  // same element size when that input dies at this node.
  bool elementwise_inplace = false;
  // The output may overlap input 0's storage: returns the smallest k >= 0 (bytes, a multiple of
  // `align`) such that the kernel stays correct with its output starting k bytes before input 0
  // (overlapping it), or -1 when it may not. The kernel must not read any input byte after
  // storing over it: derive k from the kernel's real access order (compiler/overlap_trace.h).
  // The planner uses it when input 0 dies at this node (docs/memory_planning.md).
  std::function<int64_t(const Graph&, const Node&, int64_t align)> overlap_shift;
};

class OpRegistry {
public:
  static OpRegistry& instance();
  void add(OpDef def);
  const OpDef* find(const std::string& domain, const std::string& op_type) const;
  std::vector<std::string> names() const;

private:
  std::vector<OpDef> defs_;
};

struct OpRegistrar {
  explicit OpRegistrar(OpDef def) { OpRegistry::instance().add(std::move(def)); }
};

// Registers an op from a function returning its OpDef:
//   TINYC_REGISTER_OP(relu_def);
#define TINYC_REGISTER_OP_CAT2(a, b) a##b
#define TINYC_REGISTER_OP_CAT(a, b) TINYC_REGISTER_OP_CAT2(a, b)
#define TINYC_REGISTER_OP(fn)                                                                      \
  static const ::tinyc::OpRegistrar TINYC_REGISTER_OP_CAT(tinyc_reg_, __LINE__)(fn())

} // namespace tinyc
