// Ops that only move or select elements run unchanged on int8 data when their input and
// output share one quantisation: Q(op(DQ(x))) == op(x) for these ops. Pad also needs its
// constant to be a level of that quantisation; ArgMax/ArgMin read int8 directly because
// DequantizeLinear is strictly increasing.
#include "../../passes/qdq_rules.h"

#include "../quant.h"

namespace tinyc::ops {
namespace {

bool same_quantization(const QdqInput& in, const QdqOutput& out) {
  return in.quantized() && in.axis < 0 && !in.is_constant && in.q_type == out.q_type &&
         in.scale[0] == out.scale && in.zero_point[0] == out.zero_point;
}

// Inputs after the data (shapes, axes, indices, pads) must not be float data.
bool side_inputs_plain(const QdqMatch& m) {
  for (size_t k = 1; k < m.in.size(); ++k)
    if (m.in[k].quantized()) return false;
  return true;
}

bool lower_data_movement(Graph&, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.out[0].quantized() || n.act.kind != ActKind::None) return false;
  if (!same_quantization(m.in[0], m.out[0]) || !side_inputs_plain(m)) return false;
  n.inputs[0] = m.in[0].q_value;
  n.outputs[0] = m.out[0].q_value;
  return true;
}

// Split: every output quantised like the input.
bool lower_split(Graph&, Node& n, const QdqMatch& m) {
  if (m.out.empty() || n.act.kind != ActKind::None || !side_inputs_plain(m)) return false;
  for (const QdqOutput& o : m.out)
    if (!same_quantization(m.in[0], o)) return false;
  n.inputs[0] = m.in[0].q_value;
  for (size_t k = 0; k < m.out.size(); ++k) n.outputs[k] = m.out[k].q_value;
  return true;
}

// Nearest-neighbour Resize only selects elements (tf_crop_and_resize's float extrapolation
// value would have to be quantised: left in float).
bool lower_resize(Graph& g, Node& n, const QdqMatch& m) {
  if (n.attr_s("mode", "nearest") != "nearest") return false;
  if (n.attr_s("coordinate_transformation_mode", "") == "tf_crop_and_resize") return false;
  return lower_data_movement(g, n, m);
}

// Pad: edge/reflect/wrap move elements; constant mode pads with the level whose dequantised
// value is exactly the pad constant (else Q(DQ) would change it: left in float).
bool lower_pad(Graph& g, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.out[0].quantized()) return false;
  if (!same_quantization(m.in[0], m.out[0])) return false;
  if (n.attr_s("mode", "constant") != "constant") return lower_data_movement(g, n, m);
  if (n.opset < 11) return false; // a float `value` attribute: kept in float
  if (m.in.size() > 3 && m.in[3].quantized()) return false; // axes
  if (m.in.size() > 1 && m.in[1].quantized()) return false;
  const QdqOutput& o = m.out[0];
  int32_t level = o.zero_point; // the default constant 0
  if (n.input(2) >= 0) {
    const QdqInput& c = m.in[2];
    if (c.quantized()) {
      // A dequantised constant of the same quantisation is already the level.
      if (!c.is_constant || c.axis >= 0 || c.q_type != o.q_type || c.scale[0] != o.scale ||
          c.zero_point[0] != o.zero_point)
        return false;
      const Value& q = g.val(c.q_value);
      if (q.constant->size() != 1) return false;
      level = int32_t(q.constant->get_i64(0));
    } else {
      const Value& v = g.val(n.input(2));
      if (!v.constant || v.constant->size() != 1 || v.dtype != DType::F32) return false;
      const float f = float(v.constant->get_f64(0));
      level = quantize_value(f, o.scale, o.zero_point, o.q_type);
      if (float(level - o.zero_point) * o.scale != f) return false; // not representable
    }
  }
  TensorData t(o.q_type, {});
  t.set_f64(0, level);
  const int c = g.add_constant(g.unique_name(n.name + "_pad_level"), t);
  n.inputs.resize(std::max<size_t>(n.inputs.size(), 3), -1);
  n.inputs[0] = m.in[0].q_value;
  n.inputs[2] = c;
  n.outputs[0] = m.out[0].q_value;
  return true;
}

// ArgMax/ArgMin of a dequantised tensor: the same indices on the int8 levels. The output is
// int64, so this rule is registered as reading quantised inputs only.
bool lower_arg(Graph&, Node& n, const QdqMatch& m) {
  const QdqInput& x = m.in[0];
  if (!x.quantized() || x.axis >= 0 || x.is_constant || x.scale[0] <= 0.0f) return false;
  if (x.q_type != DType::I8 && x.q_type != DType::U8) return false;
  n.inputs[0] = x.q_value;
  return true;
}

TINYC_REGISTER_QDQ_RULE("MaxPool", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("GlobalMaxPool", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Reshape", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Flatten", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Squeeze", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Unsqueeze", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Transpose", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Slice", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Gather", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("DepthToSpace", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("SpaceToDepth", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Expand", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Tile", lower_data_movement);
TINYC_REGISTER_QDQ_RULE("Split", lower_split);
TINYC_REGISTER_QDQ_RULE("Resize", lower_resize);
TINYC_REGISTER_QDQ_RULE("Pad", lower_pad);
TINYC_REGISTER_QDQ_RULE_UNQUANTIZED_OUTPUT("ArgMax", lower_arg);
TINYC_REGISTER_QDQ_RULE_UNQUANTIZED_OUTPUT("ArgMin", lower_arg);

} // namespace
} // namespace tinyc::ops
