// uint8 quantised tensors become int8 ones, so the int8 kernels take models quantised with
// uint8 activations (onnxruntime's U8S8 format, uint8 QLinear* models). The rewrite is exact:
// with q8 = q - 128 and zp8 = zp - 128, DequantizeLinear gives (q8 - zp8) * s = (q - zp) * s,
// and QuantizeLinear's rounded value plus zp8, saturated to [-128, 127], is the uint8 result
// minus 128. Only tensors that stay inside the model are rewritten: a QuantizeLinear's output
// (or a constant) read by nothing but DequantizeLinear nodes; model inputs and outputs keep
// their type, and so does anything else that reads uint8 data.
#include "passes.h"

#include <algorithm>
#include <map>

namespace tinyc {

namespace {

bool is_op(const Node& n, const char* op) {
  return n.domain.empty() && n.op_type == op;
}

// A zero point the rewrite can shift: omitted (0) or a uint8 constant.
bool shiftable_zero_point(const Graph& g, int zp) {
  return zp < 0 || (g.val(zp).constant && g.val(zp).dtype == DType::U8);
}

TensorData minus_128(const TensorData& t) {
  TensorData r(DType::I8, t.shape);
  for (int64_t i = 0; i < t.size(); ++i) r.data<int8_t>()[i] = int8_t(t.get_i64(i) - 128);
  return r;
}

// Every reader of v is a DequantizeLinear taking it as its data input, with a shiftable zero
// point.
bool read_only_by_dequantize(const Graph& g, int v, const std::vector<int>& readers) {
  if (readers.empty()) return false;
  for (int ni : readers) {
    const Node& n = g.nodes[size_t(ni)];
    if (!is_op(n, "DequantizeLinear") || n.input(0) != v || n.input(1) == v || n.input(2) == v ||
        !shiftable_zero_point(g, n.input(2)))
      return false;
  }
  return true;
}

} // namespace

void uint8_to_int8(Graph& g) {
  const auto consumers = g.consumers();
  std::map<int, int> twin_of; // uint8 zero point constant -> its int8 twin (-1: omitted)
  auto int8_zero_point = [&](int zp) {
    auto it = twin_of.find(zp);
    if (it != twin_of.end()) return it->second;
    TensorData t = zp >= 0 ? minus_128(*g.val(zp).constant) : TensorData(DType::I8, {});
    if (zp < 0) t.data<int8_t>()[0] = -128;
    const int twin =
        g.add_constant(g.unique_name((zp >= 0 ? g.val(zp).name : "zero_point") + "_s8"), t);
    twin_of[zp] = twin;
    return twin;
  };
  auto set_zero_point = [&](Node& n) {
    const int zp = int8_zero_point(n.input(2));
    if (n.inputs.size() < 3) n.inputs.resize(3, -1);
    n.inputs[2] = zp;
  };

  const size_t count = g.values.size(); // twins are added behind; they are int8
  for (size_t vi = 0; vi < count; ++vi) {
    const int v = int(vi);
    if (g.val(v).dtype != DType::U8 || g.is_graph_output(v) ||
        std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end())
      continue;
    if (!read_only_by_dequantize(g, v, consumers[vi])) continue;
    Node* q = nullptr;
    if (!g.val(v).constant) {
      const int p = g.val(v).producer;
      if (p < 0) continue;
      q = &g.nodes[size_t(p)];
      if (!is_op(*q, "QuantizeLinear") || q->output(0) != v ||
          !shiftable_zero_point(g, q->input(2)))
        continue;
    }
    if (q)
      set_zero_point(*q);
    else
      g.val(v).constant = minus_128(*g.val(v).constant);
    for (int ni : consumers[vi]) set_zero_point(g.nodes[size_t(ni)]);
    g.val(v).dtype = DType::I8;
  }
}

} // namespace tinyc
