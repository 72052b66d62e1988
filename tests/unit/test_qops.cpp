// The int8 ops of domain tinyc (QAdd, QMul, QAveragePool, QSoftmax, QLut, QConcat) and the
// data-movement rules: lower-qdq must pick them, the generated code must equal the evaluator
// bit for bit (host build under ASan/UBSan), and the lowered graph must stay within 1 LSB of
// the float DequantizeLinear -> op -> QuantizeLinear graph it replaces.
#include "compiler/compile.h"
#include "compiler/evaluator.h"
#include "compiler/onnx_import.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace tinyc;
using namespace tinyc::test;

namespace {

struct QP {
  float scale;
  int8_t zp;
};

// x -> QuantizeLinear -> DequantizeLinear.
int qdq(GraphBuilder& b, int x, QP q) {
  static int k = 0;
  const std::string name = "q" + std::to_string(k++);
  int s = b.constant(name + "_s", scalar_f32(q.scale));
  int z = b.constant(name + "_z", scalar_i8(q.zp));
  int y = b.node1("QuantizeLinear", {x, s, z});
  return b.node1("DequantizeLinear", {y, s, z});
}

struct Diff {
  int max_lsb = 0;
  int64_t differing = 0, total = 0;
};

// Compares two dequantised outputs in units of the output scale.
Diff lsb_diff(const TensorData& a, const TensorData& b, float scale) {
  REQUIRE(a.shape == b.shape);
  Diff d;
  for (int64_t i = 0; i < a.size(); ++i) {
    const int lsb = int(std::lround(std::fabs(a.get_f64(i) - b.get_f64(i)) / scale));
    d.max_lsb = std::max(d.max_lsb, lsb);
    d.differing += lsb != 0;
    ++d.total;
  }
  return d;
}

// Lowers the float QDQ graph g, requires `op` in the result, runs the generated code and
// compares: generated == lowered evaluation exactly, lowered vs float within 1 LSB (output k
// in units of out_scales[k]; outputs beyond the list are compared exactly).
Diff check_lowering(const Graph& g, const std::vector<TensorData>& in, const std::string& op,
                    std::vector<float> out_scales, const std::string& flags = "") {
  Graph lowered = g;
  run_pipeline(lowered);
  INFO("op " << op);
  REQUIRE(count_ops(lowered, op) >= 1);
  const auto want = evaluate(g, in);
  const auto got = evaluate(lowered, in);
  const auto run = compile_and_run(lowered, in, false, flags).outputs;
  Diff all;
  for (size_t k = 0; k < want.size(); ++k) {
    INFO("output " << k);
    CHECK(max_abs_diff(run[k], got[k]) == 0);
    if (k >= out_scales.size()) {
      CHECK(max_abs_diff(got[k], want[k]) == 0);
      continue;
    }
    const Diff d = lsb_diff(got[k], want[k], out_scales[k]);
    INFO(d.differing << " of " << d.total << " elements differ, max " << d.max_lsb << " LSB");
    CHECK(d.max_lsb <= 1);
    CHECK(d.differing * 50 <= d.total + 50); // rare: a float rounding crossing a .5 tie
    all.max_lsb = std::max(all.max_lsb, d.max_lsb);
    all.differing += d.differing;
    all.total += d.total;
  }
  return all;
}

Diff check_lowering(const Graph& g, const std::vector<TensorData>& in, const std::string& op,
                    float out_scale, const std::string& flags = "") {
  return check_lowering(g, in, op, std::vector<float>{out_scale}, flags);
}

Graph binary_graph(const char* op, Shape sa, Shape sb, QP qa, QP qb, QP qy, const char* act,
                   std::vector<int64_t>& dummy) {
  (void)dummy;
  GraphBuilder b;
  int a = b.input("a", DType::F32, sa);
  int c = b.input("b", DType::F32, sb);
  int y = b.node1(op, {qdq(b, a, qa), qdq(b, c, qb)});
  if (std::string(act) == "Relu") y = b.node1("Relu", {y});
  if (std::string(act) == "LeakyRelu") y = b.node1("LeakyRelu", {y}, {{"alpha", attr_f(0.15f)}});
  if (std::string(act) == "Clip")
    y = b.node1("Clip",
                {y, b.constant("lo", scalar_f32(-0.5f)), b.constant("hi", scalar_f32(1.5f))});
  b.output(qdq(b, y, qy));
  return b.finish();
}

} // namespace

