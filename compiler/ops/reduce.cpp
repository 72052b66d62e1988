// ReduceSum/Mean/Prod/Max/Min/L1/L2/SumSquare/LogSum/LogSumExp and ArgMax/ArgMin
// (templates/reduce.h). The reference walks the input in the kernel's order so float sums
// round identically.
#include "data_util.h"

#include <cmath>
#include <limits>

namespace tinyc::ops {
namespace {

enum Kind { kSum, kMean, kProd, kMax, kMin, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

struct ReduceOp {
  const char* op_type;
  Kind kind;
};
const ReduceOp kOps[] = {{"ReduceSum", kSum},       {"ReduceMean", kMean},
                         {"ReduceProd", kProd},     {"ReduceMax", kMax},
                         {"ReduceMin", kMin},       {"ReduceL1", kL1},
                         {"ReduceL2", kL2},         {"ReduceSumSquare", kSumSquare},
                         {"ReduceLogSum", kLogSum}, {"ReduceLogSumExp", kLogSumExp}};

struct ReducePlan {
  std::vector<bool> reduced; // per input axis
  Shape out;                 // with keepdims applied
  bool identity = false;     // noop_with_empty_axes and no axes
};

ReducePlan reduce_plan(const Node& n, const Shape& s, const ConstArg& arg) {
  const int64_t r = int64_t(s.size());
  const bool axes_input = n.op_type == "ReduceSum" ? n.opset >= 13 : n.opset >= 18;
  std::vector<int64_t> axes;
  if (axes_input) {
    if (const TensorData* t = arg(1)) axes = t->to_i64_vector();
  } else {
    axes = n.attr_ints("axes", {});
  }
  ReducePlan p;
  p.reduced.assign(size_t(r), axes.empty());
  if (axes.empty() && n.attr_i("noop_with_empty_axes", 0) != 0) {
    p.identity = true;
    p.reduced.assign(size_t(r), false);
  }
  for (int64_t a : axes) p.reduced[size_t(normalize_axis(n, a, r))] = true;
  const bool keep = n.attr_i("keepdims", 1) != 0;
  for (int64_t d = 0; d < r; ++d) {
    if (!p.reduced[size_t(d)])
      p.out.push_back(s[size_t(d)]);
    else if (keep)
      p.out.push_back(1);
  }
  return p;
}

// Output strides per input axis (0 on reduced axes).
std::vector<int64_t> out_strides(const Shape& s, const std::vector<bool>& reduced) {
  Shape kept = s;
  for (size_t d = 0; d < s.size(); ++d)
    if (reduced[d]) kept[d] = 1;
  auto st = strides_of(kept);
  for (size_t d = 0; d < s.size(); ++d)
    if (reduced[d]) st[d] = 0;
  return st;
}

template <class T> T init_value(Kind k) {
  if (k == kProd) return T(1);
  if constexpr (std::is_floating_point_v<T>) {
    if (k == kMax) return -std::numeric_limits<T>::infinity();
    if (k == kMin) return std::numeric_limits<T>::infinity();
  } else {
    if (k == kMax) return std::numeric_limits<T>::lowest();
    if (k == kMin) return std::numeric_limits<T>::max();
  }
  return T(0);
}

template <class T> T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return T((unsigned long long)a + (unsigned long long)b);
  else
    return T(a + b);
}
template <class T> T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return T((unsigned long long)a * (unsigned long long)b);
  else
    return T(a * b);
}

template <class T> T step(Kind k, T a, T x) {
  switch (k) {
  case kSum:
  case kMean:
  case kLogSum:
    return wrap_add(a, x);
  case kProd:
    return wrap_mul(a, x);
  case kMax:
    return a < x ? x : a;
  case kMin:
    return x < a ? x : a;
  case kL1:
    return wrap_add(a, x < T(0) ? T(0 - x) : x);
  case kL2:
  case kSumSquare:
    return wrap_add(a, wrap_mul(x, x));
  case kLogSumExp:
    if constexpr (std::is_floating_point_v<T>)
      return a + std::exp(x);
    else
      return a;
  }
  return a;
}

template <class T> T finish(Kind k, T a, int64_t count) {
  if (k == kMean && count > 0) return std::is_integral_v<T> ? T(a / T(count)) : T(a / T(count));
  if constexpr (std::is_floating_point_v<T>) {
    if (k == kL2) return std::sqrt(a);
    if (k == kLogSum || k == kLogSumExp) return std::log(a);
  } else if constexpr (std::is_integral_v<T>) {
    if (k == kL2) return T(std::sqrt(double(a)));
  }
  return a;
}

bool supported(Kind k, DType t) {
  if (t == DType::F32 || t == DType::F64) return true;
  if (t == DType::Bool) return k == kMax || k == kMin;
  if (t == DType::I8 || t == DType::U8 || t == DType::I32 || t == DType::I64 || t == DType::U32 ||
      t == DType::U64 || t == DType::I16 || t == DType::U16)
    return k != kLogSum && k != kLogSumExp && k != kL2;
  return false;
}

OpDef make_reduce(const ReduceOp& op) {
  OpDef d;
  d.op_type = op.op_type;
  const Kind kind = op.kind;
  d.infer = [kind](Graph& g, Node& n) {
    const Value& x = input(g, n, 0);
    if (!supported(kind, x.dtype))
      fail("node {}: element type {} is not supported for this reduction", n.label(),
           dtype_name(x.dtype));
    require_const_inputs(g, n, {1}, "axes");
    set_output(g, n, 0, x.dtype, reduce_plan(n, x.shape, graph_args(g, n, "axes")).out);
  };
  d.eval = [kind](const Node& n, const Inputs& in) {
    const TensorData& x = *in[0];
    ReducePlan p = reduce_plan(n, x.shape, eval_args(in));
    TensorData y(x.dtype, p.out);
    if (p.identity) {
      y.bytes = x.bytes;
      return std::vector<TensorData>{y};
    }
    auto so = out_strides(x.shape, p.reduced);
    const int64_t count = y.size() ? x.size() / std::max<int64_t>(y.size(), 1) : 0;
    dispatch(x.dtype, [&](auto z) {
      using T = decltype(z);
      T* o = y.data<T>();
      const T* a = x.data<T>();
      for (int64_t i = 0; i < y.size(); ++i) o[i] = init_value<T>(kind);
      std::vector<int64_t> idx(x.shape.size(), 0);
      for (int64_t i = 0; i < x.size(); ++i) {
        int64_t oi = 0;
        for (size_t dd = 0; dd < idx.size(); ++dd) oi += idx[dd] * so[dd];
        o[oi] = step<T>(kind, o[oi], a[i]);
        for (size_t dd = idx.size(); dd-- > 0;) {
          if (++idx[dd] < x.shape[dd]) break;
          idx[dd] = 0;
        }
      }
      for (int64_t i = 0; i < y.size(); ++i) o[i] = finish<T>(kind, o[i], count);
      return 0;
    });
    return std::vector<TensorData>{y};
  };
  d.emit = [kind](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value& x = g.val(n.input(0));
    const Value& yv = g.val(n.output(0));
    ReducePlan p = reduce_plan(n, x.shape, graph_args(g, n, "axes"));
    if (p.identity) return emit_copy(ctx, n);
    if (numel(yv.shape) == 0) return;
    // Drop size-1 axes and merge neighbours that are both reduced or both kept.
    auto so = out_strides(x.shape, p.reduced);
    auto sx = strides_of(x.shape);
    Shape in;
    std::vector<int64_t> sxs, sos;
    std::vector<bool> red;
    for (size_t dd = 0; dd < x.shape.size(); ++dd) {
      if (x.shape[dd] == 1) continue;
      if (!in.empty() && red.back() == p.reduced[dd] && sos.back() == so[dd] * x.shape[dd]) {
        in.back() *= x.shape[dd];
        sxs.back() = sx[dd];
        sos.back() = so[dd];
        continue;
      }
      in.push_back(x.shape[dd]);
      sxs.push_back(sx[dd]);
      sos.push_back(so[dd]);
      red.push_back(p.reduced[dd]);
    }
    const int64_t count = numel(x.shape) / numel(yv.shape);
    ctx.use("reduce");
    Params pr;
    pr.i("kind", int(kind)).i("rank", int64_t(in.size())).ints("in", in).ints("sx", sxs);
    pr.ints("so", sos).i("n_out", numel(yv.shape)).i("count", count);
    TensorData init(x.dtype, {});
    dispatch(x.dtype, [&](auto z) {
      using T = decltype(z);
      init.data<T>()[0] = init_value<T>(kind);
      return 0;
    });
    ctx.line(fmt::format("tk::reduce<{}>({}, {}, ({}){});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0)), dtype_ctype(x.dtype),
                         element_literal(x.dtype, &init)));
  };
  return d;
}

struct ArgPlan {
  int64_t outer = 1, n = 1, inner = 1;
  Shape out;
};

ArgPlan arg_plan(const Node& n, const Shape& s) {
  const int64_t r = int64_t(s.size());
  const int64_t axis = normalize_axis(n, n.attr_i("axis", 0), r);
  ArgPlan p;
  for (int64_t d = 0; d < r; ++d) {
    if (d < axis)
      p.outer *= s[size_t(d)];
    else if (d > axis)
      p.inner *= s[size_t(d)];
    else
      p.n = s[size_t(d)];
    if (d != axis)
      p.out.push_back(s[size_t(d)]);
    else if (n.attr_i("keepdims", 1) != 0)
      p.out.push_back(1);
  }
  if (p.n == 0) fail("node {}: ArgMax/ArgMin over an empty axis is not supported", n.label());
  return p;
}

OpDef make_arg(const char* op) {
  OpDef d;
  d.op_type = op;
  const bool is_max = std::string(op) == "ArgMax";
  d.infer = [](Graph& g, Node& n) {
    require_dtype(g, n, 0, kNumericTypes);
    set_output(g, n, 0, DType::I64, arg_plan(n, input(g, n, 0).shape).out);
  };
  d.eval = [is_max](const Node& n, const Inputs& in) {
    const TensorData& x = *in[0];
    ArgPlan p = arg_plan(n, x.shape);
    const bool last = n.attr_i("select_last_index", 0) != 0;
    TensorData y(DType::I64, p.out);
    dispatch(x.dtype, [&](auto z) {
      using T = decltype(z);
      const T* a = x.data<T>();
      for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t k = 0; k < p.inner; ++k) {
          const T* q = a + o * p.n * p.inner + k;
          T best = q[0];
          int64_t at = 0;
          for (int64_t j = 1; j < p.n; ++j) {
            T v = q[j * p.inner];
            bool take = is_max ? (last ? !(v < best) : best < v) : (last ? !(best < v) : v < best);
            if (take) {
              best = v;
              at = j;
            }
          }
          y.data<int64_t>()[o * p.inner + k] = at;
        }
      return 0;
    });
    return std::vector<TensorData>{y};
  };
  d.emit = [is_max](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    ArgPlan p = arg_plan(n, g.val(n.input(0)).shape);
    ctx.use("reduce");
    Params pr;
    pr.i("outer", p.outer).i("n", p.n).i("inner", p.inner).i("is_max", is_max);
    pr.i("last", n.attr_i("select_last_index", 0) != 0);
    ctx.line(fmt::format("tk::arg_reduce<{}>({}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0))));
  };
  return d;
}

struct Register {
  Register() {
    for (const auto& op : kOps) OpRegistry::instance().add(make_reduce(op));
    OpRegistry::instance().add(make_arg("ArgMax"));
    OpRegistry::instance().add(make_arg("ArgMin"));
  }
} reg;

} // namespace
} // namespace tinyc::ops
