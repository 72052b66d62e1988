// Post-training int8 quantisation (--quantize int8): runs the float graph on the calibration
// samples, chooses int8 parameters for every activation next to an op that has an int8 rule,
// and rewrites the graph into the QDQ form onnxruntime's static quantiser writes:
//   activation  T -> QuantizeLinear -> DequantizeLinear -> readers
//   weight      int8 initializer (per output channel, symmetric) -> DequantizeLinear(axis)
//   bias        int32 initializer (scale s_x * s_w[c]) -> DequantizeLinear(axis 0)
// lower-qdq then turns each op between such pairs into its int8 kernel. Ops without a rule
// keep float inputs and outputs (no pointless QuantizeLinear/DequantizeLinear around them).
#include "calibration.h"
#include "passes.h"
#include "qdq_rules.h"

#include "../compiler/diagnostics.h"
#include "../compiler/evaluator.h"
#include "../compiler/quant.h"

#include <set>

namespace tinyc {
namespace {

// Ops the int8 specification (docs/quantization.md) covers: with QuantizeOptions::all_ops they
// are quantised even before their rule exists, to measure the accuracy int8 would give.
const std::set<std::string>& planned_int8_ops() {
  static const std::set<std::string> ops = {"Conv",
                                            "Gemm",
                                            "MatMul",
                                            "Add",
                                            "Mul",
                                            "AveragePool",
                                            "GlobalAveragePool",
                                            "Concat",
                                            "Sigmoid",
                                            "Tanh",
                                            "HardSwish",
                                            "LeakyRelu",
                                            "Relu",
                                            "Clip",
                                            "Softmax",
                                            "MaxPool",
                                            "Pad",
                                            "Reshape",
                                            "Flatten",
                                            "Squeeze",
                                            "Unsqueeze",
                                            "Transpose",
                                            "Slice"};
  return ops;
}

// Ops that only move or select values: their output takes its input's quantisation, as
// onnxruntime's quantiser does, so Q(op(DQ(x))) == op(x) and they run on int8 unchanged.
bool shares_input_quantization(const Node& n) {
  static const std::set<std::string> ops = {"MaxPool",   "Reshape",   "Flatten", "Squeeze",
                                            "Unsqueeze", "Transpose", "Slice",   "Gather",
                                            "Split",     "Pad",       "Identity"};
  return n.domain.empty() && ops.count(n.op_type) != 0;
}

// Inputs that configure an op rather than carry its data stay as they are.
bool is_data_input(const Node& n, size_t k) {
  if (n.op_type == "Clip" || n.op_type == "Resize" || n.op_type == "Upsample") return k == 0;
  if (n.op_type == "Pad") return k == 0;
  return true;
}

// The per-channel axis of a weight input, or -1 when input k is not a weight.
int64_t weight_axis(const Graph& g, const Node& n, size_t k) {
  const int in = n.input(k);
  if (in < 0 || !g.val(in).constant || g.val(in).dtype != DType::F32) return -1;
  const size_t rank = g.val(in).shape.size();
  if (n.op_type == "Conv" && k == 1 && rank >= 3) return 0;
  if (n.op_type == "Gemm" && k == 1 && rank == 2) return n.attr_i("transB", 0) ? 0 : 1;
  if (n.op_type == "MatMul" && k == 1 && rank >= 2) return int64_t(rank) - 1;
  return -1;
}

// True when input k is a bias the int8 op adds in int32 (one value per output channel).
bool is_bias(const Graph& g, const Node& n, size_t k) {
  const int in = n.input(k);
  if (k != 2 || in < 0 || !g.val(in).constant || g.val(in).dtype != DType::F32) return false;
  if (g.val(in).shape.size() != 1 || weight_axis(g, n, 1) < 0) return false;
  const Value& w = g.val(n.input(1));
  const int64_t channels = w.shape[size_t(weight_axis(g, n, 1))];
  if (g.val(in).shape[0] != channels) return false;
  if (n.op_type == "Gemm") return n.attr_f("alpha", 1.0f) == 1.0f && n.attr_f("beta", 1.0f) == 1.0f;
  return n.op_type == "Conv";
}

bool is_float_activation(const Graph& g, int v) {
  return v >= 0 && g.val(v).dtype == DType::F32 && !g.val(v).constant;
}

// The nodes to place between QDQ pairs.
std::vector<bool> nodes_to_quantize(const Graph& g, bool all_ops) {
  std::vector<bool> q(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty()) continue;
    if (!find_qdq_rule(n.op_type) && !(all_ops && planned_int8_ops().count(n.op_type))) continue;
    bool has_float = false;
    for (size_t k = 0; k < n.inputs.size(); ++k)
      has_float |= is_data_input(n, k) && is_float_activation(g, n.inputs[k]);
    for (int o : n.outputs) has_float |= is_float_activation(g, o);
    q[i] = has_float;
  }
  return q;
}

struct Plan {
  std::vector<bool> node;     // node i is quantised
  std::vector<bool> value;    // value v gets a QuantizeLinear/DequantizeLinear pair
  std::vector<bool> produced; // ... and its producer is quantised (all readers use the DQ)
};

Plan plan_quantization(const Graph& g, bool all_ops) {
  Plan p;
  p.node = nodes_to_quantize(g, all_ops);
  p.value.assign(g.values.size(), false);
  p.produced.assign(g.values.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!p.node[i]) continue;
    const Node& n = g.nodes[i];
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (is_data_input(n, k) && is_float_activation(g, n.inputs[k]))
        p.value[size_t(n.inputs[k])] = true;
    for (int o : n.outputs)
      if (is_float_activation(g, o)) p.value[size_t(o)] = p.produced[size_t(o)] = true;
  }
  return p;
}

