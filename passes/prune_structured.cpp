// Structured pruning: whole channels leave every tensor that holds them (channel_groups.h),
// either the least important ones (--prune FRACTION, ranked by the L1 or L2 norm of the
// weights producing them) or, without being asked, those the model computes as constant 0.
#include "channel_groups.h"
#include "prune.h"
#include "prune_data.h"
#include "prune_stats.h"

#include "../compiler/diagnostics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>

namespace tinyc {

namespace {

// The channel classes of one group, in a fixed order, and the number of equal blocks they
// fall into (grouped convolutions remove the same number of channels from each group).
struct GroupClasses {
  int root = -1;
  std::vector<int> classes;
  int64_t blocks = 1;
  std::string why; // not prunable when set
};

std::vector<GroupClasses> group_classes(const Graph& g, ChannelGroups& cg) {
  std::map<int, size_t> index;
  std::vector<GroupClasses> groups;
  std::vector<std::map<int, bool>> seen;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!cg.tracked(int(v))) continue;
    const int r = cg.group(int(v));
    auto [it, fresh] = index.emplace(r, groups.size());
    if (fresh) {
      groups.push_back({r, {}, 1, cg.bad[size_t(r)]});
      seen.emplace_back();
    }
    for (int64_t c = 0; c < cg.channels[v]; ++c) {
      const int a = cg.atom_at(int(v), c);
      if (seen[it->second].emplace(a, true).second) groups[it->second].classes.push_back(a);
    }
  }
  // Block constraints need one channel order shared by every grouped Conv of the group.
  std::map<int, std::vector<int>> canonical;
  for (const auto& [v, blocks] : cg.blocks) {
    GroupClasses& gc = groups[index.at(cg.group(v))];
    std::vector<int> order;
    for (int64_t c = 0; c < cg.channels[size_t(v)]; ++c) order.push_back(cg.atom_at(v, c));
    auto [it, fresh] = canonical.emplace(gc.root, order);
    if ((!fresh && it->second != order) || order.size() != gc.classes.size()) {
      if (gc.why.empty()) gc.why = "grouped convolution on channels in another order";
      continue;
    }
    gc.classes = order;
    gc.blocks = std::lcm(gc.blocks, blocks);
    if (int64_t(order.size()) % gc.blocks != 0 && gc.why.empty())
      gc.why = "channels not divisible among the groups of a grouped convolution";
  }
  return groups;
}

// Up to `count` classes to remove, least `score` first, among those `eligible`; with blocks,
// the same number from each block; at least one class (per block) always stays.
std::vector<int> choose(const GroupClasses& gc, const std::map<int, double>& score, int64_t count,
                        const std::function<bool(int)>& eligible) {
  const int64_t n = int64_t(gc.classes.size()), per_block = n / gc.blocks;
  std::vector<std::vector<size_t>> cand(size_t(gc.blocks));
  for (size_t i = 0; i < gc.classes.size(); ++i)
    if (eligible(gc.classes[i])) cand[i / size_t(per_block)].push_back(i);
  int64_t take = std::min(count / gc.blocks, per_block - 1);
  for (const auto& c : cand) take = std::min(take, int64_t(c.size()));
  std::vector<int> out;
  for (auto& c : cand) {
    std::stable_sort(c.begin(), c.end(), [&](size_t a, size_t b) {
      auto sa = score.find(gc.classes[a]), sb = score.find(gc.classes[b]);
      return (sa == score.end() ? 0.0 : sa->second) < (sb == score.end() ? 0.0 : sb->second);
    });
    for (int64_t k = 0; k < take; ++k) out.push_back(gc.classes[c[size_t(k)]]);
  }
  return out;
}

// Values of output channel c in weights w of a producer.
template <class F> void for_row(const TensorData& w, const Node& n, int64_t c, F&& f) {
  const int64_t axis = weight_out_axis(n);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= w.shape[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < w.shape.size(); ++d) inner *= w.shape[d];
  const int64_t m = w.shape[size_t(axis)];
  const float* p = w.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) f(p[(o * m + c) * inner + i]);
}

