// QConv / QGemm: generated kernels (portable and DSP code paths, the latter forced on the host
// with -DTK_FORCE_DSP_PATH) against the integer evaluator, exactly; and the QDQ rules: a float
// Conv/Gemm/MatMul between DequantizeLinear and QuantizeLinear lowers to QConv/QGemm whose
// results stay within 1 LSB of the float QDQ graph.
#include "compiler/compile.h"
#include "compiler/emitter.h"
#include "compiler/evaluator.h"
#include "compiler/quant.h"
#include "passes/passes.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <regex>

#include "dsp.h"

using namespace tinyc;
using namespace tinyc::test;

namespace {

const char* kDspFlags = "-DTK_FORCE_DSP_PATH";

// Elements where a and b differ (same shape and dtype).
int64_t count_diff(const TensorData& a, const TensorData& b) {
  int64_t d = 0;
  for (int64_t i = 0; i < a.size(); ++i) d += a.get_f64(i) != b.get_f64(i);
  return d;
}

// Per-channel multipliers of random effective scales in [lo, hi).
void random_multipliers(int64_t M, double lo, double hi, uint32_t seed, std::vector<int64_t>& mult,
                        std::vector<int64_t>& shift) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  for (int64_t c = 0; c < M; ++c) {
    auto m = exact_multiplier(float(std::exp(u(rng))));
    REQUIRE(m);
    mult.push_back(m->mult);
    shift.push_back(m->shift);
  }
}

struct ConvCase {
  Shape x; // [N, C, spatial...]
  int64_t M, G;
  std::vector<int64_t> k, strides, dilations, pads; // pads: begin..., end...
  int32_t x_zp, y_zp, lo = -128, hi = 127;
  bool bias = true;
  double scale_lo = 2e-4, scale_hi = 4e-3; // effective output scales
};

Graph qconv_graph(const ConvCase& c, uint32_t seed) {
  GraphBuilder b;
  const int x = b.input("x", DType::I8, c.x);
  Shape ws = {c.M, c.x[1] / c.G};
  ws.insert(ws.end(), c.k.begin(), c.k.end());
  std::vector<int> ins = {x, b.constant("w", random_tensor(DType::I8, ws, -128, 127, seed))};
  if (c.bias)
    ins.push_back(b.constant("b", random_tensor(DType::I32, {c.M}, -20000, 20000, seed + 1)));
  std::vector<int64_t> mult, shift;
  random_multipliers(c.M, c.scale_lo, c.scale_hi, seed + 2, mult, shift);
  const int y = b.node1("QConv", ins,
                        {{"group", attr_i(c.G)},
                         {"kernel_shape", attr_ints(c.k)},
                         {"strides", attr_ints(c.strides)},
                         {"dilations", attr_ints(c.dilations)},
                         {"pads", attr_ints(c.pads)},
                         {"x_zp", attr_i(c.x_zp)},
                         {"y_zp", attr_i(c.y_zp)},
                         {"act_lo", attr_i(c.lo)},
                         {"act_hi", attr_i(c.hi)},
                         {"mult", attr_ints(mult)},
                         {"shift", attr_ints(shift)}});
  b.graph().nodes.back().domain = "tinyc";
  b.output(y);
  return b.finish();
}

// Generated code on both paths == evaluator, exactly; the output is not degenerate.
void check_both_paths(const Graph& g, const TensorData& x) {
  const auto want = evaluate(g, {x});
  int64_t clamped = 0;
  for (int64_t i = 0; i < want[0].size(); ++i) {
    const int64_t v = want[0].get_i64(i);
    clamped += v == -128 || v == 127;
  }
  CHECK(clamped < want[0].size()); // the scales keep most outputs inside the range
  const HostRun portable = compile_and_run(g, {x}, false);
  CHECK(count_diff(portable.outputs[0], want[0]) == 0);
  const HostRun dsp = compile_and_run(g, {x}, false, kDspFlags);
  CHECK(count_diff(dsp.outputs[0], want[0]) == 0);
}

