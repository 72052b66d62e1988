// Least-squares reconstruction of the layers reading pruned channels.
#include "prune_reconstruct.h"

#include "../compiler/evaluator.h"
#include "../compiler/ops/window.h"

#include <optional>

namespace tinyc {

namespace {

// Ridge strength relative to each feature's energy (chosen on the example models: 1e-2 and 1e-4
// gave the same accuracy within a sample or two).
constexpr double kRidge = 1e-3;

// What a reconstructible layer reads: its input features, and for a Conv the window.
struct Reader {
  int node = -1;
  bool conv = false;
  int64_t features = 0; // without the ones column
  ops::Window3 win{};
  int64_t channels = 0; // Conv input channels
};

std::optional<Reader> reader_of(const Graph& g, int i, int64_t max_features) {
  const Node& n = g.nodes[size_t(i)];
  if (!n.domain.empty() || n.input(0) < 0 || n.input(1) < 0 || n.output(0) < 0) return {};
  const Value& w = g.val(n.input(1));
  if (!w.constant || w.dtype != DType::F32 || g.val(n.input(0)).dtype != DType::F32) return {};
  const Shape& x = g.val(n.input(0)).shape;
  const Shape* b = nullptr;
  if (n.input(2) >= 0) {
    const Value& bv = g.val(n.input(2));
    if (!bv.constant || bv.dtype != DType::F32 || bv.shape.size() != 1) return {};
    b = &bv.shape;
  }
  Reader r;
  r.node = i;
  if (n.op_type == "Conv") {
    if (n.attr_i("group", 1) != 1 || x.size() < 3 || x.size() > 5) return {};
    try {
      const ops::ConvGeometry geo = ops::conv_geometry(n, x, w.shape, b);
      r.win = ops::window3(geo.win);
      r.channels = geo.C;
    } catch (const std::exception&) {
      return {};
    }
    r.conv = true;
    r.features = r.channels * r.win.k[0] * r.win.k[1] * r.win.k[2];
  } else if (n.op_type == "Gemm") {
    if (n.attr_i("transA", 0) != 0 || n.attr_f("alpha", 1.0f) != 1.0f ||
        n.attr_f("beta", 1.0f) != 1.0f || x.size() != 2 || w.shape.size() != 2)
      return {};
    const int64_t outs = n.attr_i("transB", 0) ? w.shape[0] : w.shape[1];
    if (b && (*b)[0] != outs) return {};
    r.features = x[1];
  } else {
    return {};
  }
  if (r.features <= 0 || r.features > max_features) return {};
  return r;
}

// The input rows of a reader on one evaluated input tensor (Conv: one per output position,
// its receptive field in weight order, 0 for padding), each with a last 1 for the bias.
Eigen::MatrixXd input_rows(const Reader& r, const TensorData& x) {
  const int64_t f = r.features;
  const float* p = x.data<float>();
  if (!r.conv) {
    const int64_t n = x.size() / f;
    Eigen::MatrixXd rows(n, f + 1);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < f; ++j) rows(i, j) = double(p[i * f + j]);
      rows(i, f) = 1.0;
    }
    return rows;
  }
  const ops::Window3& w = r.win;
  const int64_t in_size = w.in[0] * w.in[1] * w.in[2];
  const int64_t batch = x.size() / (r.channels * in_size);
  Eigen::MatrixXd rows(batch * w.out[0] * w.out[1] * w.out[2], f + 1);
  int64_t row = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o0 = 0; o0 < w.out[0]; ++o0)
      for (int64_t o1 = 0; o1 < w.out[1]; ++o1)
        for (int64_t o2 = 0; o2 < w.out[2]; ++o2, ++row) {
          int64_t col = 0;
          for (int64_t c = 0; c < r.channels; ++c)
            for (int64_t k0 = 0; k0 < w.k[0]; ++k0)
              for (int64_t k1 = 0; k1 < w.k[1]; ++k1)
                for (int64_t k2 = 0; k2 < w.k[2]; ++k2) {
                  const int64_t i0 = o0 * w.s[0] - w.p[0] + k0 * w.d[0];
                  const int64_t i1 = o1 * w.s[1] - w.p[1] + k1 * w.d[1];
                  const int64_t i2 = o2 * w.s[2] - w.p[2] + k2 * w.d[2];
                  const bool inside =
                      i0 >= 0 && i0 < w.in[0] && i1 >= 0 && i1 < w.in[1] && i2 >= 0 && i2 < w.in[2];
                  rows(row, col++) =
                      inside ? double(p[((b * r.channels + c) * w.in[0] + i0) * w.in[1] * w.in[2] +
                                        i1 * w.in[2] + i2])
                             : 0.0;
                }
          rows(row, f) = 1.0;
        }
  return rows;
}