// The output channel c of n when its input contributes nothing (zero weights or a zero input
// channel): the fused activation of the bias.
std::vector<float> constant_outputs(const Graph& g, const Node& n, size_t k, int64_t channels) {
  std::vector<float> v(size_t(channels), 0.0f);
  const int b = n.input(k);
  if (b >= 0) {
    const TensorData t = weight_values(g, b);
    const double beta = n.op_type == "Gemm" ? n.attr_f("beta", 1.0f) : 1.0; // Gemm: beta * C
    for (int64_t c = 0; c < channels; ++c)
      v[size_t(c)] = float(beta * t.get_f64(t.size() == 1 ? 0 : c));
  }
  for (float& x : v) {
    FusedAct a = n.act;
    switch (a.kind) {
    case ActKind::Relu:
      x = x < 0 ? 0 : x;
      break;
    case ActKind::Clip:
      x = std::min(std::max(x, a.alpha), a.beta);
      break;
    case ActKind::LeakyRelu:
      x = x < 0 ? x * a.alpha : x;
      break;
    case ActKind::None:
      break;
    default:
      x = 1; // Sigmoid-like: never 0 in a way worth proving
    }
  }
  return v;
}

// Per class: is the channel constantly 0 whatever the input?
std::map<int, bool> zero_classes(const Graph& g, ChannelGroups& cg) {
  std::map<int, bool> zero;
  auto mark = [&](int cls, bool z) {
    auto [it, fresh] = zero.emplace(cls, z);
    if (!fresh) it->second = it->second && z;
  };
  // A producer's channel with zero weights outputs act(bias): 0 when that is 0. A depthwise
  // channel whose input is 0 everywhere also outputs act(bias), padding included.
  for (int i : cg.producers) {
    const Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    const TensorData w = weight_values(g, n.input(1));
    const std::vector<float> k = constant_outputs(g, n, 2, cg.channels[size_t(out)]);
    for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c) {
      bool z = k[size_t(c)] == 0;
      if (z) for_row(w, n, c, [&](float x) { z = z && x == 0; });
      mark(cg.atom_at(out, c), z);
    }
  }
  for (int i : cg.depthwise) {
    const Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    const std::vector<float> k = constant_outputs(g, n, 2, cg.channels[size_t(out)]);
    for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c)
      mark(cg.atom_at(out, c), k[size_t(c)] == 0);
  }
  for (int i : cg.const_ops) {
    const Node& n = g.nodes[size_t(i)];
    if (n.op_type == "Mul") continue; // 0 * k = 0
    const int out = n.output(0);
    const size_t rank = g.val(out).shape.size();
    for (int in : n.inputs) {
      if (cg.tracked(in)) continue;
      const TensorData& t = *g.val(in).constant;
      const int64_t pos = cg.axis[size_t(out)] - int64_t(rank - t.shape.size());
      if (pos < 0 || t.shape[size_t(pos)] != cg.channels[size_t(out)]) continue;
      for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c) {
        const TensorData col = take_along(t, pos, {c});
        bool z = true;
        for (int64_t e = 0; e < col.size(); ++e) z = z && col.get_f64(e) == 0;
        mark(cg.atom_at(out, c), z);
      }
    }
  }
  return zero;
}

// Records which original channels of each layer go, then removes them.
int apply(Graph& g, ChannelGroups& cg, const std::vector<int>& classes, PruneRecord* rec) {
  if (classes.empty()) return 0;
  std::vector<bool> removed(cg.atom_parent.size(), false);
  for (int c : classes) removed[size_t(c)] = true;
  if (rec) {
    std::vector<int> owners = cg.producers;
    owners.insert(owners.end(), cg.depthwise.begin(), cg.depthwise.end());
    owners.insert(owners.end(), cg.const_ops.begin(), cg.const_ops.end());
    for (int i : owners) {
      const int out = g.nodes[size_t(i)].output(0);
      std::vector<int64_t>& origin =
          channel_origin(*rec, g.val(out).name, cg.channels[size_t(out)]);
      std::vector<int64_t>& gone = rec->removed_channels[g.val(out).name];
      std::vector<int64_t> next;
      for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c) {
        if (removed[size_t(cg.atom_at(out, c))])
          gone.push_back(origin[size_t(c)]);
        else
          next.push_back(origin[size_t(c)]);
      }
      std::sort(gone.begin(), gone.end());
      origin = next;
    }
  }
  remove_channels(g, cg, removed);
  return int(classes.size());
}

void note_unprunable(const std::vector<GroupClasses>& groups, const Graph& g, PruneRecord* rec) {
  if (!rec) return;
  for (const auto& gc : groups)
    if (!gc.why.empty())
      rec->unprunable.push_back(fmt::format("channels of '{}': {}", g.val(gc.root).name, gc.why));
}

} // namespace

