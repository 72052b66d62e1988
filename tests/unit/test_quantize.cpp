// Post-training quantisation: calibration methods on known distributions, weight and bias
// quantisation, the .npy reader and sample splitting, and the quantize pass (QDQ structure,
// accuracy against the float graph, generated code against the evaluator). Nothing here
// depends on which ops have int8 rules: all_ops puts Conv/Gemm between QDQ pairs whether or
// not a kernel exists.
#include "compiler/compile.h"
#include "compiler/diagnostics.h"
#include "compiler/evaluator.h"
#include "compiler/npy.h"
#include "compiler/quant.h"
#include "compiler/sample_data.h"
#include "passes/calibration.h"
#include "passes/passes.h"
#include "passes/qdq_rules.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// Statistics of `values` as the pass gathers them (range sweep, then histogram sweep).
ValueStats stats_of(const std::vector<float>& values) {
  ValueStats s;
  s.observe_range(values.data(), int64_t(values.size()));
  s.start_histogram(2048);
  s.observe_histogram(values.data(), int64_t(values.size()));
  return s;
}

// 100,000 values uniform in [lo, hi], plus `outliers` copies of `outlier`.
std::vector<float> uniform_with_outliers(float lo, float hi, int outliers, float outlier) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(100000);
  for (float& x : v) x = u(rng);
  for (int i = 0; i < outliers; ++i) v.push_back(outlier);
  return v;
}

double dequantize(int32_t q, const QuantParam& p) {
  return double(q - p.zero_point) * p.scale;
}

int count_op(const Graph& g, const std::string& op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op_type == op;
  return k;
}

const Node* producer_of(const Graph& g, int v) {
  return g.val(v).producer >= 0 ? &g.nodes[size_t(g.val(v).producer)] : nullptr;
}

double snr_db(const TensorData& ref, const TensorData& got) {
  double s = 0, n = 0;
  for (int64_t i = 0; i < ref.size(); ++i) {
    const double r = ref.get_f64(i), d = got.get_f64(i) - r;
    s += r * r;
    n += d * d;
  }
  return n == 0 ? 1e9 : 10 * std::log10(s / n);
}

// x[1,3,9,7] -> Conv(3->5, 3x3, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(60->4) -> y
Graph small_cnn(bool zero_channel = false) {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {1, 3, 9, 7});
  TensorData w = random_tensor(DType::F32, {5, 3, 3, 3}, -0.5, 0.5, 1);
  if (zero_channel)
    for (int i = 0; i < 27; ++i) w.data<float>()[2 * 27 + i] = 0;
  int c = b.node1(
      "Conv",
      {x, b.constant("w", w), b.constant("b", random_tensor(DType::F32, {5}, -0.2, 0.2, 2))},
      {{"pads", attr_ints({1, 1, 1, 1})}});
  int r = b.node1("Relu", {c});
  int p = b.node1("MaxPool", {r},
                  {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 2})}});
  int f = b.node1("Flatten", {p});
  int y = b.node1("Gemm",
                  {f, b.constant("fc", random_tensor(DType::F32, {4, 60}, -0.3, 0.3, 3)),
                   b.constant("fc_b", random_tensor(DType::F32, {4}, -0.1, 0.1, 4))},
                  {{"transB", attr_i(1)}});
  b.output(y);
  Graph g = b.finish();
  g.val(g.outputs[0]).name = "y";
  return g;
}

std::vector<std::vector<TensorData>> samples(int n, uint32_t seed) {
  std::vector<std::vector<TensorData>> s;
  for (int i = 0; i < n; ++i)
    s.push_back({random_tensor(DType::F32, {1, 3, 9, 7}, -1, 1, seed + uint32_t(i))});
  return s;
}

PassOptions quant_options(const std::string& method, bool all_ops, int n = 16) {
  PassOptions o;
  o.quant.enabled = true;
  o.quant.method = method;
  o.quant.all_ops = all_ops;
  o.quant.calib = samples(n, 100);
  o.quant.record = std::make_shared<QuantizeRecord>();
  return o;
}

// The float graph as the quantize pass sees it (after fuse-activation).
Graph prepared_cnn(bool zero_channel = false) {
  Graph g = small_cnn(zero_channel);
  fold_constants(g);
  fuse_activation(g);
  return g;
}

} // namespace

