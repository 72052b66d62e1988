// Softmax, LogSoftmax, Hardmax (float). Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and the op runs over the whole trailing block; from opset 13 it runs along the
// single axis (default -1). Both become [outer, A, inner] for templates/softmax.h.
#include "op_util.h"

#include <cmath>

namespace tinyc::ops {
namespace {

struct Split {
  int64_t outer = 1, A = 1, inner = 1;
};

Split split_of(const Node& n, const Shape& s) {
  const int64_t r = int64_t(s.size());
  const bool per_axis = n.opset >= 13;
  Split p;
  if (r == 0) return p;
  const int64_t axis = normalize_axis(n, n.attr_i("axis", per_axis ? -1 : 1), r);
  for (int64_t i = 0; i < r; ++i) {
    if (i < axis)
      p.outer *= s[size_t(i)];
    else if (i == axis || !per_axis)
      p.A *= s[size_t(i)];
    else
      p.inner *= s[size_t(i)];
  }
  return p;
}

int kind_of(const std::string& op) {
  return op == "Softmax" ? 0 : op == "LogSoftmax" ? 1 : 2;
}

void infer(Graph& g, Node& n) {
  require_dtype(g, n, 0, {DType::F32});
  const Value& x = input(g, n, 0);
  if (x.shape.empty()) fail("node {}: a scalar input is not supported", n.label());
  split_of(n, x.shape);
  set_output(g, n, 0, DType::F32, x.shape);
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  const Split p = split_of(n, in[0]->shape);
  const int kind = kind_of(n.op_type);
  TensorData y(DType::F32, in[0]->shape);
  if (p.A == 0) return {std::move(y)};
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      const float* xs = in[0]->data<float>() + o * p.A * p.inner + i;
      float* ys = y.data<float>() + o * p.A * p.inner + i;
      float m = xs[0];
      int64_t arg = 0;
      for (int64_t a = 1; a < p.A; ++a)
        if (xs[a * p.inner] > m) {
          m = xs[a * p.inner];
          arg = a;
        }
      float sum = 0.0f;
      for (int64_t a = 0; a < p.A; ++a) sum += std::exp(xs[a * p.inner] - m);
      const float ls = std::log(sum);
      for (int64_t a = 0; a < p.A; ++a) {
        const float v = xs[a * p.inner];
        if (kind == 0)
          ys[a * p.inner] = std::exp(v - m) / sum;
        else if (kind == 1)
          ys[a * p.inner] = (v - m) - ls;
        else
          ys[a * p.inner] = a == arg ? 1.0f : 0.0f;
      }
    }
  return {std::move(y)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Split s = split_of(n, ctx.graph().val(n.input(0)).shape);
  ctx.use("softmax");
  const std::string P = ctx.params(Params().i("outer", s.outer).i("A", s.A).i("inner", s.inner));
  const char* kinds[] = {"tk::SOFTMAX", "tk::LOG_SOFTMAX", "tk::HARDMAX"};
  ctx.line(fmt::format("tk::softmax_float<{}, {}>({}, {});", P, kinds[kind_of(n.op_type)],
                       ctx.cptr(n.input(0)), ctx.ptr(n.output(0))));
}

struct Register {
  Register() {
    for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
      OpDef d;
      d.op_type = op;
      d.infer = infer;
      d.eval = eval;
      d.emit = emit;
      OpRegistry::instance().add(std::move(d));
    }
  }
} reg;

} // namespace
} // namespace tinyc::ops
