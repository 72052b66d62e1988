// QOperator ops become DequantizeLinear -> float op -> QuantizeLinear (see the header), so a
// QOperator model takes the same path as a QDQ model from here on: lower-qdq turns the patterns
// it has int8 kernels for into int8 ops and the rest runs in float between its Q/DQ nodes.
#include "expand_qoperators.h"

#include "passes.h"

#include "../compiler/diagnostics.h"
#include "../compiler/op_registry.h"

#include <algorithm>

namespace tinyc {

namespace {

// Where each QOperator op keeps its operands: (tensor, scale, zero point) triples and the
// output's (scale, zero point); -1 for "none".
struct QOpLayout {
  const char* op_type;
  const char* float_op;
  int operands[2][3];
  int out_scale, out_zp;
  int bias; // QLinearConv's int32 bias
};

const QOpLayout kLayouts[] = {
    {"QLinearConv", "Conv", {{0, 1, 2}, {3, 4, 5}}, 6, 7, 8},
    {"QLinearMatMul", "MatMul", {{0, 1, 2}, {3, 4, 5}}, 6, 7, -1},
    {"QLinearAdd", "Add", {{0, 1, 2}, {3, 4, 5}}, 6, 7, -1},
    {"QLinearMul", "Mul", {{0, 1, 2}, {3, 4, 5}}, 6, 7, -1},
    {"QLinearAveragePool", "AveragePool", {{0, 1, 2}, {-1, -1, -1}}, 3, 4, -1},
    {"QLinearGlobalAveragePool", "GlobalAveragePool", {{0, 1, 2}, {-1, -1, -1}}, 3, 4, -1},
    {"QLinearSigmoid", "Sigmoid", {{0, 1, 2}, {-1, -1, -1}}, 3, 4, -1},
    {"QLinearLeakyRelu", "LeakyRelu", {{0, 1, 2}, {-1, -1, -1}}, 3, 4, -1},
};

const QOpLayout* layout_of(const Node& n) {
  const bool onnx = n.domain.empty() || n.domain == "ai.onnx";
  if (!onnx && n.domain != "com.microsoft") return nullptr;
  for (const QOpLayout& l : kLayouts) {
    if (n.op_type != l.op_type) continue;
    // QLinearConv and QLinearMatMul are standard ONNX; the others live in com.microsoft only
    // (onnxruntime registers QLinearConv there too).
    const bool standard = n.op_type == "QLinearConv" || n.op_type == "QLinearMatMul";
    if (onnx ? standard : n.op_type != "QLinearMatMul") return &l;
  }
  return nullptr;
}

// Attributes the float op takes over from the QOperator op.
const char* const kCarriedAttrs[] = {"auto_pad", "dilations", "group",     "kernel_shape",
                                     "pads",     "strides",   "ceil_mode", "count_include_pad",
                                     "alpha"};

class Expander {
public:
  Expander(Graph& g, const Node& n) : g_(g), n_(n) {}

  std::vector<Node> run(const QOpLayout& l) {
    if (n_.attr_i("channels_last", 0) != 0)
      fail("node {}: channels_last = 1 is not supported by tinyc (NCHW only)", n_.label());
    Node f;
    f.name = n_.name;
    f.op_type = l.float_op;
    f.opset = n_.opset;
    for (const char* a : kCarriedAttrs)
      if (n_.has_attr(a)) f.attrs[a] = n_.attrs.at(a);
    for (int k = 0; k < 2; ++k)
      if (l.operands[k][0] >= 0) f.inputs.push_back(dequantized(l.operands[k], k));
    if (l.bias >= 0 && n_.input(size_t(l.bias)) >= 0) f.inputs.push_back(dequantized_bias(l));
    f.outputs.push_back(new_float_value(n_.name + "_float"));
    nodes_.push_back(f);

    Node q;
    q.name = n_.name + "_quantize";
    q.op_type = "QuantizeLinear";
    q.opset = std::max(n_.opset, 13);
    q.inputs = {f.outputs[0], per_tensor(l.out_scale), zero_point(l.out_zp, 0)};
    q.outputs = {n_.output(0)};
    nodes_.push_back(q);
    return std::move(nodes_);
  }

private:
  int in(int k) const { return k >= 0 ? n_.input(size_t(k)) : -1; }

  int new_float_value(const std::string& name) {
    Value v;
    v.name = g_.unique_name(name);
    v.dtype = DType::F32;
    return g_.add_value(std::move(v));
  }

  // A scale or zero point with one element, as a scalar (a 1-element 1-D tensor would be a
  // per-axis parameter to DequantizeLinear). Parameters computed at run time keep their shape:
  // the run-time Quantize/DequantizeLinear kernels read one value whatever the shape.
  int scalar_of(int v) {
    const Value& val = g_.val(v);
    if (!val.constant || val.shape.empty() || numel(val.shape) != 1) return v;
    TensorData t = *val.constant;
    t.shape = {};
    return g_.add_constant(val.name + "_scalar", std::move(t));
  }

  int per_tensor(int k) {
    const int v = in(k);
    if (v < 0) fail("node {}: input {} (a scale) is required", n_.label(), k);
    if (numel(g_.val(v).shape) != 1)
      fail("node {}: a scale of shape {} is not supported by tinyc here (per tensor only)",
           n_.label(), shape_str(g_.val(v).shape));
    return scalar_of(v);
  }