TEST_CASE("QAdd and QMul: broadcasting, fused Relu/Clip/LeakyRelu, exact rounding") {
  std::vector<int64_t> unused;
  struct Case {
    const char* op;
    Shape sa, sb;
    QP qa, qb, qy;
    const char* act;
  };
  const std::vector<Case> cases = {
      {"Add", {2, 3, 5, 7}, {3, 1, 7}, {0.031f, -3}, {0.017f, 5}, {0.043f, -7}, "Relu"},
      {"Add", {3, 7}, {3, 7}, {0.05f, 0}, {0.05f, 0}, {0.05f, 0}, ""},
      {"Add", {1, 4, 3, 3}, {1}, {0.0123f, 10}, {0.2f, 0}, {0.07f, 12}, "Clip"},
      {"Mul", {2, 3, 5, 7}, {5, 1}, {0.031f, -3}, {0.017f, 5}, {0.011f, -1}, ""},
      {"Mul", {4, 9}, {4, 9}, {0.02f, 7}, {0.03f, -9}, {0.005f, 3}, "Relu"},
      {"Add", {3, 5, 7}, {5, 7}, {0.031f, -3}, {0.017f, 5}, {0.013f, 20}, "LeakyRelu"},
      {"Mul", {3, 5, 7}, {3, 1, 7}, {0.031f, -3}, {0.017f, 5}, {0.002f, 30}, "LeakyRelu"},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    Graph g = binary_graph(c.op, c.sa, c.sb, c.qa, c.qb, c.qy, c.act, unused);
    std::vector<TensorData> in = {random_tensor(DType::F32, c.sa, -3, 3, seed++),
                                  random_tensor(DType::F32, c.sb, -3, 3, seed++)};
    check_lowering(g, in, std::string("Q") + c.op, c.qy.scale);
  }
}

TEST_CASE("QAdd declines scales too far apart for 64-bit exact arithmetic") {
  std::vector<int64_t> unused;
  Graph g = binary_graph("Add", {3}, {3}, {1.0f, 0}, {1e-12f, 0}, {1.0f, 0}, "", unused);
  run_pipeline(g);
  CHECK(count_ops(g, "QAdd") == 0);
  CHECK(count_ops(g, "Add") == 1);
}

namespace {

Graph pool_graph(const char* op, Shape xs, std::map<std::string, Attr> attrs, QP qx, QP qy) {
  GraphBuilder b;
  int x = b.input("x", DType::F32, xs);
  b.output(qdq(b, b.node1(op, {qdq(b, x, qx)}, std::move(attrs)), qy));
  return b.finish();
}

} // namespace

TEST_CASE("QAveragePool: pads, count_include_pad, strides, ceil mode, global") {
  const std::vector<std::map<std::string, Attr>> attrs = {
      {{"kernel_shape", attr_ints({3, 2})},
       {"strides", attr_ints({2, 1})},
       {"pads", attr_ints({1, 0, 1, 1})}},
      {{"kernel_shape", attr_ints({3, 3})},
       {"strides", attr_ints({2, 2})},
       {"pads", attr_ints({1, 1, 1, 1})},
       {"count_include_pad", attr_i(1)}},
      {{"kernel_shape", attr_ints({2, 3})},
       {"strides", attr_ints({2, 2})},
       {"ceil_mode", attr_i(1)}},
      {{"kernel_shape", attr_ints({4, 5})}, {"strides", attr_ints({1, 2})}},
  };
  uint32_t seed = 20;
  for (const auto& a : attrs) {
    Graph g = pool_graph("AveragePool", {2, 3, 9, 11}, a, {0.04f, -5}, {0.03f, 4});
    std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3, 9, 11}, -5, 5, seed++)};
    check_lowering(g, in, "QAveragePool", 0.03f);
    // The DSP row sums, emulated on the host.
    if (a.at("kernel_shape").ints[1] >= 4)
      check_lowering(g, in, "QAveragePool", 0.03f, "-DTK_EMULATE_DSP");
  }
  Graph g = pool_graph("GlobalAveragePool", {1, 5, 7, 6}, {}, {0.05f, 3}, {0.02f, -2});
  check_lowering(g, {random_tensor(DType::F32, {1, 5, 7, 6}, -6, 6, 7)}, "QAveragePool", 0.02f);
  Graph g1 = pool_graph("AveragePool", {1, 2, 13}, {{"kernel_shape", attr_ints({4})}}, {0.05f, 3},
                        {0.05f, 3});
  check_lowering(g1, {random_tensor(DType::F32, {1, 2, 13}, -6, 6, 8)}, "QAveragePool", 0.05f);
}

