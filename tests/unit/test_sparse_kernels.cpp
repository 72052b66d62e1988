// Sparse int8 kernels (templates/sparse_s8.h): QGemm and one-group QConv forced onto the
// sparse kernel, generated, built with sanitizers and run against the integer evaluator
// (exactly) at several sparsities, including all-zero channels and gaps over 255 (bridge
// entries); the weight stream encoding; and the cost model's choice (choose-kernels pass).
#include "compiler/compile.h"
#include "compiler/evaluator.h"
#include "compiler/op_registry.h"
#include "compiler/ops/sparse_kernel.h"
#include "compiler/quant.h"
#include "passes/passes.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// Zeroes weights of w [M, K...]: a `fraction` of each channel at random, and every channel
// m with m % zero_every == zero_every - 1 entirely (zero_every 0: none).
void sparsify(TensorData& w, double fraction, int zero_every, uint32_t seed) {
  const int64_t M = w.shape[0], K = w.size() / M;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      if (u(rng) < fraction || (zero_every > 0 && m % zero_every == zero_every - 1))
        w.data<int8_t>()[m * K + k] = 0;
}

std::vector<int64_t> multipliers(int64_t M, double lo, double hi, uint32_t seed,
                                 std::vector<int64_t>& shift) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  std::vector<int64_t> mult;
  for (int64_t c = 0; c < M; ++c) {
    auto m = exact_multiplier(float(std::exp(u(rng))));
    REQUIRE(m);
    mult.push_back(m->mult);
    shift.push_back(m->shift);
  }
  return mult;
}

std::map<std::string, Attr> qlinear(int64_t M, int32_t x_zp, int32_t y_zp, double lo, double hi,
                                    uint32_t seed) {
  std::vector<int64_t> shift;
  const std::vector<int64_t> mult = multipliers(M, lo, hi, seed, shift);
  return {{"x_zp", attr_i(x_zp)},  {"y_zp", attr_i(y_zp)},    {"act_lo", attr_i(-128)},
          {"act_hi", attr_i(127)}, {"mult", attr_ints(mult)}, {"shift", attr_ints(shift)}};
}

void mark_sparse(Graph& g) {
  for (Node& n : g.nodes)
    if (n.op_type == "QConv" || n.op_type == "QGemm") n.attrs["sparse_kernel"] = attr_i(1);
}

// The generated code (portable and, with every_build, forced DSP path and checking build)
// against the evaluator, exactly; the source must call `kernel`.
void check(Graph g, const TensorData& x, const std::string& kernel, bool every_build = true) {
  mark_sparse(g);
  const auto want = evaluate(g, {x});
  // The checking build: input and output in the arena, so a conv's output may overlap its
  // input (sparse_conv_overlap_shift), dead buffers poisoned.
  const std::pair<const char*, bool> builds[] = {
      {"", false}, {"-DTK_FORCE_DSP_PATH", false}, {"", true}};
  for (auto [flags, checking] : builds) {
    if (!every_build && (checking || *flags)) continue;
    const HostRun r = compile_and_run(g, {x}, false, flags, checking);
    CHECK(r.source.find(kernel) != std::string::npos);
    REQUIRE(r.outputs[0].size() == want[0].size());
    int64_t diff = 0;
    for (int64_t i = 0; i < want[0].size(); ++i)
      diff += r.outputs[0].get_i64(i) != want[0].get_i64(i);
    CHECK(diff == 0);
  }
}

struct ConvCase {
  Shape x; // [N, C, spatial...]
  int64_t M;
  std::vector<int64_t> k, strides, dilations, pads;
  int32_t x_zp, y_zp;
  bool bias = true;
};

Graph conv_graph(const ConvCase& c, double fraction, int zero_every, uint32_t seed) {
  GraphBuilder b;
  const int x = b.input("x", DType::I8, c.x);
  Shape ws = {c.M, c.x[1]};
  ws.insert(ws.end(), c.k.begin(), c.k.end());
  TensorData w = random_tensor(DType::I8, ws, -128, 127, seed);
  sparsify(w, fraction, zero_every, seed + 1);
  std::vector<int> ins = {x, b.constant("w", w)};
  if (c.bias)
    ins.push_back(b.constant("b", random_tensor(DType::I32, {c.M}, -20000, 20000, seed + 2)));
  auto attrs = qlinear(c.M, c.x_zp, c.y_zp, 2e-4, 4e-3, seed + 3);
  attrs["group"] = attr_i(1);
  attrs["kernel_shape"] = attr_ints(c.k);
  attrs["strides"] = attr_ints(c.strides);
  attrs["dilations"] = attr_ints(c.dilations);
  attrs["pads"] = attr_ints(c.pads);
  const int y = b.node1("QConv", ins, attrs);
  b.graph().nodes.back().domain = "tinyc";
  b.output(y);
  return b.finish();
}