namespace {

// A channel with zero weights whose activated bias k is not 0 outputs the constant k. When
// every reader of the producer's output is a Conv without padding or a Gemm, k's contribution
// is the same at every output position: it moves into their biases exactly and the channel
// can go. (Behind padding, a depthwise conv or a pool the constant is not uniform: kept.)
struct ConstantChannel {
  int producer;    // node index
  int64_t channel; // output channel
  float value;     // act(bias)
};

bool folds_constant_input(const Graph& g, const Node& n, int x) {
  if (!n.domain.empty() || (n.op_type != "Conv" && n.op_type != "Gemm")) return false;
  if (n.input(0) != x || n.input(1) < 0 || !g.val(n.input(1)).constant ||
      g.val(n.input(1)).dtype != DType::F32)
    return false;
  for (size_t k = 1; k < n.inputs.size(); ++k)
    if (n.inputs[k] == x) return false;
  if (n.input(2) >= 0 && (!g.val(n.input(2)).constant || g.val(n.input(2)).dtype != DType::F32))
    return false;
  if (n.op_type == "Conv") {
    if (n.attr_i("group", 1) != 1) return false;
    const std::string pad = n.attr_s("auto_pad", "NOTSET");
    if (pad != "NOTSET" && pad != "VALID") return false;
    for (int64_t p : n.attr_ints("pads", {}))
      if (p != 0) return false;
    return n.input(2) < 0 || g.val(n.input(2)).shape.size() == 1;
  }
  if (n.op_type == "Gemm")
    return n.attr_i("transA", 0) == 0 && n.attr_f("beta", 1.0f) == 1.0f &&
           (n.input(2) < 0 || g.val(n.input(2)).shape.size() == 1);
  return false;
}

std::vector<ConstantChannel> constant_channels(const Graph& g, ChannelGroups& cg) {
  std::vector<ConstantChannel> found;
  const auto readers = g.consumers();
  for (int i : cg.producers) {
    const Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    if (!g.val(n.input(1)).constant || (n.op_type == "Conv" && n.attr_i("group", 1) != 1)) continue;
    if (n.input(2) >= 0 && !g.val(n.input(2)).constant) continue;
    if (readers[size_t(out)].empty()) continue;
    bool ok = true;
    for (int r : readers[size_t(out)]) ok &= folds_constant_input(g, g.nodes[size_t(r)], out);
    if (!ok) continue;
    const TensorData& w = *g.val(n.input(1)).constant;
    const std::vector<float> k = constant_outputs(g, n, 2, cg.channels[size_t(out)]);
    for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c) {
      bool z = k[size_t(c)] != 0 && std::isfinite(k[size_t(c)]);
      if (z) for_row(w, n, c, [&](float x) { z = z && x == 0; });
      if (z) found.push_back({i, c, k[size_t(c)]});
    }
  }
  return found;
}

// Adds the constant channel's contribution to the biases of its readers.
void fold_constant(Graph& g, const ConstantChannel& cc) {
  const int out = g.nodes[size_t(cc.producer)].output(0);
  const auto readers = g.consumers();
  for (int r : readers[size_t(out)]) {
    Node& n = g.nodes[size_t(r)];
    const TensorData& w = *g.val(n.input(1)).constant;
    const bool conv = n.op_type == "Conv";
    const int64_t m = conv ? w.shape[0] : (n.attr_i("transB", 0) ? w.shape[0] : w.shape[1]);
    TensorData bias(DType::F32, {m});
    if (n.input(2) >= 0) bias = *g.val(n.input(2)).constant;
    std::vector<double> add(size_t(m), 0.0);
    if (conv) {
      const int64_t cin = w.shape[1], taps = w.size() / (m * cin);
      for (int64_t o = 0; o < m; ++o)
        for (int64_t t = 0; t < taps; ++t)
          add[size_t(o)] += double(w.data<float>()[(o * cin + cc.channel) * taps + t]);
    } else {
      const float alpha = n.attr_f("alpha", 1.0f);
      for (int64_t o = 0; o < m; ++o) {
        const int64_t idx =
            n.attr_i("transB", 0) ? o * w.shape[1] + cc.channel : cc.channel * w.shape[1] + o;
        add[size_t(o)] = double(alpha) * double(w.data<float>()[idx]);
      }
    }
    for (int64_t o = 0; o < m; ++o)
      bias.data<float>()[o] =
          float(double(bias.data<float>()[o]) + double(cc.value) * add[size_t(o)]);
    const int b = g.add_constant(g.val(out).name + "_folded_bias", bias);
    if (n.inputs.size() < 3) n.inputs.resize(3, -1);
    n.inputs[2] = b;
  }
}

} // namespace

