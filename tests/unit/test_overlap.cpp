// In-place convolutions (OpDef::overlap_shift): the shift search on hand-made access traces,
// the QConv kernels' shifts on typical shapes, the planner's overlap groups on conv chains,
// and generated code of chains with overlapping outputs (poisoned checking build, both code
// paths) against the evaluator and against a plan without any in-place output.
#include "compiler/emitter.h"
#include "compiler/evaluator.h"
#include "compiler/ops/qconv_order.h"
#include "compiler/overlap_trace.h"
#include "compiler/quant.h"
#include "passes/plan_arena.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

using namespace tinyc;
using namespace tinyc::test;
using namespace tinyc::ops;

namespace {

const char* kDspFlags = "-DTK_FORCE_DSP_PATH";

// One QConv layer of a test chain: M output channels, square kernel k, stride s, pads p
// (all sides), group G (0: depthwise, G = C = M).
struct Layer {
  int64_t M, k, s, p, G = 1;
};

// Adds the layer on x (shape xs); sets *ys to the output shape.
int add_qconv(GraphBuilder& b, int x, const Shape& xs, const Layer& l, uint32_t seed, Shape* ys) {
  const int64_t C = xs[1], G = l.G == 0 ? C : l.G, M = l.G == 0 ? C : l.M;
  const int64_t rank = int64_t(xs.size()) - 2;
  Shape ws = {M, C / G};
  for (int64_t d = 0; d < rank; ++d) ws.push_back(l.k);
  std::vector<int> ins = {
      x, b.constant("w" + std::to_string(seed), random_tensor(DType::I8, ws, -128, 127, seed))};
  ins.push_back(b.constant("b" + std::to_string(seed),
                           random_tensor(DType::I32, {M}, -20000, 20000, seed + 1)));
  std::vector<int64_t> mult, shift;
  std::mt19937 rng(seed + 2);
  std::uniform_real_distribution<double> u(std::log(5e-4), std::log(5e-3));
  for (int64_t c = 0; c < M; ++c) {
    auto m = exact_multiplier(float(std::exp(u(rng))));
    REQUIRE(m);
    mult.push_back(m->mult);
    shift.push_back(m->shift);
  }
  const int y = b.node1("QConv", ins,
                        {{"group", attr_i(G)},
                         {"kernel_shape", attr_ints(std::vector<int64_t>(size_t(rank), l.k))},
                         {"strides", attr_ints(std::vector<int64_t>(size_t(rank), l.s))},
                         {"dilations", attr_ints(std::vector<int64_t>(size_t(rank), 1))},
                         {"pads", attr_ints(std::vector<int64_t>(size_t(2 * rank), l.p))},
                         {"x_zp", attr_i(int64_t(seed % 7) - 3)},
                         {"y_zp", attr_i(int64_t(seed % 5) - 2)},
                         {"act_lo", attr_i(-128)},
                         {"act_hi", attr_i(127)},
                         {"mult", attr_ints(mult)},
                         {"shift", attr_ints(shift)}});
  b.graph().nodes.back().domain = "tinyc";
  *ys = {xs[0], M};
  for (int64_t d = 0; d < rank; ++d) ys->push_back((xs[size_t(2 + d)] + 2 * l.p - l.k) / l.s + 1);
  return y;
}

Graph chain(const Shape& x, const std::vector<Layer>& layers, uint32_t seed) {
  GraphBuilder b;
  int v = b.input("x", DType::I8, x);
  Shape s = x;
  for (size_t i = 0; i < layers.size(); ++i)
    v = add_qconv(b, v, s, layers[i], seed + 10 * uint32_t(i), &s);
  b.output(v);
  return b.finish();
}

// Absolute arena offset of a value.
int64_t offset_of(const ArenaPlan& p, int v) {
  const int root = p.alias_of[size_t(v)];
  for (const auto& b : p.buffers)
    if (b.value_id == root) return b.offset + p.alias_offset[size_t(v)];
  return -1;
}

int count_overlaps(const ArenaPlan& p) {
  int k = 0;
  for (int64_t s : p.overlap_shift) k += s >= 0;
  return k;
}

// Every overlap in the plan puts the output exactly k bytes before the input it replaces, and
// that input dies at the node.
void check_overlaps(const Graph& g, const ArenaPlan& p) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (p.overlap_shift[i] < 0) continue;
    const Node& n = g.nodes[i];
    INFO("node " << n.name);
    CHECK(p.inplace_of[i] == n.input(0));
    CHECK(p.overlap_shift[i] % ArenaPlan::kAlign == 0);
    CHECK(offset_of(p, n.output(0)) == offset_of(p, n.input(0)) - p.overlap_shift[i]);
  }
}

