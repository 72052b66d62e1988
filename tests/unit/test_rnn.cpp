// LSTM, GRU and RNN kernels against the reference evaluator on odd sizes, every direction and
// layout, with and without the optional inputs and outputs; a few properties of the reference
// itself; and a two-layer LSTM gesture classifier of the size a smart ring runs.
#include "compiler/diagnostics.h"
#include "compiler/evaluator.h"
#include "compiler/op_registry.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

Attr attr_strings(std::vector<std::string> v) {
  Attr a;
  a.kind = AttrKind::Strings;
  a.strings = std::move(v);
  return a;
}

TensorData tensor_i32(Shape s, std::vector<int32_t> v) {
  TensorData d(DType::I32, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) d.data<int32_t>()[i] = v[i];
  return d;
}

enum class Lens { None, Full, Constant, Runtime };

struct Case {
  std::string op = "LSTM";
  std::string direction = "forward";
  int layout = 0;
  int64_t seq = 5, batch = 3, input = 7, hidden = 6;
  bool bias = true, h0 = false, c0 = false, peep = false;
  bool weights_at_runtime = false; // W, R, B as model inputs rather than constants
  Lens lens = Lens::None;
  std::vector<int32_t> lens_values = {5, 2, 4};
  bool y = true, yh = true, yc = true;
  std::map<std::string, Attr> attrs;

  int gates() const { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
  int64_t dirs() const { return direction == "bidirectional" ? 2 : 1; }
  Shape state() const {
    return layout == 0 ? Shape{dirs(), batch, hidden} : Shape{batch, dirs(), hidden};
  }
  std::string describe() const {
    return op + " " + direction + " layout " + std::to_string(layout) + " bias " +
           std::to_string(bias) + " h0 " + std::to_string(h0) + " c0 " + std::to_string(c0) +
           " P " + std::to_string(peep) + " lens " + std::to_string(int(lens)) + " outputs " +
           std::to_string(y) + std::to_string(yh) + std::to_string(yc);
  }
};

struct Built {
  Graph g;
  std::vector<TensorData> inputs;
};

// One recurrent node; random weights, inputs in [-1, 1].
Built build(const Case& c) {
  GraphBuilder b;
  std::vector<TensorData> feeds;
  uint32_t seed = 11;
  auto add = [&](const std::string& name, TensorData t, bool runtime) {
    if (!runtime) return b.constant(name, std::move(t));
    int id = b.input(name, t.dtype, t.shape);
    feeds.push_back(std::move(t));
    return id;
  };
  auto rnd = [&](Shape s, double scale) {
    return random_tensor(DType::F32, s, -scale, scale, seed++);
  };
  const int64_t G = c.gates(), H = c.hidden, D = c.dirs();
  const Shape xs = c.layout == 0 ? Shape{c.seq, c.batch, c.input} : Shape{c.batch, c.seq, c.input};
  std::vector<int> in(size_t(c.op == "LSTM" ? 8 : 6), -1);
  in[0] = add("X", rnd(xs, 1.0), true);
  in[1] = add("W", rnd({D, G * H, c.input}, 0.5), c.weights_at_runtime);
  in[2] = add("R", rnd({D, G * H, H}, 0.5), c.weights_at_runtime);
  if (c.bias) in[3] = add("B", rnd({D, 2 * G * H}, 0.5), c.weights_at_runtime);
  if (c.lens == Lens::Full)
    in[4] =
        add("lens", tensor_i32({c.batch}, std::vector<int32_t>(size_t(c.batch), int32_t(c.seq))),
            false);
  if (c.lens == Lens::Constant || c.lens == Lens::Runtime)
    in[4] = add("lens", tensor_i32({c.batch}, c.lens_values), c.lens == Lens::Runtime);
  if (c.h0) in[5] = add("initial_h", rnd(c.state(), 1.0), true);
  if (c.op == "LSTM") {
    if (c.c0) in[6] = add("initial_c", rnd(c.state(), 1.0), false);
    if (c.peep) in[7] = add("P", rnd({D, 3 * H}, 0.5), false);
  }
  while (!in.empty() && in.back() < 0) in.pop_back();
  std::map<std::string, Attr> attrs = c.attrs;
  attrs["hidden_size"] = attr_i(H);
  attrs["direction"] = attr_s(c.direction);
  attrs["layout"] = attr_i(c.layout);
  const int n_out = c.op == "LSTM" ? 3 : 2;
  std::vector<int> outs = b.node(c.op, in, n_out, attrs);
  const bool wanted[3] = {c.y, c.yh, c.yc};
  for (int k = 0; k < n_out; ++k) {
    if (wanted[k])
      b.output(outs[size_t(k)]);
    else
      b.graph().nodes.back().outputs[size_t(k)] = -1;
  }
  return {b.finish(), feeds};
}

// Generated code and evaluator agree, and the result is not trivially zero.
void check_matches(const Case& c) {
  INFO(c.describe());
  Built m = build(c);
  auto ref = evaluate(m.g, m.inputs);
  auto got = compile_and_run(m.g, m.inputs).outputs;
  REQUIRE(ref.size() == got.size());
  for (size_t k = 0; k < ref.size(); ++k) {
    INFO("output " << k);
    CHECK(max_abs_diff(ref[k], got[k]) <= 1e-6);
    double norm = 0;
    for (int64_t i = 0; i < ref[k].size(); ++i) norm += std::fabs(ref[k].get_f64(i));
    CHECK(norm > 0.01);
  }
}

std::vector<Case> variants(const std::string& op) {
  std::vector<Case> v;
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    for (int layout : {0, 1}) {
      Case c;
      c.op = op;
      c.direction = dir;
      c.layout = layout;
      v.push_back(c); // bias only
      c.bias = false;
      c.h0 = c.c0 = c.peep = true;
      c.lens = layout ? Lens::Runtime : Lens::Constant;
      v.push_back(c); // no bias, everything else
    }
  }
  return v;
}

} // namespace

