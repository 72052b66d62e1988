// --prune auto: per-layer pruning fractions chosen on validation data.
//
// 1. Sensitivity: each layer (a channel group for structured pruning, a weight tensor for
//    unstructured) is pruned alone at every step of a grid (with the quick, all-at-once refit
//    of prune_reconstruct.h); the reference evaluator measures
//    how far the outputs move from the unpruned model's (relative squared error) and what the
//    step saves (nonzero weights and MACs, relative to the unpruned model).
// 2. Order: from nothing pruned, repeatedly take the layer move that saves the most per unit
//    of output error (looking ahead to any further step of the same layer), which gives a
//    sequence of ever more compressed candidates.
// 3. Budget: a binary search over that sequence finds the most compressed candidate whose
//    top-1 on the labels stays within the budget, measured on the model as it will be
//    compiled (quantised too, when asked), since the loss of layers pruned together and of
//    quantisation is not the sum of the parts.
// 4. Refinement: from there, single-layer steps the sequence did not take, kept while the
//    budget holds.
#include "prune.h"
#include "prune_stats.h"

#include "../compiler/diagnostics.h"
#include "../compiler/evaluator.h"
#include "../compiler/quant_accuracy.h"
#include "channel_groups.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tinyc {

namespace {

// A layer the search sets one fraction for: the producers of one channel group (structured)
// or one weight tensor's node (unstructured).
struct Unit {
  std::vector<std::string> layers;
  std::vector<double> err, cost; // per grid step (step 0: not pruned)
  std::vector<bool> usable;      // the step changes the model and does not wreck it alone
};

std::vector<double> grid(PruneMethod m) {
  if (m == PruneMethod::Structured) return {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875};
  return {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
}

std::vector<Unit> find_units(const Graph& g, PruneMethod m) {
  std::vector<Unit> units;
  if (m == PruneMethod::Unstructured) {
    for (const PrunedLayer& l : measure_layers(g))
      if (l.op_type == "Conv" || l.op_type == "Gemm" || l.op_type == "MatMul")
        units.push_back({{l.name}, {}, {}, {}});
    return units;
  }
  ChannelGroups cg = analyze_channels(g);
  std::map<int, size_t> by_group;
  for (int i : cg.producers) {
    const Node& n = g.nodes[size_t(i)];
    const int out = n.output(0);
    if (!cg.tracked(out)) continue;
    auto [it, fresh] = by_group.emplace(cg.group(out), units.size());
    if (fresh) units.push_back({});
    units[it->second].layers.push_back(layer_name(g, n));
  }
  return units;
}

struct Candidate {
  Graph graph;
  double cost = 0; // nonzero weights / unpruned + MACs / unpruned
};

class Search {
public:
  Search(const Graph& g, const PruneOptions& opts) : base_(g), opts_(opts) {
    for (const auto& x : opts.val) base_out_.push_back(evaluate(g, x));
    for (const PrunedLayer& l : measure_layers(g)) nonzero0_ += double(l.nonzero_before);
    macs0_ = double(total_macs(g));
  }

  // `quick`: the refit from the unpruned model's statistics (the sensitivity sweep); else as
  // the final model will be pruned.
  Candidate prune_with(const std::map<std::string, double>& fractions, bool quick = false) const {
    Candidate c{base_, 0};
    PruneOptions o = opts_;
    o.automatic = false;
    if (quick) o.refit_in_order = false;
    o.fraction = 0;
    o.per_layer = true;
    o.layer_fraction = fractions;
    if (!fractions.empty()) {
      if (o.method == PruneMethod::Structured)
        prune_structured(c.graph, o);
      else
        prune_unstructured(c.graph, o);
    }
    double nonzero = 0;
    for (const PrunedLayer& l : measure_layers(c.graph)) nonzero += double(l.nonzero_before);
    c.cost = (nonzero0_ > 0 ? nonzero / nonzero0_ : 0) +
             (macs0_ > 0 ? double(total_macs(c.graph)) / macs0_ : 0);
    return c;
  }

  // Relative squared error of the outputs against the unpruned model, and top-1 drop (points).
  std::pair<double, double> measure(const Graph& g) {
    ++evaluated_;
    double diff = 0, ref = 0;
    int64_t right = 0, right0 = 0;
    for (size_t s = 0; s < opts_.val.size(); ++s) {
      const std::vector<TensorData> out = evaluate(g, opts_.val[s]);
      for (size_t k = 0; k < out.size(); ++k)
        for (int64_t e = 0; e < out[k].size(); ++e) {
          const double a = out[k].get_f64(e), b = base_out_[s][k].get_f64(e);
          diff += (a - b) * (a - b);
          ref += b * b;
        }
      right += argmax(out.at(0)) == opts_.labels[s];
      right0 += argmax(base_out_[s].at(0)) == opts_.labels[s];
    }
    const double n = double(opts_.val.size());
    return {ref > 0 ? diff / ref : diff, 100.0 * double(right0 - right) / n};
  }

  // top-1 (points) of a candidate compiled as asked (opts.finish: quantisation).
  double final_top1(const Graph& pruned, double* unpruned) {
    ++evaluated_;
    Graph g = pruned;
    if (opts_.finish) opts_.finish(g);
    const QuantAccuracy a = measure_quant_accuracy(base_, g, opts_.val, opts_.labels, "validation");
    if (unpruned) *unpruned = 100.0 * a.top1_float;
    return 100.0 * a.top1_int8;
  }

  int evaluated() const { return evaluated_; }

private:
  static int64_t argmax(const TensorData& t) {
    int64_t best = 0;
    for (int64_t i = 1; i < t.size(); ++i)
      if (t.get_f64(i) > t.get_f64(best)) best = i;
    return best;
  }

  const Graph& base_;
  PruneOptions opts_;
  std::vector<std::vector<TensorData>> base_out_;
  double nonzero0_ = 0, macs0_ = 0;
  int evaluated_ = 0;
};

std::map<std::string, double> fractions_of(const std::vector<Unit>& units,
                                           const std::vector<size_t>& state,
                                           const std::vector<double>& steps) {
  std::map<std::string, double> f;
  for (size_t u = 0; u < units.size(); ++u)
    if (state[u] > 0)
      for (const std::string& l : units[u].layers) f[l] = steps[state[u]];
  return f;
}

} // namespace

std::map<std::string, double> search_prune_fractions(const Graph& g, const PruneOptions& opts,
                                                     PruneRecord* rec) {
  if (opts.val.empty() || opts.labels.size() != opts.val.size())
    fail("--prune auto needs validation data with labels: add --val X.npy Y.npy");
  const std::vector<double> steps = grid(opts.method);
  std::vector<Unit> units = find_units(g, opts.method);
  Search search(g, opts);
  auto say = [&](const std::string& s) {
    if (opts.progress) opts.progress(s);
  };

  // 1. Sensitivity of each unit alone.
  const double base_cost = search.prune_with({}).cost;
  for (size_t u = 0; u < units.size(); ++u) {
    Unit& unit = units[u];
    unit.err = {0};
    unit.cost = {base_cost};
    unit.usable = {true};
    bool wrecked = false;
    for (size_t k = 1; k < steps.size(); ++k) {
      std::map<std::string, double> f;
      for (const std::string& l : unit.layers) f[l] = steps[k];
      Candidate c = search.prune_with(f, true);
      const bool changed = c.cost < unit.cost.back() - 1e-12;
      double err = unit.err.back(), drop = 0;
      if (changed && !wrecked) std::tie(err, drop) = search.measure(c.graph);
      // A step that alone costs several budgets of accuracy ends this layer's search.
      wrecked = wrecked || drop > 3 * opts.max_accuracy_drop + 5;
      unit.err.push_back(err);
      unit.cost.push_back(changed ? c.cost : unit.cost.back());
      unit.usable.push_back(changed && !wrecked);
    }
    say(fmt::format("sensitivity of layer {}/{} ({})", u + 1, units.size(), unit.layers.at(0)));
  }

  // 2. The sequence of candidates, each one layer move further.
  std::vector<std::vector<size_t>> sequence = {std::vector<size_t>(units.size(), 0)};
  for (;;) {
    const std::vector<size_t>& s = sequence.back();
    double best = -1;
    size_t best_u = 0, best_k = 0;
    for (size_t u = 0; u < units.size(); ++u)
      for (size_t k = s[u] + 1; k < steps.size(); ++k) {
        const Unit& unit = units[u];
        if (!unit.usable[k]) continue;
        const double saved = unit.cost[s[u]] - unit.cost[k];
        const double worse = std::max(unit.err[k] - unit.err[s[u]], 1e-9);
        if (saved > 0 && saved / worse > best) {
          best = saved / worse;
          best_u = u;
          best_k = k;
        }
      }
    if (best < 0) break;
    std::vector<size_t> next = s;
    next[best_u] = best_k;
    sequence.push_back(next);
  }

  // 3. The longest prefix within the budget (top-1 of the model as compiled).
  double unpruned = 0;
  const double top1_none = search.final_top1(g, &unpruned);
  size_t lo = 0, hi = sequence.size() - 1;
  double top1_lo = top1_none;
  std::map<size_t, double> seen;
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    const double t = search.final_top1(
        search.prune_with(fractions_of(units, sequence[mid], steps)).graph, nullptr);
    seen[mid] = t;
    say(fmt::format("candidate {}/{}: top-1 {:.2f}% (unpruned {:.2f}%)", mid, sequence.size() - 1,
                    t, unpruned));
    if (unpruned - t <= opts.max_accuracy_drop + 1e-9) {
      lo = mid;
      top1_lo = t;
    } else {
      hi = mid - 1;
    }
  }
  // 4. Refinement: the sequence's next move broke the budget, but another layer's next step
  //    may still fit. Tried in order of efficiency, a bounded number of times.
  std::vector<size_t> state = sequence[lo];
  for (size_t tries = 0; tries < 2 * units.size() && lo < sequence.size() - 1;) {
    std::vector<std::pair<double, std::pair<size_t, size_t>>> moves; // -efficiency, (u, k)
    for (size_t u = 0; u < units.size(); ++u)
      for (size_t k = state[u] + 1; k < steps.size(); ++k) {
        if (!units[u].usable[k]) continue;
        const double saved = units[u].cost[state[u]] - units[u].cost[k];
        const double worse = std::max(units[u].err[k] - units[u].err[state[u]], 1e-9);
        if (saved > 0) moves.push_back({-saved / worse, {u, k}});
        break; // the next usable step of each layer only
      }
    std::sort(moves.begin(), moves.end());
    bool moved = false;
    for (const auto& [eff, m] : moves) {
      if (tries++ >= 2 * units.size()) break;
      std::vector<size_t> next = state;
      next[m.first] = m.second;
      const double t =
          search.final_top1(search.prune_with(fractions_of(units, next, steps)).graph, nullptr);
      say(fmt::format("refining: {} to {:g}: top-1 {:.2f}%", units[m.first].layers.at(0),
                      steps[m.second], t));
      if (unpruned - t <= opts.max_accuracy_drop + 1e-9) {
        state = next;
        top1_lo = t;
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  const std::map<std::string, double> chosen = fractions_of(units, state, steps);
  if (rec) {
    rec->automatic = true;
    rec->max_accuracy_drop = opts.max_accuracy_drop;
    rec->top1_before = unpruned;
    rec->top1_after = top1_lo;
    rec->candidates_evaluated = search.evaluated();
    rec->auto_choice.clear();
    // Layers no step could prune (a graph output's channels...) are not a choice.
    for (size_t u = 0; u < units.size(); ++u)
      if (std::count(units[u].usable.begin() + 1, units[u].usable.end(), true) > 0)
        for (const std::string& l : units[u].layers)
          rec->auto_choice.emplace_back(l, steps[state[u]]);
  }
  return chosen;
}

} // namespace tinyc
