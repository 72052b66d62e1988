#include "prune_stats.h"

#include "channel_groups.h"

#include "../compiler/op_registry.h"

#include <numeric>
#include <set>

namespace tinyc {

static bool has_weights(const Graph& g, const Node& n) {
  if (!n.domain.empty() || (n.op_type != "Conv" && n.op_type != "Gemm" && n.op_type != "MatMul"))
    return false;
  const int w = n.input(1);
  return w >= 0 && n.output(0) >= 0 && is_constant_weight(g, w) && g.val(w).shape.size() >= 2;
}

// A statistic never stops a compilation: a node whose count fails here counts 0.
static int64_t node_macs(const Graph& g, const Node& n) {
  const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
  try {
    return def && def->macs ? def->macs(g, n) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

std::string layer_name(const Graph& g, const Node& n) {
  return n.name.empty() ? g.val(n.output(0)).name : n.name;
}

std::vector<PrunedLayer> measure_layers(const Graph& g) {
  std::vector<PrunedLayer> layers;
  for (const Node& n : g.nodes) {
    if (!has_weights(g, n)) continue;
    PrunedLayer l;
    l.output = g.val(n.output(0)).name;
    l.name = layer_name(g, n);
    l.op_type = n.op_type;
    const TensorData w = weight_values(g, n.input(1));
    l.channels_before = w.shape[size_t(weight_out_axis(n))];
    // Weights only (sparsity is a property of the weights; biases stay dense).
    l.weights_before = w.size();
    for (int64_t i = 0; i < w.size(); ++i) l.nonzero_before += w.data<float>()[i] != 0;
    l.macs_before = node_macs(g, n);
    layers.push_back(l);
  }
  return layers;
}

int64_t weight_bytes(const Graph& g) {
  std::set<int> seen;
  int64_t bytes = 0;
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in >= 0 && g.val(in).constant && seen.insert(in).second)
        bytes += int64_t(g.val(in).constant->bytes.size());
  return bytes;
}

int64_t total_macs(const Graph& g) {
  int64_t m = 0;
  for (const Node& n : g.nodes) m += node_macs(g, n);
  return m;
}

std::vector<int64_t>& channel_origin(PruneRecord& rec, const std::string& layer, int64_t channels) {
  auto [it, fresh] = rec.channel_origin.emplace(layer, std::vector<int64_t>{});
  if (fresh) {
    it->second.resize(size_t(channels));
    std::iota(it->second.begin(), it->second.end(), 0);
  }
  return it->second;
}

} // namespace tinyc
