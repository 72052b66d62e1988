#include "ir.h"

#include "diagnostics.h"

#include <algorithm>
#include <limits>

namespace tinyc {

int g_verbosity = 0;
void note(const std::string& msg) {
  if (g_verbosity >= 1) fmt::print(stderr, "tinyc: {}\n", msg);
}

const char* dtype_name(DType t) {
  switch (t) {
  case DType::F32:
    return "float32";
  case DType::F64:
    return "float64";
  case DType::I8:
    return "int8";
  case DType::U8:
    return "uint8";
  case DType::I16:
    return "int16";
  case DType::U16:
    return "uint16";
  case DType::I32:
    return "int32";
  case DType::U32:
    return "uint32";
  case DType::I64:
    return "int64";
  case DType::U64:
    return "uint64";
  case DType::Bool:
    return "bool";
  default:
    return "undefined";
  }
}

const char* dtype_ctype(DType t) {
  switch (t) {
  case DType::F32:
    return "float";
  case DType::F64:
    return "double";
  case DType::I8:
    return "int8_t";
  case DType::U8:
    return "uint8_t";
  case DType::I16:
    return "int16_t";
  case DType::U16:
    return "uint16_t";
  case DType::I32:
    return "int32_t";
  case DType::U32:
    return "uint32_t";
  case DType::I64:
    return "int64_t";
  case DType::U64:
    return "uint64_t";
  case DType::Bool:
    return "bool";
  default:
    return "void";
  }
}

size_t dtype_size(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::I16:
  case DType::U16:
    return 2;
  case DType::I8:
  case DType::U8:
  case DType::Bool:
    return 1;
  default:
    return 0;
  }
}

bool dtype_is_float(DType t) {
  return t == DType::F32 || t == DType::F64;
}
bool dtype_is_signed_int(DType t) {
  return t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}

// Element type numbers from onnx.proto's TensorProto.DataType.
DType dtype_from_onnx(int e) {
  switch (e) {
  case 1:
    return DType::F32;
  case 2:
    return DType::U8;
  case 3:
    return DType::I8;
  case 4:
    return DType::U16;
  case 5:
    return DType::I16;
  case 6:
    return DType::I32;
  case 7:
    return DType::I64;
  case 9:
    return DType::Bool;
  case 11:
    return DType::F64;
  case 12:
    return DType::U32;
  case 13:
    return DType::U64;
  default:
    return DType::Undefined;
  }
}

int dtype_to_onnx(DType t) {
  switch (t) {
  case DType::F32:
    return 1;
  case DType::U8:
    return 2;
  case DType::I8:
    return 3;
  case DType::U16:
    return 4;
  case DType::I16:
    return 5;
  case DType::I32:
    return 6;
  case DType::I64:
    return 7;
  case DType::Bool:
    return 9;
  case DType::F64:
    return 11;
  case DType::U32:
    return 12;
  case DType::U64:
    return 13;
  default:
    return 0;
  }
}

void throw_unsupported_dtype(DType t) {
  fail("element type {} is not supported", dtype_name(t));
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    // Saturates instead of overflowing, so absurd shapes from a model stay absurd (and are
    // rejected) rather than wrapping into plausible sizes.
    if (d > 0 && n > std::numeric_limits<int64_t>::max() / d)
      return std::numeric_limits<int64_t>::max();
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

// Largest tensor the compiler will materialise: far beyond any microcontroller, small
// enough that a hostile model cannot make the compiler allocate without bound.
static constexpr int64_t kMaxTensorBytes = int64_t(1) << 31;

TensorData::TensorData(DType t, Shape s) : dtype(t), shape(std::move(s)) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("negative dimension in shape {}", shape_str(shape));
    if (d != 0 && n > kMaxTensorBytes / d)
      fail("tensor of shape {} is too large", shape_str(shape));
    n *= d;
  }
  if (n * int64_t(dtype_size(t)) > kMaxTensorBytes)
    fail("tensor of shape {} is too large", shape_str(shape));
  bytes.assign(size_t(n) * dtype_size(t), 0);
}

double TensorData::get_f64(int64_t i) const {
  return dispatch(dtype, [&](auto z) { return double(data<decltype(z)>()[i]); });
}