void run_conv_case(const ConvCase& c, uint32_t seed) {
  Graph g = qconv_graph(c, seed);
  check_both_paths(g, random_tensor(DType::I8, c.x, -128, 127, seed + 3));
}

} // namespace

TEST_CASE("QConv pointwise: odd channels and pixels, per-channel scales, x_zp != 0") {
  run_conv_case({{1, 7, 5, 3}, 5, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 17, -5}, 100);
  run_conv_case({{2, 16, 4, 4}, 12, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, -128, 3}, 110);
}

TEST_CASE("QConv depthwise 3x3: stride 1 and 2, odd widths, Relu clamp, no bias") {
  ConvCase a{{1, 6, 7, 5}, 6, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, -3, -128, -128, 127};
  run_conv_case(a, 200);
  ConvCase r{{1, 5, 9, 8}, 5, 5, {3, 3}, {2, 2}, {1, 1}, {0, 0, 1, 1}, 11, -20, -20, 127};
  r.bias = false;
  run_conv_case(r, 210);
}

TEST_CASE("QConv depthwise general: 5x3 kernel, dilation, stride 3, Clip clamp") {
  run_conv_case({{1, 4, 11, 10}, 4, 4, {5, 3}, {3, 2}, {1, 2}, {2, 1, 2, 3}, 9, 4, -60, 90}, 300);
  run_conv_case({{1, 3, 8, 9}, 3, 3, {3, 3}, {3, 3}, {1, 1}, {1, 0, 2, 1}, 0, 0}, 310);
  run_conv_case({{1, 3, 12}, 3, 3, {3}, {1}, {2}, {2, 2}, 5, 1}, 320); // 1-D
}

TEST_CASE("QConv general: first layer, groups, strides, dilations, pads, 1-D") {
  // The KWS first layer's geometry: 10x4 kernel, stride 2, asymmetric pads.
  run_conv_case({{1, 1, 13, 10}, 6, 1, {10, 4}, {2, 2}, {1, 1}, {4, 1, 5, 1}, -7, 2}, 400);
  run_conv_case({{1, 6, 7, 6}, 9, 3, {3, 2}, {2, 1}, {2, 1}, {1, 0, 2, 1}, 30, -9}, 410);
  run_conv_case({{2, 3, 9}, 5, 1, {3}, {2}, {1}, {1, 1}, -1, 0}, 420);
  run_conv_case({{1, 4, 5, 5}, 6, 2, {1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0, 0}, 430);
  // Channel multiplier 2 (group == C but M == 2C) and 3-D.
  run_conv_case({{1, 3, 6, 5}, 6, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 4, 4}, 440);
  run_conv_case({{1, 2, 4, 4, 3}, 3, 1, {2, 3, 2}, {1, 1, 2}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}, 2, 1},
                450);
}

TEST_CASE("QConv/QGemm weights: one int8 array per layer, counted exactly") {
  // Pointwise C = 7, M = 5: channels rounded to 6, k to 8 -> 48 bytes of weights, plus the
  // int32 bias (5) and requantisation table (5 x 3).
  ConvCase c{{1, 7, 5, 3}, 5, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 17, -5};
  Graph g = qconv_graph(c, 700);
  run_pipeline(g);
  EmitOptions o;
  o.name = "m";
  o.header_file = "m.h";
  o.model_file = "test";
  const EmittedModel m = emit_model(g, o);
  CHECK(m.weight_bytes == 48 + 5 * 4 + 15 * 4);
  // Every constant array the source defines, and only those, is counted; one is int8.
  const std::regex decl(R"(static const (\w+) (\w+)\[(\d+)\])");
  int64_t bytes = 0, int8_arrays = 0;
  for (auto it = std::sregex_iterator(m.source.begin(), m.source.end(), decl);
       it != std::sregex_iterator(); ++it) {
    const std::string type = (*it)[1];
    const int64_t count = std::stoll((*it)[3]);
    bytes += count * (type == "int8_t" ? 1 : 4);
    int8_arrays += type == "int8_t";
  }
  CHECK(bytes == m.weight_bytes);
  CHECK(int8_arrays == 1);
}

