// QConcat (domain tinyc): Concat of int8 inputs whose quantisations differ; each input is
// copied verbatim when its scale and zero point equal the output's, else requantised to them
// (templates/qconcat.h). When every input already shares the output's quantisation, the rule
// keeps the ordinary Concat on int8 data instead.
#include "qop_util.h"

#include "../../templates/requant.h"

namespace tinyc::ops {
namespace {

struct Part {
  int64_t block = 0, offset = 0;
  bool copy = true;
  int32_t x_zp = 0;
  Multiplier m;
};

struct QConcatPlan {
  Shape out;
  int64_t outer = 1, out_block = 0;
  int32_t y_zp = 0;
  std::vector<Part> parts;
};

QConcatPlan plan_of(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail("node {}: Concat needs at least one input", n.label());
  const std::vector<float> scales = n.attr_floats("in_scale", {});
  const std::vector<int64_t> zps = n.attr_ints("in_zp", {});
  if (scales.size() != in.size() || zps.size() != in.size())
    fail("node {}: one scale and zero point per input are required", n.label());
  const float y_s = req_f(n, "y_scale");
  QConcatPlan p;
  p.y_zp = int32_t(req_i(n, "y_zp"));
  const int64_t r = int64_t(in[0].size());
  const int64_t axis = normalize_axis(n, n.attr_i("axis", 0), r);
  p.out = in[0];
  p.out[size_t(axis)] = 0;
  for (const Shape& s : in) {
    if (int64_t(s.size()) != r) fail("node {}: inputs have different ranks", n.label());
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && s[size_t(d)] != p.out[size_t(d)])
        fail("node {}: input shapes do not concatenate on axis {}", n.label(), axis);
    p.out[size_t(axis)] += s[size_t(axis)];
  }
  int64_t inner = 1;
  for (int64_t d = 0; d < r; ++d) {
    if (d < axis) p.outer *= p.out[size_t(d)];
    if (d > axis) inner *= p.out[size_t(d)];
  }
  p.out_block = p.out[size_t(axis)] * inner;
  int64_t at = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    Part part;
    part.block = in[k][size_t(axis)] * inner;
    part.offset = at;
    at += part.block;
    part.x_zp = int32_t(zps[k]);
    part.copy = scales[k] == y_s && zps[k] == p.y_zp;
    if (!part.copy) part.m = multiplier_of(n, scales[k] / y_s, "rescale");
    p.parts.push_back(part);
  }
  return p;
}

std::vector<Shape> input_shapes(const Graph& g, const Node& n) {
  std::vector<Shape> s;
  for (size_t k = 0; k < n.inputs.size(); ++k) s.push_back(input(g, n, k).shape);
  return s;
}

OpDef qconcat_def() {
  OpDef d;
  d.op_type = "QConcat";
  d.domain = "tinyc";
  d.infer = [](Graph& g, Node& n) {
    for (size_t k = 0; k < n.inputs.size(); ++k) require_dtype(g, n, k, {DType::I8});
    set_output(g, n, 0, DType::I8, plan_of(n, input_shapes(g, n)).out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    std::vector<Shape> shapes;
    for (const TensorData* t : in) shapes.push_back(t->shape);
    const QConcatPlan p = plan_of(n, shapes);
    TensorData y(DType::I8, p.out);
    int8_t* out = y.data<int8_t>();
    for (size_t k = 0; k < in.size(); ++k) {
      const Part& part = p.parts[k];
      const int8_t* x = in[k]->data<int8_t>();
      for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t i = 0; i < part.block; ++i) {
          const int8_t v = x[o * part.block + i];
          out[o * p.out_block + part.offset + i] =
              part.copy ? v
                        : int8_t(tk::requantize(v - part.x_zp, part.m.mult, part.m.shift, p.y_zp,
                                                -128, 127));
        }
    }
    return std::vector<TensorData>{std::move(y)};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const QConcatPlan q = plan_of(n, input_shapes(ctx.graph(), n));
    ctx.use("qconcat");
    for (size_t k = 0; k < q.parts.size(); ++k) {
      const Part& part = q.parts[k];
      if (part.block == 0 || q.outer == 0) continue;
      Params p;
      p.i("outer", q.outer).i("block", part.block).i("out_block", q.out_block);
      p.i("offset", part.offset).i("copy", part.copy).i("x_zp", part.x_zp).i("y_zp", q.y_zp);
      p.i("mult", part.m.mult).i("shift", part.copy ? 1 : part.m.shift);
      ctx.line(fmt::format("tk::qconcat_part<{}>({}, {});", ctx.params(p), ctx.cptr(n.inputs[k]),
                           ctx.ptr(n.output(0))));
    }
  };
  return d;
}

bool lower(Graph&, Node& n, const QdqMatch& m) {
  if (m.out.size() != 1 || !m.all_int8() || n.act.kind != ActKind::None) return false;
  const QdqOutput& o = m.out[0];
  bool all_same = true;
  std::vector<float> scales;
  std::vector<int64_t> zps;
  std::vector<int> ins;
  for (const QdqInput& i : m.in) {
    if (i.value < 0 || !i.quantized() || i.axis >= 0 || i.q_type != DType::I8) return false;
    all_same =
        all_same && !i.is_constant && i.scale[0] == o.scale && i.zero_point[0] == o.zero_point;
    if (!(i.scale[0] == o.scale && i.zero_point[0] == o.zero_point) &&
        !exact_multiplier(i.scale[0] / o.scale))
      return false;
    scales.push_back(i.scale[0]);
    zps.push_back(i.zero_point[0]);
    ins.push_back(i.q_value);
  }
  if (all_same) { // the ordinary Concat moves int8 as well
    n.inputs = ins;
    n.outputs[0] = o.q_value;
    return true;
  }
  const int64_t axis = n.attr_i("axis", 0);
  n.attrs.clear();
  become(n, "QConcat", ins, m);
  set_attr_i(n, "axis", axis);
  set_attr_floats(n, "in_scale", scales);
  set_attr_ints(n, "in_zp", zps);
  set_attr_f(n, "y_scale", o.scale);
  set_attr_i(n, "y_zp", o.zero_point);
  return true;
}

TINYC_REGISTER_OP(qconcat_def);
TINYC_REGISTER_QDQ_RULE("Concat", lower);

} // namespace
} // namespace tinyc::ops