Graph gemm_graph(int64_t N, int64_t K, int64_t M, double fraction, int zero_every, bool bias,
                 int32_t x_zp, uint32_t seed) {
  GraphBuilder b;
  const int x = b.input("x", DType::I8, {N, K});
  TensorData w = random_tensor(DType::I8, {M, K}, -128, 127, seed);
  sparsify(w, fraction, zero_every, seed + 1);
  std::vector<int> ins = {x, b.constant("w", w)};
  if (bias) ins.push_back(b.constant("b", random_tensor(DType::I32, {M}, -5000, 5000, seed + 2)));
  const int y = b.node1("QGemm", ins, qlinear(M, x_zp, 7, 1e-3, 2e-2, seed + 3));
  b.graph().nodes.back().domain = "tinyc";
  b.output(y);
  return b.finish();
}

const double kFractions[] = {0.0, 0.5, 0.95};

} // namespace

TEST_CASE("sparse QGemm == evaluator: odd shapes, sparsities, zero rows, long gaps") {
  uint32_t seed = 1000;
  for (double f : kFractions)
    for (auto [N, K, M] :
         {std::tuple<int64_t, int64_t, int64_t>{1, 37, 5}, {3, 13, 7}, {2, 64, 4}}) {
      INFO("N " << N << " K " << K << " M " << M << " sparsity " << f);
      // Every build at 50%; the portable one at the other sparsities (suite time).
      check(gemm_graph(N, K, M, f, 0, true, -3, seed),
            random_tensor(DType::I8, {N, K}, -128, 127, seed + 9), "qgemm_sparse_s8", f == 0.5);
      seed += 10;
    }
  // Every other channel all zero, no bias, x_zp at the range's end.
  check(gemm_graph(2, 29, 6, 0.5, 2, false, -128, 2000),
        random_tensor(DType::I8, {2, 29}, -128, 127, 2009), "qgemm_sparse_s8");
  // All weights zero.
  check(gemm_graph(1, 11, 3, 1.0, 0, true, 5, 2100),
        random_tensor(DType::I8, {1, 11}, -128, 127, 2109), "qgemm_sparse_s8");
  // K = 700 at 99.5%: gaps over 255 need bridge entries.
  check(gemm_graph(1, 700, 5, 0.995, 0, true, 2, 2200),
        random_tensor(DType::I8, {1, 700}, -128, 127, 2209), "qgemm_sparse_s8");
}

TEST_CASE("sparse QConv == evaluator: pointwise, k x k, strides, pads, dilations, 1-D, 3-D") {
  // (In the checking build, the pointwise and 3x3 cases write their output over the input.)
  const ConvCase cases[] = {
      {{1, 7, 5, 3}, 5, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 17, -5},                 // pointwise
      {{2, 6, 4, 5}, 9, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, -128, 3},                // N = 2
      {{1, 3, 7, 6}, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 4, 4},                   // 3x3 same
      {{1, 1, 13, 10}, 6, {10, 4}, {2, 2}, {1, 1}, {4, 1, 5, 1}, -7, 2},               // KWS first
      {{1, 4, 9, 8}, 5, {3, 2}, {2, 1}, {2, 1}, {1, 0, 2, 1}, 30, -9},                 // dilation
      {{2, 3, 9}, 5, {3}, {2}, {1}, {1, 1}, -1, 0},                                    // 1-D
      {{1, 2, 4, 4, 3}, 3, {2, 3, 2}, {1, 1, 2}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}, 2, 1}, // 3-D
  };
  uint32_t seed = 3000;
  for (const ConvCase& c : cases)
    for (double f : kFractions) {
      INFO("case seed " << seed << " sparsity " << f);
      check(conv_graph(c, f, 0, seed), random_tensor(DType::I8, c.x, -128, 127, seed + 9),
            "qconv_sparse_s8", f == 0.5);
      seed += 10;
    }
  // All-zero channels (every third), no bias; and everything zero.
  ConvCase z{{1, 5, 6, 7}, 7, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 9, -2};
  z.bias = false;
  check(conv_graph(z, 0.5, 3, 4000), random_tensor(DType::I8, z.x, -128, 127, 4009),
        "qconv_sparse_s8");
  check(conv_graph(z, 1.0, 0, 4100), random_tensor(DType::I8, z.x, -128, 127, 4109),
        "qconv_sparse_s8");
}