TEST_CASE("dsp.h: SXTB16 and ROR emulation") {
  // Bytes 01 7f ff 80 (little endian): SXTB16 gives (1, -1), rotated by 8 (127, -128).
  const int32_t v = int32_t(0x80ff7f01u);
  CHECK(uint32_t(tk::dsp_ror(v, 8)) == 0x0180ff7fu);
  CHECK(uint32_t(tk::dsp_ror(v, 24)) == 0xff7f0180u);
  CHECK(uint32_t(tk::dsp_sxtb16(v)) == 0xffff0001u);
  CHECK(uint32_t(tk::dsp_sxtb16_ror8(v)) == 0xff80007fu);
  // Against the definition for every byte value in each position.
  for (uint32_t b = 0; b < 256; ++b) {
    const uint32_t w = b | ((255 - b) << 8) | (((b * 7) & 255) << 16) | ((b ^ 0x5a) << 24);
    auto half = [](uint32_t byte) { return int32_t(int8_t(uint8_t(byte))); };
    auto pack = [](int32_t lo, int32_t hi) {
      return (uint32_t(lo) & 0xffffu) | (uint32_t(hi) << 16);
    };
    CHECK(uint32_t(tk::dsp_sxtb16(int32_t(w))) == pack(half(w), half(w >> 16)));
    CHECK(uint32_t(tk::dsp_sxtb16_ror8(int32_t(w))) == pack(half(w >> 8), half(w >> 24)));
  }
}

TEST_CASE("QConv requantises exactly with large scales (slow requantiser) and ties") {
  ConvCase c{{1, 4, 5, 5}, 4, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 0, 0};
  c.scale_lo = 0.25;
  c.scale_hi = 0.5;
  c.bias = false;
  run_conv_case(c, 500);
  // Power-of-two scales make exact .5 ties common.
  ConvCase t{{1, 8, 6, 5}, 6, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, 0};
  Graph g = qconv_graph(t, 510);
  for (Node& n : g.nodes)
    if (n.op_type == "QConv") {
      n.attrs["mult"] = attr_ints({int64_t(1) << 23});
      n.attrs["shift"] = attr_ints({33}); // 2^-10
    }
  check_both_paths(g, random_tensor(DType::I8, t.x, -128, 127, 511));
}

TEST_CASE("QGemm: odd rows, K not a multiple of 4, per-channel scales") {
  for (auto [N, K, M, seed] : {std::tuple<int64_t, int64_t, int64_t, uint32_t>{1, 64, 12, 600},
                               {3, 13, 7, 610},
                               {4, 30, 2, 620}}) {
    GraphBuilder b;
    const int x = b.input("x", DType::I8, {N, K});
    std::vector<int64_t> mult, shift;
    random_multipliers(M, 1e-3, 2e-2, seed, mult, shift);
    const int y =
        b.node1("QGemm",
                {x, b.constant("w", random_tensor(DType::I8, {M, K}, -128, 127, seed + 1)),
                 b.constant("b", random_tensor(DType::I32, {M}, -5000, 5000, seed + 2))},
                {{"x_zp", attr_i(-3)},
                 {"y_zp", attr_i(7)},
                 {"act_lo", attr_i(-128)},
                 {"act_hi", attr_i(127)},
                 {"mult", attr_ints(mult)},
                 {"shift", attr_ints(shift)}});
    b.graph().nodes.back().domain = "tinyc";
    b.output(y);
    check_both_paths(b.finish(), random_tensor(DType::I8, {N, K}, -128, 127, seed + 3));
  }
}

// ---- QDQ rules ----

