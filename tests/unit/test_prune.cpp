// Pruning: structured channel removal through every dependency rule (the pruned graph must
// compute exactly what the original computes with the removed channels' weights and biases
// zeroed), unstructured magnitude pruning, removal of all-zero channels, and the generated
// code of a pruned graph against the evaluator.
#include "compiler/compile.h"
#include "compiler/evaluator.h"
#include "compiler/sample_data.h"
#include "passes/channel_groups.h"
#include "passes/passes.h"
#include "passes/prune.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace tinyc;
using namespace tinyc::test;

namespace {

Attr pads1() {
  return attr_ints({1, 1, 1, 1});
}

TensorData weights(Shape s, uint32_t seed) {
  return random_tensor(DType::F32, s, -1, 1, seed);
}

const Node* producer_named(const Graph& g, const std::string& out_name) {
  for (const Node& n : g.nodes)
    if (n.output(0) >= 0 && g.val(n.output(0)).name == out_name) return &n;
  return nullptr;
}

// Zeroes index c along `axis` of constant input k of n (a copy: constants may be shared).
void zero_slice(Graph& g, Node& n, size_t k, int64_t axis, int64_t c) {
  TensorData t = *g.val(n.inputs[k]).constant;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.shape[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t m = t.shape[size_t(axis)];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) t.data<float>()[(o * m + c) * inner + i] = 0;
  n.inputs[k] = g.add_constant(g.val(n.inputs[k]).name + "_zeroed", t);
}

// The original graph with the removed output channels of every layer zeroed: weight rows
// (Conv axis 0, Gemm transB ? 0 : 1, MatMul 1), biases, and per-channel constants of Add/Sub.
// Written independently of the pass: the test's oracle.
Graph zeroed(Graph g, const PruneRecord& rec) {
  for (const PrunedLayer& l : rec.layers) {
    Node* n = nullptr;
    for (Node& m : g.nodes)
      if (m.output(0) >= 0 && g.val(m.output(0)).name == l.output) n = &m;
    REQUIRE(n);
    for (int64_t c : l.removed) {
      if (n->op_type == "Conv" || n->op_type == "Gemm" || n->op_type == "MatMul") {
        const int64_t axis = n->op_type == "Conv"   ? 0
                             : n->op_type == "Gemm" ? (n->attr_i("transB", 0) ? 0 : 1)
                                                    : 1;
        zero_slice(g, *n, 1, axis, c);
        if (n->input(2) >= 0) {
          const Shape& bs = g.val(n->input(2)).shape;
          zero_slice(g, *n, 2, int64_t(bs.size()) - 1, c);
        }
      } else if (n->op_type != "Mul") { // 0 * k is 0 already
        REQUIRE((n->op_type == "Add" || n->op_type == "Sub"));
        const size_t rank = g.val(n->output(0)).shape.size();
        for (size_t k = 0; k < n->inputs.size(); ++k) {
          if (!g.val(n->inputs[k]).constant) continue;
          const int64_t pos = 1 - int64_t(rank - g.val(n->inputs[k]).shape.size());
          if (pos >= 0 && g.val(n->inputs[k]).shape[size_t(pos)] > 1) zero_slice(g, *n, k, pos, c);
        }
      }
    }
  }
  return g;
}

// Shapes are consistent: re-inferring them from the inputs changes nothing.
void check_shapes_consistent(const Graph& g) {
  Graph again = g;
  for (Value& v : again.values)
    if (!v.constant && v.producer >= 0) v.shape.clear();
  infer_shapes(again);
  for (size_t v = 0; v < g.values.size(); ++v) CHECK(again.values[v].shape == g.values[v].shape);
}

std::vector<TensorData> inputs_for(const Graph& g, uint32_t seed) {
  std::vector<TensorData> x;
  for (int in : g.inputs) x.push_back(random_tensor(DType::F32, g.val(in).shape, -1, 1, seed++));
  return x;
}

// Prunes a copy of g and checks it against the zeroed original on a few inputs; returns it.
Graph prune_and_check(const Graph& g, double fraction, PruneRecord& rec,
                      PruneNorm norm = PruneNorm::L1) {
  PruneOptions o;
  o.enabled = true;
  o.fraction = fraction;
  o.norm = norm;
  Graph p = g;
  prune_structured(p, o, &rec);
  // The record's removed lists are filled by the prune pass from removed_channels.
  for (auto& [out, removed] : rec.removed_channels) {
    PrunedLayer l;
    l.output = out;
    l.removed = removed;
    rec.layers.push_back(l);
  }
  check_shapes_consistent(p);
  const Graph oracle = zeroed(g, rec);
  for (uint32_t s = 0; s < 3; ++s) {
    const auto x = inputs_for(g, 10 + 7 * s);
    const auto want = evaluate(oracle, x), got = evaluate(p, x);
    REQUIRE(want.size() == got.size());
    for (size_t k = 0; k < want.size(); ++k) {
      REQUIRE(want[k].shape == got[k].shape);
      CHECK(max_abs_diff(want[k], got[k]) < 1e-5);
    }
  }
  return p;
}

int64_t channels_of(const Graph& g, const std::string& out) {
  const Node* n = producer_named(g, out);
  REQUIRE(n);
  return g.val(n->input(1)).shape[0];
}

int64_t removed_count(const PruneRecord& rec, const std::string& out) {
  auto it = rec.removed_channels.find(out);
  return it == rec.removed_channels.end() ? 0 : int64_t(it->second.size());
}

// x[1,3,8,7] -> Conv(3->6, 3x3, pad 1) -> Relu -> Conv(6->5, 3x3) -> y
Graph chain(bool fuse) {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 8, 7});
  int c1 = b.node1(
      "Conv", {x, b.constant("w1", weights({6, 3, 3, 3}, 1)), b.constant("b1", weights({6}, 2))},
      {{"pads", pads1()}});
  int r = b.node1("Relu", {c1});
  int y = b.node1(
      "Conv", {r, b.constant("w2", weights({5, 6, 3, 3}, 3)), b.constant("b2", weights({5}, 4))});
  b.output(y);
  Graph g = b.finish();
  g.val(c1).name = "c1";
  if (fuse) {
    // The fused Conv writes the Relu's output: the layer is known by that name.
    g.val(c1).name = "c1_raw";
    g.val(r).name = "c1";
    fuse_activation(g);
  }
  return g;
}

} // namespace

