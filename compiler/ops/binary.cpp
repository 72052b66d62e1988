// Elementwise binary ops with numpy broadcasting: one table row each, naming the kernel functor
// (templates/binary_ops.h) and the element types ONNX defines the op for; ref_binary() and
// ref_pow() are the reference formulas the functors must agree with.
#include "elementwise_ref.h"

namespace tinyc::ops {
namespace {

// clang-format off
enum class B {
  Add, Sub, Mul, Div, Mod, Pow, BitShift, And, Or, Xor, BitwiseAnd, BitwiseOr, BitwiseXor,
  Equal, Less, Greater, LessOrEqual, GreaterOrEqual, PRelu
};
// clang-format on

enum class Types { Numeric, Integer, Unsigned, Bool, Float, NumericOrBool, PowBase };

struct BinaryOp {
  const char* op_type;
  B code;
  const char* functor; // in templates/binary_ops.h
  Types types;
  bool to_bool;   // comparison: bool output
  bool fused_act; // float arithmetic that may carry a fused activation
};

const std::vector<BinaryOp>& table() {
  static const std::vector<BinaryOp> t = {
      {"Add", B::Add, "op_add", Types::Numeric, false, true},
      {"Sub", B::Sub, "op_sub", Types::Numeric, false, true},
      {"Mul", B::Mul, "op_mul", Types::Numeric, false, true},
      {"Div", B::Div, "op_div", Types::Numeric, false, true},
      {"Mod", B::Mod, "op_mod", Types::Numeric, false, false},
      {"Pow", B::Pow, "op_pow", Types::PowBase, false, false},
      {"BitShift", B::BitShift, "op_bitshift", Types::Unsigned, false, false},
      {"And", B::And, "op_and", Types::Bool, false, false},
      {"Or", B::Or, "op_or", Types::Bool, false, false},
      {"Xor", B::Xor, "op_xor", Types::Bool, false, false},
      {"BitwiseAnd", B::BitwiseAnd, "op_bitwise_and", Types::Integer, false, false},
      {"BitwiseOr", B::BitwiseOr, "op_bitwise_or", Types::Integer, false, false},
      {"BitwiseXor", B::BitwiseXor, "op_bitwise_xor", Types::Integer, false, false},
      {"Equal", B::Equal, "op_equal", Types::NumericOrBool, true, false},
      {"Less", B::Less, "op_less", Types::Numeric, true, false},
      {"Greater", B::Greater, "op_greater", Types::Numeric, true, false},
      {"LessOrEqual", B::LessOrEqual, "op_less_equal", Types::Numeric, true, false},
      {"GreaterOrEqual", B::GreaterOrEqual, "op_greater_equal", Types::Numeric, true, false},
      {"PRelu", B::PRelu, "op_prelu", Types::Numeric, false, false},
  };
  return t;
}

std::initializer_list<DType> allowed(Types t) {
  static constexpr std::initializer_list<DType> kInts = {
      DType::I8, DType::U8, DType::I16, DType::U16, DType::I32, DType::U32, DType::I64, DType::U64};
  static constexpr std::initializer_list<DType> kUns = {DType::U8, DType::U16, DType::U32,
                                                        DType::U64};
  static constexpr std::initializer_list<DType> kBool = {DType::Bool};
  static constexpr std::initializer_list<DType> kAll = {
      DType::F32, DType::F64, DType::I8,  DType::U8,  DType::I16, DType::U16,
      DType::I32, DType::U32, DType::I64, DType::U64, DType::Bool};
  static constexpr std::initializer_list<DType> kPowBase = {DType::F32, DType::F64, DType::I32,
                                                            DType::I64};
  switch (t) {
  case Types::Numeric:
    return kNumericTypes;
  case Types::Integer:
    return kInts;
  case Types::Unsigned:
    return kUns;
  case Types::Bool:
    return kBool;
  case Types::Float:
    return kFloatTypes;
  case Types::NumericOrBool:
    return kAll;
  case Types::PowBase:
    return kPowBase;
  }
  return kNumericTypes;
}

// Reference semantics of the ops whose inputs share one type T (comparisons return 0/1).
template <class T> T ref_binary(B op, T a, T b, bool flag) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (op) {
    case B::And:
      return a && b;
    case B::Or:
      return a || b;
    case B::Xor:
      return a != b;
    case B::Equal:
      return a == b;
    default:
      return false;
    }
  } else {
    constexpr bool fp = std::is_floating_point_v<T>;
    switch (op) {
    case B::Add:
      if constexpr (fp)
        return a + b;
      else
        return wrap_add(a, b);
    case B::Sub:
      if constexpr (fp)
        return a - b;
      else
        return wrap_sub(a, b);
    case B::Mul:
      if constexpr (fp)
        return a * b;
      else
        return wrap_mul(a, b);
    case B::Div:
      if constexpr (fp)
        return a / b;
      else
        return int_div(a, b);
    case B::Mod:
      if constexpr (fp) {
        T r = std::fmod(a, b);
        if (!flag && r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
        return r;
      } else {
        return int_mod(a, b, flag);
      }
    case B::BitShift:
      if constexpr (std::is_unsigned_v<T>) {
        using W = wide_uns_t<T>;
        if (b >= T(sizeof(T) * 8)) return T(0);
        return flag ? T(W(a) << b) : T(W(a) >> b);
      } else {
        return T(0);
      }
    case B::BitwiseAnd:
      if constexpr (fp)
        return T(0);
      else
        return T(a & b);
    case B::BitwiseOr:
      if constexpr (fp)
        return T(0);
      else
        return T(a | b);
    case B::BitwiseXor:
      if constexpr (fp)
        return T(0);
      else
        return T(a ^ b);
    case B::Equal:
      return T(a == b);
    case B::Less:
      return T(a < b);
    case B::Greater:
      return T(a > b);
    case B::LessOrEqual:
      return T(a <= b);
    case B::GreaterOrEqual:
      return T(a >= b);
    case B::PRelu:
      if constexpr (fp)
        return a < T(0) ? a * b : a;
      else
        return negative(a) ? wrap_mul(a, b) : a;
    default:
      return T(0);
    }
  }
}

// Pow: the result has the base's type. An integer base with a float exponent is computed in
// double; integer powers by squaring, wrapping, with 1/a^-b truncated for negative exponents.
template <class A, class E> A ref_pow(A a, E e) {
  if constexpr (std::is_floating_point_v<A>) {
    return std::pow(a, A(e));
  } else if constexpr (std::is_floating_point_v<E>) {
    return convert_value<A>(std::pow(double(a), double(e)));
  } else {
    if (negative(e)) {
      if (a == A(1)) return A(1);
      if constexpr (std::is_signed_v<A>)
        if (a == A(-1)) return e % 2 == 0 ? A(1) : A(-1);
      return A(0);
    }
    A r = A(1);
    while (e != E(0)) {
      if (e % 2 != 0) r = wrap_mul(r, a);
      a = wrap_mul(a, a);
      e = E(e / 2);
    }
    return r;
  }
}

// Shape input 1 is read with. Before opset 7, PRelu applied a 1-D slope per channel (axis 1),
// and the arithmetic and comparison ops with broadcast=1 and an `axis` attribute aligned B with
// A's dimensions starting at that axis, instead of numpy's alignment from the right.
Shape operand_shape(const Node& n, const Shape& x, const Shape& s) {
  if (n.opset >= 7) return s;
  if (n.op_type == "PRelu") {
    if (s.size() != 1 || x.size() < 2 || s[0] == 1 || s[0] != x[1]) return s;
    Shape c(x.size() - 1, 1);
    c[0] = s[0];
    return c;
  }
  if (n.attr_i("broadcast", 0) == 0 || !n.has_attr("axis")) return s;
  const int64_t rank = int64_t(x.size());
  int64_t axis = n.attr_i("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis + int64_t(s.size()) > rank)
    fail("node {}: B of shape {} does not fit A of shape {} at axis {}", n.label(), shape_str(s),
         shape_str(x), n.attr_i("axis", 0));
  Shape c = s;
  c.resize(size_t(rank - axis), 1); // trailing ones align B's last dimension with axis + |B|
  return c;
}

TensorData eval_binary(const BinaryOp& op, const Node& n, const Inputs& in) {
  const TensorData &a = *in[0], &b = *in[1];
  const Shape bs = operand_shape(n, a.shape, b.shape);
  Shape out = broadcast(n, a.shape, bs);
  std::vector<std::vector<int64_t>> st = {broadcast_strides(a.shape, out),
                                          broadcast_strides(bs, out)};
  TensorData y(op.to_bool ? DType::Bool : a.dtype, out);
  if (op.code == B::Pow) {
    dispatch(a.dtype, [&](auto za) {
      using A = decltype(za);
      return dispatch(b.dtype, [&](auto zb) {
        using E = decltype(zb);
        if constexpr (!std::is_same_v<A, bool> && !std::is_same_v<E, bool>) {
          const A* pa = a.data<A>();
          const E* pb = b.data<E>();
          A* o = y.data<A>();
          for_each_broadcast_n(out, st, [&](int64_t i, const std::vector<int64_t>& p) {
            o[i] = ref_pow(pa[p[0]], pb[p[1]]);
          });
        }
        return 0;
      });
    });
    return y;
  }
  const bool flag = op.code == B::Mod        ? n.attr_i("fmod", 0) != 0
                    : op.code == B::BitShift ? n.attr_s("direction", "") == "LEFT"
                                             : false;
  dispatch(a.dtype, [&](auto z) {
    using T = decltype(z);
    const T *pa = a.data<T>(), *pb = b.data<T>();
    for_each_broadcast_n(out, st, [&](int64_t i, const std::vector<int64_t>& p) {
      T r = ref_binary(op.code, pa[p[0]], pb[p[1]], flag);
      if (op.to_bool)
        y.data<bool>()[i] = r != T(0);
      else
        y.data<T>()[i] = r;
    });
    return 0;
  });
  return y;
}

OpDef make(const BinaryOp& b) {
  OpDef d;
  d.op_type = b.op_type;
  d.elementwise_inplace = true;
  const BinaryOp op = b;
  d.accepts_fused_act = b.fused_act;
  d.infer = [op](Graph& g, Node& n) {
    require_dtype(g, n, 0, allowed(op.types));
    const Value &a = input(g, n, 0), &c = input(g, n, 1);
    if (op.code == B::Pow) {
      require_dtype(g, n, 1, kNumericTypes);
    } else if (a.dtype != c.dtype) {
      fail("node {}: inputs have different element types ({} and {})", n.label(),
           dtype_name(a.dtype), dtype_name(c.dtype));
    }
    if (op.code == B::BitShift) {
      std::string dir = n.attr_s("direction", "");
      if (dir != "LEFT" && dir != "RIGHT")
        fail("node {}: direction '{}' is not supported (LEFT or RIGHT)", n.label(), dir);
    }
    Shape out = broadcast(n, a.shape, operand_shape(n, a.shape, c.shape));
    if (op.code == B::PRelu && out != a.shape)
      fail("node {}: slope of shape {} does not broadcast to X of shape {}", n.label(),
           shape_str(c.shape), shape_str(a.shape));
    set_output(g, n, 0, op.to_bool ? DType::Bool : a.dtype, out);
  };
  d.eval = [op](const Node& n, const Inputs& in) {
    return std::vector<TensorData>{eval_binary(op, n, in)};
  };
  d.emit = [op](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape& out = g.val(n.output(0)).shape;
    ctx.use("elementwise");
    ctx.use("binary_ops");
    const Shape& sa = g.val(n.input(0)).shape;
    Params p = binary_params(sa, operand_shape(n, sa, g.val(n.input(1)).shape), out);
    if (op.code == B::Mod) p.i("fmod", n.attr_i("fmod", 0) != 0);
    if (op.code == B::BitShift) p.i("left", n.attr_s("direction", "") == "LEFT");
    std::string functor_expr = std::string("tk::") + op.functor;
    if (n.act.kind != ActKind::None) {
      // A fused activation wraps the functor.
      ctx.use("activation");
      add_act(p, n.act);
      functor_expr = "tk::with_act<" + functor_expr + ">";
    }
    std::string P = ctx.params(p);
    ctx.line(fmt::format("tk::map_binary<{}, {}>({}, {}, {});", P, functor_expr,
                         ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
  };
  d.macs = [](const Graph& g, const Node& n) {
    return n.op_type == "Mul" ? numel(g.val(n.output(0)).shape) : int64_t(0);
  };
  return d;
}

struct Register {
  Register() {
    for (const auto& b : table()) OpRegistry::instance().add(make(b));
  }
} reg;

} // namespace
} // namespace tinyc::ops
