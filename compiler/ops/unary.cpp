// Elementwise unary ops: one table row each, naming the kernel functor (templates/unary_ops.h)
// beside the element types ONNX defines the op for; ref_unary() below is the reference
// formula the functor must agree with.
#include "elementwise_ref.h"

#include <cmath>
#include <type_traits>

namespace tinyc::ops {
namespace {

// clang-format off
enum class U {
  Relu, Neg, Abs, Sign, Not, BitwiseNot, IsNaN, IsInf, Exp, Log, Sqrt, Reciprocal, Floor, Ceil,
  Round, Erf, Sigmoid, Tanh, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh,
  Softsign, LeakyRelu, Elu, Selu, ThresholdedRelu, Celu, HardSigmoid, HardSwish, Softplus, Mish,
  Shrink
};
// clang-format on

enum class Types { Float, SignedNumeric, Numeric, Bool, Integer };

struct UnaryOp {
  const char* op_type;
  U code;
  const char* functor; // in templates/unary_ops.h
  Types types;
  bool to_bool; // output is bool (IsNaN, IsInf)
};

const std::vector<UnaryOp>& table() {
  static const std::vector<UnaryOp> t = {
      {"Relu", U::Relu, "op_relu", Types::SignedNumeric, false},
      {"Neg", U::Neg, "op_neg", Types::SignedNumeric, false},
      {"Abs", U::Abs, "op_abs", Types::Numeric, false},
      {"Sign", U::Sign, "op_sign", Types::Numeric, false},
      {"Not", U::Not, "op_not", Types::Bool, false},
      {"BitwiseNot", U::BitwiseNot, "op_bitwise_not", Types::Integer, false},
      {"IsNaN", U::IsNaN, "op_isnan", Types::Float, true},
      {"IsInf", U::IsInf, "op_isinf", Types::Float, true},
      {"Exp", U::Exp, "op_exp", Types::Float, false},
      {"Log", U::Log, "op_log", Types::Float, false},
      {"Sqrt", U::Sqrt, "op_sqrt", Types::Float, false},
      {"Reciprocal", U::Reciprocal, "op_reciprocal", Types::Float, false},
      {"Floor", U::Floor, "op_floor", Types::Float, false},
      {"Ceil", U::Ceil, "op_ceil", Types::Float, false},
      {"Round", U::Round, "op_round", Types::Float, false},
      {"Erf", U::Erf, "op_erf", Types::Float, false},
      {"Sigmoid", U::Sigmoid, "op_sigmoid", Types::Float, false},
      {"Tanh", U::Tanh, "op_tanh", Types::Float, false},
      {"Sin", U::Sin, "op_sin", Types::Float, false},
      {"Cos", U::Cos, "op_cos", Types::Float, false},
      {"Tan", U::Tan, "op_tan", Types::Float, false},
      {"Asin", U::Asin, "op_asin", Types::Float, false},
      {"Acos", U::Acos, "op_acos", Types::Float, false},
      {"Atan", U::Atan, "op_atan", Types::Float, false},
      {"Sinh", U::Sinh, "op_sinh", Types::Float, false},
      {"Cosh", U::Cosh, "op_cosh", Types::Float, false},
      {"Asinh", U::Asinh, "op_asinh", Types::Float, false},
      {"Acosh", U::Acosh, "op_acosh", Types::Float, false},
      {"Atanh", U::Atanh, "op_atanh", Types::Float, false},
      {"Softsign", U::Softsign, "op_softsign", Types::Float, false},
      {"LeakyRelu", U::LeakyRelu, "op_leaky_relu", Types::Float, false},
      {"Elu", U::Elu, "op_elu", Types::Float, false},
      {"Selu", U::Selu, "op_selu", Types::Float, false},
      {"ThresholdedRelu", U::ThresholdedRelu, "op_thresholded_relu", Types::Float, false},
      {"Celu", U::Celu, "op_celu", Types::Float, false},
      {"HardSigmoid", U::HardSigmoid, "op_hard_sigmoid", Types::Float, false},
      {"HardSwish", U::HardSwish, "op_hard_swish", Types::Float, false},
      {"Softplus", U::Softplus, "op_softplus", Types::Float, false},
      {"Mish", U::Mish, "op_mish", Types::Float, false},
      {"Shrink", U::Shrink, "op_shrink", Types::Float, false},
  };
  return t;
}

std::initializer_list<DType> allowed(Types t) {
  static constexpr std::initializer_list<DType> kSigned = {DType::F32, DType::F64, DType::I8,
                                                           DType::I16, DType::I32, DType::I64};
  static constexpr std::initializer_list<DType> kBool = {DType::Bool};
  static constexpr std::initializer_list<DType> kInts = {
      DType::I8, DType::U8, DType::I16, DType::U16, DType::I32, DType::U32, DType::I64, DType::U64};
  switch (t) {
  case Types::Float:
    return kFloatTypes;
  case Types::SignedNumeric:
    return kSigned;
  case Types::Numeric:
    return kNumericTypes;
  case Types::Bool:
    return kBool;
  case Types::Integer:
    return kInts;
  }
  return kFloatTypes;
}

// Attributes with their ONNX defaults.
struct Attrs {
  float alpha = 0, beta = 0, gamma = 0;
  bool detect_pos = true, detect_neg = true;
};

Attrs attrs_of(const Node& n, U code) {
  Attrs a;
  switch (code) {
  case U::LeakyRelu:
    a.alpha = n.attr_f("alpha", 0.01f);
    break;
  case U::Elu:
  case U::Celu:
  case U::ThresholdedRelu:
    a.alpha = n.attr_f("alpha", 1.0f);
    break;
  case U::Selu:
    a.alpha = n.attr_f("alpha", 1.67326319217681884765625f);
    a.gamma = n.attr_f("gamma", 1.05070102214813232421875f);
    break;
  case U::HardSigmoid:
    a.alpha = n.attr_f("alpha", 0.2f);
    a.beta = n.attr_f("beta", 0.5f);
    break;
  case U::Shrink:
    a.alpha = n.attr_f("lambd", 0.5f);
    a.beta = n.attr_f("bias", 0.0f);
    break;
  case U::IsInf:
    a.detect_pos = n.attr_i("detect_positive", 1) != 0;
    a.detect_neg = n.attr_i("detect_negative", 1) != 0;
    break;
  default:
    break;
  }
  return a;
}

template <class T> T softplus(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <class T> T round_half_even(T x) {
  T f = std::floor(x), d = x - f;
  if (d > T(0.5)) return f + T(1);
  if (d < T(0.5)) return f;
  return std::fmod(f, T(2)) == T(0) ? f : f + T(1);
}

template <class T> T clamp01(T v) {
  return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
}

// Reference semantics for the ops whose output type is the input type.
template <class T> T ref_unary(U op, const Attrs& a, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == U::Not ? !x : x;
  } else if constexpr (std::is_integral_v<T>) {
    const bool neg = negative(x);
    switch (op) {
    case U::Relu:
      return neg ? T(0) : x;
    case U::Neg:
      return wrap_neg_int(x);
    case U::Abs:
      return neg ? wrap_neg_int(x) : x;
    case U::Sign:
      return x > T(0) ? T(1) : neg ? T(-1) : T(0);
    case U::BitwiseNot:
      return T(~x);
    default:
      return x;
    }
  } else {
    const T al = T(a.alpha), ga = T(a.gamma);
    switch (op) {
    case U::Relu:
      return x < T(0) ? T(0) : x;
    case U::Neg:
      return -x;
    case U::Abs:
      return std::fabs(x);
    case U::Sign:
      return std::isnan(x) ? x : x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
    case U::Exp:
      return std::exp(x);
    case U::Log:
      return std::log(x);
    case U::Sqrt:
      return std::sqrt(x);
    case U::Reciprocal:
      return T(1) / x;
    case U::Floor:
      return std::floor(x);
    case U::Ceil:
      return std::ceil(x);
    case U::Round:
      return round_half_even(x);
    case U::Erf:
      return std::erf(x);
    case U::Sigmoid:
      return T(1) / (T(1) + std::exp(-x));
    case U::Tanh:
      return std::tanh(x);
    case U::Sin:
      return std::sin(x);
    case U::Cos:
      return std::cos(x);
    case U::Tan:
      return std::tan(x);
    case U::Asin:
      return std::asin(x);
    case U::Acos:
      return std::acos(x);
    case U::Atan:
      return std::atan(x);
    case U::Sinh:
      return std::sinh(x);
    case U::Cosh:
      return std::cosh(x);
    case U::Asinh:
      return std::asinh(x);
    case U::Acosh:
      return std::acosh(x);
    case U::Atanh:
      return std::atanh(x);
    case U::Softsign:
      return x / (T(1) + std::fabs(x));
    case U::LeakyRelu:
      return x < T(0) ? x * al : x;
    case U::Elu:
      return x < T(0) ? al * (std::exp(x) - T(1)) : x;
    case U::Selu:
      return x <= T(0) ? ga * (al * std::exp(x) - al) : ga * x;
    case U::ThresholdedRelu:
      return x > al ? x : T(0);
    case U::Celu:
      return x > T(0) ? x : al * (std::exp(x / al) - T(1));
    case U::HardSigmoid:
      return clamp01(al * x + T(a.beta));
    case U::HardSwish:
      return x * clamp01(x / T(6) + T(0.5));
    case U::Softplus:
      return softplus(x);
    case U::Mish:
      return x * std::tanh(softplus(x));
    case U::Shrink:
      return x < -al ? x + T(a.beta) : x > al ? x - T(a.beta) : T(0);
    default:
      return x;
    }
  }
}

template <class T> bool ref_predicate(U op, const Attrs& a, T x) {
  if (op == U::IsNaN) return std::isnan(x);
  return (a.detect_pos && std::isinf(x) && x > 0) || (a.detect_neg && std::isinf(x) && x < 0);
}

OpDef make(const UnaryOp& u) {
  OpDef d;
  d.op_type = u.op_type;
  d.elementwise_inplace = true;
  const UnaryOp op = u;
  d.infer = [op](Graph& g, Node& n) {
    require_dtype(g, n, 0, allowed(op.types));
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, op.to_bool ? DType::Bool : x.dtype, x.shape);
  };
  d.eval = [op](const Node& n, const Inputs& in) {
    const Attrs a = attrs_of(n, op.code);
    TensorData y(op.to_bool ? DType::Bool : in[0]->dtype, in[0]->shape);
    dispatch(in[0]->dtype, [&](auto z) {
      using T = decltype(z);
      const T* x = in[0]->data<T>();
      if constexpr (std::is_floating_point_v<T>) {
        if (op.to_bool) {
          bool* o = y.data<bool>();
          for (int64_t i = 0; i < y.size(); ++i) o[i] = ref_predicate(op.code, a, x[i]);
          return 0;
        }
      }
      T* o = y.data<T>();
      for (int64_t i = 0; i < y.size(); ++i) o[i] = ref_unary(op.code, a, x[i]);
      return 0;
    });
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [op](EmitContext& ctx, const Node& n) {
    const Attrs a = attrs_of(n, op.code);
    ctx.use("elementwise");
    ctx.use("unary_ops");
    Params p;
    p.i("n", numel(ctx.graph().val(n.output(0)).shape));
    p.f("alpha", a.alpha).f("beta", a.beta).f("gamma", a.gamma);
    p.i("detect_pos", a.detect_pos).i("detect_neg", a.detect_neg);
    std::string P = ctx.params(p);
    ctx.line(fmt::format("tk::map_unary<{}, tk::{}>({}, {});", P, op.functor, ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

struct Register {
  Register() {
    for (const auto& u : table()) OpRegistry::instance().add(make(u));
  }
} reg;

} // namespace
} // namespace tinyc::ops