TEST_CASE("structured pruning: conv -> relu -> conv removes the lowest-L1 channels") {
  for (bool fuse : {false, true}) {
    const Graph g = chain(fuse);
    PruneRecord rec;
    const Graph p = prune_and_check(g, 0.5, rec);
    CHECK(channels_of(p, "c1") == 3);
    CHECK(removed_count(rec, "c1") == 3);
    // The removed channels are the three of smallest L1 norm.
    const TensorData& w = *g.val(producer_named(g, "c1")->input(1)).constant;
    std::vector<std::pair<double, int64_t>> norms;
    for (int64_t c = 0; c < 6; ++c) {
      double s = 0;
      for (int64_t i = 0; i < 27; ++i) s += std::fabs(w.data<float>()[c * 27 + i]);
      norms.push_back({s, c});
    }
    std::sort(norms.begin(), norms.end());
    std::vector<int64_t> want = {norms[0].second, norms[1].second, norms[2].second};
    std::sort(want.begin(), want.end());
    CHECK(rec.removed_channels.at("c1") == want);
    // The last conv feeds the graph output: kept whole.
    CHECK(g.val(g.outputs[0]).shape == p.val(p.outputs[0]).shape);
  }
}

TEST_CASE("structured pruning: L2 ranking differs from L1 where the norms disagree") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 4, 3, 3});
  // Channel 0: one large weight (L1 2, L2 2); channel 1: four medium (L1 2.4, L2 1.2).
  TensorData w(DType::F32, {2, 4, 1, 1});
  float* p = w.data<float>();
  p[0] = 2;
  for (int i = 4; i < 8; ++i) p[i] = 0.6f;
  int c = b.node1("Conv", {x, b.constant("w", w)});
  int r = b.node1("Relu", {c});
  b.output(b.node1("Conv", {r, b.constant("w2", weights({3, 2, 1, 1}, 5))}));
  Graph g = b.finish();
  g.val(c).name = "c";
  PruneRecord l1, l2;
  prune_and_check(g, 0.5, l1, PruneNorm::L1);
  prune_and_check(g, 0.5, l2, PruneNorm::L2);
  CHECK(l1.removed_channels.at("c") == std::vector<int64_t>{0});
  CHECK(l2.removed_channels.at("c") == std::vector<int64_t>{1});
}