TEST_CASE("sparse weight stream: counts, skips, bridges over 255") {
  // Channel 0: weights at 2 and 600 (gap 598 = 255 + 255 + 88); channel 1: none.
  std::vector<int8_t> w(2 * 700, 0);
  w[2] = 5;
  w[600] = -7;
  const TensorData s = encode_sparse_s8(w.data(), 2, 700);
  const std::vector<int> want = {4, 0, 2, 5, 255, 0, 255, 0, 88, -7, 0, 0};
  REQUIRE(s.size() == int64_t(want.size()));
  for (size_t i = 0; i < want.size(); ++i) CHECK(int(s.data<int8_t>()[i]) == int8_t(want[i]));
}

TEST_CASE("cost model: dense at low sparsity, sparse at very high sparsity") {
  auto kernel_of = [](Graph g, SparseKernels mode) {
    PassOptions o;
    o.sparse_kernels = mode;
    choose_kernels(g, o);
    for (const Node& n : g.nodes)
      if (n.op_type == "QGemm" || n.op_type == "QConv") return uses_sparse_kernel(n);
    return false;
  };
  const ConvCase c{{1, 16, 10, 10}, 32, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 0, 0};
  for (bool conv : {false, true}) {
    INFO((conv ? "conv" : "gemm"));
    auto graph = [&](double f) {
      return conv ? conv_graph(c, f, 0, 5000) : gemm_graph(1, 256, 64, f, 0, true, 0, 5000);
    };
    for (double f : {0.0, 0.3, 0.5}) {
      CHECK_FALSE(kernel_of(graph(f), SparseKernels::Auto));
      CHECK(kernel_of(graph(f), SparseKernels::Always));
    }
    for (double f : {0.97, 0.99}) {
      const Graph g = graph(f);
      const SparseEstimate e = estimate_sparse(g, g.nodes.back());
      CHECK(e.sparse_bytes < e.dense_bytes);
      CHECK(e.sparse_instr < e.dense_instr);
      CHECK(kernel_of(g, SparseKernels::Auto));
      CHECK_FALSE(kernel_of(g, SparseKernels::Never));
    }
  }
  // No sparse kernel for grouped convolutions.
  GraphBuilder b;
  const int x = b.input("x", DType::I8, {1, 4, 5, 5});
  auto attrs = qlinear(4, 0, 0, 1e-3, 2e-3, 5100);
  attrs["group"] = attr_i(4);
  attrs["kernel_shape"] = attr_ints({3, 3});
  attrs["pads"] = attr_ints({1, 1, 1, 1});
  TensorData w(DType::I8, {4, 1, 3, 3});
  const int y = b.node1("QConv", {x, b.constant("w", w)}, attrs);
  b.graph().nodes.back().domain = "tinyc";
  b.output(y);
  CHECK_FALSE(kernel_of(b.finish(), SparseKernels::Always));
}

namespace {

Graph gemm_f32_graph(int64_t M, int64_t K, int64_t N, bool tb, double fraction, bool with_c,
                     float alpha, uint32_t seed) {
  GraphBuilder b;
  const int a = b.input("a", DType::F32, {M, K});
  TensorData w = random_tensor(DType::F32, tb ? Shape{N, K} : Shape{K, N}, -1, 1, seed);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int64_t i = 0; i < w.size(); ++i)
    if (u(rng) < fraction) w.data<float>()[i] = 0.0f;
  std::vector<int> ins = {a, b.constant("b", w)};
  if (with_c) ins.push_back(b.constant("c", random_tensor(DType::F32, {N}, -1, 1, seed + 2)));
  const int y = b.node1("Gemm", ins,
                        {{"transB", attr_i(tb)}, {"alpha", attr_f(alpha)}, {"beta", attr_f(0.5f)}});
  b.output(y);
  return b.finish();
}

} // namespace

