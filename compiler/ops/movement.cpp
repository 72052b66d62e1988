// Transpose, Concat, Split, Slice, Expand, Tile, DepthToSpace, SpaceToDepth: each output is a
// set of affine copies from the inputs (templates/strided_copy.h). One plan function per op
// gives the output shapes and the copies; infer, eval and emit all follow that plan.
#include "data_util.h"

#include <algorithm>

namespace tinyc::ops {
namespace {

struct Copy {
  size_t input;
  StridedCopy c;
};
struct MovePlan {
  std::vector<Shape> shapes;             // per output
  std::vector<std::vector<Copy>> copies; // per output
};
using PlanFn = MovePlan (*)(const Node&, const std::vector<Shape>&, const ConstArg&);

// A single copy of input 0 into output 0 whose out box is `box`, contiguous on the output.
MovePlan single(const Shape& out_shape, StridedCopy c) {
  MovePlan p;
  p.shapes = {out_shape};
  p.copies = {{Copy{0, std::move(c)}}};
  return p;
}

MovePlan transpose_plan(const Node& n, const std::vector<Shape>& in, const ConstArg&) {
  const Shape& s = in[0];
  const int64_t r = int64_t(s.size());
  std::vector<int64_t> perm = n.attr_ints("perm", {});
  if (perm.empty())
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  if (int64_t(perm.size()) != r)
    fail("node {}: perm has {} entries for rank {}", n.label(), perm.size(), r);
  std::vector<bool> seen(size_t(r), false);
  StridedCopy c;
  auto st = strides_of(s);
  for (int64_t p : perm) {
    int64_t a = normalize_axis(n, p, r);
    if (seen[size_t(a)]) fail("node {}: perm repeats axis {}", n.label(), p);
    seen[size_t(a)] = true;
    c.out.push_back(s[size_t(a)]);
    c.sx.push_back(st[size_t(a)]);
  }
  c.sy = strides_of(c.out);
  return single(c.out, c);
}

MovePlan concat_plan(const Node& n, const std::vector<Shape>& in, const ConstArg&) {
  if (in.empty()) fail("node {}: Concat needs at least one input", n.label());
  const int64_t r = int64_t(in[0].size());
  const int64_t axis = normalize_axis(n, n.attr_i("axis", 0), r);
  Shape out = in[0];
  out[size_t(axis)] = 0;
  for (const Shape& s : in) {
    if (int64_t(s.size()) != r) fail("node {}: inputs have different ranks", n.label());
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && s[size_t(d)] != out[size_t(d)])
        fail("node {}: input shapes {} and {} do not concatenate on axis {}", n.label(),
             shape_str(in[0]), shape_str(s), axis);
    out[size_t(axis)] += s[size_t(axis)];
  }
  MovePlan p;
  p.shapes = {out};
  p.copies.resize(1);
  auto sy = strides_of(out);
  int64_t at = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    StridedCopy c;
    c.out = in[k];
    c.sx = strides_of(in[k]);
    c.sy = sy;
    c.y_off = at * sy[size_t(axis)];
    at += in[k][size_t(axis)];
    p.copies[0].push_back({k, c});
  }
  return p;
}

// Sub-box of input 0 starting at `start` with per-dim step, into a contiguous output.
StridedCopy box_copy(const Shape& s, const std::vector<int64_t>& start,
                     const std::vector<int64_t>& step, const Shape& out) {
  StridedCopy c;
  auto st = strides_of(s);
  c.out = out;
  for (size_t d = 0; d < s.size(); ++d) {
    c.x_off += start[d] * st[d];
    c.sx.push_back(step[d] * st[d]);
  }
  c.sy = strides_of(out);
  return c;
}

