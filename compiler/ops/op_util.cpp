#include "op_util.h"

#include <algorithm>

namespace tinyc::ops {

const Value& input(const Graph& g, const Node& n, size_t k) {
  int id = n.input(k);
  if (id < 0) fail("node {}: input {} is required", n.label(), k);
  return g.val(id);
}

size_t input_count(const Node& n) {
  size_t c = n.inputs.size();
  while (c > 0 && n.inputs[c - 1] < 0) --c;
  return c;
}

void set_output(Graph& g, const Node& n, size_t k, DType t, const Shape& s) {
  int id = n.output(k);
  if (id < 0) return;
  Value& v = g.val(id);
  for (int64_t d : s)
    if (d < 0) fail("node {}: output '{}' would have a negative dimension", n.label(), v.name);
  v.dtype = t;
  v.shape = s;
  v.shape_known = true;
}

bool has_const_input(const Graph& g, const Node& n, size_t k) {
  int id = n.input(k);
  return id >= 0 && g.val(id).constant.has_value();
}

const TensorData& const_input(const Graph& g, const Node& n, size_t k, const char* what) {
  const Value& v = input(g, n, k);
  if (v.constant) return *v.constant;
  if (std::find(g.inputs.begin(), g.inputs.end(), n.input(k)) != g.inputs.end())
    throw NeedsConstantInput(
        fmt::format("node {}: its {} comes from the model input '{}', whose value must be known at "
                    "compile time; fix it with --freeze-input {}=FILE.pb",
                    n.label(), what, v.name, v.name),
        v.name);
  fail_runtime_value(n, what, v.name);
}

void fail_runtime_value(const Node& n, const char* what, const std::string& value) {
  fail("node {}: its {} ('{}') is computed at run time, but tinyc needs it at compile time; if it "
       "derives from a model input, fix that input with --freeze-input NAME=FILE.pb",
       n.label(), what, value);
}

Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    int64_t db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1)
      fail("node {}: shapes {} and {} do not broadcast", n.label(), shape_str(a), shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  std::vector<int64_t> own = strides_of(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[i + off] = in[i] == 1 ? 0 : own[i];
  return st;
}

int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    fail("node {}: axis {} is out of range for rank {}", n.label(), axis, rank);
  return axis < 0 ? axis + rank : axis;
}

void require_dtype(const Graph& g, const Node& n, size_t k, std::initializer_list<DType> allowed) {
  const Value& v = input(g, n, k);
  for (DType t : allowed)
    if (v.dtype == t) return;
  fail("node {}: input {} ('{}') has element type {}, which is not supported by tinyc for this op",
       n.label(), k, v.name, dtype_name(v.dtype));
}

void add_act(Params& p, const FusedAct& act) {
  p.i("act", int(act.kind));
  p.f("act_a", act.alpha);
  p.f("act_b", act.beta);
}

void emit_copy(EmitContext& ctx, const Node& n) {
  const Value& v = ctx.graph().val(n.output(0));
  int64_t bytes = numel(v.shape) * int64_t(dtype_size(v.dtype));
  if (ctx.storage(n.input(0)).kind == ctx.storage(n.output(0)).kind &&
      ctx.cptr(n.input(0)) == ctx.cptr(n.output(0)))
    return; // already in place
  ctx.line(fmt::format("memmove({}, {}, {});", ctx.ptr(n.output(0)), ctx.cptr(n.input(0)), bytes));
}

} // namespace tinyc::ops