int64_t TensorData::get_i64(int64_t i) const {
  return dispatch(dtype, [&](auto z) -> int64_t {
    using T = decltype(z);
    T v = data<T>()[i];
    if constexpr (std::is_floating_point_v<T>) {
      // Converting NaN or an out-of-range float to an integer is undefined; saturate.
      if (!(v == v)) return 0;
      if (v >= 9.2e18) return std::numeric_limits<int64_t>::max();
      if (v <= -9.2e18) return std::numeric_limits<int64_t>::min();
      return int64_t(v);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      return v > uint64_t(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                               : int64_t(v);
    } else {
      return int64_t(v);
    }
  });
}

void TensorData::set_f64(int64_t i, double v) {
  dispatch(dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, bool>) {
      data<T>()[i] = T(v);
    } else {
      double lo = double(std::numeric_limits<T>::min()), hi = double(std::numeric_limits<T>::max());
      data<T>()[i] = (v != v)  ? T(0)
                     : v <= lo ? std::numeric_limits<T>::min()
                     : v >= hi ? std::numeric_limits<T>::max()
                               : T(v);
    }
    return 0;
  });
}

std::vector<int64_t> TensorData::to_i64_vector() const {
  std::vector<int64_t> r(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) r[size_t(i)] = get_i64(i);
  return r;
}

int64_t Node::attr_i(const std::string& k, int64_t dflt) const {
  auto it = attrs.find(k);
  if (it == attrs.end()) return dflt;
  if (it->second.kind != AttrKind::Int) fail("node {}: attribute '{}' must be an int", label(), k);
  return it->second.i;
}

float Node::attr_f(const std::string& k, float dflt) const {
  auto it = attrs.find(k);
  if (it == attrs.end()) return dflt;
  if (it->second.kind == AttrKind::Int) return float(it->second.i);
  if (it->second.kind != AttrKind::Float)
    fail("node {}: attribute '{}' must be a float", label(), k);
  return it->second.f;
}

std::string Node::attr_s(const std::string& k, const std::string& dflt) const {
  auto it = attrs.find(k);
  if (it == attrs.end()) return dflt;
  if (it->second.kind != AttrKind::String)
    fail("node {}: attribute '{}' must be a string", label(), k);
  return it->second.s;
}

std::vector<int64_t> Node::attr_ints(const std::string& k, const std::vector<int64_t>& dflt) const {
  auto it = attrs.find(k);
  if (it == attrs.end()) return dflt;
  if (it->second.kind == AttrKind::Int) return {it->second.i};
  if (it->second.kind != AttrKind::Ints) fail("node {}: attribute '{}' must be ints", label(), k);
  return it->second.ints;
}

std::vector<float> Node::attr_floats(const std::string& k, const std::vector<float>& dflt) const {
  auto it = attrs.find(k);
  if (it == attrs.end()) return dflt;
  if (it->second.kind == AttrKind::Float) return {it->second.f};
  if (it->second.kind != AttrKind::Floats)
    fail("node {}: attribute '{}' must be floats", label(), k);
  return it->second.floats;
}

std::string Node::label() const {
  return fmt::format("'{}' ({})", name, op_type);
}

int Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return int(values.size()) - 1;
}

int Graph::add_constant(const std::string& name, TensorData t) {
  Value v;
  v.name = unique_name(name);
  v.dtype = t.dtype;
  v.shape = t.shape;
  v.shape_known = true;
  v.constant = std::move(t);
  return add_value(std::move(v));
}

std::string Graph::unique_name(const std::string& base) const {
  if (find_value(base) < 0) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (find_value(n) < 0) return n;
  }
}

int Graph::find_value(const std::string& name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name) return int(i);
  return -1;
}

void Graph::compact() {
  nodes.erase(
      std::remove_if(nodes.begin(), nodes.end(), [](const Node& n) { return n.op_type.empty(); }),
      nodes.end());
  for (auto& v : values) v.producer = -1;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int o : nodes[i].outputs)
      if (o >= 0) values[size_t(o)].producer = int(i);
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> c(values.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int in : nodes[i].inputs)
      if (in >= 0 && (c[size_t(in)].empty() || c[size_t(in)].back() != int(i)))
        c[size_t(in)].push_back(int(i));
  return c;
}

bool Graph::is_graph_output(int v) const {
  return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

} // namespace tinyc