MovePlan split_plan(const Node& n, const std::vector<Shape>& in, const ConstArg& arg) {
  const Shape& s = in[0];
  const int64_t r = int64_t(s.size());
  const int64_t axis = normalize_axis(n, n.attr_i("axis", 0), r);
  const int64_t dim = s[size_t(axis)];
  const int64_t outs = int64_t(n.outputs.size());
  std::vector<int64_t> sizes;
  if (const TensorData* t = arg(1))
    sizes = t->to_i64_vector();
  else
    sizes = n.attr_ints("split", {});
  if (sizes.empty()) {
    int64_t parts = n.attr_i("num_outputs", outs);
    if (parts <= 0) fail("node {}: Split into {} parts", n.label(), parts);
    const int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t k = 0, left = dim; k < parts; ++k, left -= chunk)
      sizes.push_back(std::clamp<int64_t>(left, 0, chunk));
    if (dim % parts != 0 && !n.has_attr("num_outputs"))
      fail("node {}: axis of size {} does not split evenly into {} outputs", n.label(), dim, parts);
  }
  int64_t total = 0;
  for (int64_t v : sizes) {
    if (v < 0) fail("node {}: negative split size {}", n.label(), v);
    total += v;
  }
  if (total != dim || int64_t(sizes.size()) != outs)
    fail("node {}: split sizes do not match the axis ({} elements, {} outputs)", n.label(), dim,
         outs);
  MovePlan p;
  int64_t at = 0;
  for (int64_t v : sizes) {
    Shape o = s;
    o[size_t(axis)] = v;
    std::vector<int64_t> start(size_t(r), 0), step(size_t(r), 1);
    start[size_t(axis)] = at;
    at += v;
    p.shapes.push_back(o);
    p.copies.push_back({Copy{0, box_copy(s, start, step, o)}});
  }
  return p;
}