TEST_CASE("QAveragePool rounds exact .5 ties to even, as QuantizeLinear does") {
  // Equal scales and a 2x2 window: every odd sum of levels is a .5 tie of the mean.
  Graph g = pool_graph("AveragePool", {1, 1, 4, 8},
                       {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 2})}},
                       {0.25f, 0}, {0.25f, 0});
  TensorData x(DType::F32, {1, 1, 4, 8});
  const float levels[32] = {1, 1, 3, 3, -1, -1, -3, -3, 0, 0, 0, 0, 0, 0, 0, 0,
                            5, 5, 2, 3, 4,  1,  0,  0,  0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 32; ++i) x.data<float>()[i] = levels[i] * 0.25f;
  const Diff d = check_lowering(g, {x}, "QAveragePool", 0.25f);
  CHECK(d.differing == 0);
  Graph lowered = g;
  run_pipeline(lowered);
  const auto y = evaluate(lowered, {x})[0];
  // Means 0.5 -> 0, 1.5 -> 2, -0.5 -> 0, -1.5 -> -2, 2.5 -> 2, 1.25 -> 1, 1.25 -> 1, 0.
  const float want[8] = {0, 2, 0, -2, 2, 1, 1, 0};
  for (int i = 0; i < 8; ++i) CHECK(y.data<float>()[i] == want[i] * 0.25f);
}

TEST_CASE("QSoftmax is within 1 LSB of float Softmax + QuantizeLinear, both axis semantics") {
  struct Case {
    int opset;
    Shape s;
    int64_t axis;
    QP qx;
  };
  const std::vector<Case> cases = {
      {13, {2, 10}, 1, {0.1f, 5}},
      {13, {2, 5, 3}, 1, {0.05f, -20}},
      {11, {2, 3, 4}, 1, {0.08f, 0}},
      {13, {3, 7}, -1, {0.3f, 2}},
  };
  uint32_t seed = 40;
  int64_t differing = 0, total = 0;
  for (const Case& c : cases) {
    GraphBuilder b(c.opset);
    int x = b.input("x", DType::F32, c.s);
    b.output(qdq(b, b.node1("Softmax", {qdq(b, x, c.qx)}, {{"axis", attr_i(c.axis)}}),
                 {1.0f / 256, -128}));
    Graph g = b.finish();
    const Diff d =
        check_lowering(g, {random_tensor(DType::F32, c.s, -8, 8, seed++)}, "QSoftmax", 1.0f / 256);
    differing += d.differing;
    total += d.total;
  }
  WARN("QSoftmax vs float: " << differing << " of " << total << " outputs differ by 1 LSB");
}

