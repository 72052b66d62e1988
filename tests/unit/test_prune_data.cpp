// Data-driven pruning: channel statistics on sample data, ranking channels by the error their
// removal causes, replacing a removed channel by its mean, per-layer fractions, and the
// --prune auto search against its accuracy budget.
#include "compiler/evaluator.h"
#include "passes/channel_groups.h"
#include "passes/passes.h"
#include "passes/prune.h"
#include "passes/prune_data.h"
#include "support/graph_builder.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// x[1,3,5,5] -> Conv 1x1 (3->4) + Relu -> Conv 3x3 (4->5, no padding) -> Flatten -> Gemm(45->6).
// Channel 0 of the first conv reads only input channel 0 with a large weight; channel 1 only
// input channel 1 with a small one.
Graph two_layers() {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 5, 5});
  TensorData w1 = random_tensor(DType::F32, {4, 3, 1, 1}, -1, 1, 1);
  for (int i = 0; i < 3; ++i) {
    w1.data<float>()[0 * 3 + i] = i == 0 ? 5.0f : 0.0f;
    w1.data<float>()[1 * 3 + i] = i == 1 ? 0.1f : 0.0f;
  }
  int c1 = b.node1("Conv", {x, b.constant("w1", w1),
                            b.constant("b1", tensor_f32({4}, {0.5f, 0.2f, 0.1f, 0.3f}))});
  int r = b.node1("Relu", {c1});
  int c2 = b.node1("Conv", {r, b.constant("w2", random_tensor(DType::F32, {5, 4, 3, 3}, -1, 1, 2)),
                            b.constant("b2", random_tensor(DType::F32, {5}, -1, 1, 3))});
  int f = b.node1("Flatten", {c2});
  int y = b.node1("Gemm",
                  {f, b.constant("w3", random_tensor(DType::F32, {6, 45}, -1, 1, 4)),
                   b.constant("b3", random_tensor(DType::F32, {6}, -1, 1, 5))},
                  {{"transB", attr_i(1)}});
  b.output(y);
  Graph g = b.finish();
  // As in the pipeline, the Relu is fused: the layer writes (and is known by) its output.
  g.val(c1).name = "c1_raw";
  g.val(r).name = "c1";
  g.nodes[size_t(g.val(c1).producer)].name = "conv1";
  g.nodes[size_t(g.val(c2).producer)].name = "conv2";
  g.nodes[size_t(g.val(y).producer)].name = "fc";
  fuse_activation(g);
  return g;
}

// Inputs whose channel 0 is the same constant in every sample (so conv1's channel 0 is too).
std::vector<std::vector<TensorData>> samples(int n, uint32_t seed) {
  std::vector<std::vector<TensorData>> s;
  for (int i = 0; i < n; ++i) {
    TensorData x = random_tensor(DType::F32, {1, 3, 5, 5}, 0, 1, seed + uint32_t(i));
    for (int k = 0; k < 25; ++k) x.data<float>()[k] = 0.8f;
    s.push_back({x});
  }
  return s;
}

int64_t out_channels(const Graph& g, const std::string& node) {
  for (const Node& n : g.nodes)
    if (n.name == node) return g.val(n.input(1)).shape[0];
  return -1;
}

double max_output_diff(const Graph& a, const Graph& b,
                       const std::vector<std::vector<TensorData>>& xs) {
  double d = 0;
  for (const auto& x : xs)
    d = std::max(d, max_abs_diff(evaluate(a, x).at(0), evaluate(b, x).at(0)));
  return d;
}

} // namespace

TEST_CASE("input statistics: per channel of a Conv input, per column of a Gemm input") {
  const Graph g = two_layers();
  const auto xs = samples(6, 10);
  const InputStats s = measure_input_stats(g, xs);
  // conv2 reads c1 (4 channels), fc reads the flattened conv2 output (45 columns).
  REQUIRE(s.count("c1"));
  REQUIRE(s.at("c1").mean.size() == 4);
  // Channel 0 of c1 is relu(5 * 0.8 + 0.5) = 4.5 everywhere.
  CHECK(s.at("c1").mean[0] == Approx(4.5).epsilon(1e-6));
  CHECK(s.at("c1").var[0] == Approx(0).margin(1e-9));
  CHECK(s.at("c1").var[1] > 0);
  bool gemm_input = false;
  for (const auto& [name, st] : s) gemm_input |= st.mean.size() == 45;
  CHECK(gemm_input);
}

