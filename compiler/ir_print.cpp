#include "ir_print.h"

#include <fmt/format.h>

namespace tinyc {

static std::string value_str(const Graph& g, int id) {
  if (id < 0) return "<none>";
  const Value& v = g.val(id);
  std::string q;
  if (v.quant) q = fmt::format("(s={},zp={})", v.quant->scale, v.quant->zero_point);
  return fmt::format("%{}:{}{}[{}]{}", v.name, dtype_name(v.dtype), q,
                     v.shape_known ? shape_str(v.shape) : "?", v.constant ? "=const" : "");
}

static const char* act_name(ActKind k) {
  switch (k) {
  case ActKind::Relu:
    return "relu";
  case ActKind::Clip:
    return "clip";
  case ActKind::LeakyRelu:
    return "leaky_relu";
  case ActKind::Sigmoid:
    return "sigmoid";
  case ActKind::HardSigmoid:
    return "hard_sigmoid";
  default:
    return "";
  }
}

std::string print_ir(const Graph& g) {
  std::string s = fmt::format("graph '{}' opset {}\n", g.name, g.opset);
  for (int in : g.inputs) s += "  input  " + value_str(g, in) + "\n";
  for (const Node& n : g.nodes) {
    std::string outs, ins;
    for (int o : n.outputs) outs += (outs.empty() ? "" : ", ") + value_str(g, o);
    for (int i : n.inputs) ins += (ins.empty() ? "" : ", ") + value_str(g, i);
    s += fmt::format("  {} = {}{}({})", outs, n.domain.empty() ? "" : n.domain + "::", n.op_type,
                     ins);
    if (n.act.kind != ActKind::None)
      s += fmt::format(" +{}({}, {})", act_name(n.act.kind), n.act.alpha, n.act.beta);
    s += fmt::format("  # {}\n", n.name);
  }
  for (int o : g.outputs) s += "  output " + value_str(g, o) + "\n";
  return s;
}

} // namespace tinyc
