// Data-driven channel importance and mean compensation for structured pruning.
#include "prune_data.h"

#include "../compiler/evaluator.h"

#include <algorithm>
#include <functional>

namespace tinyc {

namespace {

// Number of input features of a layer reading x (Conv: channels; Gemm/MatMul: columns), or 0
// when the layer's layout is not one this file understands.
int64_t feature_count(const Node& n, const Shape& x) {
  if (n.op_type == "Conv") return x.size() >= 3 ? x[1] : 0;
  if (n.op_type == "Gemm") return n.attr_i("transA", 0) == 0 && x.size() == 2 ? x[1] : 0;
  if (n.op_type == "MatMul") return x.empty() ? 0 : x.back();
  return 0;
}

// The layers whose data input is a value: node index -> input value.
std::map<int, int> reading_layers(const Graph& g) {
  std::map<int, int> out;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty() || n.input(0) < 0 || n.input(1) < 0) continue;
    if (!is_constant_weight(g, n.input(1))) continue;
    const int64_t f = feature_count(n, g.val(n.input(0)).shape);
    // A depthwise conv carries its input channel through: the layers after it read it.
    if (n.op_type == "Conv" && n.attr_i("group", 1) > 1 && n.attr_i("group", 1) == f) continue;
    if (f > 0) out[int(i)] = n.input(0);
  }
  return out;
}

// For output o of layer n and its input feature j: sum over the kernel taps of the weights
// (Conv), or the weight (Gemm/MatMul, Gemm's alpha included). `f(o, sum)` for every output
// that reads feature j.
void for_feature_weights(const Node& n, const TensorData& w, int64_t features, int64_t j,
                         const std::function<void(int64_t, double)>& f) {
  const float* p = w.data<float>();
  if (n.op_type == "Conv") {
    const int64_t m = w.shape[0], group = n.attr_i("group", 1);
    if (group <= 0 || features % group != 0 || m % group != 0) return;
    const int64_t per_group = features / group, outs = m / group, taps = w.size() / (m * per_group);
    const int64_t gi = j / per_group, ci = j % per_group;
    for (int64_t o = gi * outs; o < (gi + 1) * outs; ++o) {
      double s = 0;
      for (int64_t t = 0; t < taps; ++t) s += double(p[(o * per_group + ci) * taps + t]);
      f(o, s);
    }
    return;
  }
  if (w.shape.size() != 2) return;
  const double alpha = n.op_type == "Gemm" ? double(n.attr_f("alpha", 1.0f)) : 1.0;
  const bool trans = n.op_type == "Gemm" && n.attr_i("transB", 0);
  const int64_t outs = trans ? w.shape[0] : w.shape[1];
  for (int64_t o = 0; o < outs; ++o)
    f(o, alpha * double(trans ? p[o * w.shape[1] + j] : p[j * outs + o]));
}

// Squared weights applied to feature j, summed over outputs (and taps).
double feature_weight_energy(const Node& n, const TensorData& w, int64_t features, int64_t j) {
  if (n.op_type != "Conv") {
    double e = 0;
    for_feature_weights(n, w, features, j, [&](int64_t, double x) { e += x * x; });
    return e;
  }
  const int64_t m = w.shape[0], group = n.attr_i("group", 1);
  if (group <= 0 || features % group != 0 || m % group != 0) return 0;
  const int64_t per_group = features / group, outs = m / group, taps = w.size() / (m * per_group);
  const int64_t gi = j / per_group, ci = j % per_group;
  double e = 0;
  for (int64_t o = gi * outs; o < (gi + 1) * outs; ++o)
    for (int64_t t = 0; t < taps; ++t) {
      const double x = double(w.data<float>()[(o * per_group + ci) * taps + t]);
      e += x * x;
    }
  return e;
}

// Features of value x (read by a layer) that belong to channel c of the channel groups.
std::vector<int64_t> features_of(const ChannelGroups& cg, int x, int64_t c) {
  std::vector<int64_t> f;
  const int64_t inner = cg.inner[size_t(x)];
  for (int64_t k = 0; k < inner; ++k) f.push_back(c * inner + k);
  return f;
}

} // namespace

