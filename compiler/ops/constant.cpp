// Constant, Shape, Size, Identity, Dropout: ops that never reach the generated code as
// computation (folded to constants or bypassed) except where a graph output needs a copy.
#include "op_util.h"

namespace tinyc::ops {
namespace {

TensorData constant_value(const Node& n) {
  auto scalar_f = [](float v) {
    TensorData t(DType::F32, {});
    t.data<float>()[0] = v;
    return t;
  };
  for (const auto& [k, a] : n.attrs) {
    if (k == "value" && a.tensor) return *a.tensor;
    if (k == "value_float") return scalar_f(a.f);
    if (k == "value_floats") {
      TensorData t(DType::F32, {int64_t(a.floats.size())});
      for (size_t i = 0; i < a.floats.size(); ++i) t.data<float>()[i] = a.floats[i];
      return t;
    }
    if (k == "value_int") {
      TensorData t(DType::I64, {});
      t.data<int64_t>()[0] = a.i;
      return t;
    }
    if (k == "value_ints") {
      TensorData t(DType::I64, {int64_t(a.ints.size())});
      for (size_t i = 0; i < a.ints.size(); ++i) t.data<int64_t>()[i] = a.ints[i];
      return t;
    }
  }
  fail("node {}: Constant without a supported value attribute (sparse and string values are "
       "not supported)",
       n.label());
}

OpDef constant_def() {
  OpDef d;
  d.op_type = "Constant";
  d.infer = [](Graph& g, Node& n) {
    TensorData t = constant_value(n);
    set_output(g, n, 0, t.dtype, t.shape);
  };
  d.eval = [](const Node& n, const Inputs&) { return std::vector<TensorData>{constant_value(n)}; };
  return d;
}

// Shape's start/end slice the dims (opset 15).
std::vector<int64_t> shape_dims(const Node& n, const Shape& s) {
  int64_t r = int64_t(s.size());
  int64_t start = n.attr_i("start", 0), end = n.attr_i("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  return std::vector<int64_t>(s.begin() + start, s.begin() + std::max(start, end));
}

OpDef shape_def() {
  OpDef d;
  d.op_type = "Shape";
  d.infer = [](Graph& g, Node& n) {
    set_output(g, n, 0, DType::I64, {int64_t(shape_dims(n, input(g, n, 0).shape).size())});
  };
  d.eval = [](const Node& n, const Inputs& in) {
    auto dims = shape_dims(n, in[0]->shape);
    TensorData t(DType::I64, {int64_t(dims.size())});
    for (size_t i = 0; i < dims.size(); ++i) t.data<int64_t>()[i] = dims[i];
    return std::vector<TensorData>{t};
  };
  return d;
}

OpDef size_def() {
  OpDef d;
  d.op_type = "Size";
  d.infer = [](Graph& g, Node& n) { set_output(g, n, 0, DType::I64, {}); };
  d.eval = [](const Node&, const Inputs& in) {
    TensorData t(DType::I64, {});
    t.data<int64_t>()[0] = numel(in[0]->shape);
    return std::vector<TensorData>{t};
  };
  return d;
}

// Identity and Dropout (inference: the input unchanged, mask all true).
OpDef passthrough_def(const char* op) {
  OpDef d;
  d.op_type = op;
  d.is_view = true;
  d.infer = [](Graph& g, Node& n) {
    const Value& x = input(g, n, 0);
    // Dropout in training mode is random; only inference (an identity) is compiled.
    if (n.op_type == "Dropout" && n.input(2) >= 0) {
      const Value& t = g.val(n.input(2));
      if (!t.constant || t.constant->get_i64(0) != 0)
        fail("node {}: Dropout in training mode is not supported by tinyc (inference only)",
             n.label());
    }
    if (n.op_type == "Dropout" && n.attr_i("is_test", 1) == 0)
      fail("node {}: Dropout with is_test=0 is not supported by tinyc (inference only)", n.label());
    set_output(g, n, 0, x.dtype, x.shape);
    set_output(g, n, 1, DType::Bool, x.shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    std::vector<TensorData> r{*in[0]};
    if (n.output(1) >= 0) {
      TensorData mask(DType::Bool, in[0]->shape);
      for (auto& b : mask.bytes) b = 1;
      r.push_back(mask);
    }
    return r;
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    if (n.output(1) >= 0)
      fail("node {}: Dropout's mask output is not supported in generated code", n.label());
    emit_copy(ctx, n);
  };
  return d;
}

TINYC_REGISTER_OP(constant_def);
TINYC_REGISTER_OP(shape_def);
TINYC_REGISTER_OP(size_def);
TINYC_REGISTER_OP([] { return passthrough_def("Identity"); });
TINYC_REGISTER_OP([] { return passthrough_def("Dropout"); });

} // namespace
} // namespace tinyc::ops
