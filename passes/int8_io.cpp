// --io int8: the model's inputs and outputs become the int8 tensors inside its boundary
// QuantizeLinear/DequantizeLinear nodes, which disappear from the generated code. The caller
// then passes and receives int8 data and converts with the scale and zero point that model.h
// publishes (NAME_INPUTi_SCALE...). Runs after quantize, so --quantize int8 models qualify too.
#include "passes.h"

#include "../compiler/diagnostics.h"

#include <algorithm>

namespace tinyc {

static bool is_op(const Node& n, const char* op) {
  return n.domain.empty() && n.op_type == op;
}

// The per-tensor int8 quantisation of a QuantizeLinear/DequantizeLinear node's integer side, if
// its scale and zero point are compile-time scalars.
static std::optional<QuantParam> per_tensor_int8(const Graph& g, const Node& n, int int_value) {
  const Value& s = g.val(n.input(1));
  if (!s.constant || numel(s.shape) != 1 || g.val(int_value).dtype != DType::I8)
    return std::nullopt;
  if (n.input(2) >= 0 && !g.val(n.input(2)).constant) return std::nullopt;
  QuantParam q;
  q.scale = float(s.constant->get_f64(0));
  q.zero_point = n.input(2) >= 0 ? int32_t(g.val(n.input(2)).constant->get_i64(0)) : 0;
  if (!(q.scale > 0.0f)) return std::nullopt;
  return q;
}

static void rename_int8(Graph& g, int float_value, int int8_value) {
  const std::string name = g.val(float_value).name;
  g.val(float_value).name = g.unique_name(name + "_float");
  g.val(int8_value).name = name;
}

void int8_io(Graph& g, const PassOptions& opts) {
  if (!opts.quant.int8_io) return;
  const auto consumers = g.consumers();
  const char* how = "; --io int8 needs each model input read only by a QuantizeLinear to int8 "
                    "and each output written by a DequantizeLinear from int8, per tensor, with "
                    "scale and zero point known at compile time (or use --io float)";
  for (int& in : g.inputs) {
    const auto& readers = consumers[size_t(in)];
    const Node* q = readers.size() == 1 ? &g.nodes[size_t(readers[0])] : nullptr;
    std::optional<QuantParam> p;
    if (q && is_op(*q, "QuantizeLinear") && q->input(0) == in && !g.is_graph_output(in))
      p = per_tensor_int8(g, *q, q->output(0));
    if (!p)
      fail("--io int8: model input '{}' is not quantised per tensor to int8{}", g.val(in).name,
           how);
    const int q_value = q->output(0);
    g.nodes[size_t(readers[0])].op_type.clear();
    g.val(q_value).quant = p;
    rename_int8(g, in, q_value);
    in = q_value;
  }
  for (int& out : g.outputs) {
    const Value& v = g.val(out);
    const Node* dq = v.producer >= 0 ? &g.nodes[size_t(v.producer)] : nullptr;
    std::optional<QuantParam> p;
    if (dq && is_op(*dq, "DequantizeLinear")) p = per_tensor_int8(g, *dq, dq->input(0));
    if (!p)
      fail("--io int8: model output '{}' is not dequantised per tensor from int8{}", v.name, how);
    const int q_value = dq->input(0);
    g.val(q_value).quant = p;
    rename_int8(g, out, q_value);
    out = q_value; // the DequantizeLinear goes if nothing else reads it (eliminate-dead-nodes)
  }
  g.compact();
}

} // namespace tinyc
