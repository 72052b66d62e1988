// Quantised models at the edges of the pipeline: QOperator ops expanded into QDQ form,
// ConvInteger / MatMulInteger / DynamicQuantizeLinear, Quantize/DequantizeLinear with scales
// computed at run time, --io int8 and the float-fallback report.
#include "compiler/compile.h"
#include "compiler/diagnostics.h"
#include "compiler/evaluator.h"
#include "compiler/report.h"
#include "passes/passes.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tinyc;
using namespace tinyc::test;

namespace {

TensorData scalar_of(DType t, int64_t v) {
  TensorData d(t, {});
  d.set_f64(0, double(v));
  return d;
}

TensorData ints(DType t, Shape s, std::vector<int64_t> v) {
  TensorData d(t, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) d.set_f64(int64_t(i), double(v[i]));
  return d;
}

int count_prefix(const Graph& g, const std::string& prefix) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op_type.rfind(prefix, 0) == 0;
  return k;
}

// The largest difference in quantisation levels between two integer tensors.
int64_t max_level_diff(const TensorData& a, const TensorData& b) {
  REQUIRE(a.shape == b.shape);
  int64_t d = 0;
  for (int64_t i = 0; i < a.size(); ++i)
    d = std::max<int64_t>(d, std::llabs(a.get_i64(i) - b.get_i64(i)));
  return d;
}

// x (float) -> QuantizeLinear -> a chain of com.microsoft QLinear ops -> DequantizeLinear.
Graph qoperator_chain() {
  GraphBuilder b(13);
  auto c = [&](const std::string& name, TensorData t) { return b.constant(name, std::move(t)); };
  int x = b.input("x", DType::F32, {1, 3, 7, 6});
  int xs = c("xs", scalar_f32(0.05f)), xz = c("xz", scalar_of(DType::I8, 3));
  int xq = b.node1("QuantizeLinear", {x, xs, xz});
  TensorData w = random_tensor(DType::I8, {4, 3, 3, 3}, -127, 127, 5);
  TensorData ws = tensor_f32({4}, {0.004f, 0.007f, 0.002f, 0.005f});
  int ys = c("ys", scalar_f32(0.1f)), yz = c("yz", scalar_of(DType::I8, -5));
  int conv = b.node1("QLinearConv",
                     {xq, xs, xz, c("w", w), c("ws", ws), c("wz", TensorData(DType::I8, {4})), ys,
                      yz, c("b", random_tensor(DType::I32, {4}, -400, 400, 6))},
                     {{"pads", attr_ints({1, 0, 1, 1})}, {"strides", attr_ints({1, 2})}});
  int ls = c("ls", scalar_f32(0.08f)), lz = c("lz", scalar_of(DType::I8, -20));
  int leaky = b.node1("QLinearLeakyRelu", {conv, ys, yz, ls, lz}, {{"alpha", attr_f(0.1f)}});
  int as = c("as", scalar_f32(0.15f)), az = c("az", scalar_of(DType::I8, 2));
  int add = b.node1("QLinearAdd", {leaky, ls, lz, conv, ys, yz, as, az});
  int ms = c("ms", scalar_f32(0.2f));
  int mul = b.node1("QLinearMul", {add, as, az, leaky, ls, lz, ms}); // output zero point 0
  int ps = c("ps", scalar_f32(0.1f)), pz = c("pz", scalar_of(DType::I8, 0));
  int pool = b.node1("QLinearAveragePool", {mul, ms, -1, ps, pz},
                     {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 1})}});
  int ss = c("ss", scalar_f32(1.0f / 256)), sz = c("sz", scalar_of(DType::I8, -128));
  int sig = b.node1("QLinearSigmoid", {pool, ps, pz, ss, sz});
  int gs = c("gs", scalar_f32(1.0f / 256)), gz = c("gz", scalar_of(DType::I8, -128));
  int gap = b.node1("QLinearGlobalAveragePool", {sig, ss, sz, gs, gz});
  for (Node& n : b.graph().nodes)
    if (n.op_type.rfind("QLinear", 0) == 0) n.domain = "com.microsoft";
  b.output(b.node1("DequantizeLinear", {gap, gs, gz}));
  b.output(b.node1("DequantizeLinear", {add, as, az}));
  return b.finish();
}

} // namespace