TEST_CASE("QLut replaces unary ops by a table, also between differing quantisations") {
  struct Case {
    const char* op;
    std::map<std::string, Attr> attrs;
    QP qy;
  };
  const std::vector<Case> cases = {
      {"Sigmoid", {}, {1.0f / 256, -128}},
      {"Tanh", {}, {1.0f / 128, 0}},
      {"HardSigmoid", {{"alpha", attr_f(0.25f)}}, {1.0f / 256, -128}},
      {"HardSwish", {}, {0.03f, -20}},
      {"LeakyRelu", {{"alpha", attr_f(0.1f)}}, {0.02f, -50}},
      {"Relu", {}, {0.015f, -128}},
      {"Elu", {}, {0.03f, 30}},
      {"Exp", {}, {0.1f, -128}},
      {"Softplus", {}, {0.025f, -128}},
      {"Clip", {}, {0.01f, -30}},
  };
  GraphBuilder b;
  const Shape s = {2, 3, 43};
  int x = b.input("x", DType::F32, s);
  int dq = qdq(b, x, {0.023f, 7});
  std::vector<float> scales;
  for (const Case& c : cases) {
    std::vector<int> ins = {dq};
    if (std::string(c.op) == "Clip") {
      ins.push_back(b.constant("clip_lo", scalar_f32(-0.7f)));
      ins.push_back(b.constant("clip_hi", scalar_f32(1.1f)));
    }
    b.output(qdq(b, b.node1(c.op, ins, c.attrs), c.qy));
    scales.push_back(c.qy.scale);
  }
  Graph g = b.finish();
  Graph lowered = g;
  run_pipeline(lowered);
  CHECK(count_ops(lowered, "QLut") == int(cases.size()));
  const Diff d = check_lowering(g, {random_tensor(DType::F32, s, -3.5, 3.5, 60)}, "QLut", scales);
  WARN("QLut vs float: " << d.differing << " of " << d.total << " outputs differ by 1 LSB");
}

TEST_CASE("QConcat requantises inputs whose parameters differ; equal ones stay a Concat") {
  GraphBuilder b;
  int x0 = b.input("x0", DType::F32, {2, 3, 5});
  int x1 = b.input("x1", DType::F32, {2, 4, 5});
  int x2 = b.input("x2", DType::F32, {2, 1, 5});
  const QP qy = {0.03f, 2};
  int c = b.node1("Concat", {qdq(b, x0, qy), qdq(b, x1, {0.011f, -9}), qdq(b, x2, {0.07f, 20})},
                  {{"axis", attr_i(1)}});
  b.output(qdq(b, c, qy));
  Graph g = b.finish();
  const std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3, 5}, -3, 3, 70),
                                      random_tensor(DType::F32, {2, 4, 5}, -1.5, 1.5, 71),
                                      random_tensor(DType::F32, {2, 1, 5}, -9, 9, 72)};
  check_lowering(g, in, "QConcat", 0.03f);

  GraphBuilder b2;
  int y0 = b2.input("y0", DType::F32, {3, 2});
  int y1 = b2.input("y1", DType::F32, {3, 4});
  b2.output(
      qdq(b2, b2.node1("Concat", {qdq(b2, y0, qy), qdq(b2, y1, qy)}, {{"axis", attr_i(-1)}}), qy));
  Graph g2 = b2.finish();
  Graph lowered = g2;
  run_pipeline(lowered);
  CHECK(count_ops(lowered, "QConcat") == 0);
  CHECK(count_ops(lowered, "DequantizeLinear") == 1);
  check_lowering(
      g2,
      {random_tensor(DType::F32, {3, 2}, -3, 3, 73), random_tensor(DType::F32, {3, 4}, -3, 3, 74)},
      "Concat", 0.03f);
}

TEST_CASE("Data-movement ops run on int8: Transpose, Slice, Pad, Resize, DepthToSpace, Split") {
  const QP q = {0.05f, -3};
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 4, 5, 6});
  int t = qdq(b, b.node1("Transpose", {qdq(b, x, q)}, {{"perm", attr_ints({0, 1, 3, 2})}}), q);
  int sl = qdq(b,
               b.node1("Slice", {t, b.constant("st", tensor_i64({1}, {1})),
                                 b.constant("en", tensor_i64({1}, {5})),
                                 b.constant("ax", tensor_i64({1}, {2}))}),
               q);
  int pd = qdq(b,
               b.node1("Pad", {sl, b.constant("pads", tensor_i64({8}, {0, 0, 1, 2, 0, 0, 1, 0})),
                               b.constant("pv", scalar_f32(0.5f))}),
               q);
  int rs = qdq(b,
               b.node1("Resize",
                       {pd, b.constant("roi", tensor_f32({0}, {})),
                        b.constant("sc", tensor_f32({4}, {1, 1, 2, 1.5f}))},
                       {{"mode", attr_s("nearest")}}),
               q);
  int d2s = qdq(b, b.node1("DepthToSpace", {rs}, {{"blocksize", attr_i(2)}}), q);
  auto parts = b.node("Split", {d2s, b.constant("split", tensor_i64({2}, {5, 15}))}, 2,
                      {{"axis", attr_i(3)}});
  b.output(qdq(b, parts[0], q));
  b.output(qdq(b, parts[1], q));
  int gm = qdq(b, b.node1("GlobalMaxPool", {pd}), q);
  b.output(gm);
  Graph g = b.finish();
  Graph lowered = g;
  run_pipeline(lowered);
  // The model input's QuantizeLinear and three output DequantizeLinear remain; all else int8.
  CHECK(count_ops(lowered, "QuantizeLinear") == 1);
  CHECK(count_ops(lowered, "DequantizeLinear") == 3);
  for (const Node& n : lowered.nodes)
    if (n.op_type != "DequantizeLinear") CHECK(lowered.val(n.output(0)).dtype != DType::F32);
  check_lowering(g, {random_tensor(DType::F32, {1, 4, 5, 6}, -6, 6, 80)}, "Split",
                 std::vector<float>{});
}