TEST_CASE("calibration: minmax keeps rare outliers, percentile clips them") {
  const ValueStats s = stats_of(uniform_with_outliers(-1, 1, 3, 50));
  const Range mm = choose_range(s, CalibMethod::MinMax);
  const Range pc = choose_range(s, CalibMethod::Percentile, 99.99);
  CHECK(mm.hi == Approx(50));
  CHECK(mm.lo == Approx(-1).margin(1e-3));
  CHECK(pc.hi < 1.1);
  CHECK(pc.hi > 0.9);
  CHECK(pc.lo < -0.9);
  // Three values at 50 among 100,000 cost more clipped than kept: mse keeps them, as it should.
  const Range ms = choose_range(s, CalibMethod::Mse);
  CHECK(quantization_mse(s, activation_param(ms.lo, ms.hi)) <=
        quantization_mse(s, activation_param(pc.lo, pc.hi)));
}

TEST_CASE("calibration: on a heavy-tailed distribution mse clips the tail, minmax does not") {
  std::mt19937 rng(3);
  std::exponential_distribution<float> e(1.0f);
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i % 2 ? 1.0f : -1.0f) * e(rng); // Laplace
  const ValueStats s = stats_of(v);
  const Range mm = choose_range(s, CalibMethod::MinMax);
  const Range ms = choose_range(s, CalibMethod::Mse);
  const Range pc = choose_range(s, CalibMethod::Percentile, 99.9);
  CHECK(mm.hi == Approx(s.max));
  CHECK(ms.hi < 0.95 * s.max);
  CHECK(ms.lo > 0.95 * s.min);
  CHECK(pc.hi < 0.8 * s.max);
  const double e_mm = quantization_mse(s, activation_param(mm.lo, mm.hi));
  const double e_ms = quantization_mse(s, activation_param(ms.lo, ms.hi));
  const double e_pc = quantization_mse(s, activation_param(pc.lo, pc.hi));
  CHECK(e_ms < 0.9 * e_mm);
  CHECK(e_ms <= e_pc);
}

TEST_CASE("calibration: without outliers every method keeps (nearly) the whole range") {
  const ValueStats s = stats_of(uniform_with_outliers(0, 2, 0, 0));
  for (CalibMethod m : {CalibMethod::MinMax, CalibMethod::Percentile, CalibMethod::Mse}) {
    INFO(calib_method_name(m));
    const Range r = choose_range(s, m);
    CHECK(r.hi > 1.9);
    CHECK(r.hi <= 2.0);
    CHECK(r.lo >= 0.0);
  }
}

TEST_CASE("calibration: exact zeros after Relu do not push mse to clip") {
  std::vector<float> v = uniform_with_outliers(0, 4, 0, 0);
  v.resize(v.size() * 3, 0.0f); // two thirds exact zeros
  const ValueStats s = stats_of(v);
  CHECK(s.zeros == Approx(200000));
  CHECK(choose_range(s, CalibMethod::Mse).hi > 3.8);
  const QuantParam q = activation_param(0, 4);
  CHECK(q.zero_point == -128);
}

TEST_CASE("calibration: method names") {
  CHECK(parse_calib_method("minmax") == CalibMethod::MinMax);
  CHECK(parse_calib_method("percentile") == CalibMethod::Percentile);
  CHECK(parse_calib_method("mse") == CalibMethod::Mse);
  CHECK_FALSE(parse_calib_method("kl"));
}

TEST_CASE("activation parameters: zero is exact, scales are positive") {
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{
           {-1.3, 2.7}, {0, 6}, {-5, -1}, {0.5, 0.5}, {3, 3}, {-2e-3, 1e-3}, {-100, 0.01}}) {
    INFO(lo << " .. " << hi);
    const QuantParam q = activation_param(lo, hi);
    CHECK(q.scale > 0);
    CHECK(q.zero_point >= -128);
    CHECK(q.zero_point <= 127);
    CHECK(dequantize(q.zero_point, q) == 0.0);
    CHECK(quantize_value(0.0f, q.scale, q.zero_point, DType::I8) == q.zero_point);
    // The range (with 0) is covered: its ends quantise within half a step.
    for (double end : {std::min(lo, 0.0), std::max(hi, 0.0)})
      CHECK(std::fabs(dequantize(quantize_value(float(end), q.scale, q.zero_point, DType::I8), q) -
                      end) <= q.scale * 0.5 + 1e-6);
    CHECK(exact_multiplier(q.scale));
  }
  const QuantParam z = activation_param(0, 0); // a constant-zero tensor
  CHECK(z.scale == 1.0f);
  CHECK(z.zero_point == 0);
}

