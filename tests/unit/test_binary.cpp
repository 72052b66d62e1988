// Binary elementwise kernels against the reference evaluator: every op for every element type
// in one graph per type, with broadcasting on odd shapes, zeros in divisors and the extreme
// values where C integer arithmetic would overflow.
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

bool same_values(const TensorData& ref, const TensorData& got) {
  if (ref.dtype != got.dtype || ref.shape != got.shape) return false;
  if (!dtype_is_float(ref.dtype)) return ref.bytes == got.bytes;
  for (int64_t i = 0; i < ref.size(); ++i) {
    double a = ref.get_f64(i), b = got.get_f64(i);
    if (std::isnan(a) && std::isnan(b)) continue;
    if (a != b && std::fabs(a - b) > 1e-6 * std::max(1.0, std::fabs(a))) return false;
  }
  return true;
}

// Writes the type's most negative (or largest unsigned) value into element i.
void set_extreme(TensorData& t, int64_t i) {
  const size_t sz = dtype_size(t.dtype);
  uint64_t v = dtype_is_signed_int(t.dtype) ? uint64_t(1) << (8 * sz - 1) : ~uint64_t(0);
  std::memcpy(t.bytes.data() + size_t(i) * sz, &v, sz); // little endian
}

} // namespace

TEST_CASE("binary ops match the evaluator for every element type, with broadcasting") {
  const Shape sa = {3, 1, 5}, sb = {4, 1};
  for (DType t : {DType::F32, DType::F64, DType::I8, DType::U8, DType::I16, DType::U16, DType::I32,
                  DType::U32, DType::I64, DType::U64}) {
    const bool fp = dtype_is_float(t), is_signed = fp || dtype_is_signed_int(t);
    GraphBuilder b;
    int x = b.input("a", t, sa), y = b.input("b", t, sb);
    std::vector<std::string> names;
    auto add = [&](const char* op, std::map<std::string, Attr> attrs = {}) {
      b.output(b.node1(op, {x, y}, attrs));
      names.push_back(op);
    };
    for (const char* op :
         {"Add", "Sub", "Mul", "Div", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
      add(op);
    add("Mod", {{"fmod", attr_i(1)}});
    if (!fp) {
      add("Mod");
      for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) add(op);
    }
    if (!is_signed) {
      add("BitShift", {{"direction", attr_s("LEFT")}});
      add("BitShift", {{"direction", attr_s("RIGHT")}});
    }
    Graph g = b.finish();
    TensorData a = random_tensor(t, sa, is_signed ? -60 : 0, 120, 31);
    TensorData c = random_tensor(t, sb, is_signed ? -4 : 0, 4, 32);
    if (!fp) {
      set_extreme(a, 0); // MIN / -1 and MIN * x must wrap
      c.set_f64(0, is_signed ? -1 : 9);
      c.set_f64(1, 0);                                         // x / 0, x % 0
      if (!is_signed) c.set_f64(2, double(8 * dtype_size(t))); // shift by the full width
    }
    std::vector<TensorData> in = {a, c};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    REQUIRE(got.size() == names.size());
    for (size_t k = 0; k < names.size(); ++k) {
      INFO(names[k] << " output " << k << " " << dtype_name(t));
      CHECK(same_values(ref[k], got[k]));
    }
  }
}

TEST_CASE("Mod follows the divisor's sign unless fmod=1; integer x / 0 and x % 0 are 0") {
  GraphBuilder b;
  int x = b.input("a", DType::I32, {6}), y = b.input("b", DType::I32, {6});
  b.output(b.node1("Mod", {x, y}));
  b.output(b.node1("Mod", {x, y}, {{"fmod", attr_i(1)}}));
  b.output(b.node1("Div", {x, y}));
  Graph g = b.finish();
  TensorData a(DType::I32, {6}), c(DType::I32, {6});
  const int32_t av[6] = {-7, 7, -7, 7, 5, std::numeric_limits<int32_t>::min()};
  const int32_t cv[6] = {3, -3, -3, 3, 0, -1};
  std::memcpy(a.bytes.data(), av, sizeof av);
  std::memcpy(c.bytes.data(), cv, sizeof cv);
  auto ref = evaluate(g, {a, c});
  auto got = compile_and_run(g, {a, c}).outputs;
  for (size_t k = 0; k < 3; ++k) CHECK(ref[k].bytes == got[k].bytes);
  const int32_t mod[6] = {2, -2, -1, 1, 0, 0}, fmod[6] = {-1, 1, -1, 1, 0, 0};
  const int32_t div[6] = {-2, -2, 2, 2, 0, std::numeric_limits<int32_t>::min()};
  for (int i = 0; i < 6; ++i) {
    INFO(av[i] << " and " << cv[i]);
    CHECK(ref[0].data<int32_t>()[i] == mod[i]);
    CHECK(ref[1].data<int32_t>()[i] == fmod[i]);
    CHECK(ref[2].data<int32_t>()[i] == div[i]);
  }
}

TEST_CASE("Pow with mixed base and exponent types") {
  const std::vector<std::pair<DType, DType>> cases = {
      {DType::F32, DType::F32}, {DType::F32, DType::I32}, {DType::F32, DType::I64},
      {DType::F32, DType::U64}, {DType::F64, DType::F64}, {DType::I32, DType::I32},
      {DType::I64, DType::I64}, {DType::I32, DType::F32}, {DType::I64, DType::F32}};
  for (auto [tb, te] : cases) {
    GraphBuilder b;
    int x = b.input("a", tb, {2, 7}), y = b.input("b", te, {7});
    b.output(b.node1("Pow", {x, y}));
    Graph g = b.finish();
    const bool int_exp = !dtype_is_float(te);
    std::vector<TensorData> in = {
        random_tensor(tb, {2, 7}, dtype_is_float(tb) ? 0.1 : -5, 5, 41),
        random_tensor(te, {7}, dtype_is_signed_int(te) || !int_exp ? -3 : 0, 4, 42)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(dtype_name(tb) << " ^ " << dtype_name(te));
    CHECK(same_values(ref[0], got[0]));
  }
}

TEST_CASE("logical ops and Equal on bools broadcast") {
  GraphBuilder b;
  int x = b.input("a", DType::Bool, {2, 3, 4}), y = b.input("b", DType::Bool, {3, 1});
  for (const char* op : {"And", "Or", "Xor", "Equal"}) b.output(b.node1(op, {x, y}));
  Graph g = b.finish();
  TensorData a(DType::Bool, {2, 3, 4}), c(DType::Bool, {3, 1});
  for (int64_t i = 0; i < a.size(); ++i) a.data<bool>()[i] = (i * 7) % 3 == 0;
  c.data<bool>()[1] = true;
  auto ref = evaluate(g, {a, c});
  auto got = compile_and_run(g, {a, c}).outputs;
  for (size_t k = 0; k < 4; ++k) CHECK(ref[k].bytes == got[k].bytes);
  CHECK(ref[0].data<bool>()[4] == a.data<bool>()[4]); // And with true
  CHECK(ref[1].data<bool>()[0] == a.data<bool>()[0]); // Or with false
}

TEST_CASE("PRelu broadcasts the slope to X, also per channel before opset 7") {
  for (int opset : {6, 17}) {
    const Shape slope_shape = opset < 7 ? Shape{3} : Shape{3, 1, 1};
    GraphBuilder b(opset);
    int x = b.input("x", DType::F32, {2, 3, 4, 5}), s = b.input("s", DType::F32, slope_shape);
    b.output(b.node1("PRelu", {x, s}));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3, 4, 5}, -2, 2, 51),
                                  tensor_f32(slope_shape, {0.5f, -1.0f, 2.0f})};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    CHECK(same_values(ref[0], got[0]));
    // Element [0][1][0][0] uses the slope of channel 1.
    float xv = in[0].data<float>()[20];
    CHECK(ref[0].data<float>()[20] == (xv < 0 ? -xv : xv));
  }
}

TEST_CASE("binary ops reject mismatched element types") {
  GraphBuilder b;
  int x = b.input("a", DType::F32, {3}), y = b.input("b", DType::I32, {3});
  b.output(b.node1("Add", {x, y}));
  CHECK_THROWS(b.finish());
}

TEST_CASE("opset 6 broadcast=1 with axis aligns B at that axis of A") {
  GraphBuilder b(6);
  int x = b.input("a", DType::F32, {2, 3, 4, 5}), y = b.input("b", DType::F32, {3, 4});
  b.output(b.node1("Add", {x, y}, {{"broadcast", attr_i(1)}, {"axis", attr_i(1)}}));
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3, 4, 5}, -2, 2, 91),
                                random_tensor(DType::F32, {3, 4}, -1, 1, 92)};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  REQUIRE(ref[0].shape == Shape{2, 3, 4, 5});
  CHECK(ref[0].bytes == got[0].bytes);
  // Element [1][2][3][4] = a[1][2][3][4] + b[2][3].
  const int64_t i = ((1 * 3 + 2) * 4 + 3) * 5 + 4;
  CHECK(ref[0].data<float>()[i] == in[0].data<float>()[i] + in[1].data<float>()[2 * 4 + 3]);
}