TEST_CASE("structured pruning: a depthwise conv between two convs loses the same channels") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 7, 6});
  int c1 = b.node1(
      "Conv", {x, b.constant("w1", weights({8, 3, 1, 1}, 1)), b.constant("b1", weights({8}, 2))});
  int r1 = b.node1("Relu", {c1});
  int dw = b.node1(
      "Conv", {r1, b.constant("wd", weights({8, 1, 3, 3}, 3)), b.constant("bd", weights({8}, 4))},
      {{"pads", pads1()}, {"group", attr_i(8)}});
  int r2 = b.node1("Relu", {dw});
  int y = b.node1("Conv", {r2, b.constant("w3", weights({4, 8, 1, 1}, 5))});
  b.output(y);
  Graph g = b.finish();
  g.val(c1).name = "c1_raw"; // after fusion the convs write the Relu outputs
  g.val(dw).name = "dw_raw";
  g.val(r1).name = "c1";
  g.val(r2).name = "dw";
  fuse_activation(g);
  PruneRecord rec;
  const Graph p = prune_and_check(g, 0.25, rec);
  CHECK(channels_of(p, "c1") == 6);
  CHECK(channels_of(p, "dw") == 6);
  CHECK(producer_named(p, "dw")->attr_i("group", 0) == 6);
  CHECK(rec.removed_channels.at("c1") == rec.removed_channels.at("dw"));
}

TEST_CASE("structured pruning: both sides of a residual Add are pruned identically") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 6});
  int a = b.node1(
      "Conv", {x, b.constant("wa", weights({6, 3, 3, 3}, 1)), b.constant("ba", weights({6}, 2))},
      {{"pads", pads1()}});
  int ra = b.node1("Relu", {a});
  int c = b.node1(
      "Conv", {ra, b.constant("wb", weights({6, 6, 3, 3}, 3)), b.constant("bb", weights({6}, 4))},
      {{"pads", pads1()}});
  int s = b.node1("Add", {ra, c});
  int rs = b.node1("Relu", {s});
  // A per-channel constant after the Add (a bias) and a channel scale.
  TensorData bias = weights({1, 6, 1, 1}, 6);
  int s2 = b.node1("Add", {rs, b.constant("bias", bias)});
  int m = b.node1("Mul", {s2, b.constant("scale", weights({6, 1, 1}, 7))});
  int y = b.node1("Conv", {m, b.constant("wc", weights({4, 6, 1, 1}, 5))});
  b.output(y);
  Graph g = b.finish();
  g.val(a).name = "a";
  g.val(c).name = "b";
  g.val(s2).name = "biased";
  PruneRecord rec;
  const Graph p = prune_and_check(g, 0.5, rec);
  CHECK(channels_of(p, "a") == 3);
  CHECK(channels_of(p, "b") == 3);
  CHECK(p.val(producer_named(p, "b")->input(1)).shape == Shape{3, 3, 3, 3});
  CHECK(rec.removed_channels.at("a") == rec.removed_channels.at("b"));
  CHECK(rec.removed_channels.at("a") == rec.removed_channels.at("biased"));
}