MovePlan slice_plan(const Node& n, const std::vector<Shape>& in, const ConstArg& arg) {
  const Shape& s = in[0];
  const int64_t r = int64_t(s.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = n.attr_ints("starts", {});
    ends = n.attr_ints("ends", {});
    axes = n.attr_ints("axes", {});
  } else {
    starts = arg(1)->to_i64_vector();
    ends = arg(2)->to_i64_vector();
    if (const TensorData* t = arg(3)) axes = t->to_i64_vector();
    if (const TensorData* t = arg(4)) steps = t->to_i64_vector();
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail("node {}: starts, ends, axes and steps have different lengths", n.label());
  std::vector<int64_t> start(size_t(r), 0), step(size_t(r), 1);
  Shape out = s;
  std::vector<bool> seen(size_t(r), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t a = normalize_axis(n, axes[i], r);
    if (seen[size_t(a)]) fail("node {}: axis {} sliced twice", n.label(), axes[i]);
    seen[size_t(a)] = true;
    const int64_t dim = s[size_t(a)], st = steps[i];
    if (st == 0) fail("node {}: slice step 0", n.label());
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      b = std::clamp<int64_t>(b, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    int64_t count = st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
    count = std::max<int64_t>(count, 0);
    out[size_t(a)] = count;
    start[size_t(a)] = count > 0 ? b : 0;
    step[size_t(a)] = st;
  }
  return single(out, box_copy(s, start, step, out));
}

Shape expand_shape(const Node& n, const Shape& s, const ConstArg& arg) {
  std::vector<int64_t> spec = arg(1)->to_i64_vector();
  return broadcast(n, s, spec);
}

MovePlan expand_plan(const Node& n, const std::vector<Shape>& in, const ConstArg& arg) {
  Shape out = expand_shape(n, in[0], arg);
  StridedCopy c;
  c.out = out;
  c.sx = broadcast_strides(in[0], out);
  c.sy = strides_of(out);
  return single(out, c);
}

MovePlan tile_plan(const Node& n, const std::vector<Shape>& in, const ConstArg& arg) {
  const Shape& s = in[0];
  std::vector<int64_t> reps = arg(1)->to_i64_vector();
  if (reps.size() != s.size())
    fail("node {}: repeats has {} entries for rank {}", n.label(), reps.size(), s.size());
  Shape out = s;
  for (size_t d = 0; d < s.size(); ++d) {
    if (reps[d] < 0) fail("node {}: negative repeat {}", n.label(), reps[d]);
    out[d] = s[d] * reps[d];
  }
  // Dim d becomes (repeat, original): the repeat index moves the output but not the input.
  StridedCopy c;
  auto sx = strides_of(s), sy = strides_of(out);
  for (size_t d = 0; d < s.size(); ++d) {
    c.out.push_back(reps[d]);
    c.sx.push_back(0);
    c.sy.push_back(s[d] * sy[d]);
    c.out.push_back(s[d]);
    c.sx.push_back(sx[d]);
    c.sy.push_back(sy[d]);
  }
  return single(out, c);
}

MovePlan depth_to_space_plan(const Node& n, const std::vector<Shape>& in, const ConstArg&) {
  const Shape& s = in[0];
  if (s.size() != 4) fail("node {}: DepthToSpace needs a 4-D input", n.label());
  const int64_t b = n.attr_i("blocksize", 0);
  const int64_t N = s[0], C = s[1], H = s[2], W = s[3];
  if (b <= 0 || C % (b * b) != 0)
    fail("node {}: channels {} not divisible by blocksize^2", n.label(), C);
  const int64_t Co = C / (b * b);
  const std::string mode = n.attr_s("mode", "DCR");
  const int64_t hw = H * W;
  // Output box (N, Co, H, b1, W, b2), contiguous; input strides per mode.
  StridedCopy c;
  c.out = {N, Co, H, b, W, b};
  if (mode == "DCR")
    c.sx = {C * hw, hw, W, b * Co * hw, 1, Co * hw};
  else if (mode == "CRD")
    c.sx = {C * hw, b * b * hw, W, b * hw, 1, hw};
  else
    fail("node {}: mode '{}' is not supported", n.label(), mode);
  c.sy = strides_of(c.out);
  return single({N, Co, H * b, W * b}, c);
}

MovePlan space_to_depth_plan(const Node& n, const std::vector<Shape>& in, const ConstArg&) {
  const Shape& s = in[0];
  if (s.size() != 4) fail("node {}: SpaceToDepth needs a 4-D input", n.label());
  const int64_t b = n.attr_i("blocksize", 0);
  const int64_t N = s[0], C = s[1], H = s[2], W = s[3];
  if (b <= 0 || H % b != 0 || W % b != 0)
    fail("node {}: spatial dims not divisible by blocksize", n.label());
  StridedCopy c;
  c.out = {N, b, b, C, H / b, W / b};
  c.sx = {C * H * W, W, 1, H * W, b * W, b};
  c.sy = strides_of(c.out);
  return single({N, C * b * b, H / b, W / b}, c);
}

std::vector<Shape> in_shapes_graph(const Graph& g, const Node& n, size_t count) {
  std::vector<Shape> r;
  for (size_t k = 0; k < count; ++k) r.push_back(input(g, n, k).shape);
  return r;
}

OpDef make(const char* op, PlanFn plan, size_t data_inputs, const char* what) {
  OpDef d;
  d.op_type = op;
  // Concat moves every input; the others move input 0 and read the rest at compile time.
  auto count = [data_inputs](const Node& n) { return data_inputs ? data_inputs : input_count(n); };
  d.infer = [plan, count, what](Graph& g, Node& n) {
    const size_t c = count(n);
    const DType t = input(g, n, 0).dtype;
    if (c == 1) require_const_inputs(g, n, {1, 2, 3, 4}, what);
    for (size_t k = 1; k < c; ++k)
      if (input(g, n, k).dtype != t)
        fail("node {}: inputs have different element types", n.label());
    MovePlan p = plan(n, in_shapes_graph(g, n, c), graph_args(g, n, what));
    for (size_t k = 0; k < p.shapes.size(); ++k) set_output(g, n, k, t, p.shapes[k]);
  };
  d.eval = [plan, count](const Node& n, const Inputs& in) {
    const size_t c = count(n);
    std::vector<Shape> shapes;
    for (size_t k = 0; k < c; ++k) shapes.push_back(in[k]->shape);
    MovePlan p = plan(n, shapes, eval_args(in));
    std::vector<TensorData> outs;
    for (size_t k = 0; k < p.shapes.size(); ++k) {
      outs.emplace_back(in[0]->dtype, p.shapes[k]);
      for (const Copy& cp : p.copies[k]) strided_eval(cp.c, *in[cp.input], outs.back());
    }
    return outs;
  };
  d.emit = [plan, count, what](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    MovePlan p = plan(n, in_shapes_graph(g, n, count(n)), graph_args(g, n, what));
    for (size_t k = 0; k < p.copies.size(); ++k) {
      if (n.output(k) < 0) continue;
      for (const Copy& cp : p.copies[k])
        emit_strided(ctx, cp.c, ctx.cptr(n.input(cp.input)), ctx.ptr(n.output(k)),
                     g.val(n.output(k)).dtype);
    }
  };
  return d;
}

TINYC_REGISTER_OP([] { return make("Transpose", transpose_plan, 1, "permutation"); });
TINYC_REGISTER_OP([] { return make("Concat", concat_plan, 0, "inputs"); });
TINYC_REGISTER_OP([] { return make("Split", split_plan, 1, "split sizes"); });
TINYC_REGISTER_OP([] { return make("Slice", slice_plan, 1, "slice bounds"); });
TINYC_REGISTER_OP([] { return make("Expand", expand_plan, 1, "target shape"); });
TINYC_REGISTER_OP([] { return make("Tile", tile_plan, 1, "repeats"); });
TINYC_REGISTER_OP([] { return make("DepthToSpace", depth_to_space_plan, 1, "blocksize"); });
TINYC_REGISTER_OP([] { return make("SpaceToDepth", space_to_depth_plan, 1, "blocksize"); });

} // namespace
} // namespace tinyc::ops
