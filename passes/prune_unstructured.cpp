// Unstructured magnitude pruning: the smallest-magnitude weights of Conv, Gemm and MatMul
// become 0 (one threshold over all of them, or one per layer). Shapes stay as they are: the
// saving comes from sparse kernels and compression, not from smaller tensors.
#include "prune.h"
#include "prune_stats.h"

#include <algorithm>
#include <cmath>

namespace tinyc {

namespace {

struct Weight {
  float magnitude;
  int64_t order; // position over all layers, to break ties the same way every time
  size_t layer;
  int64_t index;
};

bool prunable_weights(const Graph& g, const Node& n) {
  if (!n.domain.empty() || (n.op_type != "Conv" && n.op_type != "Gemm" && n.op_type != "MatMul"))
    return false;
  const int w = n.input(1);
  return w >= 0 && g.val(w).constant && g.val(w).dtype == DType::F32 && g.val(w).shape.size() >= 2;
}

// Zeroes the `count` smallest of `ws` in `tensors`.
int64_t zero_smallest(std::vector<Weight>& ws, int64_t count, std::vector<TensorData>& tensors) {
  count = std::min<int64_t>(count, int64_t(ws.size()));
  if (count <= 0) return 0;
  auto less = [](const Weight& a, const Weight& b) {
    return a.magnitude != b.magnitude ? a.magnitude < b.magnitude : a.order < b.order;
  };
  std::nth_element(ws.begin(), ws.begin() + (count - 1), ws.end(), less);
  int64_t newly = 0;
  for (int64_t k = 0; k < count; ++k) {
    float& x = tensors[ws[size_t(k)].layer].data<float>()[ws[size_t(k)].index];
    newly += x != 0;
    x = 0;
  }
  return newly;
}

} // namespace

int64_t prune_unstructured(Graph& g, const PruneOptions& opts, PruneRecord*) {
  std::vector<int> layers;
  std::vector<TensorData> tensors;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (prunable_weights(g, g.nodes[i])) {
      layers.push_back(int(i));
      tensors.push_back(*g.val(g.nodes[i].input(1)).constant);
    }
  std::vector<std::vector<Weight>> per_layer(layers.size());
  int64_t order = 0;
  for (size_t l = 0; l < layers.size(); ++l)
    for (int64_t i = 0; i < tensors[l].size(); ++i)
      per_layer[l].push_back({std::fabs(tensors[l].data<float>()[i]), order++, l, i});
  int64_t newly = 0;
  auto count_of = [&](size_t n, double f) { return int64_t(std::floor(f * double(n) + 1e-9)); };
  if (opts.per_layer || !opts.layer_fraction.empty()) {
    for (size_t l = 0; l < layers.size(); ++l) {
      auto it = opts.layer_fraction.find(layer_name(g, g.nodes[size_t(layers[l])]));
      const double f = it != opts.layer_fraction.end() ? it->second : opts.fraction;
      newly += zero_smallest(per_layer[l], count_of(per_layer[l].size(), f), tensors);
    }
  } else {
    std::vector<Weight> all;
    for (auto& ws : per_layer) all.insert(all.end(), ws.begin(), ws.end());
    newly += zero_smallest(all, count_of(all.size(), opts.fraction), tensors);
  }
  // New constants: the old ones may be shared with nodes that are not pruned.
  for (size_t l = 0; l < layers.size(); ++l) {
    Node& n = g.nodes[size_t(layers[l])];
    const std::string name = g.val(n.inputs[1]).name;
    n.inputs[1] = g.add_constant(name, std::move(tensors[l]));
  }
  return newly;
}

} // namespace tinyc