TEST_CASE("structured pruning: Concat maps each input's channels to its offset range") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 5, 5});
  int a = b.node1(
      "Conv", {x, b.constant("wa", weights({4, 3, 3, 3}, 1)), b.constant("ba", weights({4}, 2))},
      {{"pads", pads1()}});
  int c = b.node1(
      "Conv", {x, b.constant("wb", weights({5, 3, 1, 1}, 3)), b.constant("bb", weights({5}, 4))});
  int ra = b.node1("Relu", {a});
  int cat = b.node1("Concat", {ra, c, ra}, {{"axis", attr_i(1)}});
  int pool = b.node1("MaxPool", {cat}, {{"kernel_shape", attr_ints({2, 2})}});
  int y = b.node1("Conv", {pool, b.constant("wc", weights({3, 13, 2, 2}, 5))});
  b.output(y);
  Graph g = b.finish();
  g.val(a).name = "a";
  g.val(c).name = "b";
  PruneRecord rec;
  const Graph p = prune_and_check(g, 0.5, rec);
  // 9 distinct channels (a's appear twice): 4 go.
  CHECK(removed_count(rec, "a") + removed_count(rec, "b") == 4);
  CHECK(channels_of(p, "a") + channels_of(p, "b") == 5);
  const Node* last = producer_named(p, p.val(p.outputs[0]).name);
  CHECK(p.val(last->input(1)).shape[1] == 2 * channels_of(p, "a") + channels_of(p, "b"));
}

TEST_CASE("structured pruning: conv -> pool -> flatten/reshape -> gemm drops H*W columns") {
  for (bool reshape : {false, true}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {1, 2, 5, 5});
    int c = b.node1(
        "Conv", {x, b.constant("w", weights({6, 2, 3, 3}, 1)), b.constant("b", weights({6}, 2))},
        {{"pads", pads1()}});
    int r = b.node1("Relu", {c});
    int pool = b.node1("AveragePool", {r},
                       {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 2})}});
    int f = reshape ? b.node1("Reshape", {pool, b.constant("shape", tensor_i64({2}, {1, 24}))})
                    : b.node1("Flatten", {pool});
    int h = b.node1("Gemm",
                    {f, b.constant("fc", weights({7, 24}, 3)), b.constant("fcb", weights({7}, 4))},
                    {{"transB", attr_i(1)}});
    int rh = b.node1("Relu", {h});
    int y = b.node1("MatMul", {rh, b.constant("fc2", weights({7, 3}, 5))});
    b.output(y);
    Graph g = b.finish();
    g.val(c).name = "c_raw"; // after fusion the producers write the Relu outputs
    g.val(h).name = "h_raw";
    g.val(r).name = "c";
    g.val(rh).name = "h";
    fuse_activation(g);
    PruneRecord rec;
    const Graph p = prune_and_check(g, 0.5, rec);
    CHECK(channels_of(p, "c") == 3);
    const Node* gemm = producer_named(p, "h");
    CHECK(p.val(gemm->input(1)).shape == Shape{4, 12}); // 7 -> 4 rows, 24 -> 12 columns
    CHECK(p.val(p.outputs[0]).shape == Shape{1, 3});
    // The generated code of the pruned graph agrees with its evaluator.
    const auto x0 = inputs_for(p, 3);
    const auto run = compile_and_run(p, x0, false);
    CHECK(max_abs_diff(run.outputs.at(0), evaluate(p, x0).at(0)) < 1e-5);
  }
}

