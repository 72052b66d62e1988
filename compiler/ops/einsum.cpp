// Einsum (float, double): any equation with explicit or implicit output, ellipsis, repeated labels
// (diagonals), broadcasting of size-1 ellipsis axes. Computed by direct summation
// (templates/einsum.h), which suits the small contractions models use it for.
#include "op_util.h"

#include <algorithm>

namespace tinyc::ops {
namespace {

struct Plan {
  int64_t L = 0, n_out = 0, out_total = 1, sum_total = 1;
  std::vector<int64_t> size; // per label: output labels first, then summed ones
  std::vector<int64_t> st;   // ops x L
  Shape out;
};

std::string strip(const std::string& s) {
  std::string r;
  for (char c : s)
    if (c != ' ') r += c;
  return r;
}

Plan plan_of(const Node& n, const std::vector<Shape>& shapes) {
  const std::string eq = strip(n.attr_s("equation", ""));
  if (eq.empty()) fail("node {}: equation is required", n.label());
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t p = 0;;) {
    size_t c = lhs.find(',', p);
    terms.push_back(lhs.substr(p, c == std::string::npos ? std::string::npos : c - p));
    if (c == std::string::npos) break;
    p = c + 1;
  }
  if (terms.size() != shapes.size())
    fail("node {}: the equation names {} operands but {} are given", n.label(), terms.size(),
         shapes.size());
  // Ellipsis axes become labels '0', '1', ... aligned to the right across operands.
  int64_t ell = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    size_t e = terms[k].find("...");
    if (e != std::string::npos)
      ell = std::max<int64_t>(ell, int64_t(shapes[k].size()) - int64_t(terms[k].size() - 3));
  }
  auto expand = [&](const std::string& t, int64_t rank) {
    std::vector<char> labels;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.compare(i, 3, "...") == 0) {
        const int64_t here = rank < 0 ? ell : rank - int64_t(t.size() - 3);
        if (here < 0) fail("node {}: the equation does not match the operand ranks", n.label());
        for (int64_t j = ell - here; j < ell; ++j) labels.push_back(char('0' + j));
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(t[i]))) {
        labels.push_back(t[i]);
      } else {
        fail("node {}: equation '{}' is not supported", n.label(), eq);
      }
    }
    return labels;
  };
  std::vector<std::vector<char>> ops;
  std::map<char, int64_t> size, count;
  for (size_t k = 0; k < terms.size(); ++k) {
    ops.push_back(expand(terms[k], int64_t(shapes[k].size())));
    if (ops[k].size() != shapes[k].size())
      fail("node {}: operand {} has rank {} but '{}' names {} axes", n.label(), k, shapes[k].size(),
           terms[k], ops[k].size());
    for (size_t a = 0; a < ops[k].size(); ++a) {
      const char l = ops[k][a];
      const int64_t d = shapes[k][a];
      ++count[l];
      auto it = size.find(l);
      if (it == size.end() || it->second == 1)
        size[l] = d;
      else if (d != 1 && d != it->second)
        fail("node {}: label '{}' has sizes {} and {}", n.label(), l, it->second, d);
    }
  }
  std::vector<char> out;
  if (arrow != std::string::npos) {
    out = expand(eq.substr(arrow + 2), -1);
  } else {
    for (int64_t j = 0; j < ell; ++j) out.push_back(char('0' + j));
    for (auto& [l, c] : count)
      if (c == 1 && std::isalpha(static_cast<unsigned char>(l))) out.push_back(l);
  }
  std::vector<char> labels = out;
  for (auto& [l, c] : size) {
    (void)c;
    if (std::find(out.begin(), out.end(), l) == out.end()) labels.push_back(l);
  }
  for (char l : out)
    if (!size.count(l)) fail("node {}: output label '{}' is not in any operand", n.label(), l);
  Plan p;
  p.L = int64_t(labels.size());
  p.n_out = int64_t(out.size());
  for (int64_t i = 0; i < p.L; ++i) {
    p.size.push_back(size[labels[size_t(i)]]);
    (i < p.n_out ? p.out_total : p.sum_total) *= p.size.back();
    if (i < p.n_out) p.out.push_back(p.size.back());
  }
  p.st.assign(size_t(p.L) * ops.size(), 0);
  for (size_t k = 0; k < ops.size(); ++k) {
    std::vector<int64_t> own = strides_of(shapes[k]);
    for (size_t a = 0; a < ops[k].size(); ++a) {
      if (shapes[k][a] == 1) continue; // broadcast
      const auto at = std::find(labels.begin(), labels.end(), ops[k][a]) - labels.begin();
      p.st[k * size_t(p.L) + size_t(at)] += own[a];
    }
  }
  return p;
}

