// Gather, GatherElements, GatherND, ScatterElements (and the older Scatter), ScatterND
// (templates/gather.h). Indices may be run-time values: both the reference and the kernels
// wrap negative indices and clamp out-of-range ones, so no index reads outside a tensor.
#include "data_util.h"

#include <cstring>

namespace tinyc::ops {
namespace {

int64_t clamp_index(int64_t k, int64_t n) {
  if (k < 0) k += n;
  return k < 0 ? 0 : (k >= n ? n - 1 : k);
}

void require_index_type(const Graph& g, const Node& n, size_t k) {
  require_dtype(g, n, k, {DType::I32, DType::I64});
}

int64_t prod(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

// ---- Gather
struct GatherPlan {
  int64_t outer, n, m, inner;
  Shape out;
};
GatherPlan gather_plan(const Node& n, const Shape& s, const Shape& ind) {
  const int64_t r = int64_t(s.size());
  const size_t axis = size_t(normalize_axis(n, n.attr_i("axis", 0), r));
  GatherPlan p{prod(s, 0, axis), s[axis], numel(ind), prod(s, axis + 1, s.size()), {}};
  p.out.assign(s.begin(), s.begin() + long(axis));
  p.out.insert(p.out.end(), ind.begin(), ind.end());
  p.out.insert(p.out.end(), s.begin() + long(axis) + 1, s.end());
  if (p.n == 0 && p.m > 0 && p.outer * p.inner > 0)
    fail("node {}: gathering from an empty axis", n.label());
  return p;
}

OpDef gather_def() {
  OpDef d;
  d.op_type = "Gather";
  d.infer = [](Graph& g, Node& n) {
    require_index_type(g, n, 1);
    set_output(g, n, 0, input(g, n, 0).dtype,
               gather_plan(n, input(g, n, 0).shape, input(g, n, 1).shape).out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    GatherPlan p = gather_plan(n, in[0]->shape, in[1]->shape);
    TensorData y(in[0]->dtype, p.out);
    const size_t es = dtype_size(y.dtype);
    for (int64_t o = 0; o < p.outer; ++o)
      for (int64_t j = 0; j < p.m; ++j) {
        const int64_t k = clamp_index(in[1]->get_i64(j), p.n);
        std::memcpy(y.bytes.data() + size_t((o * p.m + j) * p.inner) * es,
                    in[0]->bytes.data() + size_t((o * p.n + k) * p.inner) * es,
                    size_t(p.inner) * es);
      }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    GatherPlan p = gather_plan(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape);
    if (numel(p.out) == 0) return;
    ctx.use("gather");
    Params pr;
    pr.i("outer", p.outer).i("n", p.n).i("m", p.m).i("inner", p.inner);
    ctx.line(fmt::format("tk::gather<{}>({}, {}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
  };
  return d;
}

// ---- GatherElements / ScatterElements
int reduction_code(const Node& n) {
  const std::string r = n.attr_s("reduction", "none");
  if (r == "none") return 0;
  if (r == "add") return 1;
  if (r == "mul") return 2;
  if (r == "max") return 3;
  if (r == "min") return 4;
  fail("node {}: reduction '{}' is not supported", n.label(), r);
}

template <class T> T combine(int red, T a, T u) {
  auto wide = [](auto v) { return (unsigned long long)v; };
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (red == 1) return T(wide(a) + wide(u));
    if (red == 2) return T(wide(a) * wide(u));
  } else {
    if (red == 1) return T(a + u);
    if (red == 2) return T(a * u);
  }
  if (red == 3) return a < u ? u : a;
  if (red == 4) return u < a ? u : a;
  return u;
}

// Offset into data of position i of the index tensor, without the axis term.
int64_t elements_offset(int64_t i, const Shape& ishape, const std::vector<int64_t>& sd,
                        size_t axis) {
  int64_t off = 0;
  for (size_t d = ishape.size(); d-- > 0;) {
    const int64_t c = i % ishape[d];
    i /= ishape[d];
    if (d != axis) off += c * sd[d];
  }
  return off;
}

size_t elements_axis(const Graph& g, const Node& n) {
  const Shape &s = input(g, n, 0).shape, &ind = input(g, n, 1).shape;
  if (s.size() != ind.size()) fail("node {}: data and indices have different ranks", n.label());
  const size_t axis = size_t(normalize_axis(n, n.attr_i("axis", 0), int64_t(s.size())));
  for (size_t d = 0; d < s.size(); ++d)
    if (d != axis && ind[d] > s[d])
      fail("node {}: indices shape {} exceeds data shape {} off the axis", n.label(),
           shape_str(ind), shape_str(s));
  return axis;
}

Params elements_params(const Shape& s, const Shape& ind, size_t axis) {
  Params pr;
  pr.i("rank", int64_t(s.size())).i("n", numel(ind)).ints("ishape", ind).ints("sd", strides_of(s));
  pr.i("axis", int64_t(axis)).i("dim", s[axis]);
  return pr;
}

OpDef gather_elements_def() {
  OpDef d;
  d.op_type = "GatherElements";
  d.infer = [](Graph& g, Node& n) {
    require_index_type(g, n, 1);
    elements_axis(g, n);
    if (numel(input(g, n, 1).shape) > 0 && numel(input(g, n, 0).shape) == 0)
      fail("node {}: gathering from an empty tensor", n.label());
    set_output(g, n, 0, input(g, n, 0).dtype, input(g, n, 1).shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const Shape &s = in[0]->shape, &ind = in[1]->shape;
    const size_t axis = size_t(normalize_axis(n, n.attr_i("axis", 0), int64_t(s.size())));
    TensorData y(in[0]->dtype, ind);
    const size_t es = dtype_size(y.dtype);
    auto sd = strides_of(s);
    for (int64_t i = 0; i < y.size(); ++i) {
      int64_t off =
          elements_offset(i, ind, sd, axis) + clamp_index(in[1]->get_i64(i), s[axis]) * sd[axis];
      std::memcpy(y.bytes.data() + size_t(i) * es, in[0]->bytes.data() + size_t(off) * es, es);
    }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape &s = g.val(n.input(0)).shape, &ind = g.val(n.input(1)).shape;
    if (numel(ind) == 0) return;
    ctx.use("gather");
    ctx.line(fmt::format("tk::gather_elements<{}>({}, {}, {});",
                         ctx.params(elements_params(s, ind, elements_axis(g, n))),
                         ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
  };
  return d;
}

void emit_copy_data(EmitContext& ctx, const Node& n) {
  const Value& v = ctx.graph().val(n.output(0));
  if (numel(v.shape) == 0) return;
  ctx.line(fmt::format("memmove({}, {}, {});", ctx.ptr(n.output(0)), ctx.cptr(n.input(0)),
                       numel(v.shape) * int64_t(dtype_size(v.dtype))));
}

OpDef scatter_elements_def(const char* op) {
  OpDef d;
  d.op_type = op;
  d.infer = [](Graph& g, Node& n) {
    require_index_type(g, n, 1);
    require_dtype(g, n, 0,
                  {DType::F32, DType::F64, DType::I8, DType::U8, DType::I16, DType::U16, DType::I32,
                   DType::U32, DType::I64, DType::U64, DType::Bool});
    elements_axis(g, n);
    reduction_code(n);
    if (input(g, n, 1).shape != input(g, n, 2).shape)
      fail("node {}: indices and updates have different shapes", n.label());
    if (numel(input(g, n, 1).shape) > 0 && numel(input(g, n, 0).shape) == 0)
      fail("node {}: scattering into an empty tensor", n.label());
    set_output(g, n, 0, input(g, n, 0).dtype, input(g, n, 0).shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const Shape &s = in[0]->shape, &ind = in[1]->shape;
    const size_t axis = size_t(normalize_axis(n, n.attr_i("axis", 0), int64_t(s.size())));
    const int red = reduction_code(n);
    TensorData y = *in[0];
    auto sd = strides_of(s);
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      for (int64_t i = 0; i < numel(ind); ++i) {
        int64_t off =
            elements_offset(i, ind, sd, axis) + clamp_index(in[1]->get_i64(i), s[axis]) * sd[axis];
        y.data<T>()[off] = combine<T>(red, y.data<T>()[off], in[2]->data<T>()[i]);
      }
      return 0;
    });
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Shape &s = g.val(n.input(0)).shape, &ind = g.val(n.input(1)).shape;
    emit_copy_data(ctx, n);
    if (numel(ind) == 0) return;
    ctx.use("gather");
    Params pr = elements_params(s, ind, elements_axis(g, n));
    pr.i("red", reduction_code(n));
    ctx.line(fmt::format("tk::scatter_elements<{}>({}, {}, {});", ctx.params(pr),
                         ctx.cptr(n.input(1)), ctx.cptr(n.input(2)), ctx.ptr(n.output(0))));
  };
  return d;
}

// ---- GatherND / ScatterND
struct NdPlan {
  int64_t batches = 1, tuples = 1, k = 0, inner = 1, data_batch = 1;
  std::vector<int64_t> dims, dstr;
  Shape out;
};
NdPlan nd_plan(const Node& n, const Shape& s, const Shape& ind, int64_t b) {
  if (ind.empty()) fail("node {}: indices must have rank >= 1", n.label());
  NdPlan p;
  p.k = ind.back();
  if (b < 0 || size_t(b) >= ind.size() || size_t(b + p.k) > s.size())
    fail("node {}: index tuples of length {} do not fit data of rank {}", n.label(), p.k, s.size());
  for (int64_t i = 0; i < b; ++i)
    if (ind[size_t(i)] != s[size_t(i)])
      fail("node {}: batch dims of data and indices differ", n.label());
  auto st = strides_of(s);
  p.batches = prod(s, 0, size_t(b));
  p.tuples = prod(ind, size_t(b), ind.size() - 1);
  for (int64_t j = 0; j < p.k; ++j) {
    p.dims.push_back(s[size_t(b + j)]);
    p.dstr.push_back(st[size_t(b + j)]);
    if (s[size_t(b + j)] == 0) fail("node {}: indexing an empty axis", n.label());
  }
  p.inner = prod(s, size_t(b + p.k), s.size());
  p.data_batch = prod(s, size_t(b), s.size());
  p.out.assign(ind.begin(), ind.end() - 1);
  p.out.insert(p.out.end(), s.begin() + long(b + p.k), s.end());
  return p;
}
int64_t nd_offset(const NdPlan& p, const TensorData& ind, int64_t tuple) {
  int64_t off = 0;
  for (int64_t j = 0; j < p.k; ++j)
    off += clamp_index(ind.get_i64(tuple * p.k + j), p.dims[size_t(j)]) * p.dstr[size_t(j)];
  return off;
}
Params nd_params(const NdPlan& p) {
  Params pr;
  pr.i("batches", p.batches).i("tuples", p.tuples).i("k", p.k).ints("dims", p.dims);
  pr.ints("dstr", p.dstr).i("inner", p.inner).i("data_batch", p.data_batch);
  return pr;
}

OpDef gather_nd_def() {
  OpDef d;
  d.op_type = "GatherND";
  d.infer = [](Graph& g, Node& n) {
    require_index_type(g, n, 1);
    set_output(
        g, n, 0, input(g, n, 0).dtype,
        nd_plan(n, input(g, n, 0).shape, input(g, n, 1).shape, n.attr_i("batch_dims", 0)).out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    NdPlan p = nd_plan(n, in[0]->shape, in[1]->shape, n.attr_i("batch_dims", 0));
    TensorData y(in[0]->dtype, p.out);
    const size_t es = dtype_size(y.dtype);
    for (int64_t b = 0; b < p.batches; ++b)
      for (int64_t t = 0; t < p.tuples; ++t) {
        int64_t src = b * p.data_batch + nd_offset(p, *in[1], b * p.tuples + t);
        std::memcpy(y.bytes.data() + size_t((b * p.tuples + t) * p.inner) * es,
                    in[0]->bytes.data() + size_t(src) * es, size_t(p.inner) * es);
      }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    NdPlan p =
        nd_plan(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, n.attr_i("batch_dims", 0));
    if (numel(p.out) == 0) return;
    ctx.use("gather");
    ctx.line(fmt::format("tk::gather_nd<{}>({}, {}, {});", ctx.params(nd_params(p)),
                         ctx.cptr(n.input(0)), ctx.cptr(n.input(1)), ctx.ptr(n.output(0))));
  };
  return d;
}

OpDef scatter_nd_def() {
  OpDef d;
  d.op_type = "ScatterND";
  d.infer = [](Graph& g, Node& n) {
    require_index_type(g, n, 1);
    reduction_code(n);
    NdPlan p = nd_plan(n, input(g, n, 0).shape, input(g, n, 1).shape, 0);
    if (input(g, n, 2).shape != p.out) fail("node {}: updates have the wrong shape", n.label());
    set_output(g, n, 0, input(g, n, 0).dtype, input(g, n, 0).shape);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    NdPlan p = nd_plan(n, in[0]->shape, in[1]->shape, 0);
    const int red = reduction_code(n);
    TensorData y = *in[0];
    dispatch(y.dtype, [&](auto z) {
      using T = decltype(z);
      for (int64_t t = 0; t < p.tuples; ++t) {
        int64_t off = nd_offset(p, *in[1], t);
        for (int64_t i = 0; i < p.inner; ++i)
          y.data<T>()[off + i] =
              combine<T>(red, y.data<T>()[off + i], in[2]->data<T>()[t * p.inner + i]);
      }
      return 0;
    });
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    NdPlan p = nd_plan(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape, 0);
    emit_copy_data(ctx, n);
    if (p.tuples * p.inner == 0) return;
    ctx.use("gather");
    Params pr = nd_params(p);
    pr.i("red", reduction_code(n));
    ctx.line(fmt::format("tk::scatter_nd<{}>({}, {}, {});", ctx.params(pr), ctx.cptr(n.input(1)),
                         ctx.cptr(n.input(2)), ctx.ptr(n.output(0))));
  };
  return d;
}

TINYC_REGISTER_OP(gather_def);
TINYC_REGISTER_OP(gather_elements_def);
TINYC_REGISTER_OP([] { return scatter_elements_def("ScatterElements"); });
TINYC_REGISTER_OP([] { return scatter_elements_def("Scatter"); });
TINYC_REGISTER_OP(gather_nd_def);
TINYC_REGISTER_OP(scatter_nd_def);

} // namespace
} // namespace tinyc::ops
