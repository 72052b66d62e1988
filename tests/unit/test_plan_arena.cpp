// The memory planner: buffers alive at the same time never overlap, in-place only where the
// overwritten tensor is dead, schedules are valid orders, placements reach the lower bound on
// the patterns real models have, and generated code gives the same results with every dead
// buffer poisoned.
#include "compiler/evaluator.h"
#include "compiler/op_registry.h"
#include "passes/arena_placement.h"
#include "passes/plan_arena.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace tinyc;
using namespace tinyc::test;

static void check_no_overlap(const ArenaPlan& p) {
  for (size_t i = 0; i < p.buffers.size(); ++i) {
    const auto& a = p.buffers[i];
    CHECK(a.offset % ArenaPlan::kAlign == 0);
    CHECK(a.offset + a.size <= p.arena_bytes);
    for (size_t j = i + 1; j < p.buffers.size(); ++j) {
      const auto& b = p.buffers[j];
      bool live_together = a.first <= b.last && b.first <= a.last;
      bool disjoint = a.offset + a.size <= b.offset || b.offset + b.size <= a.offset;
      if (live_together) CHECK(disjoint);
    }
  }
  CHECK(p.arena_bytes >= p.lower_bound);
  CHECK(p.arena_bytes <= p.naive_bytes);
}

// The order is a permutation of the nodes in which every value is produced before it is read.
static void check_schedule(const Graph& g, const ArenaPlan& p) {
  REQUIRE(p.order.size() == g.nodes.size());
  std::vector<int> pos(g.nodes.size(), -1), producer(g.values.size(), -1);
  for (size_t s = 0; s < p.order.size(); ++s) {
    REQUIRE(pos[size_t(p.order[s])] < 0);
    pos[size_t(p.order[s])] = int(s);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].outputs)
      if (v >= 0) producer[size_t(v)] = int(i);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].inputs)
      if (v >= 0 && producer[size_t(v)] >= 0) CHECK(pos[size_t(producer[size_t(v)])] < pos[i]);
}

// A node writes over an input only if its op allows it, the input is not the caller's or a
// constant, and nothing stored in that buffer before the node is read after it.
static void check_inplace(const Graph& g, const ArenaPlan& p) {
  std::vector<int> pos(g.nodes.size()), producer_pos(g.values.size(), -1);
  for (size_t s = 0; s < p.order.size(); ++s) pos[size_t(p.order[s])] = int(s);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].outputs)
      if (v >= 0) producer_pos[size_t(v)] = pos[i];
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const int in = p.inplace_of[i];
    if (in < 0) continue;
    const Node& n = g.nodes[i];
    const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
    REQUIRE(def);
    CHECK(def->elementwise_inplace);
    CHECK(!g.val(in).constant);
    if (!p.io_in_arena) {
      CHECK(std::find(g.inputs.begin(), g.inputs.end(), in) == g.inputs.end());
      CHECK(!g.is_graph_output(n.output(0)));
    }
    const int root = p.alias_of[size_t(in)];
    CHECK(p.alias_of[size_t(n.output(0))] == root);
    for (size_t j = 0; j < g.nodes.size(); ++j) {
      if (pos[j] <= pos[i]) continue;
      for (int r : g.nodes[j].inputs) {
        if (r < 0 || p.alias_of[size_t(r)] != root) continue;
        const bool older = producer_pos[size_t(r)] <= pos[i] && r != n.output(0);
        INFO("node " << n.name << " overwrote " << g.val(in).name << ", read later as "
                     << g.val(r).name << " by " << g.nodes[j].name);
        CHECK(!(older && std::find(g.inputs.begin(), g.inputs.end(), r) == g.inputs.end() &&
                producer_pos[size_t(r)] >= 0));
      }
    }
  }
}

static void check_plan(const Graph& g, const PlanOptions& o = {}) {
  ArenaPlan p = plan_arena(g, o);
  check_no_overlap(p);
  check_schedule(g, p);
  check_inplace(g, p);
}