TEST_CASE("expand-qoperators rewrites the com.microsoft QLinear ops into QDQ form") {
  Graph g = qoperator_chain();
  Graph expanded = g;
  run_pipeline(expanded);
  CHECK(count_prefix(expanded, "QLinear") == 0);
  CHECK(count_prefix(g, "QLinear") == 7);
  TensorData x = random_tensor(DType::F32, {1, 3, 7, 6}, -6, 6, 12);
  // The ops' own evaluator (the expansion run on a scratch graph) against the rewritten graph
  // and the generated code. Float kernels may round a value sitting on a quantisation boundary
  // to the neighbouring level: at most one output step apart.
  auto want = evaluate(g, {x});
  auto got = evaluate(expanded, {x});
  auto ran = compile_and_run(expanded, {x}, false).outputs;
  for (size_t k = 0; k < want.size(); ++k) {
    CHECK(max_abs_diff(got[k], want[k]) == 0);
    CHECK(max_abs_diff(ran[k], want[k]) <= (k == 0 ? 1.0 / 256 : 0.15) + 1e-6);
  }
}

TEST_CASE("QLinearMatMul with per-row and per-column scales matches a direct computation") {
  GraphBuilder b(10);
  int a = b.input("a", DType::U8, {3, 5});
  TensorData bw = random_tensor(DType::U8, {5, 4}, 0, 255, 3);
  TensorData as = tensor_f32({3}, {0.02f, 0.03f, 0.01f});
  TensorData az = ints(DType::U8, {3}, {120, 128, 130});
  TensorData bs = tensor_f32({4}, {0.01f, 0.015f, 0.02f, 0.005f});
  TensorData bz = ints(DType::U8, {4}, {127, 129, 128, 100});
  const float ys = 0.05f;
  const int yz = 125;
  int y = b.node1("QLinearMatMul",
                  {a, b.constant("as", as), b.constant("az", az), b.constant("b", bw),
                   b.constant("bs", bs), b.constant("bz", bz), b.constant("ys", scalar_f32(ys)),
                   b.constant("yz", scalar_of(DType::U8, yz))});
  b.output(y);
  Graph g = b.finish();
  TensorData x = random_tensor(DType::U8, {3, 5}, 0, 255, 4);
  TensorData want(DType::U8, {3, 4});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      double acc = 0;
      for (int k = 0; k < 5; ++k)
        acc += (x.get_i64(i * 5 + k) - az.get_i64(i)) * double(as.get_f64(i)) *
               (bw.get_i64(k * 4 + j) - bz.get_i64(j)) * double(bs.get_f64(j));
      want.set_f64(i * 4 + j, std::clamp(std::nearbyint(acc / ys) + yz, 0.0, 255.0));
    }
  CHECK(max_level_diff(evaluate(g, {x})[0], want) <= 1);
  CHECK(max_level_diff(compile_and_run(g, {x}).outputs[0], want) <= 1);
}

TEST_CASE("ConvInteger kernel equals the evaluator exactly") {
  for (DType tx : {DType::U8, DType::I8}) {
    GraphBuilder b(10);
    int x = b.input("x", tx, {2, 4, 6, 5});
    int w = b.input("w", DType::I8, {6, 2, 3, 2});
    int xz = b.constant("xz", scalar_of(tx, tx == DType::U8 ? 131 : -7));
    int wz = b.constant("wz", ints(DType::I8, {6}, {0, 1, -2, 3, 0, -1}));
    b.output(b.node1("ConvInteger", {x, w, xz, wz},
                     {{"group", attr_i(2)},
                      {"pads", attr_ints({1, 0, 2, 1})},
                      {"strides", attr_ints({2, 1})},
                      {"dilations", attr_ints({1, 2})}}));
    Graph g = b.finish();
    TensorData xv =
        random_tensor(tx, {2, 4, 6, 5}, tx == DType::U8 ? 0 : -128, tx == DType::U8 ? 255 : 127, 8);
    TensorData wv = random_tensor(DType::I8, {6, 2, 3, 2}, -128, 127, 9);
    auto want = evaluate(g, {xv, wv});
    CHECK(want[0].dtype == DType::I32);
    CHECK(max_level_diff(compile_and_run(g, {xv, wv}).outputs[0], want[0]) == 0);
    // Spot check of the evaluator itself: output (0, 0, 0, 0) by hand.
    const int64_t zx = tx == DType::U8 ? 131 : -7;
    int64_t acc = 0;
    for (int c = 0; c < 2; ++c)
      for (int kh = 0; kh < 3; ++kh)
        for (int kw = 0; kw < 2; ++kw) {
          const int ih = kh - 1, iw = kw * 2; // pad top 1, left 0, dilation 2 along W
          if (ih < 0 || ih >= 6 || iw >= 5) continue;
          acc += (xv.get_i64((c * 6 + ih) * 5 + iw) - zx) * wv.get_i64((c * 3 + kh) * 2 + kw);
        }
    CHECK(want[0].get_i64(0) == acc);
  }
}