// Runs the float graph over the samples, recording the statistics of the planned values.
std::vector<ValueStats> calibrate(const Graph& g, const Plan& p, const QuantizeOptions& o,
                                  CalibMethod method) {
  std::vector<ValueStats> stats(g.values.size());
  const int sweeps = method == CalibMethod::MinMax ? 1 : 2;
  const int64_t n = int64_t(o.calib.size());
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    if (sweep == 1)
      for (size_t v = 0; v < stats.size(); ++v)
        if (p.value[v]) stats[v].start_histogram(2048);
    auto record = [&](int v, const TensorData& t) {
      if (v < 0 || !p.value[size_t(v)] || t.dtype != DType::F32) return;
      if (sweep == 0)
        stats[size_t(v)].observe_range(t.data<float>(), t.size());
      else
        stats[size_t(v)].observe_histogram(t.data<float>(), t.size());
    };
    for (int64_t s = 0; s < n; ++s) {
      const auto& sample = o.calib[size_t(s)];
      for (size_t k = 0; k < g.inputs.size() && k < sample.size(); ++k)
        record(g.inputs[k], sample[k]);
      evaluate(g, sample, record);
      if (o.progress)
        o.progress(sweeps == 1 ? std::string("calibrating")
                               : fmt::format("calibrating, sweep {} of {}", sweep + 1, sweeps),
                   s + 1, n);
    }
  }
  return stats;
}

TensorData scalar_f32(float v) {
  TensorData t(DType::F32, {});
  t.data<float>()[0] = v;
  return t;
}