InputStats measure_input_stats(const Graph& g,
                               const std::vector<std::vector<TensorData>>& samples) {
  const std::map<int, int> layers = reading_layers(g);
  // Input value -> feature count, and whether features are channels (Conv) or columns.
  std::map<int, std::pair<int64_t, bool>> features;
  for (const auto& [i, x] : layers) {
    const Node& n = g.nodes[size_t(i)];
    features.emplace(x, std::make_pair(feature_count(n, g.val(x).shape), n.op_type == "Conv"));
  }
  std::map<int, std::vector<double>> sum, sum_sq;
  std::map<int, double> count; // observations per feature
  for (const auto& sample : samples)
    evaluate(g, sample, [&](int v, const TensorData& t) {
      auto it = features.find(v);
      if (it == features.end() || t.dtype != DType::F32) return;
      const auto [f, conv] = it->second;
      const Shape& s = t.shape;
      // Conv input [N, C, spatial...]: feature = axis 1; matrices: the last axis.
      int64_t outer = 1, inner = 1;
      if (conv) {
        outer = s[0];
        for (size_t d = 2; d < s.size(); ++d) inner *= s[d];
      } else {
        outer = t.size() / f;
      }
      auto& a = sum[v];
      auto& b = sum_sq[v];
      a.resize(size_t(f), 0.0);
      b.resize(size_t(f), 0.0);
      const float* p = t.data<float>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < f; ++j)
          for (int64_t k = 0; k < inner; ++k) {
            const double x = double(conv ? p[(o * f + j) * inner + k] : p[o * f + j]);
            a[size_t(j)] += x;
            b[size_t(j)] += x * x;
          }
      count[v] += double(outer * inner);
    });
  InputStats stats;
  for (const auto& [v, a] : sum) {
    FeatureStats fs;
    const double n = count[v];
    for (size_t j = 0; j < a.size(); ++j) {
      const double mean = a[j] / n;
      fs.mean.push_back(mean);
      fs.var.push_back(std::max(0.0, sum_sq[v][j] / n - mean * mean));
    }
    stats[g.val(v).name] = std::move(fs);
  }
  return stats;
}

std::map<int, double> data_scores(const Graph& g, ChannelGroups& cg, const InputStats& stats) {
  std::map<int, double> score;
  for (const auto& [i, x] : reading_layers(g)) {
    if (!cg.tracked(x)) continue;
    auto st = stats.find(g.val(x).name);
    const Node& n = g.nodes[size_t(i)];
    const int64_t nf = feature_count(n, g.val(x).shape);
    if (st == stats.end() || int64_t(st->second.var.size()) != nf ||
        nf != cg.channels[size_t(x)] * cg.inner[size_t(x)])
      continue;
    const TensorData w = weight_values(g, n.input(1));
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c) {
      double s = 0;
      for (int64_t j : features_of(cg, x, c))
        s += st->second.var[size_t(j)] * feature_weight_energy(n, w, nf, j);
      score[cg.atom_at(x, c)] += s;
    }
  }
  return score;
}

int compensate_with_means(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed,
                          const InputStats& stats, const std::set<std::string>& skip) {
  std::map<int, bool> compensated;
  for (const auto& [i, x] : reading_layers(g)) {
    if (!cg.tracked(x)) continue;
    Node& n = g.nodes[size_t(i)];
    if (skip.count(g.val(n.output(0)).name)) continue;
    auto st = stats.find(g.val(x).name);
    const int64_t nf = feature_count(n, g.val(x).shape);
    if (st == stats.end() || int64_t(st->second.mean.size()) != nf ||
        nf != cg.channels[size_t(x)] * cg.inner[size_t(x)])
      continue;
    // Only float weights and a float per-output bias (or none) can take the mean.
    const TensorData* w = g.val(n.input(1)).constant ? &*g.val(n.input(1)).constant : nullptr;
    if (!w || w->dtype != DType::F32 || n.op_type == "MatMul") continue;
    if (n.op_type == "Gemm" && n.attr_f("beta", 1.0f) != 1.0f) continue;
    const int64_t outs = n.op_type == "Conv" || (n.op_type == "Gemm" && n.attr_i("transB", 0))
                             ? w->shape[0]
                             : w->shape[1];
    TensorData bias(DType::F32, {outs});
    if (n.input(2) >= 0) {
      const Value& b = g.val(n.input(2));
      if (!b.constant || b.dtype != DType::F32 || b.constant->size() != outs || b.shape.size() != 1)
        continue;
      bias = *b.constant;
    }
    std::vector<double> add(size_t(outs), 0.0);
    bool any = false;
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c) {
      const int cls = cg.atom_at(x, c);
      if (!removed[size_t(cls)]) continue;
      for (int64_t j : features_of(cg, x, c)) {
        const double mean = st->second.mean[size_t(j)];
        if (mean == 0) continue;
        for_feature_weights(n, *w, nf, j, [&](int64_t o, double s) { add[size_t(o)] += mean * s; });
        any = true;
      }
      compensated[cls] = true;
    }
    if (!any) continue;
    for (int64_t o = 0; o < outs; ++o)
      bias.data<float>()[o] = float(double(bias.data<float>()[o]) + add[size_t(o)]);
    const int b = g.add_constant(g.val(n.output(0)).name + "_mean_bias", bias);
    if (n.inputs.size() < 3) n.inputs.resize(3, -1);
    n.inputs[2] = b;
  }
  return int(compensated.size());
}

} // namespace tinyc
