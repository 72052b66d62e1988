// QOperator-format quantised ops: QLinearConv, QLinearMatMul (ONNX) and onnxruntime's
// com.microsoft QLinearConv, QLinearAdd, QLinearMul, QLinearAveragePool,
// QLinearGlobalAveragePool, QLinearSigmoid and QLinearLeakyRelu. Their semantics are those of
// DequantizeLinear -> float op -> QuantizeLinear; the pass expand-qoperators rewrites them so
// (passes/expand_qoperators.h), and infer and eval here run that same expansion on a scratch
// graph holding the node's inputs. They never reach the emitter.
#include "op_util.h"

#include "../../passes/expand_qoperators.h"

#include <algorithm>

namespace tinyc::ops {
namespace {

// A graph with copies of n's inputs (constants given in `known`, or those of g) and the
// expansion of n over them; `outs` receives the scratch ids of n's outputs.
Graph scratch_expansion(const Graph* g, const Node& n, const Inputs* known,
                        std::vector<Node>& nodes, std::vector<int>& outs) {
  Graph s;
  s.opset = g ? g->opset : n.opset;
  Node copy = n;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    if (n.inputs[k] < 0) continue;
    Value v;
    if (g) {
      v = g->val(n.inputs[k]);
      v.producer = -1;
    } else {
      const TensorData* t = k < known->size() ? (*known)[k] : nullptr;
      if (!t) fail("node {}: input {} has no value", n.label(), k);
      v.name = "in" + std::to_string(k);
      v.dtype = t->dtype;
      v.shape = t->shape;
      v.shape_known = true;
      v.constant = *t;
    }
    copy.inputs[k] = s.add_value(v);
    // A model input stays one, so an op that needs its value asks for it to be frozen.
    if (g && std::find(g->inputs.begin(), g->inputs.end(), n.inputs[k]) != g->inputs.end())
      s.inputs.push_back(copy.inputs[k]);
  }
  outs.clear();
  for (int& o : copy.outputs) {
    Value v;
    v.name = g && o >= 0 ? g->val(o).name : "out";
    o = s.add_value(v);
    outs.push_back(o);
  }
  nodes = expand_qoperator(s, copy);
  for (Node& e : nodes) OpRegistry::instance().find(e.domain, e.op_type)->infer(s, e);
  return s;
}

void infer(Graph& g, Node& n) {
  std::vector<Node> nodes;
  std::vector<int> outs;
  Graph s = scratch_expansion(&g, n, nullptr, nodes, outs);
  for (size_t k = 0; k < outs.size(); ++k)
    set_output(g, n, k, s.val(outs[k]).dtype, s.val(outs[k]).shape);
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  std::vector<Node> nodes;
  std::vector<int> outs;
  Graph s = scratch_expansion(nullptr, n, &in, nodes, outs);
  for (const Node& e : nodes) {
    Inputs ins;
    for (int v : e.inputs) ins.push_back(v >= 0 ? &*s.val(v).constant : nullptr);
    std::vector<TensorData> r = OpRegistry::instance().find(e.domain, e.op_type)->eval(e, ins);
    for (size_t k = 0; k < e.outputs.size() && k < r.size(); ++k)
      if (e.outputs[k] >= 0) s.val(e.outputs[k]).constant = std::move(r[k]);
  }
  std::vector<TensorData> r;
  for (int o : outs) r.push_back(*s.val(o).constant);
  return r;
}

struct QOpRegistrar {
  QOpRegistrar(const char* domain, const char* op_type) {
    OpDef d;
    d.op_type = op_type;
    d.domain = domain;
    d.infer = infer;
    d.eval = eval;
    d.emit = [](EmitContext&, const Node& n) {
      fail("node {}: internal: QOperator op left for the emitter (expand-qoperators did not run)",
           n.label());
    };
    OpRegistry::instance().add(std::move(d));
  }
};

const QOpRegistrar kQOps[] = {
    {"", "QLinearConv"},
    {"", "QLinearMatMul"},
    {"com.microsoft", "QLinearConv"},
    {"com.microsoft", "QLinearAdd"},
    {"com.microsoft", "QLinearMul"},
    {"com.microsoft", "QLinearAveragePool"},
    {"com.microsoft", "QLinearGlobalAveragePool"},
    {"com.microsoft", "QLinearSigmoid"},
    {"com.microsoft", "QLinearLeakyRelu"},
};

} // namespace
} // namespace tinyc::ops