TensorData vector_f32(const std::vector<float>& v) {
  TensorData t(DType::F32, {int64_t(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
  return t;
}

// Builds the rewritten node list.
class QdqWriter {
public:
  QdqWriter(Graph& g) : g_(g) {}

  // QuantizeLinear(x) -> DequantizeLinear -> result; `out` (when >= 0) is the value the
  // DequantizeLinear writes, else a new one. Returns the dequantised value.
  int activation_pair(int x, const QuantParam& q, std::string base, int out = -1) {
    const int s = g_.add_constant(base + "_scale", scalar_f32(q.scale));
    TensorData zt(DType::I8, {});
    zt.data<int8_t>()[0] = int8_t(q.zero_point);
    const int z = g_.add_constant(base + "_zero_point", std::move(zt));
    const int xq = new_value(base + "_QuantizeLinear_Output", DType::I8, g_.val(x).shape);
    nodes_.push_back(make("QuantizeLinear", base + "_QuantizeLinear", {x, s, z}, xq, -1));
    if (out < 0) out = new_value(base + "_DequantizeLinear_Output", DType::F32, g_.val(x).shape);
    nodes_.push_back(make("DequantizeLinear", base + "_DequantizeLinear", {xq, s, z}, out, -1));
    return out;
  }

  // An integer constant read through DequantizeLinear (per channel when axis >= 0).
  // `base` is a copy: adding values may move the names of existing ones.
  int constant_dq(std::string base, TensorData q, const std::vector<float>& scale, int64_t axis,
                  int32_t zero_point = 0) {
    const DType t = q.dtype;
    const Shape shape = q.shape;
    const int qv = g_.add_constant(base + "_quantized", std::move(q));
    const int s =
        g_.add_constant(base + "_scale", axis >= 0 ? vector_f32(scale) : scalar_f32(scale.at(0)));
    TensorData zt(t, axis >= 0 ? Shape{int64_t(scale.size())} : Shape{});
    for (int64_t i = 0; i < zt.size(); ++i) zt.set_f64(i, zero_point);
    const int z = g_.add_constant(base + "_zero_point", std::move(zt));
    const int out = new_value(base + "_DequantizeLinear_Output", DType::F32, shape);
    nodes_.push_back(make("DequantizeLinear", base + "_DequantizeLinear", {qv, s, z}, out, axis));
    return out;
  }

  int new_value(const std::string& name, DType t, const Shape& s) {
    Value v;
    v.name = g_.unique_name(name);
    v.dtype = t;
    v.shape = s;
    v.shape_known = true;
    return g_.add_value(std::move(v));
  }

  void push(Node n) { nodes_.push_back(std::move(n)); }
  std::vector<Node>& nodes() { return nodes_; }

private:
  Node make(const char* op, const std::string& name, std::vector<int> ins, int out, int64_t axis) {
    Node n;
    n.op_type = op;
    n.name = g_.unique_name(name);
    n.inputs = std::move(ins);
    n.outputs = {out};
    n.opset = std::max(g_.opset, 13); // per-axis parameters need opset 13
    if (axis >= 0) {
      Attr a;
      a.kind = AttrKind::Int;
      a.i = axis;
      n.attrs["axis"] = a;
    }
    return n;
  }

  Graph& g_;
  std::vector<Node> nodes_;
};

} // namespace

void quantize(Graph& g, const PassOptions& opts) {
  const QuantizeOptions& o = opts.quant;
  if (!o.enabled) return;
  if (o.calib.empty())
    fail("--quantize int8 needs calibration data: add --calib FILE.npy (see --help)");
  const auto method = parse_calib_method(o.method.empty() ? "mse" : o.method);
  if (!method) fail("--calib-method '{}' is not supported (minmax, percentile or mse)", o.method);
  if (!(o.percentile > 50.0 && o.percentile <= 100.0))
    fail("--calib-percentile {} is not supported: give a value in (50, 100]", o.percentile);
  for (const Node& n : g.nodes)
    if (n.domain.empty() && (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear" ||
                             n.op_type.rfind("QLinear", 0) == 0))
      fail("the model is already quantised (node {}); compile it without --quantize", n.label());
  if (o.record) {
    o.record->float_graph = g;
    o.record->method = calib_method_name(*method);
    o.record->samples = int64_t(o.calib.size());
  }

  const Plan p = plan_quantization(g, o.all_ops);
  const std::vector<ValueStats> stats = calibrate(g, p, o, *method);
  std::vector<QuantParam> param(g.values.size());
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!p.value[v]) continue;
    const Range r = choose_range(stats[v], *method, o.percentile);
    param[v] = activation_param(r.lo, r.hi);
  }

  // In topological order, so chains (MaxPool -> Flatten) pass the parameters along.
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const int x = n.input(0);
    if (!p.node[i] || !shares_input_quantization(n) || x < 0 || !p.value[size_t(x)]) continue;
    for (int out : n.outputs)
      if (out >= 0 && p.value[size_t(out)]) param[size_t(out)] = param[size_t(x)];
  }

  QdqWriter w(g);
  std::vector<int> dq_of(g.values.size(), -1); // the dequantised value readers use
  int activations = 0, weights = 0;
  // producer: index in w.nodes() of the node writing v, -1 for a graph input.
  auto pair_after_producer = [&](int v, int producer) {
    ++activations;
    const std::string base = g.val(v).name;
    if (p.produced[size_t(v)] && g.is_graph_output(v)) {
      // The graph output keeps its name and id: the producer writes a new float value.
      const int f = w.new_value(base + "_QuantizeLinear_Input", DType::F32, g.val(v).shape);
      for (int& out : w.nodes()[size_t(producer)].outputs)
        if (out == v) out = f;
      w.activation_pair(f, param[size_t(v)], base, v);
      dq_of[size_t(v)] = v;
    } else {
      dq_of[size_t(v)] = w.activation_pair(v, param[size_t(v)], base);
    }
  };
  for (int in : g.inputs)
    if (p.value[size_t(in)]) pair_after_producer(in, -1);
  std::vector<std::string> labels;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node n = g.nodes[i];
    if (p.node[i]) {
      labels.push_back(n.label());
      const Node& orig = g.nodes[i]; // n's inputs change below; decisions use the original
      const int x = orig.input(0);
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int in = orig.inputs[k];
        if (in < 0) continue;
        const int64_t axis = weight_axis(g, orig, k);
        if (axis >= 0) {
          ChannelQuant cq = quantize_weights(*g.val(in).constant, axis);
          n.inputs[k] = w.constant_dq(g.val(in).name, std::move(cq.q), cq.scale, axis);
          ++weights;
        } else if (is_bias(g, orig, k) && x >= 0 && p.value[size_t(x)]) {
          ChannelQuant cq =
              quantize_weights(*g.val(orig.input(1)).constant, weight_axis(g, orig, 1));
          BiasQuant bq = quantize_bias(*g.val(in).constant, param[size_t(x)].scale, cq.scale);
          n.inputs[k] = w.constant_dq(g.val(in).name, std::move(bq.q), bq.scale, 0);
          ++weights;
        } else if (is_data_input(orig, k) && g.val(in).constant && g.val(in).dtype == DType::F32 &&
                   !(k == 2 && (orig.op_type == "Conv" || orig.op_type == "Gemm"))) {
          // (A bias that cannot be int32 stays float: int8 would lose its precision.)
          // A constant operand (e.g. of Add): per-tensor int8 over its own range.
          ValueStats s;
          s.observe_range(g.val(in).constant->data<float>(), g.val(in).constant->size());
          const QuantParam q = activation_param(s.min, s.max);
          TensorData t(DType::I8, g.val(in).shape);
          const float* src = g.val(in).constant->data<float>();
          for (int64_t e = 0; e < t.size(); ++e)
            t.data<int8_t>()[e] = int8_t(quantize_value(src[e], q.scale, q.zero_point, DType::I8));
          n.inputs[k] = w.constant_dq(g.val(in).name, std::move(t), {q.scale}, -1, q.zero_point);
          ++weights;
        } else if (is_data_input(orig, k) && dq_of[size_t(in)] >= 0) {
          n.inputs[k] = dq_of[size_t(in)];
        }
      }
    } else {
      // A float op reads the dequantised value when a quantised op produced it (so that op
      // has a single reader, its QuantizeLinear, and can be lowered), else the float value.
      for (int& in : n.inputs)
        if (in >= 0 && dq_of[size_t(in)] >= 0 && p.produced[size_t(in)]) in = dq_of[size_t(in)];
    }
    w.push(n);
    const int at = int(w.nodes().size()) - 1;
    for (int out : g.nodes[i].outputs)
      if (out >= 0 && p.value[size_t(out)]) pair_after_producer(out, at);
  }
  // Graph outputs produced by a quantised op already are the dequantised values; the others
  // stay float.
  g.nodes = std::move(w.nodes());
  g.compact();
  if (o.record) {
    o.record->activations = activations;
    o.record->weights = weights;
    o.record->quantized_ops = labels;
  }
  note(fmt::format("quantize: {} activations, {} weight tensors, {} ops between QDQ pairs",
                   activations, weights, labels.size()));
}

} // namespace tinyc