void accumulate(const Reader& r, const TensorData& x, LayerGram& lg) {
  const Eigen::MatrixXd rows = input_rows(r, x);
  lg.gram.noalias() += rows.transpose() * rows;
  lg.rows += double(rows.rows());
}

// A layer to refit: it reads removed channels; its kept input features, then the bias.
struct RefitJob {
  size_t node;
  Reader reader;
  std::vector<int64_t> kept;
};

std::vector<RefitJob> refit_jobs(const Graph& g, ChannelGroups& cg,
                                 const std::vector<bool>& removed, const LayerGrams& grams) {
  std::vector<RefitJob> jobs;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const int x = g.nodes[i].input(0);
    if (!cg.tracked(x) || g.nodes[i].output(0) < 0) continue;
    auto it = grams.find(g.val(g.nodes[i].output(0)).name);
    if (it == grams.end()) continue;
    const std::optional<Reader> r = reader_of(g, int(i), int64_t(1) << 40);
    if (!r || it->second.gram.rows() != r->features + 1) continue;
    // A kept channel's features: its taps (Conv) or its columns (Gemm after a Flatten).
    const int64_t per_channel = r->features / cg.channels[size_t(x)];
    std::vector<int64_t> kept;
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c)
      if (!removed[size_t(cg.atom_at(x, c))])
        for (int64_t k = 0; k < per_channel; ++k) kept.push_back(c * per_channel + k);
    if (int64_t(kept.size()) == r->features) continue;
    kept.push_back(r->features);
    jobs.push_back({i, *r, kept});
  }
  return jobs;
}

// Index of weight (input feature, output) in the layer's weight tensor.
int64_t weight_index(const Node& n, const Reader& r, const Shape& w, int64_t feat, int64_t o) {
  const bool rows = r.conv || n.attr_i("transB", 0);
  return rows ? o * r.features + feat : feat * w[1] + o;
}

// The layer's weights as a (features + 1) x outputs matrix, the bias in the last row.
Eigen::MatrixXd weight_matrix(const Graph& g, const Node& n, const Reader& r) {
  const TensorData& w = *g.val(n.input(1)).constant;
  const bool rows = r.conv || n.attr_i("transB", 0);
  const int64_t outs = rows ? w.shape[0] : w.shape[1];
  Eigen::MatrixXd m(r.features + 1, outs);
  for (int64_t o = 0; o < outs; ++o) {
    for (int64_t j = 0; j < r.features; ++j)
      m(j, o) = double(w.data<float>()[weight_index(n, r, w.shape, j, o)]);
    m(r.features, o) = n.input(2) >= 0 ? double(g.val(n.input(2)).constant->data<float>()[o]) : 0.0;
  }
  return m;
}

// Solves (A + ridge) w' = C w0 + ridge w0_kept, with A = X'_K^T X'_K and C = X'_K^T X, and
// writes w' into the layer: the kept weights and the bias; removed inputs get 0 (so layers
// after it see what the pruned model computes; remove_channels drops them). False when the
// system cannot be solved (the layer is left as it was).
bool solve_and_write(Graph& g, const RefitJob& job, Eigen::MatrixXd a, const Eigen::MatrixXd& c) {
  Node& n = g.nodes[job.node];
  const Eigen::MatrixXd w0 = weight_matrix(g, n, job.reader);
  const int64_t k = int64_t(job.kept.size()), outs = w0.cols();
  Eigen::MatrixXd rhs = c * w0;
  // The ridge keeps directions the samples do not cover at the original weights; scaled by
  // each feature's own energy, so that large features do not set the pull on small ones.
  const double floor = 1e-9 * a.trace() / double(k) + 1e-12;
  for (int64_t p = 0; p < k; ++p) {
    const double lambda = kRidge * a(p, p) + floor;
    a(p, p) += lambda;
    rhs.row(p) += lambda * w0.row(job.kept[size_t(p)]);
  }
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
  if (ldlt.info() != Eigen::Success) return false;
  const Eigen::MatrixXd w1 = ldlt.solve(rhs);
  if (!w1.allFinite()) return false;
  const Shape shape = g.val(n.input(1)).shape;
  TensorData nw(DType::F32, shape), nb(DType::F32, {outs});
  for (int64_t p = 0; p + 1 < k; ++p)
    for (int64_t o = 0; o < outs; ++o)
      nw.data<float>()[weight_index(n, job.reader, shape, job.kept[size_t(p)], o)] =
          float(w1(p, o));
  for (int64_t o = 0; o < outs; ++o) nb.data<float>()[o] = float(w1(k - 1, o));
  const std::string out = g.val(n.output(0)).name, wname = g.val(n.input(1)).name;
  const int wv = g.add_constant(wname + "_refit", std::move(nw));
  const int bv = g.add_constant(out + "_refit_bias", std::move(nb));
  Node& m = g.nodes[job.node];
  m.inputs[1] = wv;
  if (m.inputs.size() < 3) m.inputs.resize(3, -1);
  m.inputs[2] = bv;
  return true;
}

} // namespace

