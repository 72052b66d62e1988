// Gemm and MatMul kernels against the reference evaluator: transposes, alpha/beta, C
// broadcasting, 1-D operands, batched broadcasting, fused activation.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

TEST_CASE("Gemm matches the evaluator") {
  struct Case {
    Shape a, b, c; // c empty: no C
    bool ta, tb;
    float alpha, beta;
  };
  const std::vector<Case> cases = {
      {{3, 5}, {5, 7}, {}, false, false, 1.0f, 1.0f},
      {{5, 3}, {7, 5}, {3, 7}, true, true, 0.5f, 2.0f},
      {{3, 5}, {7, 5}, {7}, false, true, 1.0f, 1.0f},
      {{3, 5}, {5, 7}, {3, 1}, false, false, 1.5f, -1.0f},
      {{1, 9}, {9, 4}, {}, false, false, 1.0f, 1.0f},
      {{3, 5}, {5, 7}, {1}, false, false, 1.0f, 0.25f},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    GraphBuilder b;
    int x = b.input("a", DType::F32, c.a);
    std::vector<int> ins = {x, b.constant("b", random_tensor(DType::F32, c.b, -1, 1, seed++))};
    if (!c.c.empty()) ins.push_back(b.constant("c", random_tensor(DType::F32, c.c, -1, 1, seed++)));
    int y = b.node1("Gemm", ins,
                    {{"transA", attr_i(c.ta)},
                     {"transB", attr_i(c.tb)},
                     {"alpha", attr_f(c.alpha)},
                     {"beta", attr_f(c.beta)}});
    b.output(b.node1("Relu", {y}));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(DType::F32, c.a, -2, 2, seed++)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(shape_str(c.a) << " x " << shape_str(c.b) << " + " << shape_str(c.c));
    CHECK(max_abs_diff(ref[0], got[0]) <= 1e-5);
  }
}

TEST_CASE("MatMul matches the evaluator, with 1-D and broadcast batch operands") {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 5}, {5, 7}},    {{5}, {5, 7}},          {{3, 5}, {5}},
      {{5}, {5}},          {{2, 3, 5}, {5, 4}},    {{2, 1, 3, 5}, {3, 5, 2}},
      {{4, 5}, {2, 5, 3}}, {{2, 3, 5}, {2, 5, 3}},
  };
  uint32_t seed = 100;
  for (const auto& [sa, sb] : cases) {
    GraphBuilder b;
    int x = b.input("a", DType::F32, sa), y = b.input("b", DType::F32, sb);
    b.output(b.node1("MatMul", {x, y}));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(DType::F32, sa, -2, 2, seed++),
                                  random_tensor(DType::F32, sb, -2, 2, seed++)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(shape_str(sa) << " x " << shape_str(sb));
    REQUIRE(ref[0].shape == got[0].shape);
    CHECK(max_abs_diff(ref[0], got[0]) <= 1e-5);
  }
}

TEST_CASE("MatMul with mismatched inner dimensions is rejected") {
  GraphBuilder b;
  int x = b.input("a", DType::F32, {3, 4}), y = b.input("b", DType::F32, {5, 2});
  b.output(b.node1("MatMul", {x, y}));
  CHECK_THROWS(b.finish());
}