TEST_CASE("structured pruning: grouped conv removes the same number from every group") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 5});
  int a = b.node1(
      "Conv", {x, b.constant("wa", weights({8, 3, 3, 3}, 1)), b.constant("ba", weights({8}, 2))},
      {{"pads", pads1()}});
  int ra = b.node1("Relu", {a});
  int gc = b.node1(
      "Conv", {ra, b.constant("wg", weights({6, 4, 3, 3}, 3)), b.constant("bg", weights({6}, 4))},
      {{"pads", pads1()}, {"group", attr_i(2)}});
  int rg = b.node1("Relu", {gc});
  int y = b.node1("Conv", {rg, b.constant("wc", weights({4, 6, 1, 1}, 5))});
  b.output(y);
  Graph g = b.finish();
  g.val(a).name = "a";
  g.val(gc).name = "g";
  PruneRecord rec;
  const Graph p = prune_and_check(g, 0.5, rec);
  CHECK(channels_of(p, "a") == 4);
  const auto& ra_removed = rec.removed_channels.at("a");
  CHECK(std::count_if(ra_removed.begin(), ra_removed.end(), [](int64_t c) { return c < 4; }) == 2);
  CHECK(channels_of(p, "g") == 4); // 3 per group: one from each
  CHECK(p.val(producer_named(p, "g")->input(1)).shape == Shape{4, 2, 3, 3});
  CHECK(producer_named(p, "g")->attr_i("group", 0) == 2);
}

TEST_CASE("structured pruning leaves channels it cannot follow alone") {
  // Transpose, Softmax over channels, a graph output, a Clip that is not 0 at 0.
  for (const char* reader : {"Transpose", "Softmax", "output", "Clip"}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {1, 3, 4, 4});
    int c = b.node1("Conv", {x, b.constant("w", weights({6, 3, 1, 1}, 1))});
    int r = b.node1("Relu", {c});
    int t = r;
    if (std::string(reader) == "Transpose")
      t = b.node1("Transpose", {r}, {{"perm", attr_ints({0, 2, 3, 1})}});
    else if (std::string(reader) == "Softmax")
      t = b.node1("Softmax", {r}, {{"axis", attr_i(1)}});
    else if (std::string(reader) == "Clip")
      t = b.node1("Clip", {r, b.constant("lo", tensor_f32({}, {0.5f})),
                           b.constant("hi", tensor_f32({}, {6.0f}))});
    else
      b.output(r);
    if (std::string(reader) == "Transpose")
      b.output(t);
    else
      b.output(b.node1("Conv", {t, b.constant("w2", weights({2, 6, 1, 1}, 2))}));
    Graph g = b.finish();
    g.val(c).name = "c";
    PruneOptions o;
    o.enabled = true;
    o.fraction = 0.5;
    Graph p = g;
    PruneRecord rec;
    CHECK(prune_structured(p, o, &rec) == 0);
    CHECK(channels_of(p, "c") == 6);
    CHECK_FALSE(rec.unprunable.empty());
  }
}

TEST_CASE("unstructured pruning zeroes the smallest weights, globally or per layer") {
  for (bool per_layer : {false, true}) {
    const Graph g = chain(true);
    PruneOptions o;
    o.enabled = true;
    o.method = PruneMethod::Unstructured;
    o.fraction = 0.6;
    o.per_layer = per_layer;
    Graph p = g;
    prune_unstructured(p, o);
    int64_t total = 0, zeros = 0;
    float largest_zeroed = 0, smallest_kept = INFINITY;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const TensorData& w0 = *g.val(g.nodes[i].input(1)).constant;
      const TensorData& w1 = *p.val(p.nodes[i].input(1)).constant;
      REQUIRE(w0.shape == w1.shape);
      int64_t layer_zeros = 0;
      float lz = 0, sk = INFINITY;
      for (int64_t k = 0; k < w0.size(); ++k) {
        const float a = w0.data<float>()[k], q = w1.data<float>()[k];
        if (q == 0) {
          ++layer_zeros;
          lz = std::max(lz, std::fabs(a));
        } else {
          CHECK(q == a); // kept weights are untouched
          sk = std::min(sk, std::fabs(a));
        }
      }
      if (per_layer) {
        CHECK(layer_zeros == int64_t(std::floor(0.6 * double(w0.size()))));
        CHECK(lz <= sk);
      }
      total += w0.size();
      zeros += layer_zeros;
      largest_zeroed = std::max(largest_zeroed, lz);
      smallest_kept = std::min(smallest_kept, sk);
    }
    if (!per_layer) {
      CHECK(zeros == int64_t(std::floor(0.6 * double(total))));
      CHECK(largest_zeroed <= smallest_kept);
    }
    // The pruned graph is the original with those weights zeroed: same shapes, evaluates.
    check_shapes_consistent(p);
    const auto x = inputs_for(p, 1);
    CHECK(evaluate(p, x).at(0).shape == evaluate(g, x).at(0).shape);
  }
}