TEST_CASE("MatMulInteger kernel equals the evaluator exactly, batched and per row / column") {
  GraphBuilder b(10);
  int a = b.input("a", DType::U8, {2, 1, 3, 7});
  int m = b.input("m", DType::I8, {3, 7, 5});
  int az = b.constant("az", ints(DType::U8, {3}, {10, 128, 250}));
  int bz = b.constant("bz", ints(DType::I8, {5}, {0, -1, 2, 3, -128}));
  b.output(b.node1("MatMulInteger", {a, m, az, bz}));
  Graph g = b.finish();
  TensorData av = random_tensor(DType::U8, {2, 1, 3, 7}, 0, 255, 10);
  TensorData mv = random_tensor(DType::I8, {3, 7, 5}, -128, 127, 11);
  auto want = evaluate(g, {av, mv});
  REQUIRE(want[0].shape == Shape{2, 3, 3, 5});
  CHECK(max_level_diff(compile_and_run(g, {av, mv}).outputs[0], want[0]) == 0);
  int64_t acc = 0; // element [1, 2, 1, 4] by hand
  for (int k = 0; k < 7; ++k)
    acc +=
        (av.get_i64(((1 * 1 + 0) * 3 + 1) * 7 + k) - 128) * (mv.get_i64((2 * 7 + k) * 5 + 4) + 128);
  CHECK(want[0].get_i64(((1 * 3 + 2) * 3 + 1) * 5 + 4) == acc);
}

TEST_CASE("DynamicQuantizeLinear kernel equals the evaluator, all-zero input included") {
  GraphBuilder b(11);
  int x = b.input("x", DType::F32, {3, 11});
  auto outs = b.node("DynamicQuantizeLinear", {x}, 3);
  for (int o : outs) b.output(o);
  Graph g = b.finish();
  for (TensorData xv :
       {random_tensor(DType::F32, {3, 11}, -3, 7, 13),
        random_tensor(DType::F32, {3, 11}, 0.5, 4, 14), TensorData(DType::F32, {3, 11})}) {
    auto want = evaluate(g, {xv});
    auto got = compile_and_run(g, {xv}).outputs;
    CHECK(max_level_diff(got[0], want[0]) == 0);
    CHECK(got[1].get_f64(0) == want[1].get_f64(0));
    CHECK(max_level_diff(got[2], want[2]) == 0);
  }
  auto zero = evaluate(g, {TensorData(DType::F32, {3, 11})});
  CHECK(zero[1].get_f64(0) == 0.0);
  CHECK(zero[2].get_i64(0) == 0);
  // Positive-only input: the range still includes 0, so the zero point is 0.
  auto pos = evaluate(g, {random_tensor(DType::F32, {3, 11}, 0.5, 4, 14)});
  CHECK(pos[2].get_i64(0) == 0);
}

TEST_CASE("QuantizeLinear/DequantizeLinear read a scale computed at run time") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {2, 9});
  int s = b.input("s", DType::F32, {});
  int z = b.constant("z", scalar_of(DType::I8, -3));
  int q = b.node1("QuantizeLinear", {x, s, z});
  b.output(q);
  b.output(b.node1("DequantizeLinear", {q, s, z}));
  Graph g = b.finish();
  TensorData xv = random_tensor(DType::F32, {2, 9}, -4, 4, 15);
  for (float scale : {0.03f, 0.0f}) { // 0: every element becomes the zero point
    auto want = evaluate(g, {xv, scalar_f32(scale)});
    auto got = compile_and_run(g, {xv, scalar_f32(scale)}).outputs;
    CHECK(max_level_diff(got[0], want[0]) == 0);
    CHECK(max_abs_diff(got[1], want[1]) == 0);
    if (scale == 0.0f) CHECK(want[0].get_i64(5) == -3);
  }
}