TEST_CASE("a chain of elementwise ops runs in one buffer, in place") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 64});
  for (int k = 0; k < 6; ++k) x = b.node1("Relu", {x});
  b.output(x);
  Graph g = b.finish();
  ArenaPlan p = plan_arena(g);
  check_no_overlap(p);
  CHECK(p.buffers.size() == 1); // Relu 1 reads the caller's input; 2..5 overwrite their input
  CHECK(p.arena_bytes == 256);
  PlanOptions no_inplace;
  no_inplace.inplace = false;
  ArenaPlan q = plan_arena(g, no_inplace);
  check_no_overlap(q);
  CHECK(q.buffers.size() == 5); // the last Relu writes the caller's output
  CHECK(q.arena_bytes == 2 * 256);
}

TEST_CASE("an elementwise op does not overwrite an input read later") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 8});
  int a = b.node1("Relu", {x});
  int c = b.node1("Sigmoid", {a});
  int d = b.node1("Neg", {c});
  b.output(b.node1("Add", {a, d}));
  Graph g = b.finish();
  ArenaPlan p = plan_arena(g);
  check_plan(g);
  CHECK(p.inplace_of[1] == -1); // a is read again by Add
  CHECK(p.inplace_of[2] == c);  // c dies at Neg
}

TEST_CASE("the schedule runs one branch to its end before starting the next") {
  // Two branches, each widening x to 1x64 and reducing it again; in the graph order both wide
  // tensors are alive at once.
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 8});
  auto widen = [&](int v) { return b.node1("Concat", {v, v}, {{"axis", attr_i(1)}}); };
  int b1 = widen(x), c1 = widen(x);
  int b2 = widen(b1), c2 = widen(c1);
  int b3 = widen(b2), c3 = widen(c2);
  int b4 = b.node1("ReduceMax", {b3}, {{"axes", attr_ints({1})}});
  int c4 = b.node1("ReduceMax", {c3}, {{"axes", attr_ints({1})}});
  b.output(b.node1("Add", {b4, c4}));
  Graph g = b.finish();
  PlanOptions fixed;
  fixed.schedule = false;
  ArenaPlan in_order = plan_arena(g, fixed), planned = plan_arena(g);
  check_plan(g);
  CHECK(planned.lower_bound < in_order.lower_bound);
  CHECK(planned.arena_bytes < in_order.arena_bytes);
}

// Random graphs: chains, diamonds (two uses of one value), skips (reads of old values), a
// widening Concat, elementwise ops that may run in place.
static Graph random_graph(std::mt19937& rng, bool two_outputs) {
  GraphBuilder b;
  std::vector<int> narrow{b.input("x", DType::F32, {1, 8})}, wide;
  const int n = 3 + int(rng() % 24);
  int last = narrow[0];
  for (int k = 0; k < n; ++k) {
    std::vector<int>& pool = (!wide.empty() && rng() % 3 == 0) ? wide : narrow;
    int a = pool[rng() % pool.size()], c = pool[rng() % pool.size()];
    if (rng() % 3 == 0) a = pool.back(); // chains are common
    switch (rng() % 5) {
    case 0:
      last = b.node1("Relu", {a});
      break;
    case 1:
      last = b.node1("Sigmoid", {a});
      break;
    case 2:
      last = b.node1("Add", {a, c});
      break;
    case 3:
      last = b.node1("Mul", {c, a});
      break;
    default:
      if (&pool == &narrow) {
        wide.push_back(b.node1("Concat", {a, c}, {{"axis", attr_i(1)}}));
        last = wide.back();
        continue;
      }
      last = b.node1("ReduceMax", {a}, {{"axes", attr_ints({1})}, {"keepdims", attr_i(1)}});
      last = b.node1("Add", {narrow.back(), last});
      narrow.push_back(last);
      continue;
    }
    pool.push_back(last);
  }
  b.output(last);
  if (two_outputs) b.output(narrow[narrow.size() / 2]);
  return b.finish();
}