void infer(Graph& g, Node& n) {
  std::vector<Shape> shapes;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    require_dtype(g, n, k, {DType::F32, DType::F64});
    if (input(g, n, k).dtype != input(g, n, 0).dtype)
      fail("node {}: operands have different element types", n.label());
    shapes.push_back(input(g, n, k).shape);
  }
  set_output(g, n, 0, input(g, n, 0).dtype, plan_of(n, shapes).out);
}

template <class T> TensorData eval_typed(const Plan& p, const Inputs& in) {
  TensorData y(dtype_of<T>(), p.out);
  std::vector<int64_t> idx(size_t(p.L), 0);
  for (int64_t o = 0; o < p.out_total; ++o) {
    int64_t r = o;
    for (int64_t d = p.n_out - 1; d >= 0; --d) {
      idx[size_t(d)] = r % p.size[size_t(d)];
      r /= p.size[size_t(d)];
    }
    T acc = T(0);
    for (int64_t s = 0; s < p.sum_total; ++s) {
      int64_t q = s;
      for (int64_t d = p.L - 1; d >= p.n_out; --d) {
        idx[size_t(d)] = q % p.size[size_t(d)];
        q /= p.size[size_t(d)];
      }
      T prod = T(1);
      for (size_t op = 0; op < in.size(); ++op) {
        int64_t off = 0;
        for (int64_t d = 0; d < p.L; ++d)
          off += idx[size_t(d)] * p.st[op * size_t(p.L) + size_t(d)];
        prod *= in[op]->data<T>()[off];
      }
      acc += prod;
    }
    y.data<T>()[o] = acc;
  }
  return y;
}

std::vector<TensorData> eval(const Node& n, const Inputs& in) {
  std::vector<Shape> shapes;
  for (const TensorData* t : in) shapes.push_back(t->shape);
  const Plan p = plan_of(n, shapes);
  if (in[0]->dtype == DType::F64) return {eval_typed<double>(p, in)};
  return {eval_typed<float>(p, in)};
}

void emit(EmitContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  std::vector<Shape> shapes;
  std::string ptrs;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    shapes.push_back(g.val(n.input(k)).shape);
    ptrs += (k ? ", " : "") + ctx.cptr(n.input(k));
  }
  const Plan p = plan_of(n, shapes);
  ctx.use("einsum");
  Params pr;
  pr.i("L", p.L).i("n_out", p.n_out).i("ops", int64_t(n.inputs.size()));
  pr.i("out_total", p.out_total).i("sum_total", p.sum_total).ints("size", p.size).ints("st", p.st);
  const std::string P = ctx.params(pr);
  ctx.line(fmt::format(
      "{{\n    const {}* einsum_in[] = {{{}}};\n    tk::einsum<{}>(einsum_in, {});\n  }}",
      dtype_ctype(g.val(n.input(0)).dtype), ptrs, P, ctx.ptr(n.output(0))));
}

int64_t macs(const Graph& g, const Node& n) {
  std::vector<Shape> shapes;
  for (size_t k = 0; k < n.inputs.size(); ++k) shapes.push_back(g.val(n.input(k)).shape);
  const Plan p = plan_of(n, shapes);
  return p.out_total * p.sum_total;
}

OpDef einsum_def() {
  OpDef d;
  d.op_type = "Einsum";
  d.infer = infer;
  d.eval = eval;
  d.emit = emit;
  d.macs = macs;
  return d;
}

TINYC_REGISTER_OP(einsum_def);

} // namespace
} // namespace tinyc::ops