TEST_CASE("data ranking removes the channel that carries no information, and its mean keeps "
          "the outputs exact") {
  const Graph g = two_layers();
  const auto xs = samples(8, 20);
  PruneOptions o;
  o.enabled = true;
  o.layer_fraction = {{"conv1", 0.25}}; // one channel of conv1's four
  o.norm = PruneNorm::Data;
  o.input_stats = std::make_shared<InputStats>(measure_input_stats(g, xs));
  Graph p = g;
  PruneRecord rec;
  prune_structured(p, o, &rec);
  CHECK(out_channels(p, "conv1") == 3);
  REQUIRE(rec.removed_channels["c1"] == std::vector<int64_t>{0});
  CHECK(rec.mean_compensated == 1);
  // Channel 0 is constant on this data, and conv2 has no padding: the mean is exact.
  CHECK(max_output_diff(g, p, samples(4, 90)) < 1e-4);

  // Ranked by L1 without data, the small-weight channel 1 goes, and the outputs change.
  PruneOptions l1 = o;
  l1.norm = PruneNorm::L1;
  l1.input_stats = nullptr;
  Graph q = g;
  PruneRecord rq;
  prune_structured(q, l1, &rq);
  CHECK(rq.removed_channels["c1"] == std::vector<int64_t>{1});
  CHECK(rq.mean_compensated == 0);
  CHECK(max_output_diff(g, q, samples(4, 90)) > 1e-3);
}

TEST_CASE("mean compensation reaches Gemm columns behind a Flatten") {
  const Graph g = two_layers();
  const auto xs = samples(8, 30);
  PruneOptions o;
  o.enabled = true;
  o.norm = PruneNorm::Data;
  o.layer_fraction = {{"conv2", 0.4}}; // two of conv2's five channels, 9 Gemm columns each
  o.input_stats = std::make_shared<InputStats>(measure_input_stats(g, xs));
  Graph with = g;
  PruneRecord rec;
  prune_structured(with, o, &rec);
  CHECK(out_channels(with, "conv2") == 3);
  CHECK(out_channels(with, "conv1") == 4);
  CHECK(rec.mean_compensated == 2);
  // With every mean set to 0 (same variances: the same channels go) nothing is compensated,
  // and the error on the sample data is larger: the mean is the best constant there.
  PruneOptions none = o;
  InputStats zero_means = *o.input_stats;
  for (auto& [name, st] : zero_means) std::fill(st.mean.begin(), st.mean.end(), 0.0);
  none.input_stats = std::make_shared<InputStats>(zero_means);
  Graph without = g;
  PruneRecord r2;
  prune_structured(without, none, &r2);
  REQUIRE(r2.removed_channels == rec.removed_channels);
  {
    double e_with = 0, e_without = 0;
    for (const auto& x : xs) {
      const TensorData y = evaluate(g, x).at(0);
      const TensorData a = evaluate(with, x).at(0), b = evaluate(without, x).at(0);
      for (int64_t k = 0; k < y.size(); ++k) {
        e_with += std::pow(a.data<float>()[k] - y.data<float>()[k], 2);
        e_without += std::pow(b.data<float>()[k] - y.data<float>()[k], 2);
      }
    }
    CHECK(e_with < e_without);
  }
}

TEST_CASE("unstructured pruning takes a fraction per layer") {
  const Graph g = two_layers();
  PruneOptions o;
  o.enabled = true;
  o.method = PruneMethod::Unstructured;
  o.layer_fraction = {{"conv2", 0.5}, {"fc", 0.9}};
  Graph p = g;
  prune_unstructured(p, o);
  auto zeros = [&](const std::string& node) {
    for (const Node& n : p.nodes)
      if (n.name == node) {
        const TensorData& w = *p.val(n.input(1)).constant;
        int64_t z = 0;
        for (int64_t k = 0; k < w.size(); ++k) z += w.data<float>()[k] == 0;
        return z;
      }
    return int64_t(-1);
  };
  CHECK(zeros("conv2") == 90); // floor(0.5 * 180)
  CHECK(zeros("fc") == 243);   // floor(0.9 * 270)
  CHECK(zeros("conv1") == 4);  // untouched: the zeros two_layers() put there
}

