// Unary elementwise kernels against the reference evaluator: every op in one graph per element
// type, on an odd shape, with inputs inside and at the edges of each op's domain.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// Largest |ref - got| / max(1, |ref|); NaN must match NaN and infinities must match exactly.
double rel_diff(const TensorData& ref, const TensorData& got) {
  if (ref.shape != got.shape || ref.dtype != got.dtype) return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < ref.size(); ++i) {
    double a = ref.get_f64(i), b = got.get_f64(i);
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) return INFINITY;
      continue;
    }
    if (std::isinf(a) || std::isinf(b)) {
      if (a != b) return INFINITY;
      continue;
    }
    m = std::max(m, std::fabs(a - b) / std::max(1.0, std::fabs(a)));
  }
  return m;
}

struct UnaryCase {
  const char* op;
  int input; // 0: any real, 1: positive (> 1), 2: inside (-1, 1)
  std::map<std::string, Attr> attrs = {};
};

const std::vector<UnaryCase> kFloatCases = {
    {"Abs", 0},
    {"Neg", 0},
    {"Exp", 0},
    {"Log", 1},
    {"Sqrt", 1},
    {"Reciprocal", 0},
    {"Floor", 0},
    {"Ceil", 0},
    {"Round", 0},
    {"Sign", 0},
    {"Erf", 0},
    {"Sigmoid", 0},
    {"Tanh", 0},
    {"Relu", 0},
    {"LeakyRelu", 0},
    {"LeakyRelu", 0, {{"alpha", attr_f(0.3f)}}},
    {"Elu", 0},
    {"Elu", 0, {{"alpha", attr_f(0.7f)}}},
    {"Selu", 0},
    {"Selu", 0, {{"alpha", attr_f(2.0f)}, {"gamma", attr_f(3.0f)}}},
    {"Celu", 0},
    {"Celu", 0, {{"alpha", attr_f(2.5f)}}},
    {"ThresholdedRelu", 0},
    {"ThresholdedRelu", 0, {{"alpha", attr_f(-0.5f)}}},
    {"HardSigmoid", 0},
    {"HardSigmoid", 0, {{"alpha", attr_f(0.4f)}, {"beta", attr_f(0.3f)}}},
    {"HardSwish", 0},
    {"Softplus", 0},
    {"Softsign", 0},
    {"Sin", 0},
    {"Cos", 0},
    {"Tan", 0},
    {"Asin", 2},
    {"Acos", 2},
    {"Atan", 0},
    {"Sinh", 0},
    {"Cosh", 0},
    {"Asinh", 0},
    {"Acosh", 1},
    {"Atanh", 2},
    {"Mish", 0},
    {"Shrink", 0, {{"lambd", attr_f(1.0f)}, {"bias", attr_f(0.5f)}}},
    {"Log", 0}, // NaN for negative inputs, in both
};

void check_float_unary(DType t) {
  const Shape s = {3, 5, 7};
  GraphBuilder b;
  int x[3] = {b.input("x", t, s), b.input("p", t, s), b.input("u", t, s)};
  for (const auto& c : kFloatCases) b.output(b.node1(c.op, {x[c.input]}, c.attrs));
  Graph g = b.finish();
  TensorData any = random_tensor(t, s, -4, 4, 11);
  // Exact halves and integers exercise Round's ties-to-even and Floor/Ceil/Sign at 0.
  for (int i = 0; i < 8; ++i) any.set_f64(i, -2.0 + 0.5 * i);
  std::vector<TensorData> in = {any, random_tensor(t, s, 1.01, 9, 12),
                                random_tensor(t, s, -0.99, 0.99, 13)};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  REQUIRE(got.size() == kFloatCases.size());
  for (size_t k = 0; k < kFloatCases.size(); ++k) {
    INFO(kFloatCases[k].op << " output " << k << " " << dtype_name(t));
    CHECK(rel_diff(ref[k], got[k]) <= 1e-6);
  }
  // Spot checks of the reference itself, so a shared mistake cannot pass unnoticed.
  if (t == DType::F32) {
    CHECK(ref[8].data<float>()[1] == -2.0f); // Round(-1.5) = -2 (ties to even)
    CHECK(ref[8].data<float>()[3] == 0.0f);  // Round(-0.5) = -0
    CHECK(ref[8].data<float>()[5] == 0.0f);  // Round(0.5) = 0
    CHECK(ref[8].data<float>()[7] == 2.0f);  // Round(1.5) = 2
  }
}

} // namespace

