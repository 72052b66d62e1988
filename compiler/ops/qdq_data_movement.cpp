// Ops that only move or select elements run unchanged on int8 data when their input and
// output share one quantisation: Q(op(DQ(x))) == op(x) for these ops.
#include "../../passes/qdq_rules.h"

namespace tinyc::ops {
namespace {

bool same_quantization(const QdqInput& in, const QdqOutput& out) {
  return in.quantized() && in.axis < 0 && !in.is_constant && in.q_type == out.q_type &&
         in.scale[0] == out.scale && in.zero_point[0] == out.zero_point;
}

bool lower_data_movement(Graph&, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.out[0].quantized() || n.act.kind != ActKind::None) return false;
  if (!same_quantization(m.in[0], m.out[0])) return false;
  // Other inputs (shapes, axes, indices) must not be float data.
  for (size_t k = 1; k < m.in.size(); ++k)
    if (m.in[k].quantized()) return false;
  n.inputs[0] = m.in[0].q_value;
  n.outputs[0] = m.out[0].q_value;
  return true;
}

TINYC_REGISTER_QDQ_RULE("MaxPool", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Reshape", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Flatten", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Squeeze", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Unsqueeze", lower_data_movement);

} // namespace
} // namespace tinyc::ops