namespace {

// int8 weights dequantised per channel along `axis` (scales sw).
int dq_weights(GraphBuilder& b, const Shape& shape, const std::vector<float>& sw, int64_t axis,
               uint32_t seed) {
  int w = b.constant("w", random_tensor(DType::I8, shape, -127, 127, seed));
  int s = b.constant("w_s", tensor_f32({int64_t(sw.size())}, sw));
  TensorData zp(DType::I8, {int64_t(sw.size())});
  int z = b.constant("w_z", zp);
  return b.node1("DequantizeLinear", {w, s, z}, {{"axis", attr_i(axis)}});
}

// int32 bias dequantised with scale s_x * s_w[c].
int dq_bias(GraphBuilder& b, float sx, const std::vector<float>& sw, uint32_t seed) {
  std::vector<float> bs;
  for (float s : sw) bs.push_back(sx * s);
  int q = b.constant("b", random_tensor(DType::I32, {int64_t(sw.size())}, -3000, 3000, seed));
  int s = b.constant("b_s", tensor_f32({int64_t(bs.size())}, bs));
  TensorData zp(DType::I32, {int64_t(bs.size())});
  int z = b.constant("b_z", zp);
  return b.node1("DequantizeLinear", {q, s, z}, {{"axis", attr_i(0)}});
}

std::vector<float> channel_scales(int64_t M, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.002f, 0.01f);
  std::vector<float> s;
  for (int64_t c = 0; c < M; ++c) s.push_back(u(rng));
  return s;
}

// Lowers g, checks `op` appeared, and compares with the float QDQ graph: at most 1 LSB
// (out_scale) anywhere and few differences; the generated code matches the lowered graph.
void check_lowered(const Graph& g, const std::string& op, const TensorData& x, float out_scale,
                   bool compile = true) {
  Graph lowered = g;
  run_pipeline(lowered);
  REQUIRE(count_ops(lowered, op) == 1);
  const auto want = evaluate(g, {x});
  const auto got = evaluate(lowered, {x});
  const double lsb = max_abs_diff(got[0], want[0]) / out_scale;
  int64_t differ = 0;
  for (int64_t i = 0; i < got[0].size(); ++i)
    differ += std::fabs(got[0].get_f64(i) - want[0].get_f64(i)) > 0.5 * out_scale;
  CHECK(lsb <= 1.0 + 1e-6);
  CHECK(differ * 100 <= got[0].size()); // under 1% of the outputs are off by one
  if (compile) {
    CHECK(max_abs_diff(compile_and_run(lowered, {x}, false).outputs[0], got[0]) == 0);
    CHECK(max_abs_diff(compile_and_run(lowered, {x}, false, kDspFlags).outputs[0], got[0]) == 0);
  }
}

} // namespace

TEST_CASE("Conv QDQ rule: per-channel weights, int32 bias, Relu, zero point, padding") {
  for (auto [G, auto_pad, seed] : {std::tuple<int64_t, const char*, uint32_t>{1, "", 700},
                                   {6, "", 710},
                                   {2, "SAME_UPPER", 720}}) {
    GraphBuilder b(13);
    const float sx = 0.05f, sy = 0.04f;
    const int64_t M = 6;
    const int x = b.input("x", DType::F32, {1, 6, 9, 7});
    const std::vector<float> sw = channel_scales(M, seed);
    std::map<std::string, Attr> attrs = {
        {"group", attr_i(G)}, {"kernel_shape", attr_ints({3, 3})}, {"strides", attr_ints({2, 1})}};
    if (*auto_pad)
      attrs["auto_pad"] = attr_s(auto_pad);
    else
      attrs["pads"] = attr_ints({1, 1, 1, 1});
    const int c = b.node1("Conv",
                          {qdq(b, x, sx, 13, "in"), dq_weights(b, {M, 6 / G, 3, 3}, sw, 0, seed),
                           dq_bias(b, sx, sw, seed + 1)},
                          attrs);
    const int r = b.node1("Relu", {c});
    b.output(qdq(b, r, sy, -20, "out"));
    Graph g = b.finish();
    check_lowered(g, "QConv", random_tensor(DType::F32, {1, 6, 9, 7}, -6, 6, seed + 2), sy);
  }
}