LayerGrams measure_layer_grams(const Graph& g, const std::vector<std::vector<TensorData>>& samples,
                               int64_t max_features) {
  std::map<int, std::vector<Reader>> by_input; // input value -> its readers
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (auto r = reader_of(g, int(i), max_features)) by_input[g.nodes[i].input(0)].push_back(*r);
  LayerGrams grams;
  for (const auto& [v, readers] : by_input)
    for (const Reader& r : readers) {
      LayerGram& lg = grams[g.val(g.nodes[size_t(r.node)].output(0)).name];
      lg.gram = Eigen::MatrixXd::Zero(r.features + 1, r.features + 1);
    }
  for (const auto& sample : samples)
    evaluate(g, sample, [&](int v, const TensorData& t) {
      auto it = by_input.find(v);
      if (it == by_input.end() || t.dtype != DType::F32) return;
      for (const Reader& r : it->second)
        accumulate(r, t, grams[g.val(g.nodes[size_t(r.node)].output(0)).name]);
    });
  // Graph inputs are not observed: their readers never lose input channels anyway.
  for (auto it = grams.begin(); it != grams.end();)
    it = it->second.rows > 0 ? std::next(it) : grams.erase(it);
  return grams;
}

std::set<std::string> reconstruct_readers(Graph& g, ChannelGroups& cg,
                                          const std::vector<bool>& removed,
                                          const LayerGrams& grams) {
  std::set<std::string> done;
  for (const RefitJob& job : refit_jobs(g, cg, removed, grams)) {
    const std::string out = g.val(g.nodes[job.node].output(0)).name;
    const Eigen::MatrixXd& gram = grams.at(out).gram;
    const int64_t k = int64_t(job.kept.size());
    Eigen::MatrixXd a(k, k), c(k, gram.cols());
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t q = 0; q < k; ++q) a(p, q) = gram(job.kept[size_t(p)], job.kept[size_t(q)]);
      c.row(p) = gram.row(job.kept[size_t(p)]);
    }
    if (solve_and_write(g, job, a, c)) done.insert(out);
  }
  return done;
}

std::set<std::string> refit_in_order(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed,
                                     const LayerGrams& grams,
                                     const std::vector<std::vector<TensorData>>& samples) {
  const std::vector<RefitJob> jobs = refit_jobs(g, cg, removed, grams);
  std::set<std::string> done;
  if (jobs.empty()) return done;
  // What each layer read in the unpruned model.
  std::set<int> inputs;
  for (const RefitJob& job : jobs) inputs.insert(g.nodes[job.node].input(0));
  std::map<int, std::vector<TensorData>> original;
  for (const auto& sample : samples)
    evaluate(g, sample, [&](int v, const TensorData& t) {
      if (inputs.count(v)) original[v].push_back(t);
    });
  for (const RefitJob& job : jobs) {
    const int x = g.nodes[job.node].input(0);
    if (original[x].size() != samples.size()) continue;
    const int64_t k = int64_t(job.kept.size());
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k, k),
                    c = Eigen::MatrixXd::Zero(k, job.reader.features + 1);
    for (size_t s = 0; s < samples.size(); ++s) {
      TensorData now; // what the layer reads with the layers before it pruned and refit
      evaluate(g, samples[s], [&](int v, const TensorData& t) {
        if (v == x) now = t;
      });
      const Eigen::MatrixXd seen = input_rows(job.reader, now);
      const Eigen::MatrixXd was = input_rows(job.reader, original[x][s]);
      Eigen::MatrixXd kept(seen.rows(), k);
      for (int64_t p = 0; p < k; ++p) kept.col(p) = seen.col(job.kept[size_t(p)]);
      a.noalias() += kept.transpose() * kept;
      c.noalias() += kept.transpose() * was;
    }
    if (solve_and_write(g, job, a, c)) done.insert(g.val(g.nodes[job.node].output(0)).name);
  }
  return done;
}

} // namespace tinyc
