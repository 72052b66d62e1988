#include "data_util.h"

#include <algorithm>
#include <cstring>

namespace tinyc::ops {

StridedCopy coalesce(StridedCopy c) {
  StridedCopy r;
  r.x_off = c.x_off;
  r.y_off = c.y_off;
  for (size_t d = 0; d < c.out.size(); ++d) {
    if (c.out[d] == 1) continue;
    if (!r.out.empty() && r.sx.back() == c.sx[d] * c.out[d] && r.sy.back() == c.sy[d] * c.out[d]) {
      r.out.back() *= c.out[d];
      r.sx.back() = c.sx[d];
      r.sy.back() = c.sy[d];
      continue;
    }
    r.out.push_back(c.out[d]);
    r.sx.push_back(c.sx[d]);
    r.sy.push_back(c.sy[d]);
  }
  return r;
}

void strided_eval(const StridedCopy& c, const TensorData& x, TensorData& y) {
  const int64_t n = numel(c.out), es = int64_t(dtype_size(x.dtype));
  if (n == 0) return;
  std::vector<int64_t> idx(c.out.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ox = c.x_off, oy = c.y_off;
    for (size_t d = 0; d < idx.size(); ++d) {
      ox += idx[d] * c.sx[d];
      oy += idx[d] * c.sy[d];
    }
    if (ox < 0 || ox >= x.size() || oy < 0 || oy >= y.size())
      fail("internal error: strided copy out of range");
    std::memcpy(y.bytes.data() + oy * es, x.bytes.data() + ox * es, size_t(es));
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < c.out[d]) break;
      idx[d] = 0;
    }
  }
}

void emit_strided(EmitContext& ctx, const StridedCopy& c0, const std::string& x,
                  const std::string& y, DType t) {
  StridedCopy c = coalesce(c0);
  const int64_t n = numel(c.out);
  if (n == 0) return;
  if (c.out.size() <= 1 && (c.out.empty() || (c.sx[0] == 1 && c.sy[0] == 1))) {
    ctx.line(fmt::format("memcpy({} + {}, {} + {}, {});", y, c.y_off, x, c.x_off,
                         n * int64_t(dtype_size(t))));
    return;
  }
  ctx.use("strided_copy");
  Params p;
  p.i("rank", int64_t(c.out.size())).ints("out", c.out).ints("sx", c.sx).ints("sy", c.sy);
  p.i("x_off", c.x_off).i("y_off", c.y_off);
  ctx.line(fmt::format("tk::strided_copy<{}>({}, {});", ctx.params(p), x, y));
}

void index_map_eval(const IndexMap& m, const TensorData& x, const TensorData* fill, TensorData& y) {
  const int64_t n = numel(m.out), es = int64_t(dtype_size(x.dtype));
  std::vector<int64_t> idx(m.out.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ox = 0;
    bool outside = false;
    for (size_t d = 0; d < idx.size(); ++d) {
      int64_t s = m.map[d][size_t(idx[d])];
      if (s < 0)
        outside = true;
      else
        ox += s * m.sx[d];
    }
    uint8_t* dst = y.bytes.data() + k * es;
    if (outside) {
      if (fill)
        std::memcpy(dst, fill->bytes.data(), size_t(es));
      else
        std::memset(dst, 0, size_t(es));
    } else {
      std::memcpy(dst, x.bytes.data() + ox * es, size_t(es));
    }
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < m.out[d]) break;
      idx[d] = 0;
    }
  }
}

void emit_index_map(EmitContext& ctx, const IndexMap& m, int x_id, int y_id,
                    const std::string& fill_literal) {
  if (numel(m.out) == 0) return;
  ctx.use("index_map");
  std::vector<int64_t> base, flat;
  for (const auto& t : m.map) {
    base.push_back(int64_t(flat.size()));
    flat.insert(flat.end(), t.begin(), t.end());
  }
  Params p;
  p.i("rank", int64_t(m.out.size())).ints("out", m.out).ints("sx", m.sx);
  p.ints("sy", strides_of(m.out)).ints("base", base).ints("map", flat);
  DType t = ctx.graph().val(y_id).dtype;
  ctx.line(fmt::format("tk::index_map<{}>({}, {}, ({}){});", ctx.params(p), ctx.cptr(x_id),
                       ctx.ptr(y_id), dtype_ctype(t), fill_literal));
}

std::string element_literal(DType t, const TensorData* v, int64_t i) {
  if (t == DType::F32) return float_literal(v ? v->get_f64(i) : 0.0);
  if (t == DType::F64) return double_literal(v ? v->get_f64(i) : 0.0);
  if (t == DType::U64 && v) return fmt::format("UINT64_C({})", v->data<uint64_t>()[i]);
  return int_literal(v ? v->get_i64(i) : 0, t);
}

ConstArg graph_args(const Graph& g, const Node& n, const char* what) {
  return [&g, &n, what](size_t k) -> const TensorData* {
    if (n.input(k) < 0) return nullptr;
    return &const_input(g, n, k, what);
  };
}

ConstArg eval_args(const Inputs& in) {
  return [&in](size_t k) -> const TensorData* { return k < in.size() ? in[k] : nullptr; };
}

void require_const_inputs(const Graph& g, const Node& n, const std::vector<size_t>& ks,
                          const char* what) {
  std::vector<std::string> names;
  for (size_t k : ks) {
    int id = n.input(k);
    if (id < 0 || g.val(id).constant) continue;
    if (std::find(g.inputs.begin(), g.inputs.end(), id) == g.inputs.end())
      fail_runtime_value(n, what, g.val(id).name);
    names.push_back(g.val(id).name);
  }
  if (names.empty()) return;
  std::string hint;
  for (const auto& s : names) hint += fmt::format(" --freeze-input {}=FILE.pb", s);
  throw NeedsConstantInput(
      fmt::format("node {}: its {} come from model inputs whose values must be "
                  "known at compile time; fix them with{}",
                  n.label(), what, hint),
      names.front());
}

int64_t elem_count(const Shape& s) {
  return numel(s);
}

} // namespace tinyc::ops
