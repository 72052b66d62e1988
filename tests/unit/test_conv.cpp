// Conv kernels (general, depthwise, 1x1, 1-D, 3-D) against the reference evaluator on odd
// shapes, and BatchNormalization folded into Conv/Gemm against the unfused graph.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

struct ConvCase {
  const char* what;
  Shape x, w;
  bool bias;
  std::map<std::string, Attr> attrs;
  const char* act; // activation node after the Conv, or nullptr
};

// Conv(+act) built from the case, evaluated and compiled; returns the generated source.
std::string check_conv(const ConvCase& c, uint32_t seed) {
  GraphBuilder b;
  int x = b.input("x", DType::F32, c.x);
  int w = b.constant("w", random_tensor(DType::F32, c.w, -1, 1, seed));
  std::vector<int> ins = {x, w};
  if (c.bias) ins.push_back(b.constant("b", random_tensor(DType::F32, {c.w[0]}, -1, 1, seed + 1)));
  int y = b.node1("Conv", ins, c.attrs);
  if (c.act) y = b.node1(c.act, {y});
  b.output(y);
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, c.x, -2, 2, seed + 2)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  INFO(c.what);
  REQUIRE(ref[0].shape == run.outputs[0].shape);
  CHECK(max_abs_diff(ref[0], run.outputs[0]) <= 1e-5);
  return run.source;
}

} // namespace

TEST_CASE("Conv matches the evaluator on odd shapes") {
  const std::vector<ConvCase> cases = {
      {"2-D stride 2 pad 1 bias",
       {2, 3, 5, 7},
       {4, 3, 3, 3},
       true,
       {{"strides", attr_ints({2, 2})}, {"pads", attr_ints({1, 1, 1, 1})}},
       nullptr},
      {"groups, dilation, asymmetric pads",
       {1, 4, 6, 5},
       {6, 2, 3, 2},
       false,
       {{"group", attr_i(2)}, {"dilations", attr_ints({2, 1})}, {"pads", attr_ints({1, 0, 0, 1})}},
       nullptr},
      {"depthwise with Relu",
       {1, 3, 7, 5},
       {3, 1, 3, 3},
       true,
       {{"group", attr_i(3)}, {"pads", attr_ints({1, 1, 1, 1})}},
       "Relu"},
      {"depthwise multiplier 2, stride 2",
       {1, 3, 7, 6},
       {6, 1, 3, 3},
       true,
       {{"group", attr_i(3)}, {"strides", attr_ints({2, 2})}, {"auto_pad", attr_s("SAME_UPPER")}},
       nullptr},
      {"SAME_LOWER stride 2",
       {1, 2, 6, 5},
       {3, 2, 2, 3},
       true,
       {{"strides", attr_ints({2, 2})}, {"auto_pad", attr_s("SAME_LOWER")}},
       nullptr},
      {"VALID, kernel_shape given",
       {1, 2, 5, 7},
       {2, 2, 3, 2},
       false,
       {{"auto_pad", attr_s("VALID")}, {"kernel_shape", attr_ints({3, 2})}},
       "Relu"},
      {"1-D stride 3 SAME_LOWER",
       {1, 2, 11},
       {3, 2, 4},
       true,
       {{"strides", attr_ints({3})}, {"auto_pad", attr_s("SAME_LOWER")}},
       nullptr},
      {"3-D pads",
       {1, 2, 4, 5, 3},
       {2, 2, 2, 3, 2},
       true,
       {{"pads", attr_ints({1, 0, 1, 0, 1, 1})}},
       nullptr},
      {"1x1 two channels", {1, 3, 5, 3}, {2, 3, 1, 1}, false, {}, nullptr},
      {"large pad, kernel mostly outside",
       {1, 1, 3, 3},
       {2, 1, 3, 3},
       true,
       {{"pads", attr_ints({2, 2, 2, 2})}, {"dilations", attr_ints({2, 2})}},
       nullptr},
  };
  uint32_t seed = 10;
  for (const auto& c : cases) check_conv(c, seed += 10);
}

TEST_CASE("1x1 Conv takes the pointwise kernel and applies the fused activation") {
  ConvCase c{"1x1 with Relu", {2, 5, 4, 3}, {7, 5, 1, 1}, true, {}, "Relu"};
  std::string src = check_conv(c, 3);
  CHECK(src.find("conv1x1_float") != std::string::npos);
  CHECK(src.find("act = 1") != std::string::npos);
}

