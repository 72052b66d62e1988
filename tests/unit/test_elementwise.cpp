// Elementwise kernels against the reference evaluator, on odd and broadcast shapes.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

TEST_CASE("binary ops broadcast like the evaluator") {
  const std::vector<std::pair<Shape, Shape>> cases = {{{3, 5, 7}, {3, 5, 7}},
                                                      {{3, 5, 7}, {7}},
                                                      {{1, 5, 1}, {3, 1, 7}},
                                                      {{}, {2, 3}},
                                                      {{4, 1}, {1}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [sa, sb] : cases) {
      GraphBuilder b;
      int x = b.input("a", DType::F32, sa), y = b.input("b", DType::F32, sb);
      b.output(b.node1(op, {x, y}));
      Graph g = b.finish();
      std::vector<TensorData> in = {random_tensor(DType::F32, sa, -3, 3, 1),
                                    random_tensor(DType::F32, sb, 0.5, 3, 2)};
      auto ref = evaluate(g, in);
      auto got = compile_and_run(g, in).outputs;
      INFO(op << " " << shape_str(sa) << " with " << shape_str(sb));
      CHECK(max_abs_diff(ref[0], got[0]) <= 1e-6);
    }
  }
}

TEST_CASE("integer division by zero is defined as 0 in both evaluator and kernel") {
  GraphBuilder b;
  int x = b.input("a", DType::I32, {4}), y = b.input("b", DType::I32, {4});
  b.output(b.node1("Div", {x, y}));
  Graph g = b.finish();
  TensorData a(DType::I32, {4}), c(DType::I32, {4});
  for (int i = 0; i < 4; ++i) {
    a.data<int32_t>()[i] = 7 * (i + 1);
    c.data<int32_t>()[i] = i % 2 ? 0 : -2;
  }
  auto ref = evaluate(g, {a, c});
  auto got = compile_and_run(g, {a, c}).outputs;
  CHECK(ref[0].bytes == got[0].bytes);
  CHECK(ref[0].data<int32_t>()[1] == 0);
  CHECK(ref[0].data<int32_t>()[0] == -3);
}

TEST_CASE("Relu fused into Add matches the unfused evaluator") {
  GraphBuilder b;
  int x = b.input("a", DType::F32, {2, 9}), y = b.input("b", DType::F32, {9});
  int s = b.node1("Add", {x, y});
  b.output(b.node1("Relu", {s}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {2, 9}, -3, 3, 5),
                                random_tensor(DType::F32, {9}, -1, 1, 6)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  CHECK(run.source.find("with_act") != std::string::npos);
  CHECK(max_abs_diff(ref[0], run.outputs[0]) == 0);
}
