#include "evaluator.h"

#include "diagnostics.h"
#include "op_registry.h"

#include <algorithm>
#include <cmath>

namespace tinyc {

// The activation a producer applies on store after fuse_activation merged it in.
static void apply_fused_act(const FusedAct& a, TensorData& t) {
  if (a.kind == ActKind::None || t.dtype != DType::F32) return;
  float* x = t.data<float>();
  for (int64_t i = 0; i < t.size(); ++i) {
    float v = x[i];
    switch (a.kind) {
    case ActKind::Relu:
      v = v < 0 ? 0 : v;
      break;
    case ActKind::Clip:
      v = std::min(std::max(v, a.alpha), a.beta);
      break;
    case ActKind::LeakyRelu:
      v = v < 0 ? v * a.alpha : v;
      break;
    case ActKind::Sigmoid:
      v = 1.0f / (1.0f + std::exp(-v));
      break;
    case ActKind::HardSigmoid:
      v = std::max(0.0f, std::min(1.0f, a.alpha * v + a.beta));
      break;
    default:
      break;
    }
    x[i] = v;
  }
}

std::vector<TensorData> evaluate(const Graph& g, const std::vector<TensorData>& inputs,
                                 const ValueObserver& observe) {
  if (inputs.size() != g.inputs.size())
    fail("the model has {} inputs but {} were given", g.inputs.size(), inputs.size());
  std::vector<std::optional<TensorData>> env(g.values.size());
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const Value& v = g.val(g.inputs[k]);
    if (inputs[k].dtype != v.dtype || inputs[k].shape != v.shape)
      fail("input '{}' expects {} {} but got {} {}", v.name, dtype_name(v.dtype),
           shape_str(v.shape), dtype_name(inputs[k].dtype), shape_str(inputs[k].shape));
    env[size_t(g.inputs[k])] = inputs[k];
  }
  auto get = [&](int id) -> const TensorData* {
    if (id < 0) return nullptr;
    const Value& v = g.val(id);
    if (v.constant) return &*v.constant;
    if (!env[size_t(id)]) fail("value '{}' is read before it is computed", v.name);
    return &*env[size_t(id)];
  };
  for (const Node& n : g.nodes) {
    const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
    if (!def || !def->eval) fail("node {}: no reference implementation", n.label());
    Inputs ins;
    for (int in : n.inputs) ins.push_back(get(in));
    std::vector<TensorData> outs = def->eval(n, ins);
    if (!outs.empty()) apply_fused_act(n.act, outs[0]);
    for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
      if (n.outputs[k] < 0) continue;
      if (observe) observe(n.outputs[k], outs[k]);
      env[size_t(n.outputs[k])] = std::move(outs[k]);
    }
  }
  std::vector<TensorData> result;
  for (int o : g.outputs) result.push_back(*get(o));
  return result;
}

} // namespace tinyc
