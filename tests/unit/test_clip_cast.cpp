// Clip (attribute, constant and run-time bounds) and Cast/CastLike against the reference
// evaluator, including the conversions C leaves undefined.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace tinyc;
using namespace tinyc::test;

namespace {
TensorData scalar(DType t, double v) {
  TensorData d(t, {});
  d.set_f64(0, v);
  return d;
}
} // namespace

TEST_CASE("Clip with constant, run-time, missing and attribute bounds") {
  for (DType t : {DType::F32, DType::F64, DType::I8, DType::U8, DType::I32, DType::I64}) {
    GraphBuilder b;
    int x = b.input("x", t, {4, 7});
    int lo_rt = b.input("lo", t, {});
    int lo = b.constant("c_lo", scalar(t, 10)), hi = b.constant("c_hi", scalar(t, 50));
    b.output(b.node1("Clip", {x, lo, hi}));
    b.output(b.node1("Clip", {x, lo_rt}));
    b.output(b.node1("Clip", {x, -1, hi}));
    b.output(b.node1("Clip", {x, hi, lo})); // min > max: everything becomes max
    b.output(b.node1("Clip", {x}));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(t, {4, 7}, 0, 100, 81), scalar(t, 33)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    for (size_t k = 0; k < ref.size(); ++k) {
      INFO("output " << k << " " << dtype_name(t));
      CHECK(ref[k].bytes == got[k].bytes);
    }
    for (int64_t i = 0; i < ref[0].size(); ++i) {
      double v = in[0].get_f64(i);
      CHECK(ref[0].get_f64(i) == std::min(std::max(v, 10.0), 50.0));
      CHECK(ref[1].get_f64(i) == std::max(v, 33.0));
      CHECK(ref[3].get_f64(i) == 10.0);
    }
  }
  // Opset 6: bounds are attributes.
  GraphBuilder b(6);
  int x = b.input("x", DType::F32, {9});
  b.output(b.node1("Clip", {x}, {{"min", attr_f(-0.5f)}, {"max", attr_f(0.25f)}}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {9}, -1, 1, 82)};
  auto ref = evaluate(g, in);
  CHECK(ref[0].bytes == compile_and_run(g, in).outputs[0].bytes);
  for (int64_t i = 0; i < 9; ++i) CHECK(ref[0].data<float>()[i] <= 0.25f);
}

TEST_CASE("Clip after Add is fused and matches the standalone Clip") {
  // The second pair has min > max: ONNX then gives max everywhere.
  for (auto [lo_v, hi_v] : {std::pair{-0.5, 1.0}, std::pair{1.0, -0.5}}) {
    GraphBuilder b;
    int x = b.input("a", DType::F32, {3, 5}), y = b.input("b", DType::F32, {5});
    int lo = b.constant("lo", scalar(DType::F32, lo_v)),
        hi = b.constant("hi", scalar(DType::F32, hi_v));
    b.output(b.node1("Clip", {b.node1("Add", {x, y}), lo, hi}));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(DType::F32, {3, 5}, -2, 2, 83),
                                  random_tensor(DType::F32, {5}, -1, 1, 84)};
    auto ref = evaluate(g, in);
    auto run = compile_and_run(g, in);
    INFO("min " << lo_v << " max " << hi_v);
    CHECK(run.source.find("with_act") != std::string::npos);
    CHECK(ref[0].bytes == run.outputs[0].bytes);
    if (lo_v > hi_v) CHECK(ref[0].data<float>()[0] == float(hi_v));
  }
}

TEST_CASE("Cast between all element types, saturating float to int") {
  const std::vector<DType> types = {DType::F32, DType::F64, DType::I8,  DType::U8,
                                    DType::I16, DType::U16, DType::I32, DType::U32,
                                    DType::I64, DType::U64, DType::Bool};
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> fvals = {0.f,  -0.f,  1.5f,  -1.5f,  200.7f, -200.7f, 70000.f, -70000.f,
                                    3e9f, -3e9f, 1e20f, -1e20f, inf,    -inf,    NAN,     0.25f};
  for (DType from : types) {
    GraphBuilder b;
    int x = b.input("x", from, {16});
    for (DType to : types) {
      b.output(b.node1("Cast", {x}, {{"to", attr_i(dtype_to_onnx(to))}}));
    }
    Graph g = b.finish();
    TensorData in(from, {16});
    for (int64_t i = 0; i < 16; ++i) {
      if (dtype_is_float(from))
        in.set_f64(i, fvals[size_t(i)]);
      else
        in.bytes[size_t(i) * dtype_size(from)] = uint8_t(i * 37); // low byte, rest 0
    }
    if (!dtype_is_float(from) && from != DType::Bool)
      std::memset(in.bytes.data() + in.bytes.size() - dtype_size(from), 0xff, dtype_size(from));
    if (from == DType::Bool)
      for (int64_t i = 0; i < 16; ++i) in.data<bool>()[i] = i % 3 == 0;
    auto ref = evaluate(g, {in});
    auto got = compile_and_run(g, {in}).outputs;
    for (size_t k = 0; k < types.size(); ++k) {
      INFO(dtype_name(from) << " -> " << dtype_name(types[k]));
      CHECK(ref[k].dtype == types[k]);
      CHECK(max_abs_diff(ref[k], got[k]) == 0);
      CHECK((ref[k].bytes == got[k].bytes || dtype_is_float(types[k])));
    }
    if (from == DType::F32) {
      const TensorData& i8 = ref[2]; // saturated, NaN -> 0, truncated toward zero
      CHECK(i8.data<int8_t>()[3] == -1);
      CHECK(i8.data<int8_t>()[4] == 127);
      CHECK(i8.data<int8_t>()[5] == -128);
      CHECK(i8.data<int8_t>()[14] == 0);
      CHECK(ref[3].data<uint8_t>()[5] == 0);   // uint8 from negative
      CHECK(ref[10].data<bool>()[14] == true); // NaN is nonzero
      CHECK(ref[10].data<bool>()[1] == false); // -0 is zero
    }
  }
}

TEST_CASE("CastLike takes the target type from its second input; float16 is not supported") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {5}), like = b.input("like", DType::I16, {1});
  b.output(b.node1("CastLike", {x, like}));
  Graph g = b.finish();
  std::vector<TensorData> in = {tensor_f32({5}, {1.9f, -1.9f, 40000.f, -40000.f, NAN}),
                                TensorData(DType::I16, {1})};
  auto ref = evaluate(g, in);
  CHECK(ref[0].dtype == DType::I16);
  CHECK(ref[0].bytes == compile_and_run(g, in).outputs[0].bytes);
  CHECK(ref[0].data<int16_t>()[2] == 32767);

  GraphBuilder h;
  int y = h.input("x", DType::F32, {5});
  h.output(h.node1("Cast", {y}, {{"to", attr_i(10)}})); // FLOAT16
  CHECK_THROWS_WITH(h.finish(), Catch::Contains("not supported"));
}
