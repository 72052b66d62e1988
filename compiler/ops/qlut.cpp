// QLut (domain tinyc): any unary float op between DequantizeLinear and QuantizeLinear becomes a
// 256-entry int8 table, y = table[x + 128], each entry QuantizeLinear(f(DequantizeLinear(q)))
// computed now: the dequantised input in float32 as DequantizeLinear computes it, f by the
// op's own reference evaluation in double precision (its other inputs, e.g. Clip's bounds,
// must be constants), the result rounded to float32 and quantised with ONNX's rounding.
// Covers Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, Relu, Clip (also between differing
// input and output parameters), Elu, Exp, Softplus and the other elementwise unary ops.
#include "qop_util.h"

namespace tinyc::ops {
namespace {

std::vector<int64_t> table_of(const Node& n) {
  std::vector<int64_t> t = n.attr_ints("table", {});
  if (t.size() != 256) fail("node {}: the table must have 256 entries", n.label());
  for (int64_t v : t)
    if (v < -128 || v > 127) fail("node {}: table entry {} is not int8", n.label(), v);
  return t;
}

OpDef qlut_def() {
  OpDef d;
  d.op_type = "QLut";
  d.domain = "tinyc";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, {DType::I8});
    table_of(n);
    set_output(g, n, 0, DType::I8, input(g, n, 0).shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const std::vector<int64_t> t = table_of(n);
    TensorData y(DType::I8, in[0]->shape);
    const int8_t* x = in[0]->data<int8_t>();
    for (int64_t i = 0; i < y.size(); ++i) y.data<int8_t>()[i] = int8_t(t[size_t(x[i] + 128)]);
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const std::vector<int64_t> t = table_of(n);
    TensorData table(DType::I8, {256});
    for (int k = 0; k < 256; ++k) table.data<int8_t>()[k] = int8_t(t[size_t(k)]);
    const std::string name = ctx.constant_array(DType::I8, table, "lut");
    ctx.use("qlut");
    const std::string P = ctx.params(Params().i("n", numel(ctx.graph().val(n.output(0)).shape)));
    ctx.line(fmt::format("tk::qlut<{}>({}, {}, {});", P, ctx.cptr(n.input(0)), ctx.ptr(n.output(0)),
                         name));
  };
  return d;
}

// A float32 tensor as float64 (the op then evaluates in double precision).
TensorData to_f64(const TensorData& t) {
  TensorData r(DType::F64, t.shape);
  for (int64_t i = 0; i < t.size(); ++i) r.data<double>()[i] = t.get_f64(i);
  return r;
}

// f(x) for the 256 dequantised levels of x, by the float op's evaluator; false when the op
// cannot be evaluated that way.
bool evaluate_levels(const Graph& g, const Node& n, const QdqInput& x, std::vector<float>& fx) {
  const OpDef* def = OpRegistry::instance().find("", n.op_type);
  if (!def || !def->eval) return false;
  TensorData levels(DType::F32, {256});
  for (int q = -128; q < 128; ++q)
    levels.data<float>()[q + 128] = float(q - x.zero_point[0]) * x.scale[0];
  std::vector<TensorData> extra;
  extra.reserve(n.inputs.size());
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const int v = n.inputs[k];
    if (v < 0) {
      extra.emplace_back();
      continue;
    }
    if (!g.val(v).constant) return false;
    const TensorData& c = *g.val(v).constant;
    extra.push_back(c.dtype == DType::F32 ? to_f64(c) : c);
  }
  for (bool wide : {true, false}) {
    Inputs ins;
    TensorData x64 = to_f64(levels);
    ins.push_back(wide ? &x64 : &levels);
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      if (n.inputs[k] < 0) {
        ins.push_back(nullptr);
      } else if (wide) {
        ins.push_back(&extra[k - 1]);
      } else {
        ins.push_back(&*g.val(n.inputs[k]).constant);
      }
    }
    try {
      std::vector<TensorData> out = def->eval(n, ins);
      if (out.empty() || out[0].size() != 256 || !dtype_is_float(out[0].dtype)) continue;
      fx.resize(256);
      for (int k = 0; k < 256; ++k) fx[size_t(k)] = float(out[0].get_f64(k));
      return true;
    } catch (const std::exception&) {
      // the double-precision evaluation is not available: try float32
    }
  }
  return false;
}

bool lower(Graph& g, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.out[0].quantized() || m.out[0].q_type != DType::I8) return false;
  if (m.in.empty() || !int8_activation(m.in[0]) || n.act.kind != ActKind::None) return false;
  for (size_t k = 1; k < m.in.size(); ++k)
    if (m.in[k].quantized()) return false; // bounds given as quantised tensors
  if (numel(g.val(m.in[0].value).shape) != numel(g.val(m.out[0].q_value).shape)) return false;
  std::vector<float> fx;
  if (!evaluate_levels(g, n, m.in[0], fx)) return false;
  std::vector<int64_t> table(256);
  for (int k = 0; k < 256; ++k)
    table[size_t(k)] =
        quantize_value(fx[size_t(k)], m.out[0].scale, m.out[0].zero_point, DType::I8);
  n.attrs.clear();
  become(n, "QLut", {m.in[0].q_value}, m);
  set_attr_ints(n, "table", table);
  return true;
}

TINYC_REGISTER_OP(qlut_def);

// The float ops a table can replace: elementwise, one data input.
struct RegisterRules {
  RegisterRules() {
    for (const char* op : {"Relu",
                           "Clip",
                           "LeakyRelu",
                           "Sigmoid",
                           "HardSigmoid",
                           "HardSwish",
                           "Tanh",
                           "Elu",
                           "Selu",
                           "Celu",
                           "Exp",
                           "Log",
                           "Softplus",
                           "Softsign",
                           "Erf",
                           "Mish",
                           "ThresholdedRelu",
                           "Sqrt",
                           "Reciprocal",
                           "Neg",
                           "Abs",
                           "Sin",
                           "Cos",
                           "Shrink",
                           "Gelu",
                           "Floor",
                           "Ceil",
                           "Round",
                           "Sign"})
      register_qdq_rule(op, lower);
  }
} rules;

} // namespace
} // namespace tinyc::ops