namespace {

Graph qdq_relu_graph(bool quantized_output) {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {1, 10});
  int s = b.constant("s", scalar_f32(0.1f)), z = b.constant("z", scalar_of(DType::I8, 4));
  int q = b.node1("QuantizeLinear", {x, s, z});
  int r = b.node1("LogSoftmax", {b.node1("DequantizeLinear", {q, s, z})}); // no int8 kernel
  if (!quantized_output) {
    b.output(r);
    return b.finish();
  }
  int os = b.constant("os", scalar_f32(1.0f / 256)),
      oz = b.constant("oz", scalar_of(DType::I8, -128));
  b.output(b.node1("DequantizeLinear", {b.node1("QuantizeLinear", {r, os, oz}), os, oz}));
  return b.finish();
}

} // namespace

TEST_CASE("int8 I/O (--io int8) hands the model's int8 tensors to the caller") {
  Graph g = qdq_relu_graph(true);
  Graph g8 = g;
  PassOptions o;
  o.quant.int8_io = true;
  run_pipeline(g8, o);
  REQUIRE(g8.inputs.size() == 1);
  const Value &in = g8.val(g8.inputs[0]), &out = g8.val(g8.outputs[0]);
  CHECK(in.dtype == DType::I8);
  CHECK(in.name == "x");
  REQUIRE(in.quant);
  CHECK(in.quant->scale == 0.1f);
  CHECK(in.quant->zero_point == 4);
  CHECK(out.dtype == DType::I8);
  REQUIRE(out.quant);
  CHECK(out.quant->zero_point == -128);
  CHECK(count_prefix(g8, "QuantizeLinear") == 1);   // the LogSoftmax's; the input's is gone
  CHECK(count_prefix(g8, "DequantizeLinear") == 1); // the input's; the output's is gone
  // Same levels as the float-I/O model: feed x's levels, compare with its output's levels.
  TensorData x = random_tensor(DType::F32, {1, 10}, -3, 3, 16);
  TensorData x8(DType::I8, {1, 10});
  for (int i = 0; i < 10; ++i)
    x8.set_f64(i, std::clamp(std::nearbyint(x.get_f64(i) / double(0.1f)) + 4, -128.0, 127.0));
  TensorData xq(DType::F32, {1, 10}); // x snapped to its levels, as the int8 caller sees it
  for (int i = 0; i < 10; ++i) xq.set_f64(i, (x8.get_f64(i) - 4) * 0.1f);
  auto want = evaluate(g, {xq})[0];
  auto run = compile_and_run(g8, {x8}, false);
  CHECK(run.source.find("const int8_t* in0, int8_t* out0") != std::string::npos);
  for (int i = 0; i < 10; ++i)
    CHECK(run.outputs[0].get_f64(i) == std::nearbyint(want.get_f64(i) * 256) - 128);

  Graph f = qdq_relu_graph(false); // float output: refused, naming the output
  try {
    run_pipeline(f, o);
    FAIL("float output accepted");
  } catch (const CompileError& e) {
    CHECK(std::string(e.what()).find("not dequantised per tensor from int8") != std::string::npos);
  }
}

TEST_CASE("the summary lists every op of a quantised graph that runs in float") {
  Graph g = qdq_relu_graph(true);
  run_pipeline(g);
  PrecisionSummary p = precision_summary(g);
  CHECK(p.quantized);
  REQUIRE(p.float_ops.size() == 1);
  CHECK(p.float_ops[0]->op_type == "LogSoftmax");
  CHECK(p.integer_ops == 0);
  GraphBuilder b;
  int x = b.input("x", DType::F32, {4});
  b.output(b.node1("Relu", {x}));
  Graph fl = b.finish();
  run_pipeline(fl);
  CHECK_FALSE(precision_summary(fl).quantized);
}
