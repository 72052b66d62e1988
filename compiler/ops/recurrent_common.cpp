#include "recurrent_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace tinyc::ops::recurrent {

namespace {

struct ActInfo {
  const char* name; // lower case
  RnnAct kind;
  bool uses_alpha, uses_beta;
  float alpha, beta; // defaults, as the ONNX operators of the same name
};

const std::vector<ActInfo>& act_table() {
  static const std::vector<ActInfo> t = {
      {"sigmoid", RnnAct::Sigmoid, false, false, 0, 0},
      {"tanh", RnnAct::Tanh, false, false, 0, 0},
      {"relu", RnnAct::Relu, false, false, 0, 0},
      {"hardsigmoid", RnnAct::HardSigmoid, true, true, 0.2f, 0.5f},
      {"affine", RnnAct::Affine, true, true, 1.0f, 0.0f},
      {"leakyrelu", RnnAct::LeakyRelu, true, false, 0.01f, 0},
      {"thresholdedrelu", RnnAct::ThresholdedRelu, true, false, 1.0f, 0},
      {"scaledtanh", RnnAct::ScaledTanh, true, true, 1.0f, 1.0f},
      {"elu", RnnAct::Elu, true, false, 1.0f, 0},
      {"softsign", RnnAct::Softsign, false, false, 0, 0},
      {"softplus", RnnAct::Softplus, false, false, 0, 0},
  };
  return t;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// activation_alpha / activation_beta are consumed in order by the activations that take them
// (as onnxruntime does); an activation left without a value gets its operator's default.
std::vector<Activation> parse_activations(const Kind& k, const Node& n, int64_t dirs) {
  std::vector<std::string> names = k.default_acts;
  if (n.has_attr("activations")) names = n.attrs.at("activations").strings;
  const size_t per = k.default_acts.size();
  if (names.size() == per && dirs == 2) {
    std::vector<std::string> both = names;
    both.insert(both.end(), names.begin(), names.end());
    names = both;
  }
  if (names.size() != per * size_t(dirs))
    fail("node {}: {} activations given, expected {} ({} per direction)", n.label(), names.size(),
         per * size_t(dirs), per);
  const std::vector<float> alphas = n.attr_floats("activation_alpha", {});
  const std::vector<float> betas = n.attr_floats("activation_beta", {});
  size_t next_alpha = 0, next_beta = 0;
  std::vector<Activation> acts;
  for (const auto& name : names) {
    const std::string key = lower(name);
    auto it = std::find_if(act_table().begin(), act_table().end(),
                           [&](const ActInfo& a) { return key == a.name; });
    if (it == act_table().end())
      fail("node {}: activation '{}' is not supported by tinyc", n.label(), name);
    Activation a;
    a.kind = it->kind;
    a.alpha = it->alpha;
    a.beta = it->beta;
    if (it->uses_alpha && next_alpha < alphas.size()) a.alpha = alphas[next_alpha++];
    if (it->uses_beta && next_beta < betas.size()) a.beta = betas[next_beta++];
    acts.push_back(a);
  }
  return acts;
}

void require_shape(const Graph& g, const Node& n, size_t k, const char* what, const Shape& want) {
  if (n.input(k) < 0) return;
  const Value& v = g.val(n.input(k));
  if (v.shape != want)
    fail("node {}: {} '{}' has shape {}, expected {}", n.label(), what, v.name, shape_str(v.shape),
         shape_str(want));
}

bool has_input(const Node& n, size_t k) {
  return n.input(k) >= 0;
}
bool has_output(const Node& n, size_t k) {
  return n.output(k) >= 0;
}

void infer(const Kind& k, Graph& g, Node& n) {
  if (input_count(n) > size_t(k.max_inputs))
    fail("node {}: has {} inputs, {} takes at most {}", n.label(), input_count(n), k.op_type,
         k.max_inputs);
  for (size_t i = 0; i < n.outputs.size(); ++i)
    if (n.outputs[i] >= 0 && i >= size_t(k.max_outputs))
      fail("node {}: has {} outputs, {} has at most {}", n.label(), n.outputs.size(), k.op_type,
           k.max_outputs);
  for (size_t i = 0; i < size_t(k.max_inputs); ++i) {
    if (!has_input(n, i)) continue;
    if (i == kLens)
      require_dtype(g, n, i, {DType::I32});
    else
      require_dtype(g, n, i, {DType::F32});
  }
  const Shape& x = input(g, n, kX).shape;
  const Shape& w = input(g, n, kW).shape;
  input(g, n, kR);
  if (x.size() != 3) fail("node {}: X must have rank 3, has shape {}", n.label(), shape_str(x));
  if (w.size() != 3) fail("node {}: W must have rank 3, has shape {}", n.label(), shape_str(w));
  Config c = parse_config(k, n, x, w);
  const int64_t G = k.gates, H = c.hidden, D = c.dirs;
  require_shape(g, n, kW, "W", {D, G * H, c.input});
  require_shape(g, n, kR, "R", {D, G * H, H});
  require_shape(g, n, kB, "B", {D, 2 * G * H});
  require_shape(g, n, kLens, "sequence_lens", {c.batch});
  require_shape(g, n, kH0, "initial_h", c.state_shape());
  if (k.cell_state) {
    require_shape(g, n, kC0, "initial_c", c.state_shape());
    require_shape(g, n, kPeep, "P", {D, 3 * H});
  }
  // The kernels index with int: every tensor must have fewer than 2^31 elements.
  for (const Shape& s : {x, w, input(g, n, kR).shape, c.y_shape()})
    if (numel(s) > std::numeric_limits<int32_t>::max())
      fail("node {}: tensors of {} elements are not supported", n.label(), numel(s));
  set_output(g, n, kY, DType::F32, c.y_shape());
  set_output(g, n, kYh, DType::F32, c.state_shape());
  if (k.cell_state) set_output(g, n, kYc, DType::F32, c.state_shape());
}

// Valid steps of batch entry b: sequence_lens[b] clamped to [0, seq] (the kernel does the same).
int64_t seq_len(const Config& c, const TensorData* lens, int64_t b) {
  if (!lens) return c.seq;
  return std::clamp<int64_t>(lens->get_i64(b), 0, c.seq);
}

std::vector<TensorData> evaluate(const Kind& k, const Node& n, const Inputs& in) {
  const Config c = parse_config(k, n, in[kX]->shape, in[kW]->shape);
  const int64_t H = c.hidden, I = c.input;
  TensorData y(DType::F32, c.y_shape()), yh(DType::F32, c.state_shape()),
      yc(DType::F32, c.state_shape());
  const TensorData* lens = opt_input(in, kLens);
  const TensorData* h0 = opt_input(in, kH0);
  const TensorData* c0 = k.cell_state ? opt_input(in, kC0) : nullptr;
  const float* x = in[kX]->data<float>();
  auto x_at = [&](int64_t t, int64_t b) {
    return x + (c.layout == 0 ? (t * c.batch + b) * I : (b * c.seq + t) * I);
  };
  auto y_at = [&](int64_t t, int64_t d, int64_t b) {
    return y.data<float>() + (c.layout == 0 ? ((t * c.dirs + d) * c.batch + b) * H
                                            : ((b * c.seq + t) * c.dirs + d) * H);
  };
  auto state_at = [&](int64_t d, int64_t b) {
    return c.layout == 0 ? (d * c.batch + b) * H : (b * c.dirs + d) * H;
  };
  for (int64_t d = 0; d < c.dirs; ++d) {
    const bool reverse = c.direction == 1 || (c.direction == 2 && d == 1);
    for (int64_t b = 0; b < c.batch; ++b) {
      std::vector<float> h(size_t(H), 0.0f), cell(size_t(H), 0.0f);
      if (h0) std::copy_n(h0->data<float>() + state_at(d, b), H, h.begin());
      if (c0) std::copy_n(c0->data<float>() + state_at(d, b), H, cell.begin());
      const int64_t len = seq_len(c, lens, b);
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        k.step(c, in, d, x_at(t, b), h.data(), cell.data());
        std::copy(h.begin(), h.end(), y_at(t, d, b));
      }
      // Y past the length stays zero; an empty sequence leaves zero final states.
      if (len > 0) {
        std::copy(h.begin(), h.end(), yh.data<float>() + state_at(d, b));
        std::copy(cell.begin(), cell.end(), yc.data<float>() + state_at(d, b));
      }
    }
  }
  std::vector<TensorData> out(n.outputs.size());
  if (has_output(n, kY)) out[kY] = std::move(y);
  if (has_output(n, kYh)) out[kYh] = std::move(yh);
  if (k.cell_state && has_output(n, kYc)) out[kYc] = std::move(yc);
  return out;
}

// sequence_lens that is a constant equal to the full length everywhere is the same as none.
bool lens_are_trivial(const Graph& g, const Node& n, const Config& c) {
  if (!has_input(n, kLens)) return true;
  const Value& v = g.val(n.input(kLens));
  if (!v.constant) return false;
  for (int64_t b = 0; b < v.constant->size(); ++b)
    if (v.constant->get_i64(b) != c.seq) return false;
  return true;
}

void emit(const Kind& k, EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const Config c = parse_config(k, n, input(g, n, kX).shape, input(g, n, kW).shape);
  const bool lens = !lens_are_trivial(g, n, c);
  std::vector<int64_t> ids;
  std::vector<float> alphas, betas;
  for (const auto& a : c.acts) {
    ids.push_back(int64_t(a.kind));
    alphas.push_back(a.alpha);
    betas.push_back(a.beta);
  }
  Params p;
  p.i("S", c.seq).i("B", c.batch).i("I", c.input).i("H", c.hidden).i("D", c.dirs);
  p.i("direction", c.direction).i("layout", c.layout);
  p.i("has_B", has_input(n, kB)).i("has_lens", lens).i("has_h0", has_input(n, kH0));
  if (k.cell_state) p.i("has_c0", has_input(n, kC0)).i("has_P", has_input(n, kPeep));
  p.i("has_Y", has_output(n, kY)).i("has_Yh", has_output(n, kYh));
  if (k.cell_state) p.i("has_Yc", has_output(n, kYc));
  p.ints("acts", ids).floats("alphas", alphas).floats("betas", betas);
  p.i("has_clip", c.has_clip).f("clip", c.clip);
  if (k.cell_state) p.i("input_forget", c.input_forget);
  if (k.op_type == std::string("GRU")) p.i("linear_before_reset", c.linear_before_reset);
  ctx.use(k.kernel);
  const std::string P = ctx.params(p);

  std::string args;
  auto arg = [&](const std::string& a) { args += (args.empty() ? "" : ", ") + a; };
  for (size_t i = 0; i < size_t(k.max_inputs); ++i) {
    const bool present = has_input(n, i) && (i != kLens || lens);
    arg(present ? ctx.cptr(n.input(i)) : "nullptr");
  }
  for (size_t i = 0; i < size_t(k.max_outputs); ++i)
    arg(has_output(n, i) ? ctx.ptr(n.output(i)) : "nullptr");
  arg(ctx.scratch(DType::F32));
  ctx.line(fmt::format("tk::{}<{}>({});", k.kernel, P, args));
}

Config config_of(const Kind& k, const Graph& g, const Node& n) {
  return parse_config(k, n, input(g, n, kX).shape, input(g, n, kW).shape);
}

} // namespace

