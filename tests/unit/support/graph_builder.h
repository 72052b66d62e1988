// Builds small IR graphs in unit tests, and random tensors for them.
#pragma once

#include "compiler/ir.h"

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace tinyc::test {

class GraphBuilder {
public:
  explicit GraphBuilder(int opset = 17) { g_.opset = opset; }
  int input(const std::string& name, DType t, Shape s);
  int constant(const std::string& name, TensorData t);
  // Adds a node; returns the ids of its outputs.
  std::vector<int> node(const std::string& op, std::vector<int> inputs, int n_outputs = 1,
                        std::map<std::string, Attr> attrs = {});
  int node1(const std::string& op, std::vector<int> inputs,
            std::map<std::string, Attr> attrs = {}) {
    return node(op, std::move(inputs), 1, std::move(attrs))[0];
  }
  void output(int id) { g_.outputs.push_back(id); }
  // Runs check_supported and infer_shapes, so shapes are set as after import.
  Graph finish();
  Graph& graph() { return g_; }

private:
  Graph g_;
  int next_ = 0;
};

Attr attr_i(int64_t v);
Attr attr_f(float v);
Attr attr_s(const std::string& v);
Attr attr_ints(std::vector<int64_t> v);
Attr attr_floats(std::vector<float> v);

// Uniform random tensor in [lo, hi] (integers for integer dtypes), fixed seed per call site.
TensorData random_tensor(DType t, Shape s, double lo, double hi, uint32_t seed);
TensorData tensor_f32(Shape s, std::vector<float> v);
TensorData tensor_i64(Shape s, std::vector<int64_t> v);
TensorData scalar_f32(float v);
TensorData scalar_i8(int8_t v);

// x -> QuantizeLinear -> DequantizeLinear with a per-tensor int8 scale and zero point (constants
// named NAME_s, NAME_z): how a QDQ model enters quantised territory.
int qdq(GraphBuilder& b, int x, float scale, int8_t zp, const std::string& name);

// Nodes of g whose op_type is `op`.
int count_ops(const Graph& g, const std::string& op);

// Largest |a - b| over all elements (both must have the same shape and dtype).
double max_abs_diff(const TensorData& a, const TensorData& b);

} // namespace tinyc::test