TEST_CASE("all-zero channels are removed and the model computes exactly the same") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 6});
  TensorData w1 = weights({6, 3, 3, 3}, 1), b1 = weights({6}, 2);
  for (int64_t c : {1, 4}) {
    for (int i = 0; i < 27; ++i) w1.data<float>()[c * 27 + i] = 0;
    b1.data<float>()[c] = 0;
  }
  // Channel 2: zero weights but a bias: its output relu(b) is a nonzero constant: kept.
  for (int i = 0; i < 27; ++i) w1.data<float>()[2 * 27 + i] = 0;
  b1.data<float>()[2] = 0.5f;
  int c1 = b.node1("Conv", {x, b.constant("w1", w1), b.constant("b1", b1)}, {{"pads", pads1()}});
  int r1 = b.node1("Relu", {c1});
  TensorData wd = weights({6, 1, 3, 3}, 3), bd(DType::F32, {6});
  bd.data<float>()[4] = 0.25f; // channel 4 comes back to life in the depthwise conv: kept
  int dw = b.node1("Conv", {r1, b.constant("wd", wd), b.constant("bd", bd)},
                   {{"pads", pads1()}, {"group", attr_i(6)}});
  int r2 = b.node1("Relu", {dw});
  int y = b.node1("Conv", {r2, b.constant("w3", weights({4, 6, 1, 1}, 5))});
  b.output(y);
  Graph g = b.finish();
  g.val(c1).name = "c1_raw";
  g.val(r1).name = "c1";
  fuse_activation(g);
  Graph p = g;
  PruneRecord rec;
  CHECK(remove_zero_channels(p, &rec) == 1);
  CHECK(rec.removed_channels.at("c1") == std::vector<int64_t>{1});
  CHECK(channels_of(p, "c1") == 5);
  check_shapes_consistent(p);
  for (uint32_t s = 0; s < 3; ++s) {
    const auto xs = inputs_for(g, s);
    CHECK(max_abs_diff(evaluate(g, xs).at(0), evaluate(p, xs).at(0)) == 0);
  }
  // The pipeline does it without being asked.
  Graph q = g;
  PassOptions opts;
  opts.prune.record = std::make_shared<PruneRecord>();
  prune(q, opts);
  CHECK(opts.prune.record->zero_channels_removed == 1);
  CHECK(channels_of(q, "c1") == 5);
}

TEST_CASE("mnist_cnn pruned by half: generated code matches the pruned graph's evaluator") {
  const std::string dir = std::string(TINYC_SOURCE_DIR) + "/models/mnist_cnn/";
  for (bool int8 : {false, true}) {
    for (PruneMethod method : {PruneMethod::Structured, PruneMethod::Unstructured}) {
      CompileOptions o;
      o.passes.prune.enabled = true;
      o.passes.prune.fraction = 0.5;
      o.passes.prune.method = method;
      if (int8) {
        o.passes.quant.enabled = true;
        o.calib = {dir + "calib.npy"};
      }
      o.val_inputs = dir + "test_x.npy";
      o.val_labels = dir + "test_y.npy";
      const CompileResult r = compile_model(dir + "model.onnx", o);
      const PruneRecord& rec = *r.prune;
      INFO("int8 " << int8 << ", " << rec.method);
      if (method == PruneMethod::Structured) {
        CHECK(rec.macs_after < rec.macs_before * 6 / 10);
        CHECK(rec.weight_bytes_after < rec.weight_bytes_before / 2);
      } else {
        CHECK(rec.nonzero_after == rec.weights_total - rec.weights_total / 2);
      }
      REQUIRE(r.prune_accuracy);
      CHECK(r.prune_accuracy->samples == 256);
      // The generated code computes what the evaluator computes on the final graph (two
      // samples: each is a sanitizer build; e2e_prune runs all 256 through one build).
      const auto samples = load_samples(r.graph, {dir + "test_x.npy"}, "--val");
      for (size_t s = 0; s < 2; ++s) {
        const auto want = evaluate(r.graph, samples[s]);
        const auto run = compile_and_run(r.graph, samples[s], false);
        CHECK(max_abs_diff(want.at(0), run.outputs.at(0)) < (int8 ? 1e-6 : 1e-5));
      }
    }
  }
}

