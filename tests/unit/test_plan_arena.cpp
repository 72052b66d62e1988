// The memory planner: buffers alive at the same time never overlap, in-place only where the
// overwritten tensor is dead, schedules are valid orders, placements reach the lower bound on
// the patterns real models have, and generated code gives the same results with every dead
// buffer poisoned.
#include "compiler/evaluator.h"
#include "compiler/op_registry.h"
#include "compiler/quant.h"
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
      if (a.group >= 0 && a.group == b.group) {
        // An overlap group: fixed distances; members meet only where one replaces the other.
        CHECK(a.offset - a.group_offset == b.offset - b.group_offset);
        CHECK((!live_together || a.last == b.first || b.last == a.first));
        continue;
      }
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
    CHECK((def->elementwise_inplace || (def->overlap_shift && p.overlap_shift[i] >= 0)));
    CHECK(!g.val(in).constant);
    if (!p.io_in_arena) {
      CHECK(std::find(g.inputs.begin(), g.inputs.end(), in) == g.inputs.end());
      CHECK(!g.is_graph_output(n.output(0)));
    }
    const int root = p.alias_of[size_t(in)];
    if (p.overlap_shift[i] >= 0) continue; // its own storage: check_no_clobber covers it
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

// Byte-level: at every step, the bytes the node writes (its outputs, its scratch) hold no value
// that is still read later (or is a model output kept to the end), except an input the node
// replaces: an elementwise op's output exactly on it, or an overlapping output starting
// exactly OpDef::overlap_shift bytes before it (that input dying here).
static void check_no_clobber(const Graph& g, const ArenaPlan& p) {
  const int steps = int(p.order.size());
  std::vector<int> pos(g.nodes.size());
  for (int s = 0; s < steps; ++s) pos[size_t(p.order[size_t(s)])] = s;
  // Where each value lives (-1: not in the arena) and from/until when its bytes matter.
  const size_t nv = g.values.size();
  std::vector<int64_t> at(nv, -1);
  for (const auto& b : p.buffers)
    if (b.value_id >= 0)
      for (int v : b.values) at[size_t(v)] = b.offset + p.alias_offset[size_t(v)];
  std::vector<int> born(nv, -1), last(nv, -1);
  for (int v : g.inputs) born[size_t(v)] = -1, last[size_t(v)] = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int v : g.nodes[i].outputs)
      if (v >= 0) born[size_t(v)] = pos[i];
    for (int v : g.nodes[i].inputs)
      if (v >= 0) last[size_t(v)] = std::max(last[size_t(v)], pos[i]);
  }
  for (int v : g.outputs) last[size_t(v)] = steps; // copied out after the last step
  // A view's reads are reads of its input's bytes (views come after their input: reverse).
  for (int s = steps - 1; s >= 0; --s) {
    const Node& n = g.nodes[size_t(p.order[size_t(s)])];
    if (is_view_node(g, n))
      last[size_t(n.input(0))] = std::max(last[size_t(n.input(0))], last[size_t(n.output(0))]);
  }
  auto bytes = [&](int v) { return numel(g.val(v).shape) * int64_t(dtype_size(g.val(v).dtype)); };
  for (int s = 0; s < steps; ++s) {
    const size_t ni = size_t(p.order[size_t(s)]);
    const Node& n = g.nodes[ni];
    if (is_view_node(g, n) || p.elided[ni]) continue;
    std::vector<std::pair<int64_t, int64_t>> writes;
    for (int y : n.outputs)
      if (y >= 0 && at[size_t(y)] >= 0) writes.push_back({at[size_t(y)], at[size_t(y)] + bytes(y)});
    const size_t nout = writes.size();
    for (const auto& b : p.buffers)
      if (b.scratch_of == int(ni)) writes.push_back({b.offset, b.offset + b.size});
    // An input of n stored at these bytes (v itself, or the value it is a view of).
    auto reads_at = [&](int64_t lo, int64_t hi) {
      for (int u : n.inputs)
        if (u >= 0 && at[size_t(u)] == lo && at[size_t(u)] + bytes(u) == hi) return u;
      return -1;
    };
    for (size_t v = 0; v < nv; ++v) {
      if (at[v] < 0 || born[v] >= s || last[v] < s) continue; // not holding live bytes now
      if (std::find(n.outputs.begin(), n.outputs.end(), int(v)) != n.outputs.end()) continue;
      const int64_t lo = at[v], hi = at[v] + bytes(int(v));
      for (size_t w = 0; w < writes.size(); ++w) {
        if (writes[w].second <= lo || hi <= writes[w].first) continue;
        const bool is_output = w < nout;
        const bool dies_here = last[v] == s;
        const int u = reads_at(lo, hi);
        const bool reads_it = u >= 0;
        const bool elementwise = p.inplace_of[ni] >= 0 && p.overlap_shift[ni] < 0 &&
                                 writes[w].first == lo && writes[w].second == hi;
        const bool overlap = p.overlap_shift[ni] >= 0 && u >= 0 && u == n.input(0) &&
                             writes[w].first == lo - p.overlap_shift[ni];
        INFO("step " << s << " node " << n.name << " writes over " << g.val(int(v)).name << " at "
                     << lo << ".." << hi << " write " << writes[w].first << ".." << writes[w].second
                     << " out=" << is_output << " dies=" << dies_here << " reads=" << reads_it
                     << " inplace_of=" << p.inplace_of[ni] << " born=" << born[v]
                     << " last=" << last[v]);
        CHECK((is_output && dies_here && reads_it && (elementwise || overlap)));
      }
    }
  }
}