float activate(const Activation& a, float x) {
  switch (a.kind) {
  case RnnAct::Sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case RnnAct::Tanh:
    return std::tanh(x);
  case RnnAct::Relu:
    return x < 0.0f ? 0.0f : x;
  case RnnAct::HardSigmoid: {
    const float v = a.alpha * x + a.beta;
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  }
  case RnnAct::Affine:
    return a.alpha * x + a.beta;
  case RnnAct::LeakyRelu:
    return x < 0.0f ? a.alpha * x : x;
  case RnnAct::ThresholdedRelu:
    return x > a.alpha ? x : 0.0f;
  case RnnAct::ScaledTanh:
    return a.alpha * std::tanh(a.beta * x);
  case RnnAct::Elu:
    return x < 0.0f ? a.alpha * (std::exp(x) - 1.0f) : x;
  case RnnAct::Softsign:
    return x / (1.0f + std::fabs(x));
  case RnnAct::Softplus:
    return x > 0.0f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  return x;
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

float gate_preactivation(const float* w, const float* r, const float* wb, const float* rb,
                         const float* x, const float* h, int64_t input, int64_t hidden,
                         int64_t row) {
  float v = dot(w + row * input, x, input) + dot(r + row * hidden, h, hidden);
  if (wb) {
    v = v + wb[row];
    v = v + rb[row];
  }
  return v;
}

Config parse_config(const Kind& k, const Node& n, const Shape& x, const Shape& w) {
  Config c;
  c.layout = int(n.attr_i("layout", 0));
  if (c.layout != 0 && c.layout != 1)
    fail("node {}: layout {} is not supported (0 or 1)", n.label(), c.layout);
  const std::string dir = n.attr_s("direction", "forward");
  if (dir == "forward")
    c.direction = 0;
  else if (dir == "reverse")
    c.direction = 1;
  else if (dir == "bidirectional")
    c.direction = 2;
  else
    fail("node {}: direction '{}' is not supported", n.label(), dir);
  c.dirs = c.direction == 2 ? 2 : 1;
  if (x.size() != 3 || w.size() != 3) fail("node {}: X and W must have rank 3", n.label());
  c.seq = c.layout == 0 ? x[0] : x[1];
  c.batch = c.layout == 0 ? x[1] : x[0];
  c.input = x[2];
  if (n.has_attr("hidden_size"))
    c.hidden = n.attr_i("hidden_size", 0);
  else if (w[1] % k.gates == 0)
    c.hidden = w[1] / k.gates;
  if (c.hidden < 1) fail("node {}: hidden_size must be positive", n.label());
  if (w[0] != c.dirs)
    fail("node {}: W has {} directions, the direction attribute says {}", n.label(), w[0], c.dirs);
  c.per_dir = int(k.default_acts.size());
  c.acts = parse_activations(k, n, c.dirs);
  if (n.has_attr("clip")) {
    c.has_clip = true;
    c.clip = n.attr_f("clip", 0);
    if (!(c.clip >= 0)) fail("node {}: clip {} is not supported (must be >= 0)", n.label(), c.clip);
  }
  c.input_forget = n.attr_i("input_forget", 0) != 0;
  c.linear_before_reset = n.attr_i("linear_before_reset", 0) != 0;
  return c;
}

OpDef make_recurrent_op(const Kind& k) {
  OpDef d;
  d.op_type = k.op_type;
  d.infer = [k](Graph& g, Node& n) { infer(k, g, n); };
  d.eval = [k](const Node& n, const Inputs& in) { return evaluate(k, n, in); };
  d.emit = [k](EmitContext& ctx, const Node& n) { emit(k, ctx, n); };
  d.optional_outputs = true;
  d.macs = [k](const Graph& g, const Node& n) {
    const Config c = config_of(k, g, n);
    return c.dirs * c.batch * c.seq * k.gates * c.hidden * (c.input + c.hidden);
  };
  d.scratch_bytes = [k](const Graph& g, const Node& n) {
    return int64_t(k.scratch_per_hidden) * config_of(k, g, n).hidden * int64_t(sizeof(float));
  };
  return d;
}

} // namespace tinyc::ops::recurrent