TEST_CASE("weights: symmetric int8 per output channel, all-zero channels stay representable") {
  TensorData w(DType::F32, {3, 2, 2});
  const float v[] = {0.5f, -1.0f, 0.25f, 0.0f, 0, 0, 0, 0, 8.0f, -2.0f, 1.0f, -8.0f};
  std::copy(v, v + 12, w.data<float>());
  const ChannelQuant q = quantize_weights(w, 0);
  REQUIRE(q.scale.size() == 3);
  CHECK(q.scale[0] == float(1.0 / 127));
  CHECK(q.scale[2] == float(8.0 / 127));
  CHECK(q.scale[1] > 0); // the zero row borrows the smallest scale
  CHECK(q.scale[1] == q.scale[0]);
  const int8_t* d = q.q.data<int8_t>();
  CHECK(d[1] == -127);
  CHECK(d[0] == 64); // 0.5 * 127 = 63.5 rounds half to even
  for (int i = 4; i < 8; ++i) CHECK(d[i] == 0);
  CHECK(d[8] == 127);
  CHECK(d[11] == -127);
  for (int i = 0; i < 12; ++i) {
    CHECK(d[i] >= -127);
    CHECK(std::fabs(d[i] * q.scale[size_t(i / 4)] - v[i]) <= q.scale[size_t(i / 4)] / 2 + 1e-7);
  }
  // Gemm without transB: channels along axis 1.
  TensorData g(DType::F32, {2, 3});
  const float gv[] = {1, 0, -3, -2, 0, 1.5f};
  std::copy(gv, gv + 6, g.data<float>());
  const ChannelQuant gq = quantize_weights(g, 1);
  REQUIRE(gq.scale.size() == 3);
  CHECK(gq.scale[0] == float(2.0 / 127));
  CHECK(gq.scale[2] == float(3.0 / 127));
  CHECK(gq.q.data<int8_t>()[3] == -127);
}

TEST_CASE("bias: int32 with scale x_scale * w_scale[c]") {
  TensorData b(DType::F32, {2});
  b.data<float>()[0] = 0.3f;
  b.data<float>()[1] = -3.0f;
  const BiasQuant q = quantize_bias(b, 0.02f, {0.01f, 0.5f});
  CHECK(q.scale[0] == 0.02f * 0.01f);
  CHECK(q.q.data<int32_t>()[0] == int32_t(std::nearbyint(0.3 / double(0.02f * 0.01f))));
  CHECK(q.q.data<int32_t>()[1] == int32_t(std::nearbyint(-3.0 / double(0.02f * 0.5f))));

  const BiasQuant big = quantize_bias(b, 1e-6f, {1e-6f, 1e-6f}); // saturates, no overflow
  CHECK(big.q.data<int32_t>()[1] == -2147483647);
}