static void check_plan(const Graph& g, const PlanOptions& o = {}) {
  ArenaPlan p = plan_arena(g, o);
  check_no_overlap(p);
  check_schedule(g, p);
  check_inplace(g, p);
  check_no_clobber(g, p);
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

// An int8 QConv on x (shape xs, updated to the output's): M outputs (0: depthwise), square
// kernel k, stride st, pads pad.
static int random_qconv(GraphBuilder& b, int x, Shape& xs, int64_t M, int64_t k, int64_t st,
                        int64_t pad, uint32_t seed) {
  const int64_t C = xs[1], G = M == 0 ? C : 1;
  if (M == 0) M = C;
  const std::string id = std::to_string(seed);
  const int w = b.constant("w" + id, random_tensor(DType::I8, {M, C / G, k, k}, -128, 127, seed));
  const int bias = b.constant("b" + id, random_tensor(DType::I32, {M}, -9000, 9000, seed + 1));
  std::vector<int64_t> mult, shift;
  for (int64_t c = 0; c < M; ++c) {
    auto m = exact_multiplier(0.002f + 0.0003f * float((seed + uint32_t(c)) % 7));
    REQUIRE(m);
    mult.push_back(m->mult);
    shift.push_back(m->shift);
  }
  const int y = b.node1("QConv", {x, w, bias},
                        {{"group", attr_i(G)},
                         {"kernel_shape", attr_ints({k, k})},
                         {"strides", attr_ints({st, st})},
                         {"dilations", attr_ints({1, 1})},
                         {"pads", attr_ints({pad, pad, pad, pad})},
                         {"x_zp", attr_i(int64_t(seed % 5) - 2)},
                         {"y_zp", attr_i(int64_t(seed % 3) - 1)},
                         {"act_lo", attr_i(-128)},
                         {"act_hi", attr_i(127)},
                         {"mult", attr_ints(mult)},
                         {"shift", attr_ints(shift)}});
  b.graph().nodes.back().domain = "tinyc";
  xs = {xs[0], M, (xs[2] + 2 * pad - k) / st + 1, (xs[3] + 2 * pad - k) / st + 1};
  return y;
}

// Random int8 conv graphs: chains of depthwise, pointwise and general convs (whose outputs
// may overlap their inputs), branches that read a value twice, channel Concats.
static Graph random_conv_graph(std::mt19937& rng, bool two_outputs) {
  GraphBuilder b;
  Shape xs = {1, 1 + int64_t(rng() % 5), 4 + int64_t(rng() % 6), 4 + int64_t(rng() % 6)};
  std::vector<std::pair<int, Shape>> pool = {{b.input("x", DType::I8, xs), xs}};
  const int n = 3 + int(rng() % 8);
  for (int k = 0; k < n; ++k) {
    auto [a, s] = rng() % 3 == 0 ? pool[rng() % pool.size()] : pool.back();
    const uint32_t seed = uint32_t(rng() % 100000);
    int y = -1;
    switch (rng() % 5) {
    case 0:
      y = random_qconv(b, a, s, 0, 3, 1 + int64_t(rng() % 2), 1, seed);
      break;
    case 1:
      y = random_qconv(b, a, s, 1 + int64_t(rng() % 7), 1, 1, 0, seed);
      break;
    case 2:
      y = random_qconv(b, a, s, 1 + int64_t(rng() % 7), 3, 1 + int64_t(rng() % 2),
                       int64_t(rng() % 2), seed);
      break;
    case 3: { // Concat with an earlier value of the same spatial size
      for (const auto& [c, cs] : pool)
        if (c != a && cs[2] == s[2] && cs[3] == s[3]) {
          y = b.node1("Concat", {a, c}, {{"axis", attr_i(1)}});
          s[1] += cs[1];
          break;
        }
      if (y < 0) y = random_qconv(b, a, s, 2, 1, 1, 0, seed);
      break;
    }
    default:
      y = random_qconv(b, a, s, 0, 3, 1, 1, seed);
      break;
    }
    if (s[2] < 1 || s[3] < 1) break;
    pool.push_back({y, s});
    if (s[2] < 3 || s[3] < 3) break; // too small for another 3x3 without pads
  }
  b.output(pool.back().first);
  if (two_outputs && pool.size() > 2) b.output(pool[pool.size() / 2].first);
  return b.finish();
}

TEST_CASE("random int8 conv graphs: outputs overlap inputs only where the kernels allow") {
  std::mt19937 rng(4321);
  int overlaps = 0;
  for (int trial = 0; trial < 120; ++trial) {
    Graph g = random_conv_graph(rng, rng() % 2);
    PlanOptions o;
    o.io_in_arena = trial % 2 == 0;
    o.inplace = trial % 7 != 0;
    INFO("trial " << trial);
    check_plan(g, o);
    const ArenaPlan p = plan_arena(g, o);
    for (int64_t k : p.overlap_shift) overlaps += k >= 0;
  }
  CHECK(overlaps > 100); // the test exercises the overlaps
}

TEST_CASE("random int8 conv graphs with overlapping outputs give the evaluator's results") {
  std::mt19937 rng(2468);
  int ran = 0;
  for (int trial = 0; trial < 40 && ran < 6; ++trial) {
    Graph g = random_conv_graph(rng, trial % 2);
    if (g.nodes.size() < 4) continue;
    ++ran;
    const TensorData x = random_tensor(DType::I8, g.val(g.inputs[0]).shape, -128, 127, 7);
    const auto ref = evaluate(g, {x});
    for (const char* flags : {"", "-DTK_FORCE_DSP_PATH"}) {
      auto got = compile_and_run(g, {x}, false, flags, true).outputs;
      REQUIRE(got.size() == ref.size());
      for (size_t k = 0; k < ref.size(); ++k) CHECK(max_abs_diff(ref[k], got[k]) == 0);
    }
  }
  CHECK(ran == 6);
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
