#include "graph_builder.h"

#include "passes/passes.h"

#include <cmath>
#include <stdexcept>

namespace tinyc::test {

int GraphBuilder::input(const std::string& name, DType t, Shape s) {
  Value v;
  v.name = name;
  v.dtype = t;
  v.shape = std::move(s);
  v.shape_known = true;
  int id = g_.add_value(v);
  g_.inputs.push_back(id);
  return id;
}

int GraphBuilder::constant(const std::string& name, TensorData t) {
  return g_.add_constant(name, std::move(t));
}

std::vector<int> GraphBuilder::node(const std::string& op, std::vector<int> inputs, int n_outputs,
                                    std::map<std::string, Attr> attrs) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + std::to_string(next_++);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  n.opset = g_.opset;
  std::vector<int> outs;
  for (int k = 0; k < n_outputs; ++k) {
    Value v;
    v.name = n.name + "_out" + std::to_string(k);
    outs.push_back(g_.add_value(v));
  }
  n.outputs = outs;
  g_.nodes.push_back(std::move(n));
  g_.compact();
  return outs;
}

Graph GraphBuilder::finish() {
  check_supported(g_);
  infer_shapes(g_);
  return g_;
}

Attr attr_i(int64_t v) {
  Attr a;
  a.kind = AttrKind::Int;
  a.i = v;
  return a;
}
Attr attr_f(float v) {
  Attr a;
  a.kind = AttrKind::Float;
  a.f = v;
  return a;
}
Attr attr_s(const std::string& v) {
  Attr a;
  a.kind = AttrKind::String;
  a.s = v;
  return a;
}
Attr attr_ints(std::vector<int64_t> v) {
  Attr a;
  a.kind = AttrKind::Ints;
  a.ints = std::move(v);
  return a;
}
Attr attr_floats(std::vector<float> v) {
  Attr a;
  a.kind = AttrKind::Floats;
  a.floats = std::move(v);
  return a;
}

TensorData random_tensor(DType t, Shape s, double lo, double hi, uint32_t seed) {
  TensorData d(t, std::move(s));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < d.size(); ++i) {
    double v = u(rng);
    d.set_f64(i, dtype_is_float(t) ? v : std::round(v));
  }
  return d;
}

TensorData scalar_f32(float v) {
  return tensor_f32({}, {v});
}

TensorData scalar_i8(int8_t v) {
  TensorData t(DType::I8, {});
  t.data<int8_t>()[0] = v;
  return t;
}

int qdq(GraphBuilder& b, int x, float scale, int8_t zp, const std::string& name) {
  const int s = b.constant(name + "_s", scalar_f32(scale));
  const int z = b.constant(name + "_z", scalar_i8(zp));
  const int q = b.node1("QuantizeLinear", {x, s, z});
  return b.node1("DequantizeLinear", {q, s, z});
}

int count_ops(const Graph& g, const std::string& op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op_type == op;
  return k;
}

TensorData tensor_f32(Shape s, std::vector<float> v) {
  TensorData d(DType::F32, std::move(s));
  if (int64_t(v.size()) != d.size()) throw std::logic_error("tensor_f32: size mismatch");
  for (size_t i = 0; i < v.size(); ++i) d.data<float>()[i] = v[i];
  return d;
}

TensorData tensor_i64(Shape s, std::vector<int64_t> v) {
  TensorData d(DType::I64, std::move(s));
  if (int64_t(v.size()) != d.size()) throw std::logic_error("tensor_i64: size mismatch");
  for (size_t i = 0; i < v.size(); ++i) d.data<int64_t>()[i] = v[i];
  return d;
}

double max_abs_diff(const TensorData& a, const TensorData& b) {
  if (a.shape != b.shape || a.dtype != b.dtype) return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    double x = a.get_f64(i), y = b.get_f64(i);
    if (std::isnan(x) && std::isnan(y)) continue;
    m = std::max(m, std::fabs(x - y));
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
  }
  return m;
}

} // namespace tinyc::test