struct EnvPlan { // sets TINYC_TEST_PLAN for one scope
  explicit EnvPlan(const char* v) { setenv("TINYC_TEST_PLAN", v, 1); }
  ~EnvPlan() { unsetenv("TINYC_TEST_PLAN"); }
};

// The chain's generated code, in the checking build (input and output in the arena, dead
// buffers poisoned), on both code paths, equals the evaluator and a plan without overlaps.
void check_chain_runs(const Shape& xs, const std::vector<Layer>& layers, uint32_t seed,
                      int min_overlaps) {
  Graph g = chain(xs, layers, seed);
  PlanOptions o;
  o.io_in_arena = true;
  const ArenaPlan p = plan_arena(g, o);
  CHECK(count_overlaps(p) >= min_overlaps);
  check_overlaps(g, p);
  const TensorData x = random_tensor(DType::I8, xs, -128, 127, seed + 99);
  const auto want = evaluate(g, {x});
  for (const char* flags : {"", kDspFlags}) {
    INFO("flags '" << flags << "'");
    const HostRun got = compile_and_run(g, {x}, false, flags, true);
    CHECK(max_abs_diff(got.outputs[0], want[0]) == 0);
    EnvPlan env("no-inplace");
    const HostRun separate = compile_and_run(g, {x}, false, flags, true);
    CHECK(max_abs_diff(separate.outputs[0], got.outputs[0]) == 0);
  }
}

QConvGeometry geometry(int64_t C, int64_t M, int64_t G, QConvKernel kind, int64_t H, int64_t W,
                       int64_t k, int64_t s, int64_t p) {
  QConvGeometry q;
  q.C = C;
  q.M = M;
  q.G = G;
  q.kernel = kind;
  const int64_t OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
  q.w = {{1, H, W}, {1, OH, OW}, {1, k, k}, {1, s, s}, {1, 1, 1}, {0, p, p}};
  return q;
}

} // namespace

TEST_CASE("min_overlap_shift: the smallest safe shift of an access order") {
  // Block b reads input b and writes output b: the output may lie exactly on the input.
  AccessTrace same(4, 4);
  for (int b = 0; b < 4; ++b) {
    same.read(b);
    same.write(b);
    same.next_block();
  }
  CHECK(min_overlap_shift({same}, 1, 1, 1) == 0);
  // Block b reads inputs b - 1 and b, writes output b: input b is still needed after output b
  // is stored, so the output must start one byte earlier (two with an alignment of 2).
  AccessTrace behind(4, 4);
  for (int b = 0; b < 4; ++b) {
    if (b > 0) behind.read(b - 1);
    behind.read(b);
    behind.write(b);
    behind.next_block();
  }
  behind.read(3); // a last block reads input 3 again and writes nothing
  behind.next_block();
  CHECK(min_overlap_shift({behind}, 1, 1, 1) == 1);
  CHECK(min_overlap_shift({behind}, 1, 1, 2) == 2);
  // Both traces must hold: the stricter one decides.
  CHECK(min_overlap_shift({same, behind}, 1, 1, 1) == 1);
  // Reversed: everything is read in block 0, output written later: any shift works.
  AccessTrace first(4, 2);
  for (int i = 0; i < 4; ++i) first.read(i);
  first.next_block();
  first.write(0);
  first.write(1);
  CHECK(min_overlap_shift({first}, 1, 1, 1) == 0);
  // Wider elements: 4-byte input element 1 is read in block 1, output byte 4 written in 0.
  AccessTrace wide(2, 8);
  wide.read(0);
  for (int j = 0; j < 8; ++j) wide.write(j);
  wide.next_block();
  wide.read(1);
  wide.next_block();
  CHECK(min_overlap_shift({wide}, 4, 1, 1) == 4); // output bytes 4..7 on input bytes 0..3
  // An output element nobody writes: no answer.
  AccessTrace missing(2, 2);
  missing.write(0);
  CHECK(min_overlap_shift({missing}, 1, 1, 1) == -1);
}

