// BatchNormalization after a Conv, Gemm or MatMul with constant weights is merged into it:
// the weights of output channel c are scaled by s[c] = gamma[c] / sqrt(var[c] + eps) and the
// bias becomes (b[c] - mean[c]) * s[c] + beta[c].
#include "passes.h"

#include "../compiler/diagnostics.h"

#include <cmath>

namespace tinyc {

namespace {

struct BnScale {
  std::vector<float> scale, shift; // y = x * scale + shift, per channel
};

bool bn_params(const Graph& g, const Node& bn, int64_t channels, BnScale& out) {
  if (bn.inputs.size() < 5 || bn.outputs.size() != 1 || bn.output(0) < 0) return false;
  if (bn.attr_i("training_mode", 0) != 0) return false;
  const TensorData* p[4];
  for (int k = 0; k < 4; ++k) {
    int id = bn.input(size_t(k + 1));
    if (id < 0 || !g.val(id).constant || g.val(id).dtype != DType::F32) return false;
    p[k] = &*g.val(id).constant;
    if (p[k]->size() != channels) return false;
  }
  const float eps = bn.attr_f("epsilon", 1e-5f);
  out.scale.resize(size_t(channels));
  out.shift.resize(size_t(channels));
  for (int64_t c = 0; c < channels; ++c) {
    float gamma = p[0]->data<float>()[c], beta = p[1]->data<float>()[c];
    float mean = p[2]->data<float>()[c], var = p[3]->data<float>()[c];
    float s = gamma / std::sqrt(var + eps);
    out.scale[size_t(c)] = s;
    out.shift[size_t(c)] = beta - mean * s;
  }
  return true;
}

// The bias of the producer as a per-channel vector (zeros when absent or when it broadcasts).
bool producer_bias(const Graph& g, int id, int64_t channels, std::vector<float>& b) {
  b.assign(size_t(channels), 0.0f);
  if (id < 0) return true;
  const Value& v = g.val(id);
  if (!v.constant || v.dtype != DType::F32) return false;
  if (v.constant->size() == 1) {
    for (auto& x : b) x = v.constant->data<float>()[0];
    return true;
  }
  if (v.constant->size() != channels || v.shape.size() != 1) return false;
  for (int64_t c = 0; c < channels; ++c) b[size_t(c)] = v.constant->data<float>()[c];
  return true;
}

int new_bias(Graph& g, const std::string& name, const std::vector<float>& bias, const BnScale& bn) {
  TensorData t(DType::F32, {int64_t(bias.size())});
  for (size_t c = 0; c < bias.size(); ++c) t.data<float>()[c] = bias[c] * bn.scale[c] + bn.shift[c];
  return g.add_constant(name + "_bn_bias", std::move(t));
}

// Conv: weights [M, C/group, k...], channel axis 0.
bool fold_into_conv(Graph& g, Node& conv, const Node& bn) {
  const Value& w = g.val(conv.input(1));
  if (!w.constant || w.dtype != DType::F32 || w.shape.empty()) return false;
  const int64_t m = w.shape[0];
  BnScale s;
  std::vector<float> bias;
  if (!bn_params(g, bn, m, s) || !producer_bias(g, conv.input(2), m, bias)) return false;
  TensorData nw = *w.constant;
  const int64_t per = nw.size() / m;
  for (int64_t c = 0; c < m; ++c)
    for (int64_t k = 0; k < per; ++k) nw.data<float>()[c * per + k] *= s.scale[size_t(c)];
  int wid = g.add_constant(w.name + "_bn", std::move(nw));
  int bid = new_bias(g, conv.name, bias, s);
  conv.inputs.resize(3);
  conv.inputs[1] = wid;
  conv.inputs[2] = bid;
  return true;
}

// Gemm (alpha, beta, transB) and MatMul with a 2-D constant B: output channel = column of Y.
bool fold_into_matmul(Graph& g, Node& mm, const Node& bn) {
  const Value& b = g.val(mm.input(1));
  if (!b.constant || b.dtype != DType::F32 || b.shape.size() != 2) return false;
  const bool gemm = mm.op_type == "Gemm";
  const bool trans_b = gemm && mm.attr_i("transB", 0) != 0;
  const int64_t m = trans_b ? b.shape[0] : b.shape[1];
  const Value& y = g.val(mm.output(0));
  if (y.shape.size() < 2 || y.shape[1] != m || (!gemm && y.shape.size() != 2)) return false;
  BnScale s;
  std::vector<float> bias;
  if (!bn_params(g, bn, m, s)) return false;
  if (!producer_bias(g, gemm ? mm.input(2) : -1, m, bias)) return false;
  if (gemm) {
    const float beta = mm.attr_f("beta", 1.0f);
    for (auto& x : bias) x *= beta;
  }
  TensorData nb = *b.constant;
  const int64_t rows = b.shape[0], cols = b.shape[1];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      nb.data<float>()[r * cols + c] *= s.scale[size_t(trans_b ? r : c)];
  int wid = g.add_constant(b.name + "_bn", std::move(nb));
  int bid = new_bias(g, mm.name, bias, s);
  if (!gemm) {
    // MatMul has no bias: it becomes a Gemm with the same semantics for 2-D inputs.
    mm.op_type = "Gemm";
    mm.attrs.clear();
  }
  mm.attrs["beta"] = Attr{AttrKind::Float, 0, 1.0f, {}, {}, {}, {}, {}};
  mm.inputs.resize(3);
  mm.inputs[1] = wid;
  mm.inputs[2] = bid;
  return true;
}

} // namespace

void fold_batchnorm(Graph& g) {
  auto consumers = g.consumers();
  for (Node& bn : g.nodes) {
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.input(0) < 0) continue;
    const int x = bn.input(0);
    const Value& xv = g.val(x);
    if (xv.producer < 0 || consumers[size_t(x)].size() != 1 || g.is_graph_output(x)) continue;
    Node& p = g.nodes[size_t(xv.producer)];
    if (!p.domain.empty() || p.act.kind != ActKind::None || p.outputs.size() != 1) continue;
    bool folded = false;
    if (p.op_type == "Conv")
      folded = fold_into_conv(g, p, bn);
    else if (p.op_type == "Gemm" || p.op_type == "MatMul")
      folded = fold_into_matmul(g, p, bn);
    if (!folded) continue;
    p.outputs[0] = bn.output(0);
    bn.op_type.clear();
  }
  g.compact();
}

} // namespace tinyc