TEST_CASE("all-zero channels behind DequantizeLinear (QDQ models) are removed exactly") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 5});
  TensorData w1 = weights({6, 3, 3, 3}, 1), b1 = weights({6}, 2);
  for (int i = 0; i < 27; ++i) {
    w1.data<float>()[3 * 27 + i] = 0; // channel 3: zero weights, negative bias: relu gives 0
    w1.data<float>()[5 * 27 + i] = 0; // channel 5: zero weights, positive bias: kept
  }
  b1.data<float>()[3] = -0.3f;
  b1.data<float>()[5] = 0.4f;
  int c1 = b.node1("Conv", {x, b.constant("w1", w1), b.constant("b1", b1)}, {{"pads", pads1()}});
  int r1 = b.node1("Relu", {c1});
  int y = b.node1(
      "Conv", {r1, b.constant("w2", weights({4, 6, 3, 3}, 3)), b.constant("b2", weights({4}, 4))});
  b.output(y);
  Graph g = b.finish();
  fuse_activation(g);
  PassOptions o;
  o.quant.enabled = true;
  for (uint32_t s = 0; s < 8; ++s) o.quant.calib.push_back(inputs_for(g, 50 + s));
  quantize(g, o); // QDQ form: int8 weights behind DequantizeLinear, as an imported QDQ model
  Graph p = g;
  CHECK(remove_zero_channels(p) == 1);
  check_shapes_consistent(p);
  for (uint32_t s = 0; s < 3; ++s) {
    const auto xs = inputs_for(g, s);
    CHECK(max_abs_diff(evaluate(g, xs).at(0), evaluate(p, xs).at(0)) == 0);
  }
  // The rest of the pipeline lowers the smaller layers to int8 kernels; the generated code
  // gives the evaluator's results.
  bool after = false;
  for (const Pass& pass : pipeline()) {
    if (after) pass.run(p, o);
    after |= std::string(pass.name) == "quantize";
  }
  const auto xs = inputs_for(p, 9);
  const auto run = compile_and_run(p, xs, false);
  CHECK(max_abs_diff(run.outputs.at(0), evaluate(p, xs).at(0)) == 0);
  int convs = 0;
  for (const Node& n : p.nodes) convs += n.op_type == "QConv";
  CHECK(convs == 2);
}