int remove_zero_channels(Graph& g, PruneRecord* rec) {
  ChannelGroups cg = analyze_channels(g);
  if (cg.producers.empty()) return 0;
  const std::map<int, bool> zero = zero_classes(g, cg);
  std::map<int, ConstantChannel> constant; // class -> channel
  for (const ConstantChannel& cc : constant_channels(g, cg))
    constant.emplace(cg.atom_at(g.nodes[size_t(cc.producer)].output(0), cc.channel), cc);
  std::vector<int> classes;
  for (const auto& gc : group_classes(g, cg)) {
    if (!gc.why.empty()) continue;
    auto removable = [&](int c) {
      auto it = zero.find(c);
      return (it != zero.end() && it->second) || constant.count(c) != 0;
    };
    const auto chosen = choose(gc, {}, int64_t(gc.classes.size()), removable);
    classes.insert(classes.end(), chosen.begin(), chosen.end());
  }
  int folded = 0;
  for (int c : classes) {
    auto it = constant.find(c);
    auto z = zero.find(c);
    if (it == constant.end() || (z != zero.end() && z->second)) continue;
    fold_constant(g, it->second);
    ++folded;
  }
  const int n = apply(g, cg, classes, rec);
  if (rec) {
    rec->zero_channels_removed += n;
    rec->constant_channels_folded += folded;
  }
  return n;
}

int prune_structured(Graph& g, const PruneOptions& opts, PruneRecord* rec) {
  ChannelGroups cg = analyze_channels(g);
  if (cg.producers.empty()) return 0;
  const InputStats* stats = opts.input_stats.get();
  // Importance of a channel: the norms of the weight rows producing it, summed over the
  // producers that feed it (both sides of an Add); or the error its removal causes in the
  // layers reading it, on the sample data.
  std::map<int, double> score;
  if (opts.norm == PruneNorm::Data && stats) score = data_scores(g, cg, *stats);
  const bool by_data = !score.empty();
  double most = 0;
  for (const auto& [cls, s] : score) most = std::max(most, s);
  std::map<int, double> group_fraction; // group root -> fraction (per-layer overrides)
  for (int i : cg.producers) {
    const Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    const TensorData w = weight_values(g, n.input(1));
    for (int64_t c = 0; c < cg.channels[size_t(out)]; ++c) {
      const int cls = cg.atom_at(out, c);
      if (by_data) {
        // A channel no measured layer reads is ranked as the most important (kept).
        score.emplace(cls, 2 * most + 1);
        continue;
      }
      double s = 0;
      for_row(w, n, c,
              [&](float x) { s += opts.norm == PruneNorm::L2 ? double(x) * x : std::fabs(x); });
      score[cls] += opts.norm == PruneNorm::L2 ? std::sqrt(s) : s;
    }
    auto it = opts.layer_fraction.find(layer_name(g, n));
    if (it != opts.layer_fraction.end()) {
      auto [gf, fresh] = group_fraction.emplace(cg.group(out), it->second);
      if (!fresh) gf->second = std::min(gf->second, it->second);
    }
  }
  const auto groups = group_classes(g, cg);
  note_unprunable(groups, g, rec);
  std::vector<int> classes;
  for (const auto& gc : groups) {
    if (!gc.why.empty()) continue;
    auto gf = group_fraction.find(gc.root);
    const double f = gf != group_fraction.end() ? gf->second : opts.fraction;
    const int64_t count = int64_t(std::floor(f * double(gc.classes.size()) + 1e-9));
    const auto chosen = choose(gc, score, count, [](int) { return true; });
    classes.insert(classes.end(), chosen.begin(), chosen.end());
  }
  if ((stats || opts.layer_grams) && !classes.empty()) {
    std::vector<bool> removed(cg.atom_parent.size(), false);
    for (int c : classes) removed[size_t(c)] = true;
    // Readers refit by least squares need no mean; the others get it.
    std::set<std::string> refit;
    if (opts.layer_grams && opts.compensate == PruneCompensation::Refit)
      refit = opts.refit_in_order && !opts.samples.empty()
                  ? refit_in_order(g, cg, removed, *opts.layer_grams, opts.samples)
                  : reconstruct_readers(g, cg, removed, *opts.layer_grams);
    const int n = stats && opts.compensate != PruneCompensation::None
                      ? compensate_with_means(g, cg, removed, *stats, refit)
                      : 0;
    if (rec) {
      rec->mean_compensated += n;
      rec->layers_refit += int(refit.size());
    }
  }
  return apply(g, cg, classes, rec);
}

} // namespace tinyc