TEST_CASE("bad Conv attributes are rejected with a message") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 4, 5, 5});
  int w = b.constant("w", random_tensor(DType::F32, {2, 3, 3, 3}, -1, 1, 1));
  b.output(b.node1("Conv", {x, w}, {{"group", attr_i(2)}}));
  CHECK_THROWS(b.finish());
}

TEST_CASE("Conv + BatchNormalization folded equals the unfused evaluation") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 5});
  int w = b.constant("w", random_tensor(DType::F32, {4, 3, 3, 3}, -1, 1, 7));
  int bias = b.constant("b", random_tensor(DType::F32, {4}, -1, 1, 8));
  int y = b.node1("Conv", {x, w, bias}, {{"pads", attr_ints({1, 1, 1, 1})}});
  int sc = b.constant("scale", random_tensor(DType::F32, {4}, 0.5, 2, 9));
  int sh = b.constant("shift", random_tensor(DType::F32, {4}, -1, 1, 10));
  int mean = b.constant("mean", random_tensor(DType::F32, {4}, -1, 1, 11));
  int var = b.constant("var", random_tensor(DType::F32, {4}, 0.1, 2, 12));
  int z = b.node1("BatchNormalization", {y, sc, sh, mean, var}, {{"epsilon", attr_f(1e-3f)}});
  b.output(b.node1("Relu", {z}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {1, 3, 6, 5}, -2, 2, 13)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  CHECK(run.source.find("batchnorm_float") == std::string::npos);
  CHECK(max_abs_diff(ref[0], run.outputs[0]) <= 1e-4);
}

TEST_CASE("Gemm + BatchNormalization folded equals the unfused evaluation") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3, 5});
  int w = b.constant("w", random_tensor(DType::F32, {4, 5}, -1, 1, 17));
  int bias = b.constant("b", random_tensor(DType::F32, {4}, -1, 1, 18));
  int y = b.node1("Gemm", {x, w, bias},
                  {{"transB", attr_i(1)}, {"alpha", attr_f(0.5f)}, {"beta", attr_f(2.0f)}});
  int sc = b.constant("scale", random_tensor(DType::F32, {4}, 0.5, 2, 19));
  int sh = b.constant("shift", random_tensor(DType::F32, {4}, -1, 1, 20));
  int mean = b.constant("mean", random_tensor(DType::F32, {4}, -1, 1, 21));
  int var = b.constant("var", random_tensor(DType::F32, {4}, 0.1, 2, 22));
  b.output(b.node1("BatchNormalization", {y, sc, sh, mean, var}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {3, 5}, -2, 2, 23)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  CHECK(run.source.find("batchnorm_float") == std::string::npos);
  CHECK(max_abs_diff(ref[0], run.outputs[0]) <= 1e-4);
}

TEST_CASE("standalone BatchNormalization matches the evaluator") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3, 5});
  std::vector<int> ins = {x};
  for (int k = 0; k < 4; ++k) ins.push_back(b.input("p" + std::to_string(k), DType::F32, {3}));
  b.output(b.node1("BatchNormalization", ins));
  Graph g = b.finish();
  std::vector<TensorData> in = {
      random_tensor(DType::F32, {2, 3, 5}, -2, 2, 1), random_tensor(DType::F32, {3}, 0.5, 2, 2),
      random_tensor(DType::F32, {3}, -1, 1, 3), random_tensor(DType::F32, {3}, -1, 1, 4),
      random_tensor(DType::F32, {3}, 0.1, 2, 5)};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  CHECK(max_abs_diff(ref[0], got[0]) <= 1e-6);
}

TEST_CASE("depthwise Conv without bias + BatchNormalization folds and matches") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 5, 7});
  int w = b.constant("w", random_tensor(DType::F32, {3, 1, 3, 3}, -1, 1, 31));
  int y = b.node1(
      "Conv", {x, w},
      {{"group", attr_i(3)}, {"strides", attr_ints({2, 2})}, {"pads", attr_ints({1, 1, 1, 1})}});
  int sc = b.constant("scale", random_tensor(DType::F32, {3}, 0.5, 2, 32));
  int sh = b.constant("shift", random_tensor(DType::F32, {3}, -1, 1, 33));
  int mean = b.constant("mean", random_tensor(DType::F32, {3}, -1, 1, 34));
  int var = b.constant("var", random_tensor(DType::F32, {3}, 0.1, 2, 35));
  b.output(b.node1("BatchNormalization", {y, sc, sh, mean, var}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {1, 3, 5, 7}, -2, 2, 36)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  CHECK(run.source.find("batchnorm_float") == std::string::npos);
  CHECK(max_abs_diff(ref[0], run.outputs[0]) <= 1e-4);
}