  // The zero point at input k, or a zero of the operand's type when it is omitted (a
  // QuantizeLinear without one would produce uint8).
  int zero_point(int k, int operand) {
    const int v = in(k);
    if (v >= 0) return scalar_of(v);
    const DType t = g_.val(n_.input(size_t(operand))).dtype;
    return g_.add_constant(n_.name + "_zero_point", TensorData(t, {}));
  }

  // The axis of a per-axis scale for operand k, or -1 per tensor.
  int64_t scale_axis(int k, int64_t count) const {
    if (count == 1) return -1;
    const Shape& x = g_.val(in(k == 0 ? 0 : 3)).shape;
    const int64_t rank = int64_t(x.size());
    if (x.empty()) fail("node {}: operand {} is a scalar", n_.label(), k);
    if (n_.op_type == "QLinearConv" && k == 1 && count == x[0]) return 0;
    if (n_.op_type == "QLinearMatMul" && rank == 2) {
      if (k == 0 && count == x[0]) return 0; // per row of a
      if (k == 1 && count == x[1]) return 1; // per column of b
    }
    fail("node {}: a scale of {} values for operand {} is not supported by tinyc", n_.label(),
         count, k);
  }

  int dequantized(const int (&triple)[3], int k) {
    const int x = in(triple[0]), scale = in(triple[1]);
    if (x < 0 || scale < 0) fail("node {}: operand {} or its scale is missing", n_.label(), k);
    const int64_t count = numel(g_.val(scale).shape);
    const int64_t axis = scale_axis(k, count);
    if (axis >= 0 && g_.val(scale).shape.size() != 1)
      fail("node {}: a scale of shape {} is not supported by tinyc", n_.label(),
           shape_str(g_.val(scale).shape));
    Node dq;
    dq.name = g_.val(x).name + "_dequantize";
    dq.op_type = "DequantizeLinear";
    dq.opset = std::max(n_.opset, 13);
    if (axis >= 0) dq.attrs["axis"] = int_attr(axis);
    dq.inputs = {x, axis >= 0 ? scale : scalar_of(scale)};
    if (in(triple[2]) >= 0)
      dq.inputs.push_back(axis >= 0 ? in(triple[2]) : scalar_of(in(triple[2])));
    dq.outputs = {new_float_value(g_.val(x).name + "_float")};
    nodes_.push_back(dq);
    return dq.outputs[0];
  }

  // QLinearConv's int32 bias: scale x_scale * w_scale (per output channel), zero point 0.
  int dequantized_bias(const QOpLayout& l) {
    const int b = in(l.bias), xs = in(l.operands[0][1]), ws = in(l.operands[1][1]);
    const Value &xv = g_.val(xs), &wv = g_.val(ws);
    if (!xv.constant || !wv.constant || xv.constant->size() != 1 || wv.constant->size() < 1)
      fail("node {}: a bias needs compile-time scalar x_scale and w_scale; other bias scales are "
           "not supported by tinyc",
           n_.label());
    const float sx = float(xv.constant->get_f64(0));
    TensorData s(DType::F32, wv.constant->size() == 1 ? Shape{} : Shape{wv.constant->size()});
    for (int64_t c = 0; c < s.size(); ++c) s.data<float>()[c] = sx * float(wv.constant->get_f64(c));
    Node dq;
    dq.name = g_.val(b).name + "_dequantize";
    dq.op_type = "DequantizeLinear";
    dq.opset = std::max(n_.opset, 13);
    if (s.shape.size() == 1) dq.attrs["axis"] = int_attr(0);
    dq.inputs = {b, g_.add_constant(n_.name + "_bias_scale", std::move(s))};
    dq.outputs = {new_float_value(g_.val(b).name + "_float")};
    nodes_.push_back(dq);
    return dq.outputs[0];
  }

  static Attr int_attr(int64_t v) {
    Attr a;
    a.kind = AttrKind::Int;
    a.i = v;
    return a;
  }

  Graph& g_;
  const Node& n_;
  std::vector<Node> nodes_;
};

} // namespace

bool is_qoperator(const Node& n) {
  return layout_of(n) != nullptr;
}

std::vector<Node> expand_qoperator(Graph& g, const Node& n) {
  const QOpLayout* l = layout_of(n);
  if (!l) fail("node {}: not a QOperator op", n.label());
  if (n.outputs.size() != 1 || n.output(0) < 0) fail("node {}: expected one output", n.label());
  return Expander(g, n).run(*l);
}

void expand_qoperators(Graph& g) {
  std::vector<Node> nodes;
  bool changed = false;
  for (Node& n : g.nodes) {
    if (!is_qoperator(n)) {
      nodes.push_back(std::move(n));
      continue;
    }
    changed = true;
    for (Node& e : expand_qoperator(g, n)) {
      OpRegistry::instance().find(e.domain, e.op_type)->infer(g, e);
      nodes.push_back(std::move(e));
    }
  }
  g.nodes = std::move(nodes);
  if (changed) g.compact();
}

} // namespace tinyc
