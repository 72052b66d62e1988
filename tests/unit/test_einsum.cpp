// Einsum kernel against the reference evaluator, and the evaluator against MatMul.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

TEST_CASE("Einsum matches the evaluator on common equations") {
  struct Case {
    const char* eq;
    std::vector<Shape> shapes;
    Shape expect;
  };
  const std::vector<Case> cases = {
      {"ij,jk->ik", {{3, 5}, {5, 4}}, {3, 4}},
      {"ij,jk", {{3, 5}, {5, 4}}, {3, 4}},
      {"bij,bjk->bik", {{2, 3, 5}, {2, 5, 4}}, {2, 3, 4}},
      {"ii->i", {{5, 5}}, {5}},
      {"...ij->...ji", {{2, 3, 5}}, {2, 5, 3}},
      {"i,i", {{7}, {7}}, {}},
      {"ij->", {{3, 5}}, {}},
      {"bii->bi", {{3, 4, 4}}, {3, 4}},
      {"i,j->ij", {{3}, {4}}, {3, 4}},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    GraphBuilder b;
    std::vector<int> ins;
    std::vector<TensorData> in;
    for (size_t k = 0; k < c.shapes.size(); ++k) {
      ins.push_back(b.input("x" + std::to_string(k), DType::F32, c.shapes[k]));
      in.push_back(random_tensor(DType::F32, c.shapes[k], -2, 2, seed++));
    }
    b.output(b.node1("Einsum", ins, {{"equation", attr_s(c.eq)}}));
    Graph g = b.finish();
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(c.eq);
    CHECK(ref[0].shape == c.expect);
    REQUIRE(ref[0].shape == got[0].shape);
    CHECK(max_abs_diff(ref[0], got[0]) <= 1e-5);
  }
}

TEST_CASE("Einsum bij,bjk->bik evaluates like MatMul") {
  std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3, 5}, -2, 2, 1),
                                random_tensor(DType::F32, {2, 5, 4}, -2, 2, 2)};
  GraphBuilder b1, b2;
  {
    int x = b1.input("a", DType::F32, {2, 3, 5}), y = b1.input("b", DType::F32, {2, 5, 4});
    b1.output(b1.node1("Einsum", {x, y}, {{"equation", attr_s("bij,bjk->bik")}}));
  }
  {
    int x = b2.input("a", DType::F32, {2, 3, 5}), y = b2.input("b", DType::F32, {2, 5, 4});
    b2.output(b2.node1("MatMul", {x, y}));
  }
  CHECK(max_abs_diff(evaluate(b1.finish(), in)[0], evaluate(b2.finish(), in)[0]) <= 1e-5);
}