TEST_CASE("Pad stays in float when its constant is not a level of the quantisation") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3});
  b.output(
      qdq(b,
          b.node1("Pad", {qdq(b, x, {0.05f, 0}), b.constant("p", tensor_i64({4}, {0, 1, 0, 1})),
                          b.constant("v", scalar_f32(0.01f))}),
          {0.05f, 0}));
  Graph g = b.finish();
  run_pipeline(g);
  for (const Node& n : g.nodes)
    if (n.op_type == "Pad") CHECK(g.val(n.output(0)).dtype == DType::F32);
}

TEST_CASE("ArgMax and ArgMin read the int8 levels of a DequantizeLinear directly") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3, 7, 2});
  int dq = qdq(b, x, {0.1f, 4});
  b.output(b.node1("ArgMax", {dq}, {{"axis", attr_i(1)}}));
  b.output(b.node1("ArgMin", {dq}, {{"axis", attr_i(2)}, {"keepdims", attr_i(0)}}));
  Graph g = b.finish();
  Graph lowered = g;
  run_pipeline(lowered);
  CHECK(count_ops(lowered, "DequantizeLinear") == 0);
  for (const Node& n : lowered.nodes)
    if (n.op_type == "ArgMax" || n.op_type == "ArgMin")
      CHECK(lowered.val(n.input(0)).dtype == DType::I8);
  check_lowering(g, {random_tensor(DType::F32, {3, 7, 2}, -2, 2, 90)}, "ArgMax",
                 std::vector<float>{});
}

TEST_CASE("Data-movement ops run on int8: Gather, SpaceToDepth, MaxPool, Tile, Expand") {
  const QP q = {0.07f, 11};
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 3, 6, 4});
  int ga = qdq(b,
               b.node1("Gather", {qdq(b, x, q), b.constant("ix", tensor_i64({4}, {2, 0, 0, 1}))},
                       {{"axis", attr_i(1)}}),
               q);
  int s2d = qdq(b, b.node1("SpaceToDepth", {ga}, {{"blocksize", attr_i(2)}}), q);
  int mp = qdq(b,
               b.node1("MaxPool", {s2d},
                       {{"kernel_shape", attr_ints({2, 2})}, {"pads", attr_ints({1, 0, 0, 1})}}),
               q);
  int ti = qdq(b, b.node1("Tile", {mp, b.constant("rep", tensor_i64({4}, {1, 1, 2, 1}))}), q);
  int ex = qdq(b, b.node1("Expand", {ti, b.constant("sh", tensor_i64({5}, {2, 1, 1, 1, 1}))}), q);
  b.output(ex);
  Graph g = b.finish();
  Graph lowered = g;
  run_pipeline(lowered);
  CHECK(count_ops(lowered, "QuantizeLinear") == 1);
  CHECK(count_ops(lowered, "DequantizeLinear") == 1);
  check_lowering(g, {random_tensor(DType::F32, {1, 3, 6, 4}, -9, 9, 95)}, "Expand",
                 std::vector<float>{});
}