TEST_CASE("sparse float Gemm == evaluator: transB, alpha/beta, C, zero columns, long gaps") {
  uint32_t seed = 6000;
  for (double f : {0.0, 0.5, 0.95, 1.0})
    for (auto [M, K, N, tb, c] :
         {std::tuple<int64_t, int64_t, int64_t, bool, bool>{1, 37, 5, true, true},
          {3, 13, 7, false, true},
          {2, 600, 3, true, false}}) {
      INFO("M " << M << " K " << K << " N " << N << " sparsity " << f);
      Graph g = gemm_f32_graph(M, K, N, tb, f, c, f > 0.9 ? 1.0f : 1.5f, seed);
      for (Node& n : g.nodes)
        if (n.op_type == "Gemm") n.attrs["sparse_kernel"] = attr_i(1);
      const TensorData x = random_tensor(DType::F32, {M, K}, -2, 2, seed + 9);
      const auto want = evaluate(g, {x});
      const HostRun r = compile_and_run(g, {x}, false);
      CHECK(r.source.find("gemm_sparse_f32") != std::string::npos);
      CHECK(max_abs_diff(r.outputs[0], want[0]) <= 1e-5);
      seed += 10;
    }
  // The cost model: dense at 30%, sparse at 97%.
  auto sparse_at = [](double f) {
    Graph g = gemm_f32_graph(1, 256, 64, true, f, true, 1.0f, 6500);
    PassOptions o;
    choose_kernels(g, o);
    return uses_sparse_kernel(g.nodes.back());
  };
  CHECK_FALSE(sparse_at(0.3));
  CHECK(sparse_at(0.97));
}

TEST_CASE("sparse float Conv == evaluator: pointwise, k x k, strides, pads, 1-D, 3-D, Relu") {
  struct Case {
    Shape x;
    int64_t M;
    std::vector<int64_t> k, strides, dilations, pads;
    bool bias, relu;
  };
  const Case cases[] = {
      {{1, 7, 5, 3}, 5, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, true, false},
      {{2, 3, 7, 6}, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true, true},
      {{1, 1, 13, 10}, 6, {10, 4}, {2, 2}, {1, 1}, {4, 1, 5, 1}, false, false},
      {{1, 4, 9, 8}, 5, {3, 2}, {2, 1}, {2, 1}, {1, 0, 2, 1}, true, false},
      {{2, 3, 9}, 5, {3}, {2}, {1}, {1, 1}, true, false},
      {{1, 2, 4, 4, 3}, 3, {2, 3, 2}, {1, 1, 2}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}, true, false},
  };
  uint32_t seed = 7000;
  for (const Case& c : cases)
    for (double f : {0.0, 0.5, 0.95, 1.0}) {
      INFO("case seed " << seed << " sparsity " << f);
      GraphBuilder b;
      const int x = b.input("x", DType::F32, c.x);
      Shape ws = {c.M, c.x[1]};
      ws.insert(ws.end(), c.k.begin(), c.k.end());
      TensorData w = random_tensor(DType::F32, ws, -1, 1, seed);
      std::mt19937 rng(seed + 1);
      std::uniform_real_distribution<double> u(0.0, 1.0);
      for (int64_t i = 0; i < w.size(); ++i)
        if (u(rng) < f) w.data<float>()[i] = 0.0f;
      std::vector<int> ins = {x, b.constant("w", w)};
      if (c.bias) ins.push_back(b.constant("b", random_tensor(DType::F32, {c.M}, -1, 1, seed + 2)));
      int y = b.node1("Conv", ins,
                      {{"kernel_shape", attr_ints(c.k)},
                       {"strides", attr_ints(c.strides)},
                       {"dilations", attr_ints(c.dilations)},
                       {"pads", attr_ints(c.pads)}});
      if (c.relu) y = b.node1("Relu", {y});
      b.output(y);
      Graph g = b.finish();
      const TensorData xv = random_tensor(DType::F32, c.x, -2, 2, seed + 9);
      const auto want = evaluate(g, {xv});
      fuse_activation(g);
      for (Node& n : g.nodes)
        if (n.op_type == "Conv") n.attrs["sparse_kernel"] = attr_i(1);
      for (bool checking : {false, true}) {
        if (checking && f != 0.5) continue; // the checking build at 50% only (suite time)
        const HostRun r = compile_and_run(g, {xv}, false, "", checking);
        CHECK(r.source.find("conv_sparse_f32") != std::string::npos);
        CHECK(max_abs_diff(r.outputs[0], want[0]) <= 1e-5);
      }
      seed += 10;
    }
}

TEST_CASE("sparse conv kernels may overlap their input where their block order allows") {
  // Pointwise, same size in and out: each block of four pixels reads them before writing.
  const ConvCase c{{1, 8, 6, 6}, 8, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 3, 1};
  Graph g = conv_graph(c, 0.9, 0, 8000);
  mark_sparse(g);
  const int64_t shift =
      OpRegistry::instance().find("tinyc", "QConv")->overlap_shift(g, g.nodes.back(), 4);
  CHECK(shift >= 0);
  CHECK(shift < 8 * 36);
}