namespace {

// Labels = the unpruned graph's own top-1, so it scores 100%.
PruneOptions auto_options(const Graph& g, double budget) {
  PruneOptions o;
  o.enabled = true;
  o.automatic = true;
  o.max_accuracy_drop = budget;
  o.norm = PruneNorm::Data;
  o.val = samples(40, 300);
  for (const auto& x : o.val) {
    const TensorData y = evaluate(g, x).at(0);
    int64_t best = 0;
    for (int64_t k = 1; k < y.size(); ++k)
      if (y.data<float>()[k] > y.data<float>()[best]) best = k;
    o.labels.push_back(best);
  }
  o.input_stats = std::make_shared<InputStats>(measure_input_stats(g, samples(16, 500)));
  return o;
}

double top1(const Graph& g, const PruneOptions& o) {
  int right = 0;
  for (size_t s = 0; s < o.val.size(); ++s) {
    const TensorData y = evaluate(g, o.val[s]).at(0);
    int64_t best = 0;
    for (int64_t k = 1; k < y.size(); ++k)
      if (y.data<float>()[k] > y.data<float>()[best]) best = k;
    right += best == o.labels[s];
  }
  return 100.0 * right / double(o.val.size());
}

} // namespace

TEST_CASE("prune auto: the chosen fractions keep top-1 within the budget") {
  const Graph g = two_layers();
  for (double budget : {0.0, 10.0, 100.0}) {
    PruneOptions o = auto_options(g, budget);
    int finished = 0;
    o.finish = [&](Graph&) { ++finished; };
    PruneRecord rec;
    const auto chosen = search_prune_fractions(g, o, &rec);
    CHECK(finished > 0); // candidates are judged as compiled
    CHECK(rec.automatic);
    CHECK(rec.top1_before == Approx(100.0));
    CHECK(rec.candidates_evaluated > 0);
    // Every prunable layer is reported (fc's outputs are the graph's: not a choice).
    std::vector<std::string> layers;
    for (const auto& [l, f] : rec.auto_choice) layers.push_back(l);
    CHECK(layers == std::vector<std::string>{"conv1", "conv2"});
    o.automatic = false;
    o.layer_fraction = chosen;
    Graph p = g;
    prune_structured(p, o);
    const double t = top1(p, o);
    CHECK(t == Approx(rec.top1_after));
    CHECK(100.0 - t <= budget + 1e-9);
    if (budget >= 100.0) {
      // With no budget to respect, the search takes the most compressed candidate.
      CHECK(out_channels(p, "conv1") == 1);
      CHECK(out_channels(p, "conv2") == 1);
    }
  }
}

TEST_CASE("prune auto: a finishing step that costs accuracy is charged to the budget") {
  const Graph g = two_layers();
  PruneOptions o = auto_options(g, 100.0);
  // A "quantisation" that scrambles every candidate: none stays within 0 points, so only the
  // unpruned model (always kept) is left.
  o.max_accuracy_drop = 0;
  o.finish = [](Graph& c) {
    for (Node& n : c.nodes)
      if (n.name == "fc") {
        TensorData w = *c.val(n.input(1)).constant;
        for (int64_t k = 0; k < w.size(); ++k) w.data<float>()[k] = float((k * 7919) % 13) - 6;
        n.inputs[1] = c.add_constant("scrambled", w);
      }
  };
  PruneRecord rec;
  const auto chosen = search_prune_fractions(g, o, &rec);
  CHECK(chosen.empty());
  for (const auto& [l, f] : rec.auto_choice) CHECK(f == 0);
}

TEST_CASE("prune auto needs labelled validation data") {
  const Graph g = two_layers();
  PruneOptions o;
  o.enabled = true;
  o.automatic = true;
  CHECK_THROWS_WITH(search_prune_fractions(g, o), Catch::Contains("--val"));
}