TEST_CASE("LSTM kernel matches the evaluator in every direction and layout", "[rnn]") {
  for (const Case& c : variants("LSTM")) check_matches(c);
}

TEST_CASE("GRU kernel matches the evaluator in every direction and layout", "[rnn]") {
  for (Case c : variants("GRU")) {
    check_matches(c);
    c.attrs["linear_before_reset"] = attr_i(1);
    check_matches(c);
  }
}

TEST_CASE("RNN kernel matches the evaluator in every direction and layout", "[rnn]") {
  for (const Case& c : variants("RNN")) check_matches(c);
}

TEST_CASE("recurrent kernels write only the outputs the node has", "[rnn]") {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    Case c;
    c.op = op;
    c.direction = "bidirectional";
    c.y = false;
    c.yc = false;
    check_matches(c);
    c.y = true;
    c.yh = false;
    check_matches(c);
  }
  Case c;
  c.yh = c.y = false; // LSTM with only Y_c
  check_matches(c);
}

TEST_CASE("weights given as model inputs work like constant weights", "[rnn]") {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    Case c;
    c.op = op;
    c.weights_at_runtime = true;
    c.h0 = true;
    check_matches(c);
  }
}

TEST_CASE("run-time sequence lengths: clamped per batch entry, zero Y past the length", "[rnn]") {
  Case c;
  c.direction = "bidirectional";
  c.lens = Lens::Runtime;
  c.batch = 4;
  c.lens_values = {3, 0, 9, -2}; // 9 clamps to 5, -2 to 0
  c.h0 = true;
  check_matches(c);
  c.op = "GRU";
  check_matches(c);
  c.op = "RNN";
  check_matches(c);

  // The reference itself: forward Y_h is Y at the last valid step, Y is zero after it, and an
  // empty sequence gives zero final state.
  c.op = "LSTM";
  c.direction = "forward";
  c.lens_values = {3, 0, 5, 1};
  Built m = build(c);
  auto out = evaluate(m.g, m.inputs);
  const TensorData &y = out[0], &yh = out[1];
  auto Y = [&](int64_t t, int64_t b, int64_t j) {
    return y.data<float>()[(t * c.batch + b) * c.hidden + j];
  };
  for (int64_t j = 0; j < c.hidden; ++j) {
    CHECK(yh.data<float>()[0 * c.hidden + j] == Y(2, 0, j));
    CHECK(Y(3, 0, j) == 0.0f);
    CHECK(Y(0, 1, j) == 0.0f);
    CHECK(yh.data<float>()[1 * c.hidden + j] == 0.0f);
    CHECK(yh.data<float>()[2 * c.hidden + j] == Y(4, 2, j));
    CHECK(Y(0, 3, j) != 0.0f);
  }
}