TEST_CASE("vww_mbnet (MLPerf Tiny, QDQ): all-zero channels go, outputs stay identical") {
  std::string dir;
  for (const char* up : {"/../shared", "/../../shared"}) {
    const std::string d = std::string(TINYC_SOURCE_DIR) + up + "/models/mlperf_tiny/vww_mbnet";
    if (FILE* f = std::fopen((d + "/model_qdq.onnx").c_str(), "rb")) {
      std::fclose(f);
      dir = d;
      break;
    }
  }
  if (dir.empty()) {
    WARN("MLPerf Tiny models not found beside the project: skipped");
    return;
  }
  // Dense kernels in both: the weight bytes compare channel removal alone (with its zeros the
  // full model would otherwise get sparse kernels in some layers).
  CompileOptions keep, remove;
  keep.passes.prune.remove_zero_channels = false;
  keep.passes.sparse_kernels = remove.passes.sparse_kernels = SparseKernels::Never;
  const CompileResult full = compile_model(dir + "/model_qdq.onnx", keep);
  const CompileResult pruned = compile_model(dir + "/model_qdq.onnx", remove);
  // 971 of its 2738 output channels have all-zero weights; 791 of them also have a bias that
  // the Relu turns into 0 (the others output a positive constant and stay).
  CHECK(pruned.prune->zero_channels_removed == 791);
  CHECK(pruned.model.weight_bytes < full.model.weight_bytes * 3 / 10);
  CHECK(pruned.model.macs < full.model.macs * 6 / 10);
  const auto samples = load_samples(pruned.graph, {dir + "/test_in.npy"}, "test_in");
  for (size_t s = 0; s < 2; ++s)
    CHECK(max_abs_diff(evaluate(full.graph, samples[s]).at(0),
                       evaluate(pruned.graph, samples[s]).at(0)) == 0);
}

TEST_CASE("a constant channel is folded into the biases of unpadded Conv and Gemm readers") {
  for (bool padded : {false, true}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {1, 3, 6, 5});
    TensorData w1 = weights({6, 3, 3, 3}, 1), b1 = weights({6}, 2);
    for (int i = 0; i < 27; ++i) {
      w1.data<float>()[2 * 27 + i] = 0; // relu(0.5): the constant 0.5
      w1.data<float>()[4 * 27 + i] = 0; // relu(-0.2): 0
    }
    b1.data<float>()[2] = 0.5f;
    b1.data<float>()[4] = -0.2f;
    int c1 = b.node1("Conv", {x, b.constant("w1", w1), b.constant("b1", b1)}, {{"pads", pads1()}});
    int r1 = b.node1("Relu", {c1});
    std::map<std::string, Attr> attrs;
    if (padded) attrs["pads"] = pads1();
    int c2 = b.node1("Conv", {r1, b.constant("w2", weights({4, 6, 3, 3}, 3))}, attrs);
    // A Gemm branch: fc1 -> relu -> fc2 with fc1's neuron 1 constant.
    int f = b.node1("Flatten", {c2});
    const int64_t k = padded ? 120 : 48;
    TensorData fw = weights({5, k}, 4), fb = weights({5}, 5);
    for (int64_t i = 0; i < k; ++i) fw.data<float>()[1 * k + i] = 0;
    fb.data<float>()[1] = 0.7f;
    int h =
        b.node1("Gemm", {f, b.constant("fw", fw), b.constant("fb", fb)}, {{"transB", attr_i(1)}});
    int rh = b.node1("Relu", {h});
    int y = b.node1("Gemm", {rh, b.constant("gw", weights({5, 3}, 6))}, {{"alpha", attr_f(0.5f)}});
    b.output(y);
    Graph g = b.finish();
    g.val(c1).name = "c1_raw";
    g.val(r1).name = "c1";
    g.val(h).name = "h_raw";
    g.val(rh).name = "h";
    fuse_activation(g);
    Graph p = g;
    PruneRecord rec;
    const int removed = remove_zero_channels(p, &rec);
    // Unpadded: channel 2 (folded), channel 4 (zero) and neuron 1 (folded into the Gemm's new
    // bias). Padded: the constant channel stays (not uniform at the borders).
    CHECK(removed == (padded ? 2 : 3));
    CHECK(rec.constant_channels_folded == (padded ? 1 : 2));
    CHECK(channels_of(p, "c1") == (padded ? 5 : 4));
    check_shapes_consistent(p);
    for (uint32_t s = 0; s < 3; ++s) {
      const auto xs = inputs_for(g, s);
      CHECK(max_abs_diff(evaluate(g, xs).at(0), evaluate(p, xs).at(0)) < 1e-5);
    }
  }
}
