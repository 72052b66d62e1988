// Min, Max, Sum, Mean (any number of inputs, broadcast together) and Where against the
// reference evaluator.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tinyc;
using namespace tinyc::test;

TEST_CASE("variadic ops chain over broadcast inputs like the evaluator") {
  const std::vector<Shape> shapes = {{5}, {3, 1}, {2, 1, 5}, {1}};
  for (DType t : {DType::F32, DType::F64, DType::I8, DType::U16, DType::I64}) {
    GraphBuilder b;
    std::vector<int> xs;
    for (size_t k = 0; k < shapes.size(); ++k)
      xs.push_back(b.input("x" + std::to_string(k), t, shapes[k]));
    std::vector<std::string> names;
    for (const char* op : {"Min", "Max", "Sum", "Mean"}) {
      if (std::string(op) == "Mean" && !dtype_is_float(t)) continue;
      for (size_t count : {size_t(1), size_t(2), size_t(4)}) {
        b.output(b.node1(op, std::vector<int>(xs.begin(), xs.begin() + long(count))));
        names.push_back(std::string(op) + " of " + std::to_string(count));
      }
    }
    Graph g = b.finish();
    std::vector<TensorData> in;
    for (size_t k = 0; k < shapes.size(); ++k)
      in.push_back(random_tensor(t, shapes[k], 0, 100, uint32_t(60 + k)));
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    REQUIRE(got.size() == names.size());
    for (size_t k = 0; k < names.size(); ++k) {
      INFO(names[k] << " " << dtype_name(t));
      CHECK(max_abs_diff(ref[k], got[k]) <= 1e-4);
    }
    if (t == DType::F32) {
      // Sum of 4 at [1][2][3]: x0[3] + x1[2] + x2[1][0][3] + x3[0].
      float s = in[0].data<float>()[3] + in[1].data<float>()[2] + in[2].data<float>()[8] +
                in[3].data<float>()[0];
      CHECK(std::fabs(ref[8].data<float>()[1 * 15 + 2 * 5 + 3] - s) < 1e-4);
    }
  }
}

TEST_CASE("Min and Max propagate NaN") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3}), y = b.input("y", DType::F32, {3});
  b.output(b.node1("Min", {x, y}));
  b.output(b.node1("Max", {x, y}));
  Graph g = b.finish();
  std::vector<TensorData> in = {tensor_f32({3}, {NAN, 1, 2}), tensor_f32({3}, {0, NAN, 3})};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  for (int k = 0; k < 2; ++k) {
    CHECK(std::isnan(ref[k].data<float>()[0]));
    CHECK(std::isnan(ref[k].data<float>()[1]));
    CHECK(max_abs_diff(ref[k], got[k]) == 0);
  }
  CHECK(ref[0].data<float>()[2] == 2);
  CHECK(ref[1].data<float>()[2] == 3);
}

TEST_CASE("Where broadcasts condition and both branches") {
  for (DType t : {DType::F32, DType::I64, DType::Bool}) {
    GraphBuilder b;
    int c = b.input("c", DType::Bool, {3, 1, 5}), x = b.input("x", t, {4, 1}),
        y = b.input("y", t, {5});
    b.output(b.node1("Where", {c, x, y}));
    Graph g = b.finish();
    TensorData cond(DType::Bool, {3, 1, 5});
    for (int64_t i = 0; i < cond.size(); ++i) cond.data<bool>()[i] = (i * 5) % 3 != 0;
    std::vector<TensorData> in = {cond, random_tensor(t, {4, 1}, 0, 9, 71),
                                  random_tensor(t, {5}, 0, 9, 72)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(dtype_name(t));
    CHECK(ref[0].shape == Shape{3, 4, 5});
    CHECK(ref[0].bytes == got[0].bytes);
  }
}