TEST_CASE("a constant full-length sequence_lens is treated as absent", "[rnn]") {
  Case c;
  c.lens = Lens::Full;
  Built m = build(c);
  auto run = compile_and_run(m.g, m.inputs);
  CHECK(run.source.find("has_lens = 0") != std::string::npos);
  auto ref = evaluate(m.g, m.inputs);
  for (size_t k = 0; k < ref.size(); ++k) CHECK(max_abs_diff(ref[k], run.outputs[k]) <= 1e-6);
}

TEST_CASE("reverse direction equals forward over the reversed sequence", "[rnn]") {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    INFO(op);
    Case c;
    c.op = op;
    c.yc = false;
    Built fwd = build(c);
    c.direction = "reverse";
    Built rev = build(c);
    // Same weights (same seeds); reverse the time axis of X for the forward run.
    TensorData x = rev.inputs[0];
    const int64_t row = c.batch * c.input;
    for (int64_t t = 0; t < c.seq; ++t)
      std::copy_n(rev.inputs[0].data<float>() + (c.seq - 1 - t) * row, row,
                  x.data<float>() + t * row);
    auto f = evaluate(fwd.g, {x});
    auto r = evaluate(rev.g, rev.inputs);
    CHECK(max_abs_diff(f[1], r[1]) == 0);
  }
}

TEST_CASE("every gate activation with alpha/beta, clip and input_forget", "[rnn]") {
  // RNN, bidirectional: two activations per run.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Relu", "Affine"},  {"HardSigmoid", "LeakyRelu"}, {"ThresholdedRelu", "ScaledTanh"},
      {"Elu", "Softsign"}, {"Softplus", "Sigmoid"},      {"tanh", "relu"}};
  for (const auto& [a, b] : pairs) {
    Case c;
    c.op = "RNN";
    c.direction = "bidirectional";
    c.attrs["activations"] = attr_strings({a, b});
    c.attrs["activation_alpha"] = attr_floats({0.3f, 0.7f});
    c.attrs["activation_beta"] = attr_floats({0.4f, 0.6f});
    check_matches(c);
  }
  Case l;
  l.direction = "bidirectional";
  l.peep = true;
  l.attrs["activations"] =
      attr_strings({"HardSigmoid", "ScaledTanh", "Softsign", "Sigmoid", "Elu", "Softplus"});
  l.attrs["activation_alpha"] = attr_floats({0.25f, 0.9f, 1.5f});
  l.attrs["activation_beta"] = attr_floats({0.45f, 1.1f});
  l.attrs["clip"] = attr_f(0.8f);
  check_matches(l);
  l.attrs.erase("activations");
  l.attrs["input_forget"] = attr_i(1);
  check_matches(l);
  Case g;
  g.op = "GRU";
  g.attrs["activations"] = attr_strings({"HardSigmoid", "Softsign"});
  g.attrs["clip"] = attr_f(0.5f);
  check_matches(g);
}