TEST_CASE("random graphs with branches and skips never alias live buffers") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    Graph g = random_graph(rng, rng() % 2);
    PlanOptions o;
    o.io_in_arena = trial % 3 == 0;
    o.inplace = trial % 5 != 0;
    INFO("trial " << trial);
    check_plan(g, o);
  }
}

TEST_CASE("random graphs give the evaluator's results with every dead buffer poisoned") {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 4; ++trial) {
    Graph g = random_graph(rng, trial % 2);
    if (g.nodes.size() < 6) continue;
    std::vector<TensorData> in = {random_tensor(DType::F32, {1, 8}, -2, 2, uint32_t(trial))};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in, false, "", true).outputs;
    REQUIRE(got.size() == ref.size());
    for (size_t k = 0; k < ref.size(); ++k) CHECK(max_abs_diff(ref[k], got[k]) <= 1e-5);
  }
}

TEST_CASE("placement reaches the lower bound on a DS-CNN-like chain") {
  // conv (32000 B) -> quantize (8000 B) -> dequantize (32000 B) -> conv ..., each alive for
  // two steps: first fit from the bottom needs 72000 B, the bound is 64000 B.
  std::vector<Interval> bufs;
  const int64_t sizes[3] = {32000, 8000, 32000};
  for (int t = 0; t < 30; ++t) bufs.push_back({sizes[t % 3], t, t + 1});
  Placement p = place_buffers(bufs);
  CHECK(p.arena == live_lower_bound(bufs));
  CHECK(p.arena == 64000);
}

TEST_CASE("placements of random intervals never overlap and are deterministic") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<Interval> bufs;
    const int n = 1 + int(rng() % 40);
    for (int k = 0; k < n; ++k) {
      int f = int(rng() % 30);
      bufs.push_back({16 * int64_t(1 + rng() % 64), f, f + int(rng() % 6)});
    }
    Placement p = place_buffers(bufs, 300), q = place_buffers(bufs, 300);
    CHECK(p.offsets == q.offsets);
    CHECK(p.arena >= live_lower_bound(bufs));
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j)
        if (live_together(bufs[size_t(i)], bufs[size_t(j)]))
          CHECK((p.offsets[size_t(i)] + bufs[size_t(i)].size <= p.offsets[size_t(j)] ||
                 p.offsets[size_t(j)] + bufs[size_t(j)].size <= p.offsets[size_t(i)]));
  }
}

TEST_CASE("Concat on the outermost axis costs no copy: producers write into their slices") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 8, 3});
  int a = b.node1("Relu", {x}), s = b.node1("Sigmoid", {x});
  int c = b.node1("Concat", {a, s}, {{"axis", attr_i(1)}});
  int inner = b.node1("Concat", {c, b.node1("Neg", {x})}, {{"axis", attr_i(1)}});
  int last = b.node1("Concat", {b.node1("Abs", {inner}), b.node1("Neg", {inner})},
                     {{"axis", attr_i(2)}}); // not contiguous per input: copied
  b.output(b.node1("Neg", {last}));
  Graph g = b.finish();
  ArenaPlan p = plan_arena(g);
  check_plan(g);
  CHECK(p.elided[2] == 1);
  CHECK(p.elided[4] == 1);
  CHECK(p.elided[7] == 0);
  CHECK(p.alias_of[size_t(a)] == inner);
  CHECK(p.alias_offset[size_t(s)] == 8 * 3 * 4); // after a (1x8x3 floats)
  std::vector<TensorData> in = {random_tensor(DType::F32, {1, 8, 3}, -2, 2, 5)};
  auto ref = evaluate(g, in);
  for (bool checking : {false, true}) {
    auto got = compile_and_run(g, in, false, "", checking).outputs;
    CHECK(max_abs_diff(ref[0], got[0]) <= 1e-6);
  }
}
