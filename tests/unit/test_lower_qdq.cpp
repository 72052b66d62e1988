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
  CHECK(count_ops(lowered, "MaxPool") == 1);
  CHECK(count_ops(lowered, "QuantizeLinear") == 1);   // the model input
  CHECK(count_ops(lowered, "DequantizeLinear") == 1); // the model output
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
  CHECK(count_ops(g, "MaxPool") == 1);
  CHECK(count_ops(g, "DequantizeLinear") == 2);
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
