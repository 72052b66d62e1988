// lower-qdq: the pattern driver and the data-movement rule. Op-specific int8 rules are tested
// beside their kernels.
#include "compiler/compile.h"
#include "compiler/evaluator.h"
#include "compiler/quant.h"
#include "passes/passes.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tinyc;
using namespace tinyc::test;

namespace {

TensorData scalar_f32(float v) {
  return tensor_f32({}, {v});
}

TensorData scalar_i8(int8_t v) {
  TensorData t(DType::I8, {});
  t.data<int8_t>()[0] = v;
  return t;
}

// x -> Q -> DQ, the way a QDQ model enters quantised territory.
int qdq(GraphBuilder& b, int x, float scale, int8_t zp, const std::string& name) {
  int s = b.constant(name + "_s", scalar_f32(scale));
  int z = b.constant(name + "_z", scalar_i8(zp));
  int q = b.node1("QuantizeLinear", {x, s, z});
  return b.node1("DequantizeLinear", {q, s, z});
}

int count(const Graph& g, const std::string& op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op_type == op;
  return k;
}

Graph maxpool_graph(float out_scale) {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 7, 5});
  int p = b.node1("MaxPool", {qdq(b, x, 0.05f, 3, "in")},
                  {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 1})}});
  b.output(qdq(b, p, out_scale, 3, "out"));
  return b.finish();
}

} // namespace

TEST_CASE("lower-qdq runs MaxPool on int8 when input and output share their quantisation") {
  Graph g = maxpool_graph(0.05f);
  Graph lowered = g;
  run_pipeline(lowered);
  CHECK(count(lowered, "MaxPool") == 1);
  CHECK(count(lowered, "QuantizeLinear") == 1);   // the model input
  CHECK(count(lowered, "DequantizeLinear") == 1); // the model output
  for (const Node& n : lowered.nodes)
    if (n.op_type == "MaxPool") {
      const Value& y = lowered.val(n.output(0));
      CHECK(y.dtype == DType::I8);
      REQUIRE(y.quant);
      CHECK(y.quant->scale == 0.05f);
      CHECK(y.quant->zero_point == 3);
    }
  TensorData x = random_tensor(DType::F32, {1, 3, 7, 5}, -6, 6, 11);
  auto want = evaluate(g, {x});
  CHECK(max_abs_diff(evaluate(lowered, {x})[0], want[0]) == 0);
  CHECK(max_abs_diff(compile_and_run(lowered, {x}, false).outputs[0], want[0]) == 0);
}

TEST_CASE("lower-qdq leaves an op in float when the quantisation changes across it") {
  Graph g = maxpool_graph(0.1f);
  run_pipeline(g);
  CHECK(count(g, "MaxPool") == 1);
  CHECK(count(g, "DequantizeLinear") == 2);
  for (const Node& n : g.nodes)
    if (n.op_type == "MaxPool") CHECK(g.val(n.output(0)).dtype == DType::F32);
}

TEST_CASE("exact multipliers represent float32 scales exactly") {
  for (float s : {1.0f, 0.5f, 0.0039215689f, 3.0e-7f, 1234.5f}) {
    auto m = exact_multiplier(s);
    REQUIRE(m);
    CHECK(std::ldexp(double(m->mult), -m->shift) == double(s));
  }
  CHECK_FALSE(exact_multiplier(0.0f));
  CHECK_FALSE(exact_multiplier(-1.0f));
  CHECK_FALSE(exact_multiplier(1e30f));
}