TEST_CASE("Conv QDQ rule: float bias is quantised, Clip becomes the clamp, 1-D") {
  GraphBuilder b(13);
  const float sx = 0.03f, sy = 0.02f;
  const int x = b.input("x", DType::F32, {1, 4, 15});
  const std::vector<float> sw = channel_scales(5, 730);
  const int bias = b.constant("bf", random_tensor(DType::F32, {5}, -1, 1, 731));
  const int c =
      b.node1("Conv", {qdq(b, x, sx, -4, "in"), dq_weights(b, {5, 4, 3}, sw, 0, 732), bias},
              {{"pads", attr_ints({1, 1})}, {"dilations", attr_ints({2})}});
  const int lo = b.constant("lo", scalar_f32(0.0f)), hi = b.constant("hi", scalar_f32(1.5f));
  const int r = b.node1("Clip", {c, lo, hi});
  b.output(qdq(b, r, sy, -100, "out"));
  check_lowered(b.finish(), "QConv", random_tensor(DType::F32, {1, 4, 15}, -3, 3, 733), sy);
}

TEST_CASE("Conv QDQ rule declines weights whose zero point does not fit int8") {
  GraphBuilder b(13);
  const int x = b.input("x", DType::F32, {1, 2, 5, 5});
  int w = b.constant("w", random_tensor(DType::I8, {3, 2, 3, 3}, -127, 127, 740));
  int ws = b.constant("w_s", scalar_f32(0.01f));
  int wz = b.constant("w_z", scalar_i8(100));
  const int c =
      b.node1("Conv", {qdq(b, x, 0.05f, 0, "in"), b.node1("DequantizeLinear", {w, ws, wz})});
  b.output(qdq(b, c, 0.1f, 0, "out"));
  Graph g = b.finish();
  run_pipeline(g);
  CHECK(count_ops(g, "QConv") == 0);
  CHECK(count_ops(g, "Conv") == 1);
}

TEST_CASE("Gemm and MatMul QDQ rules: transB, per-column and per-tensor weights, biases") {
  for (int tb = 0; tb < 2; ++tb) {
    GraphBuilder b(13);
    const float sx = 0.04f, sy = 0.05f;
    const int64_t N = 3, K = 21, M = 10;
    const int x = b.input("x", DType::F32, {N, K});
    const std::vector<float> sw = channel_scales(M, 800 + tb);
    const int w = dq_weights(b, tb ? Shape{M, K} : Shape{K, M}, sw, tb ? 0 : 1, 810 + tb);
    const int bias =
        tb ? dq_bias(b, sx, sw, 820) : b.constant("bf", random_tensor(DType::F32, {M}, -1, 1, 821));
    const int y = b.node1("Gemm", {qdq(b, x, sx, 5, "in"), w, bias}, {{"transB", attr_i(tb)}});
    b.output(qdq(b, b.node1("Relu", {y}), sy, -128, "out"));
    check_lowered(b.finish(), "QGemm", random_tensor(DType::F32, {N, K}, -5, 5, 830 + tb), sy);
  }
  {
    GraphBuilder b(13);
    const float sx = 0.04f, sy = 0.1f;
    const int x = b.input("x", DType::F32, {2, 3, 16});
    int w = b.constant("w", random_tensor(DType::I8, {16, 9}, -127, 127, 840));
    int ws = b.constant("w_s", scalar_f32(0.007f));
    int wz = b.constant("w_z", scalar_i8(0));
    const int y =
        b.node1("MatMul", {qdq(b, x, sx, -9, "in"), b.node1("DequantizeLinear", {w, ws, wz})});
    b.output(qdq(b, y, sy, 3, "out"));
    check_lowered(b.finish(), "QGemm", random_tensor(DType::F32, {2, 3, 16}, -5, 5, 841), sy);
  }
}
