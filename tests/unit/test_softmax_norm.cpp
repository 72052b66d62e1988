// Softmax family and normalization kernels against the reference evaluator on odd shapes,
// including the opset < 13 "coerce to 2-D" semantics.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

std::vector<TensorData> run_both(Graph g, const std::vector<TensorData>& in, double tol) {
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  REQUIRE(ref.size() == got.size());
  for (size_t k = 0; k < ref.size(); ++k) CHECK(max_abs_diff(ref[k], got[k]) <= tol);
  return ref;
}

} // namespace

TEST_CASE("Softmax, LogSoftmax, Hardmax match the evaluator on every axis and opset") {
  for (int opset : {11, 13})
    for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"})
      for (int axis : {0, 1, 2, -1}) {
        GraphBuilder b(opset);
        int x = b.input("x", DType::F32, {3, 4, 5});
        b.output(b.node1(op, {x}, {{"axis", attr_i(axis)}}));
        INFO(op << " opset " << opset << " axis " << axis);
        run_both(b.finish(), {random_tensor(DType::F32, {3, 4, 5}, -5, 5, uint32_t(opset + axis))},
                 1e-6);
      }
}

TEST_CASE("Softmax before opset 13 normalises the whole trailing block") {
  GraphBuilder b(11);
  int x = b.input("x", DType::F32, {2, 3});
  int y = b.node1("Reshape", {x, b.constant("s", tensor_i64({3}, {2, 1, 3}))});
  b.output(b.node1("Softmax", {y}, {{"axis", attr_i(1)}}));
  auto ref = run_both(b.finish(), {tensor_f32({2, 3}, {1, 2, 3, 4, 5, 6})}, 1e-6);
  float s = 0;
  for (int i = 0; i < 3; ++i) s += ref[0].data<float>()[i];
  CHECK(s == Approx(1.0f));
}

TEST_CASE("InstanceNormalization, LayerNormalization, MVN and LRN match the evaluator") {
  {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3, 5, 3});
    int sc = b.constant("s", random_tensor(DType::F32, {3}, 0.5, 2, 1));
    int bi = b.constant("b", random_tensor(DType::F32, {3}, -1, 1, 2));
    b.output(b.node1("InstanceNormalization", {x, sc, bi}, {{"epsilon", attr_f(1e-3f)}}));
    run_both(b.finish(), {random_tensor(DType::F32, {2, 3, 5, 3}, -2, 2, 3)}, 1e-5);
  }
  for (int axis : {0, 1, -1}) {
    GraphBuilder b;
    Shape xs = {3, 4, 5};
    Shape ns(xs.begin() + (axis < 0 ? 3 + axis : axis), xs.end());
    int x = b.input("x", DType::F32, xs);
    int sc = b.constant("s", random_tensor(DType::F32, ns, 0.5, 2, 4));
    int bi = b.constant("b", random_tensor(DType::F32, ns, -1, 1, 5));
    auto outs = b.node("LayerNormalization", {x, sc, bi}, 3, {{"axis", attr_i(axis)}});
    for (int o : outs) b.output(o);
    INFO("LayerNormalization axis " << axis);
    run_both(b.finish(), {random_tensor(DType::F32, xs, -2, 2, 6)}, 1e-5);
  }
  {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3, 4, 5});
    b.output(b.node1("MeanVarianceNormalization", {x}));
    run_both(b.finish(), {random_tensor(DType::F32, {2, 3, 4, 5}, -2, 2, 7)}, 1e-5);
  }
  {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3, 4, 5});
    b.output(b.node1("MeanVarianceNormalization", {x}, {{"axes", attr_ints({1, 3})}}));
    run_both(b.finish(), {random_tensor(DType::F32, {2, 3, 4, 5}, -2, 2, 8)}, 1e-5);
  }
  for (int size : {3, 4}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 5, 3, 3});
    b.output(b.node1("LRN", {x},
                     {{"size", attr_i(size)}, {"alpha", attr_f(0.01f)}, {"bias", attr_f(2.0f)}}));
    run_both(b.finish(), {random_tensor(DType::F32, {2, 5, 3, 3}, -2, 2, 9)}, 1e-6);
  }
}