TEST_CASE("least-squares refit: a removed channel the kept ones can express costs nothing") {
  // conv1's channel 3 computes exactly twice channel 2 (Relu is positively homogeneous), so
  // conv2 and the Gemm can read 2 * channel 2 instead; the mean cannot stand in for it.
  Graph g = two_layers();
  for (Node& n : g.nodes)
    if (n.name == "conv1") {
      TensorData w = *g.val(n.input(1)).constant, b = *g.val(n.input(2)).constant;
      for (int i = 0; i < 3; ++i) w.data<float>()[3 * 3 + i] = 2 * w.data<float>()[2 * 3 + i];
      b.data<float>()[3] = 2 * b.data<float>()[2];
      n.inputs[1] = g.add_constant("w1_twice", w);
      n.inputs[2] = g.add_constant("b1_twice", b);
    }
  const auto xs = samples(12, 40);
  PruneOptions o;
  o.enabled = true;
  o.input_stats = std::make_shared<InputStats>(measure_input_stats(g, xs));
  o.layer_grams = std::make_shared<LayerGrams>(measure_layer_grams(g, xs));
  REQUIRE(o.layer_grams->count(g.val(g.nodes[1].output(0)).name) == 1); // conv2
  auto prune_channel_3 = [&](PruneCompensation c, PruneRecord& rec) {
    Graph p = g;
    PruneOptions q = o;
    q.compensate = c;
    q.layer_fraction = {{"conv1", 0.25}};
    q.norm = PruneNorm::Data;
    InputStats ranked = *o.input_stats;
    ranked.at("c1").var[0] = 1e9; // channel 0 is constant on this data: keep it
    ranked.at("c1").var[3] = 0;   // and let the data score remove channel 3
    q.input_stats = std::make_shared<InputStats>(ranked);
    prune_structured(p, q, &rec);
    return p;
  };
  PruneRecord r_refit, r_mean;
  const Graph refit = prune_channel_3(PruneCompensation::Refit, r_refit);
  const Graph mean = prune_channel_3(PruneCompensation::Mean, r_mean);
  REQUIRE(r_refit.removed_channels["c1"] == std::vector<int64_t>{3});
  REQUIRE(r_mean.removed_channels["c1"] == std::vector<int64_t>{3});
  CHECK(r_refit.layers_refit == 1); // conv2 (the Gemm's inputs are unchanged)
  CHECK(r_mean.layers_refit == 0);
  const auto test = samples(4, 77);
  const double e_refit = max_output_diff(g, refit, test), e_mean = max_output_diff(g, mean, test);
  CHECK(e_refit < 0.05 * e_mean);
  // What remains is the ridge's pull towards the original weights (1e-3 of each feature's
  // energy): small against the outputs themselves.
  double largest = 0;
  for (const auto& x : test) {
    const TensorData y = evaluate(g, x).at(0);
    for (int64_t k = 0; k < y.size(); ++k)
      largest = std::max(largest, double(std::fabs(y.data<float>()[k])));
  }
  CHECK(e_refit < 1e-2 * largest);
}

TEST_CASE("refit in order: each layer is fit on what the pruned layers before it feed it") {
  const Graph g = two_layers();
  const auto xs = samples(16, 60);
  PruneOptions o;
  o.enabled = true;
  o.norm = PruneNorm::Data;
  o.layer_fraction = {{"conv1", 0.5}, {"conv2", 0.4}}; // conv2 and the Gemm both lose inputs
  o.samples = xs;
  o.input_stats = std::make_shared<InputStats>(measure_input_stats(g, xs));
  o.layer_grams = std::make_shared<LayerGrams>(measure_layer_grams(g, xs));
  auto squared_error = [&](const Graph& p) {
    double e = 0;
    for (const auto& x : xs) {
      const TensorData y = evaluate(g, x).at(0), q = evaluate(p, x).at(0);
      for (int64_t k = 0; k < y.size(); ++k)
        e += std::pow(double(q.data<float>()[k]) - double(y.data<float>()[k]), 2);
    }
    return e;
  };
  Graph in_order = g, at_once = g;
  PruneRecord r1, r2;
  prune_structured(in_order, o, &r1);
  PruneOptions quick = o;
  quick.refit_in_order = false;
  prune_structured(at_once, quick, &r2);
  REQUIRE(r1.removed_channels == r2.removed_channels);
  CHECK(r1.layers_refit == 2);
  CHECK(r2.layers_refit == 2);
  CHECK(out_channels(in_order, "conv2") == 3);
  // At once, the Gemm is fit to conv2's unpruned outputs, which it no longer sees.
  CHECK(squared_error(in_order) < squared_error(at_once));
}