TEST_CASE("QConv kernels: overlap shifts from their block order") {
  using K = QConvKernel;
  // Depthwise and pointwise read a whole block before writing it over itself.
  CHECK(qconv_overlap_shift(geometry(6, 6, 6, K::Depthwise, 9, 7, 3, 1, 1), 16) == 0);
  CHECK(qconv_overlap_shift(geometry(6, 6, 6, K::Depthwise, 9, 7, 3, 2, 1), 16) == 0);
  CHECK(qconv_overlap_shift(geometry(5, 11, 1, K::Pointwise, 7, 3, 1, 1, 0), 16) == 0);
  CHECK(qconv_overlap_shift(geometry(11, 5, 1, K::Pointwise, 7, 3, 1, 1, 0), 16) == 0);
  // A 3x3 conv mixing channels: without a lag every output plane is stored while every input
  // plane is still read, so the output must start almost a whole output before the input.
  QConvGeometry g3 = geometry(16, 16, 1, K::General, 32, 32, 3, 1, 1);
  const int64_t k0 = qconv_overlap_shift(g3, 16);
  CHECK(k0 >= 15 * 1024);
  // Holding back one row and a pixel (the leading pad) lets it lie on its input.
  g3.lags.assign(16, 32 + 1);
  CHECK(qconv_overlap_shift(g3, 16) == 0);
  CHECK(qconv_choose_lags(g3, 16) == std::vector<int64_t>(16, 33));
  // One pixel less and the shift is not 0 any more.
  g3.lags.assign(16, 32);
  CHECK(qconv_overlap_shift(g3, 16) != 0);
  // MobileNet's first layer (3 -> 8 channels, stride 2): lags per channel let the output lie
  // on the input; later planes lie on later input rows, so they wait longer.
  QConvGeometry first = geometry(3, 8, 1, K::General, 96, 96, 3, 2, 1);
  const std::vector<int64_t> lags = qconv_choose_lags(first, 16);
  REQUIRE(lags.size() == 8);
  CHECK(lags[1] > lags[0]);
  first.lags = lags;
  const int64_t k = qconv_overlap_shift(first, 16);
  CHECK(k >= 0);
  CHECK(std::max<int64_t>(27648 + k, 18432) + qconv_lag_bytes(first) < 27648 + 16032);
  // Pointwise kernels are never lagged.
  CHECK(qconv_choose_lags(geometry(5, 11, 1, K::Pointwise, 7, 3, 1, 1, 0), 16).empty());
}

TEST_CASE("the planner chains depthwise, pointwise and 3x3 convs over one another") {
  // dw (stride 1) -> pw widening (M > C) -> 3x3 general (lagged) -> pw narrowing (M < C).
  Graph g = chain({1, 6, 9, 7}, {{0, 3, 1, 1, 0}, {10, 1, 1, 0}, {10, 3, 1, 1}, {4, 1, 1, 0}}, 10);
  PlanOptions o;
  o.io_in_arena = true;
  const ArenaPlan p = plan_arena(g, o);
  check_overlaps(g, p);
  CHECK(count_overlaps(p) == 4);
  for (size_t i = 0; i < g.nodes.size(); ++i) CHECK(p.overlap_shift[i] == 0);
  // All in one group: the arena is the widest tensor plus the largest scratch at most.
  int groups = 0;
  for (const auto& b : p.buffers) groups += b.value_id >= 0 && b.group >= 0;
  CHECK(groups == 5);
  CHECK(p.arena_bytes <= 10 * 9 * 7 + 16 + 1024);
  // --no-inplace: nothing overlaps, and the arena holds two tensors at once.
  PlanOptions off = o;
  off.inplace = false;
  const ArenaPlan q = plan_arena(g, off);
  CHECK(count_overlaps(q) == 0);
  CHECK(q.arena_bytes > p.arena_bytes);
  // Without I/O in the arena, the first conv reads the caller's input: no overlap there.
  const ArenaPlan r = plan_arena(g, PlanOptions{});
  CHECK(r.overlap_shift[0] == -1);
  check_overlaps(g, r);
}

