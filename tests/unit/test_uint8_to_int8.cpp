// uint8-to-int8: models quantised with uint8 activations (and uint8 weights) reach the int8
// kernels and give exactly what the same model written with int8 tensors gives; the model's
// own uint8 inputs and outputs keep their type.
#include "compiler/compile.h"
#include "compiler/evaluator.h"
#include "passes/passes.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// A quantised constant: the uint8 level q, or with `as_int8` the same level as int8 (q - 128).
TensorData level(DType t, bool as_int8, const TensorData& q) {
  TensorData r(as_int8 ? DType::I8 : t, q.shape);
  for (int64_t i = 0; i < q.size(); ++i) r.set_f64(i, double(q.get_i64(i) - (as_int8 ? 128 : 0)));
  return r;
}

TensorData scalar_u8(uint8_t v) {
  TensorData t(DType::U8, {});
  t.data<uint8_t>()[0] = v;
  return t;
}

// x float -> Q -> DQ -> Conv(DQ(w)) + Relu -> Q -> DQ -> Add(the first DQ) -> Q -> DQ -> y, all
// with uint8 tensors, or with `as_int8` the same model written with int8 ones (levels and zero
// points minus 128). `omit_zero_point`: the first QuantizeLinear has none (uint8, zero point 0).
Graph model(bool as_int8, bool omit_zero_point) {
  GraphBuilder b;
  const int x = b.input("x", DType::F32, {1, 3, 6, 7});
  auto qdq = [&](int v, float scale, uint8_t zp, bool omit = false) {
    const int s = b.constant("s", tensor_f32({}, {scale}));
    std::vector<int> ins = {v, s};
    if (!omit || as_int8) ins.push_back(b.constant("z", level(DType::U8, as_int8, scalar_u8(zp))));
    const int q = b.node1("QuantizeLinear", ins);
    ins[0] = q;
    return b.node1("DequantizeLinear", ins);
  };
  const int xq = qdq(x, 0.02f, 0, omit_zero_point);
  const TensorData w = random_tensor(DType::U8, {3, 3, 3, 3}, 60, 200, 5);
  const int wdq =
      b.node1("DequantizeLinear", {b.constant("w", level(DType::U8, as_int8, w)),
                                   b.constant("ws", tensor_f32({}, {0.01f})),
                                   b.constant("wz", level(DType::U8, as_int8, scalar_u8(128)))});
  const int conv = b.node1(
      "Conv", {xq, wdq}, {{"kernel_shape", attr_ints({3, 3})}, {"pads", attr_ints({1, 1, 1, 1})}});
  const int relu = b.node1("Relu", {conv});
  const int cq = qdq(relu, 0.03f, 3);
  const int sum = b.node1("Add", {cq, xq});
  b.output(qdq(sum, 0.04f, 120));
  return b.finish();
}

} // namespace

TEST_CASE("uint8 activations and weights run on the int8 kernels, as the same int8 model does") {
  for (bool omit : {false, true}) {
    INFO("omitted zero point " << omit);
    const std::vector<TensorData> in = {random_tensor(DType::F32, {1, 3, 6, 7}, -1, 4, 9)};
    Graph u8 = model(false, omit), s8 = model(true, omit);
    // The two models mean the same: their float-reference outputs agree exactly.
    REQUIRE(evaluate(u8, in)[0].bytes == evaluate(s8, in)[0].bytes);
    run_pipeline(s8);
    const auto want = evaluate(s8, in);
    Graph lowered = u8;
    run_pipeline(lowered);
    CHECK(count_ops(lowered, "QConv") == 1);
    CHECK(count_ops(lowered, "QAdd") == 1);
    for (const Node& n : lowered.nodes)
      for (int v : n.inputs)
        if (v >= 0) CHECK(lowered.val(v).dtype != DType::U8);
    CHECK(evaluate(lowered, in)[0].bytes == want[0].bytes);
    CHECK(compile_and_run(u8, in).outputs[0].bytes == want[0].bytes);
  }
}

TEST_CASE("uint8-to-int8 leaves model inputs and outputs, and other readers, as they are") {
  GraphBuilder b;
  const int x = b.input("x", DType::U8, {4});
  const int s = b.constant("s", tensor_f32({}, {0.5f}));
  const int z = b.constant("z", scalar_u8(7));
  const int dq = b.node1("DequantizeLinear", {x, s, z});
  const int q = b.node1("QuantizeLinear", {dq, s, z});
  b.output(q);                                          // a uint8 model output
  const int q2 = b.node1("QuantizeLinear", {dq, s, z}); // read by a Cast too
  b.output(b.node1("DequantizeLinear", {q2, s, z}));
  b.output(b.node1("Cast", {q2}, {{"to", attr_i(1)}}));
  Graph g = b.finish();
  uint8_to_int8(g);
  CHECK(g.val(x).dtype == DType::U8);
  CHECK(g.val(q).dtype == DType::U8);
  CHECK(g.val(q2).dtype == DType::U8);
  CHECK(g.val(z).dtype == DType::U8);
}