TEST_CASE("clip bounds the gate pre-activations in the evaluator", "[rnn]") {
  // A huge input saturates a Relu RNN unless clip bounds it: h = min(pre, clip).
  Case c;
  c.op = "RNN";
  c.attrs["activations"] = attr_strings({"Relu"});
  c.attrs["clip"] = attr_f(0.25f);
  Built m = build(c);
  auto out = evaluate(m.g, m.inputs);
  double mx = 0;
  for (int64_t i = 0; i < out[0].size(); ++i) mx = std::max(mx, out[0].get_f64(i));
  CHECK(mx == Approx(0.25));
}

TEST_CASE("unsupported recurrent attributes say so", "[rnn]") {
  Case c;
  c.attrs["activations"] = attr_strings({"Gelu", "Tanh", "Tanh"});
  CHECK_THROWS_WITH(build(c), Catch::Contains("not supported"));
  Case d;
  d.direction = "sideways";
  CHECK_THROWS_WITH(build(d), Catch::Contains("not supported"));
  Case e;
  e.attrs["activations"] = attr_strings({"Sigmoid", "Tanh"});
  CHECK_THROWS_WITH(build(e), Catch::Contains("activations given"));
}

// A smart-ring gesture classifier as PyTorch exports it: 50 steps of 6 IMU channels, two
// stacked LSTMs of 32 units, the last hidden state into a dense layer over 8 gestures.
TEST_CASE("two-layer LSTM gesture model matches the evaluator", "[rnn]") {
  const int64_t S = 50, C = 6, H = 32, K = 8;
  GraphBuilder b;
  uint32_t seed = 100;
  auto w = [&](const std::string& name, Shape s) {
    return b.constant(name, random_tensor(DType::F32, s, -0.3, 0.3, seed++));
  };
  int x = b.input("imu", DType::F32, {S, 1, C});
  std::vector<int> l1 =
      b.node("LSTM", {x, w("W1", {1, 4 * H, C}), w("R1", {1, 4 * H, H}), w("B1", {1, 8 * H})}, 3,
             {{"hidden_size", attr_i(H)}}); // Y, Y_h, Y_c as exported; only Y is read
  int seq = b.node1("Squeeze", {l1[0], b.constant("axes", tensor_i64({1}, {1}))});
  std::vector<int> l2 =
      b.node("LSTM", {seq, w("W2", {1, 4 * H, H}), w("R2", {1, 4 * H, H}), w("B2", {1, 8 * H})}, 3,
             {{"hidden_size", attr_i(H)}}); // only Y_h is read
  int last = b.node1("Reshape", {l2[1], b.constant("shape", tensor_i64({2}, {1, H}))});
  const bool have_gemm = OpRegistry::instance().find("", "Gemm") != nullptr;
  if (have_gemm) {
    b.output(b.node1("Gemm", {last, w("Wd", {K, H}), w("bd", {K})}, {{"transB", attr_i(1)}}));
  } else {
    WARN("Gemm is not registered in this build: checking the LSTM stack without the dense head");
    b.output(last);
  }
  Graph g = b.finish();
  std::vector<TensorData> in = {random_tensor(DType::F32, {S, 1, C}, -2, 2, 7)};
  auto ref = evaluate(g, in);
  auto run = compile_and_run(g, in);
  CHECK(ref[0].shape == Shape{1, have_gemm ? K : H});
  CHECK(max_abs_diff(ref[0], run.outputs[0]) <= 1e-5);
  CHECK(run.source.find("tk::lstm_f32<") != std::string::npos);
  // drop_unused_outputs: layer 1 computes only Y, layer 2 only Y_h.
  CHECK(run.source.find("has_Y = 1") != std::string::npos);
  CHECK(run.source.find("has_Y = 0") != std::string::npos);
  CHECK(run.source.find("has_Yh = 1") != std::string::npos);
  CHECK(run.source.find("has_Yc = 1") == std::string::npos);
}