TEST_CASE("npy: reads float32 and integer arrays, rejects what it cannot read") {
  auto npy = [](const std::string& descr, const std::string& shape, size_t bytes,
                const std::string& order = "False") {
    std::string h =
        "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string f = "\x93NUMPY";
    f += char(1);
    f += char(0);
    f += char(h.size() & 0xff);
    f += char(h.size() >> 8);
    return f + h + std::string(bytes, '\0');
  };
  TensorData t = parse_npy(npy("<f4", "(2, 3)", 24), "t");
  CHECK(t.dtype == DType::F32);
  CHECK(t.shape == Shape{2, 3});
  CHECK(parse_npy(npy("<i8", "(5,)", 40), "t").shape == Shape{5});
  CHECK(parse_npy(npy("|u1", "()", 1), "t").shape == Shape{});
  CHECK_THROWS_WITH(parse_npy("hello", "t"), Catch::Contains("not a NumPy .npy file"));
  CHECK_THROWS_WITH(parse_npy(npy("<f4", "(2, 3)", 20), "t"), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(parse_npy(npy("<f4", "(2, 3)", 24, "True"), "t"), Catch::Contains("Fortran"));
  CHECK_THROWS_WITH(parse_npy(npy(">f4", "(2,)", 8), "t"), Catch::Contains("big-endian"));
  CHECK_THROWS_WITH(parse_npy(npy("<c8", "(2,)", 16), "t"), Catch::Contains("not supported"));
  CHECK_THROWS_WITH(read_npy("/nonexistent/x.npy"), Catch::Contains("cannot read"));
}

TEST_CASE("samples: N x shape, N x shape without the batch dim, one sample, bad ones named") {
  Value v;
  v.name = "image";
  v.dtype = DType::F32;
  v.shape = {1, 2, 3};
  TensorData a = random_tensor(DType::F32, {4, 1, 2, 3}, -1, 1, 5);
  auto s = split_samples(a, v, "x");
  REQUIRE(s.size() == 4);
  CHECK(s[3].shape == v.shape);
  CHECK(s[3].data<float>()[5] == a.data<float>()[23]);
  CHECK(split_samples(random_tensor(DType::F32, {7, 2, 3}, -1, 1, 6), v, "x").size() == 7);
  CHECK(split_samples(random_tensor(DType::F32, {1, 2, 3}, -1, 1, 6), v, "x").size() == 1);
  CHECK_THROWS_WITH(split_samples(random_tensor(DType::F32, {4, 3, 2}, -1, 1, 6), v, "x"),
                    Catch::Contains("does not fit input 'image'"));
  CHECK_THROWS_WITH(split_samples(random_tensor(DType::F64, {4, 2, 3}, -1, 1, 6), v, "x"),
                    Catch::Contains("float64") && Catch::Contains("float32"));
}

TEST_CASE("quantize: Conv/Gemm get int8 weights, int32 bias and QDQ activations") {
  Graph g = prepared_cnn();
  const Graph before = g;
  PassOptions o = quant_options("minmax", true);
  quantize(g, o);
  REQUIRE(o.quant.record);
  CHECK(o.quant.record->float_graph.nodes.size() == before.nodes.size());
  CHECK(o.quant.record->method == "minmax");
  CHECK(o.quant.record->samples == 16);

  int convs = 0, gemms = 0;
  for (const Node& n : g.nodes) {
    if (n.op_type != "Conv" && n.op_type != "Gemm") continue;
    (n.op_type == "Conv" ? convs : gemms)++;
    INFO(n.label());
    // Input, weight and bias come from DequantizeLinear.
    const Node* dx = producer_of(g, n.input(0));
    const Node* dw = producer_of(g, n.input(1));
    const Node* db = producer_of(g, n.input(2));
    REQUIRE(dx);
    REQUIRE(dw);
    REQUIRE(db);
    CHECK(dx->op_type == "DequantizeLinear");
    CHECK(dw->op_type == "DequantizeLinear");
    CHECK(db->op_type == "DequantizeLinear");
    const Value& wq = g.val(dw->input(0));
    REQUIRE(wq.constant);
    CHECK(wq.dtype == DType::I8);
    CHECK(dw->attr_i("axis", -1) == 0);
    const TensorData& ws = *g.val(dw->input(1)).constant;
    CHECK(ws.size() == wq.shape[0]);
    for (int64_t i = 0; i < wq.constant->size(); ++i) CHECK(wq.constant->data<int8_t>()[i] >= -127);
    for (int64_t i = 0; i < g.val(dw->input(2)).constant->size(); ++i)
      CHECK(g.val(dw->input(2)).constant->get_i64(i) == 0);
    // Bias scale = input scale * weight scale, per channel.
    CHECK(g.val(db->input(0)).dtype == DType::I32);
    const float sx = float(g.val(dx->input(1)).constant->get_f64(0));
    const TensorData& bs = *g.val(db->input(1)).constant;
    REQUIRE(bs.size() == ws.size());
    for (int64_t c = 0; c < bs.size(); ++c)
      CHECK(float(bs.get_f64(c)) == sx * float(ws.get_f64(c)));
    // The input's DequantizeLinear reads a QuantizeLinear with the same parameters.
    const Node* qx = producer_of(g, dx->input(0));
    REQUIRE(qx);
    CHECK(qx->op_type == "QuantizeLinear");
    CHECK(qx->input(1) == dx->input(1));
    // The output goes to exactly one QuantizeLinear.
    const auto readers = g.consumers()[size_t(n.output(0))];
    REQUIRE(readers.size() == 1);
    CHECK(g.nodes[size_t(readers[0])].op_type == "QuantizeLinear");
  }
  CHECK(convs == 1);
  CHECK(gemms == 1);
  // The fused Relu stays fused and its range is calibrated after it: zero point -128.
  for (const Node& n : g.nodes)
    if (n.op_type == "Conv") {
      CHECK(n.act.kind == ActKind::Relu);
      const Node& q = g.nodes[size_t(g.consumers()[size_t(n.output(0))][0])];
      CHECK(g.val(q.input(2)).constant->get_i64(0) == -128);
    }
  // The graph output keeps its name and is the last DequantizeLinear's result.
  CHECK(g.val(g.outputs[0]).name == "y");
  REQUIRE(producer_of(g, g.outputs[0]));
  CHECK(producer_of(g, g.outputs[0])->op_type == "DequantizeLinear");
  CHECK(count_op(g, "QuantizeLinear") == count_op(g, "DequantizeLinear") - 4); // 4 weights+biases
  CHECK(o.quant.record->weights == 4);
}

TEST_CASE("quantize: the QDQ graph stays close to the float graph, for every method") {
  for (const char* method : {"minmax", "percentile", "mse"}) {
    INFO(method);
    Graph f = prepared_cnn(true);
    Graph q = f;
    quantize(q, quant_options(method, true, 24));
    for (const auto& s : samples(8, 900)) { // samples the calibration never saw
      const auto a = evaluate(f, s), b = evaluate(q, s);
      CHECK(snr_db(a[0], b[0]) > 25);
    }
  }
}

TEST_CASE("quantize: whole pipeline, and the generated code computes what the evaluator does") {
  Graph g = small_cnn();
  PassOptions o = quant_options("mse", true);
  run_pipeline(g, o);
  const Graph& f = o.quant.record->float_graph;
  const auto x = samples(1, 555)[0];
  const auto want = evaluate(g, x);
  CHECK(snr_db(evaluate(f, x)[0], want[0]) > 20);
  const auto run = compile_and_run(g, x, false);
  CHECK(max_abs_diff(run.outputs[0], want[0]) <= 1e-4);
}

TEST_CASE("quantize: QDQ pairs only next to ops with an int8 rule, or at the float boundary") {
  Graph g = prepared_cnn();
  quantize(g, quant_options("percentile", false));
  const auto readers = g.consumers();
  int pairs = 0;
  for (const Node& q : g.nodes) {
    if (q.op_type != "QuantizeLinear") continue;
    ++pairs;
    // The pair exists because of an op with a rule on one side of it.
    bool next_to_rule = false;
    const Node* p = producer_of(g, q.input(0));
    if (p && find_qdq_rule(p->op_type)) next_to_rule = true;
    for (int dq : readers[size_t(q.output(0))])
      for (int r : readers[size_t(g.nodes[size_t(dq)].output(0))])
        if (find_qdq_rule(g.nodes[size_t(r)].op_type)) next_to_rule = true;
    CHECK(next_to_rule);
  }
  // Every op that has a rule reads and writes quantised values.
  for (const Node& n : g.nodes) {
    if (n.op_type.empty() || n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear" ||
        !find_qdq_rule(n.op_type))
      continue;
    INFO(n.label());
    const Node* d = producer_of(g, n.input(0));
    REQUIRE(d);
    CHECK(d->op_type == "DequantizeLinear");
  }
  // MaxPool has a rule (data movement) in every build: this graph has at least its pair.
  CHECK(pairs >= 1);
}

TEST_CASE("quantize: refuses missing calibration data and already quantised models") {
  Graph g = prepared_cnn();
  PassOptions o;
  o.quant.enabled = true;
  CHECK_THROWS_WITH(quantize(g, o), Catch::Contains("--calib"));
  o = quant_options("kl", true);
  CHECK_THROWS_WITH(quantize(g, o), Catch::Contains("not supported"));
  Graph q = prepared_cnn();
  quantize(q, quant_options("minmax", true));
  CHECK_THROWS_WITH(quantize(q, quant_options("minmax", true)),
                    Catch::Contains("already quantised"));
}

TEST_CASE("quantize: a constant-zero activation gets a positive scale") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {1, 4});
  int z = b.node1("Mul", {x, b.constant("zero", tensor_f32({1, 4}, {0, 0, 0, 0}))});
  int y = b.node1("Gemm", {z, b.constant("w", random_tensor(DType::F32, {3, 4}, -1, 1, 9))},
                  {{"transB", attr_i(1)}});
  b.output(y);
  Graph g = b.finish();
  PassOptions o;
  o.quant.enabled = true;
  o.quant.all_ops = true;
  o.quant.calib = {{random_tensor(DType::F32, {1, 4}, -1, 1, 10)}};
  quantize(g, o);
  for (const Node& n : g.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") {
      const TensorData& s = *g.val(n.input(1)).constant;
      for (int64_t i = 0; i < s.size(); ++i) CHECK(s.get_f64(i) > 0);
    }
  const auto out = evaluate(g, o.quant.calib[0]);
  for (int64_t i = 0; i < out[0].size(); ++i) CHECK(out[0].get_f64(i) == 0);
}