namespace {

// A float32 C-order .npy file (format 1.0), as numpy.save writes it; empty when unreadable.
TensorData read_npy_f32(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return {};
  unsigned char pre[10];
  TensorData t;
  if (std::fread(pre, 1, 10, f) == 10 && pre[6] == 1) {
    const size_t hlen = size_t(pre[8]) | size_t(pre[9]) << 8;
    std::string h(hlen, ' ');
    if (std::fread(&h[0], 1, hlen, f) == hlen && h.find("'<f4'") != std::string::npos &&
        h.find("'fortran_order': False") != std::string::npos) {
      Shape s;
      const size_t open = h.find('(', h.find("'shape'")), close = h.find(')', open);
      std::string dims = h.substr(open + 1, close - open - 1);
      for (size_t at = 0; at < dims.size();) {
        const size_t comma = dims.find(',', at);
        const std::string d =
            dims.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        if (d.find_first_of("0123456789") != std::string::npos) s.push_back(std::stoll(d));
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
      t = TensorData(DType::F32, s);
      if (std::fread(t.bytes.data(), 1, t.bytes.size(), f) != t.bytes.size()) t = {};
    }
  }
  std::fclose(f);
  return t;
}

// Sample k of a batch tensor, with the shape of one model input.
TensorData sample(const TensorData& batch, int64_t k, const Shape& shape) {
  TensorData t(DType::F32, shape);
  const size_t n = t.bytes.size();
  std::memcpy(t.bytes.data(), batch.bytes.data() + size_t(k) * n, n);
  return t;
}

std::string mlperf_dir() {
  for (const char* up : {"/../shared", "/../../shared"}) {
    const std::string d = std::string(TINYC_SOURCE_DIR) + up + "/models/mlperf_tiny";
    if (FILE* f = std::fopen((d + "/ic_resnet8/model_qdq.onnx").c_str(), "rb")) {
      std::fclose(f);
      return d;
    }
  }
  return "";
}

} // namespace

TEST_CASE("MLPerf Tiny int8 models: the lowered graph matches onnxruntime's outputs") {
  const std::string dir = mlperf_dir();
  if (dir.empty()) {
    WARN("MLPerf Tiny models not found beside the project: skipped");
    return;
  }
  for (const char* name : {"ic_resnet8", "kws_dscnn"}) {
    INFO(name);
    Graph g = import_onnx(dir + "/" + name + "/model_qdq.onnx", {});
    run_pipeline(g);
    CHECK(count_ops(g, "QAveragePool") == 1);
    CHECK(count_ops(g, "QSoftmax") == 1);
    if (std::string(name) == "ic_resnet8") CHECK(count_ops(g, "QAdd") == 3);
    const TensorData in = read_npy_f32(dir + "/" + name + "/test_in.npy");
    const TensorData want = read_npy_f32(dir + "/" + name + "/test_out.npy");
    REQUIRE(in.size() > 0);
    REQUIRE(want.size() > 0);
    const Shape& xs = g.val(g.inputs[0]).shape;
    const Shape& ys = g.val(g.outputs[0]).shape;
    int max_lsb = 0, top1 = 0;
    const int64_t samples = in.shape[0];
    for (int64_t k = 0; k < samples; ++k) {
      const TensorData y = evaluate(g, {sample(in, k, xs)})[0];
      const TensorData ref = sample(want, k, ys);
      max_lsb = std::max(max_lsb, lsb_diff(y, ref, 1.0f / 256).max_lsb);
      int64_t a = 0, b = 0;
      for (int64_t i = 1; i < y.size(); ++i) {
        if (y.data<float>()[i] > y.data<float>()[a]) a = i;
        if (ref.data<float>()[i] > ref.data<float>()[b]) b = i;
      }
      top1 += a == b;
      if (k == 0 && std::string(name) == "ic_resnet8") // generated code == evaluator
        CHECK(max_abs_diff(compile_and_run(g, {sample(in, 0, xs)}, false).outputs[0], y) == 0);
    }
    // onnxruntime rounds float32 products; the exact integer rescale agrees on these inputs.
    CHECK(max_lsb == 0);
    CHECK(top1 == samples);
  }
}