TEST_CASE("float unary ops match the evaluator (float32)") {
  check_float_unary(DType::F32);
}
TEST_CASE("float unary ops match the evaluator (float64)") {
  check_float_unary(DType::F64);
}

TEST_CASE("integer unary ops match the evaluator and wrap at the type's minimum") {
  for (DType t : {DType::I8, DType::I16, DType::I32, DType::I64, DType::U8, DType::U16, DType::U32,
                  DType::U64}) {
    const bool is_signed = dtype_is_signed_int(t);
    std::vector<const char*> ops = {"Abs", "Sign", "BitwiseNot"};
    if (is_signed) ops.insert(ops.end(), {"Neg", "Relu"});
    const Shape s = {4, 9};
    GraphBuilder b;
    int x = b.input("x", t, s);
    for (const char* op : ops) b.output(b.node1(op, {x}));
    Graph g = b.finish();
    TensorData in = random_tensor(t, s, is_signed ? -100 : 0, 100, 21);
    if (is_signed) {
      // The most negative value: Abs and Neg must wrap to it, not overflow.
      const int64_t min = t == DType::I8    ? -128
                          : t == DType::I16 ? -32768
                          : t == DType::I32 ? std::numeric_limits<int32_t>::min()
                                            : std::numeric_limits<int64_t>::min();
      std::memcpy(in.bytes.data(), &min, dtype_size(t)); // little endian
    }
    auto ref = evaluate(g, {in});
    auto got = compile_and_run(g, {in}).outputs;
    for (size_t k = 0; k < ops.size(); ++k) {
      INFO(ops[k] << " " << dtype_name(t));
      CHECK(ref[k].bytes == got[k].bytes);
    }
    if (t == DType::I8) {
      CHECK(ref[0].data<int8_t>()[0] == -128); // Abs(-128) wraps
      CHECK(ref[1].data<int8_t>()[0] == -1);   // Sign
    }
  }
}

TEST_CASE("Not, IsNaN and IsInf produce bools") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  GraphBuilder b;
  int x = b.input("x", DType::F32, {7});
  int c = b.input("c", DType::Bool, {3});
  b.output(b.node1("IsNaN", {x}));
  b.output(b.node1("IsInf", {x}));
  b.output(b.node1("IsInf", {x}, {{"detect_negative", attr_i(0)}}));
  b.output(b.node1("IsInf", {x}, {{"detect_positive", attr_i(0)}}));
  b.output(b.node1("Not", {c}));
  Graph g = b.finish();
  TensorData cb(DType::Bool, {3});
  cb.data<bool>()[1] = true;
  std::vector<TensorData> in = {tensor_f32({7}, {1, -inf, inf, nan, 0, -2, 3e38f}), cb};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  for (size_t k = 0; k < ref.size(); ++k) CHECK(ref[k].bytes == got[k].bytes);
  auto bits = [](const TensorData& t) {
    std::string s;
    for (int64_t i = 0; i < t.size(); ++i) s += t.data<bool>()[i] ? '1' : '0';
    return s;
  };
  CHECK(bits(ref[0]) == "0001000");
  CHECK(bits(ref[1]) == "0110000");
  CHECK(bits(ref[2]) == "0010000");
  CHECK(bits(ref[3]) == "0100000");
  CHECK(bits(ref[4]) == "101");
}

TEST_CASE("unary ops reject element types ONNX does not define them for") {
  for (auto [op, t] : {std::pair{"Exp", DType::I32}, std::pair{"Neg", DType::U8},
                       std::pair{"Not", DType::F32}, std::pair{"BitwiseNot", DType::F32}}) {
    GraphBuilder b;
    int x = b.input("x", t, {3});
    b.output(b.node1(op, {x}));
    INFO(op);
    CHECK_THROWS(b.finish());
  }
}