TEST_CASE("quantize: a Gemm bias that cannot be int32 (beta != 1) stays float") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {1, 4});
  int y = b.node1("Gemm",
                  {x, b.constant("w", random_tensor(DType::F32, {3, 4}, -1, 1, 11)),
                   b.constant("c", random_tensor(DType::F32, {3}, -1, 1, 12))},
                  {{"transB", attr_i(1)}, {"beta", attr_f(0.5f)}});
  b.output(y);
  Graph g = b.finish();
  const Graph f = g;
  PassOptions o;
  o.quant.enabled = true;
  o.quant.all_ops = true;
  for (uint32_t i = 0; i < 8; ++i)
    o.quant.calib.push_back({random_tensor(DType::F32, {1, 4}, -1, 1, 20 + i)});
  quantize(g, o);
  for (const Node& n : g.nodes)
    if (n.op_type == "Gemm") {
      CHECK(g.val(n.input(2)).constant);
      CHECK(g.val(n.input(2)).name == "c");
      REQUIRE(producer_of(g, n.input(1)));
      CHECK(producer_of(g, n.input(1))->op_type == "DequantizeLinear");
    }
  CHECK(snr_db(evaluate(f, o.quant.calib[0])[0], evaluate(g, o.quant.calib[0])[0]) > 25);
}

