// The arena planner: buffers alive at the same time never overlap, on random graphs.
#include "passes/plan_arena.h"
#include "support/graph_builder.h"

#include <catch2/catch.hpp>

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

TEST_CASE("a chain reuses memory: two buffers suffice") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 64});
  for (int k = 0; k < 6; ++k) x = b.node1("Relu", {x});
  b.output(x);
  Graph g = b.finish();
  ArenaPlan p = plan_arena(g);
  check_no_overlap(p);
  CHECK(p.buffers.size() == 5); // the last Relu writes the caller's output
  CHECK(p.arena_bytes == 2 * 256);
}

TEST_CASE("random graphs with branches and skips never alias live buffers") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    GraphBuilder b;
    std::vector<int> vals{b.input("x", DType::F32, {1, 8})};
    int n = 3 + int(rng() % 20);
    for (int k = 0; k < n; ++k) {
      int a = vals[rng() % vals.size()], c = vals[rng() % vals.size()];
      vals.push_back(rng() % 2 ? b.node1("Relu", {a}) : b.node1("Add", {a, c}));
    }
    b.output(vals.back());
    if (rng() % 2) b.output(vals[vals.size() / 2]);
    Graph g = b.finish();
    check_no_overlap(plan_arena(g));
  }
}