TEST_CASE("a conv whose input is read again later does not overlap it") {
  GraphBuilder b;
  const Shape xs = {1, 4, 6, 6};
  Shape s;
  const int x = b.input("x", DType::I8, xs);
  const int a = add_qconv(b, x, xs, {4, 1, 1, 0}, 30, &s);
  const int c = add_qconv(b, a, xs, {0, 3, 1, 1, 0}, 40, &s);
  const int d = add_qconv(b, a, xs, {4, 1, 1, 0}, 50, &s); // a is read again here
  b.output(c);
  b.output(d);
  Graph g = b.finish();
  PlanOptions o;
  o.io_in_arena = true;
  const ArenaPlan p = plan_arena(g, o);
  check_overlaps(g, p);
  // Whichever of c and d runs first must not write over a; the second may.
  std::vector<int> pos(g.nodes.size());
  for (size_t s = 0; s < p.order.size(); ++s) pos[size_t(p.order[s])] = int(s);
  const size_t first = pos[1] < pos[2] ? 1 : 2, second = 3 - first; // node 0 makes a
  CHECK(p.inplace_of[first] == -1);
  CHECK(p.inplace_of[second] == a);
  const TensorData xv = random_tensor(DType::I8, {1, 4, 6, 6}, -128, 127, 60);
  const auto want = evaluate(g, {xv});
  const HostRun got = compile_and_run(g, {xv}, false, "", true);
  CHECK(max_abs_diff(got.outputs[0], want[0]) == 0);
  CHECK(max_abs_diff(got.outputs[1], want[1]) == 0);
}

TEST_CASE("conv chains with overlapping outputs match the evaluator on both code paths") {
  // Odd shapes, stride 2, M > C, M < C, lagged 3x3 convs, a 1-D chain.
  check_chain_runs({1, 5, 9, 7}, {{0, 3, 1, 1, 0}, {9, 1, 1, 0}, {0, 3, 2, 1, 0}, {3, 1, 1, 0}},
                   100, 4);
  check_chain_runs({1, 3, 11, 9}, {{7, 3, 1, 1}, {7, 3, 1, 1}, {5, 3, 2, 1}, {6, 1, 1, 0}}, 200, 3);
  check_chain_runs({1, 4, 13}, {{0, 3, 1, 1, 0}, {6, 1, 1, 0}, {6, 3, 1, 1}, {0, 3, 2, 1, 0}}, 300,
                   3);
  // Grouped 3x3 (not depthwise) and a 5x5 kernel with pads 2.
  check_chain_runs({1, 4, 8, 8}, {{4, 3, 1, 1, 2}, {4, 5, 1, 2}, {8, 1, 1, 0}}, 400, 2);
}

TEST_CASE("float depthwise convs overlap their input a row early and match the evaluator") {
  GraphBuilder b;
  int v = b.input("x", DType::F32, {1, 5, 9, 7});
  for (int i = 0; i < 3; ++i) {
    const int64_t s = i == 1 ? 2 : 1;
    const int w = b.constant("w" + std::to_string(i),
                             random_tensor(DType::F32, {5, 1, 3, 3}, -1, 1, 800 + uint32_t(i)));
    v = b.node1("Conv", {v, w},
                {{"group", attr_i(5)},
                 {"kernel_shape", attr_ints({3, 3})},
                 {"strides", attr_ints({s, s})},
                 {"pads", attr_ints({1, 1, 1, 1})}});
  }
  b.output(v);
  Graph g = b.finish();
  PlanOptions o;
  o.io_in_arena = true;
  const ArenaPlan p = plan_arena(g, o);
  check_overlaps(g, p);
  CHECK(count_overlaps(p) == 3);
  // Stride 1: the output starts a row and a pixel (7 + 1 floats, 32 B) before its input.
  CHECK(p.overlap_shift[0] == 32);
  const TensorData x = random_tensor(DType::F32, {1, 5, 9, 7}, -2, 2, 810);
  const auto want = evaluate(g, {x});
  const HostRun got = compile_and_run(g, {x}, false, "", true);
  CHECK(max_abs_diff(got.outputs[0], want[0]) <= 1e-6);
}