TEST_CASE("quantize: MaxPool and Flatten keep their input's quantisation, so they run on int8") {
  Graph g = prepared_cnn();
  quantize(g, quant_options("mse", true));
  int checked = 0;
  for (const Node& n : g.nodes) {
    if (n.op_type != "MaxPool" && n.op_type != "Flatten") continue;
    INFO(n.label());
    const Node* dq = producer_of(g, n.input(0));
    REQUIRE(dq);
    REQUIRE(dq->op_type == "DequantizeLinear");
    const Node& q = g.nodes[size_t(g.consumers()[size_t(n.output(0))].at(0))];
    REQUIRE(q.op_type == "QuantizeLinear");
    CHECK(g.val(q.input(1)).constant->get_f64(0) == g.val(dq->input(1)).constant->get_f64(0));
    CHECK(g.val(q.input(2)).constant->get_i64(0) == g.val(dq->input(2)).constant->get_i64(0));
    ++checked;
  }
  CHECK(checked == 2);
  // lower-qdq then runs both on int8 (the data-movement rule exists in every build).
  PassOptions none;
  lower_qdq(g, none);
  for (const Node& n : g.nodes)
    if (n.op_type == "MaxPool" || n.op_type == "Flatten")
      CHECK(g.val(n.output(0)).dtype == DType::I8);
}
