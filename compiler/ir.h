// The intermediate representation: a flat graph of nodes over values, in topological order.
// Every value carries a dtype and, after import, a fully static shape.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyc {

enum class DType { Undefined, F32, F64, I8, U8, I16, U16, I32, U32, I64, U64, Bool };

using Shape = std::vector<int64_t>;

const char* dtype_name(DType t);  // "float32", "int8", ...
const char* dtype_ctype(DType t); // "float", "int8_t", ...
size_t dtype_size(DType t);
bool dtype_is_float(DType t);
bool dtype_is_signed_int(DType t);
DType dtype_from_onnx(int onnx_elem_type); // Undefined when unsupported
int dtype_to_onnx(DType t);

int64_t numel(const Shape& s);         // product of dims; 1 for a scalar
std::string shape_str(const Shape& s); // "1x3x32x32", "scalar" for rank 0

[[noreturn]] void throw_unsupported_dtype(DType t); // a CompileError

// Calls f(T{}) with T the C++ type of dtype t.
template <class F> auto dispatch(DType t, F&& f) {
  switch (t) {
  case DType::F32:
    return f(float{});
  case DType::F64:
    return f(double{});
  case DType::I8:
    return f(int8_t{});
  case DType::U8:
    return f(uint8_t{});
  case DType::I16:
    return f(int16_t{});
  case DType::U16:
    return f(uint16_t{});
  case DType::I32:
    return f(int32_t{});
  case DType::U32:
    return f(uint32_t{});
  case DType::I64:
    return f(int64_t{});
  case DType::U64:
    return f(uint64_t{});
  case DType::Bool:
    return f(bool{});
  default:
    throw_unsupported_dtype(t);
  }
}

// A dense tensor value held by the compiler (initializers, folded constants, evaluator values).
struct TensorData {
  DType dtype = DType::Undefined;
  Shape shape;
  std::vector<uint8_t> bytes;

  TensorData() = default;
  TensorData(DType t, Shape s); // zero-filled
  int64_t size() const { return numel(shape); }
  template <class T> T* data() { return reinterpret_cast<T*>(bytes.data()); }
  template <class T> const T* data() const { return reinterpret_cast<const T*>(bytes.data()); }
  // Element i converted to double / int64 whatever the dtype (for attributes and shape inputs).
  double get_f64(int64_t i) const;
  int64_t get_i64(int64_t i) const;
  void set_f64(int64_t i, double v);
  std::vector<int64_t> to_i64_vector() const;
};

enum class AttrKind { Int, Float, String, Ints, Floats, Strings, Tensor, Unsupported };

struct Attr {
  AttrKind kind = AttrKind::Unsupported;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  std::optional<TensorData> tensor;
};

// An activation fused into the node that produces it (float kernels apply it on store).
enum class ActKind { None, Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid };
struct FusedAct {
  ActKind kind = ActKind::None;
  float alpha = 0, beta = 0; // Clip: min/max; LeakyRelu: alpha; HardSigmoid: alpha/beta
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<int> inputs;  // value ids; -1 where an optional input is omitted
  std::vector<int> outputs; // value ids; -1 where an optional output is omitted
  std::map<std::string, Attr> attrs;
  FusedAct act;
  int opset = 0; // the model's default-domain opset (some ops changed semantics across opsets)

  bool has_attr(const std::string& k) const { return attrs.count(k) != 0; }
  int64_t attr_i(const std::string& k, int64_t dflt) const;
  float attr_f(const std::string& k, float dflt) const;
  std::string attr_s(const std::string& k, const std::string& dflt) const;
  std::vector<int64_t> attr_ints(const std::string& k, const std::vector<int64_t>& dflt) const;
  std::vector<float> attr_floats(const std::string& k, const std::vector<float>& dflt) const;
  int input(size_t i) const { return i < inputs.size() ? inputs[i] : -1; }
  int output(size_t i) const { return i < outputs.size() ? outputs[i] : -1; }
  std::string label() const; // "'name' (OpType)" for messages
};

// Per-tensor affine quantisation of an integer value: real = (q - zero_point) * scale.
struct QuantParam {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

struct Value {
  std::string name;
  DType dtype = DType::Undefined;
  Shape shape;
  bool shape_known = false;
  std::optional<TensorData> constant; // initializers and folded results
  int producer = -1;                  // node index, -1 for graph inputs and constants
  std::optional<QuantParam> quant;    // set on the int8 activations of a quantised graph
};

struct Graph {
  std::string name;
  int opset = 0;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<int> inputs;  // non-constant graph inputs, in model order
  std::vector<int> outputs; // graph outputs, in model order

  int add_value(Value v);
  int add_constant(const std::string& name, TensorData t);
  std::string unique_name(const std::string& base) const;
  int find_value(const std::string& name) const; // -1 when absent
  // Recomputes producers, drops nodes whose op_type is empty (passes delete by clearing it).
  void compact();
  // consumers[v] = indices of nodes reading value v
  std::vector<std::vector<int>> consumers() const;
  bool is_graph_output(int v) const;
  const Value& val(int id) const { return values.at(id); }
  Value& val(int id) { return values.at(id); }
};

} // namespace tinyc
