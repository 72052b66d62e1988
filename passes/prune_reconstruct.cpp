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
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const int x = g.nodes[i].input(0);
    if (!cg.tracked(x) || g.nodes[i].output(0) < 0) continue;
    auto it = grams.find(g.val(g.nodes[i].output(0)).name);
    if (it == grams.end()) continue;
    const std::optional<Reader> r = reader_of(g, int(i), int64_t(1) << 40);
    if (!r || it->second.gram.rows() != r->features + 1) continue;
    // Kept input features (Conv: a channel's taps; Gemm: a channel's columns), then the bias.
    const int64_t per_channel = r->features / cg.channels[size_t(x)];
    std::vector<int64_t> kept;
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c)
      if (!removed[size_t(cg.atom_at(x, c))])
        for (int64_t k = 0; k < per_channel; ++k) kept.push_back(c * per_channel + k);
    if (int64_t(kept.size()) == r->features) continue;
    kept.push_back(r->features);

    Node& n = g.nodes[i];
    const TensorData& w = *g.val(n.input(1)).constant;
    const bool trans = !r->conv && n.attr_i("transB", 0);
    const int64_t f = r->features, outs = r->conv ? w.shape[0] : (trans ? w.shape[0] : w.shape[1]);
    auto widx = [&](int64_t feat, int64_t o) {
      return r->conv || trans ? o * f + feat : feat * outs + o;
    };
    Eigen::MatrixXd w0(f + 1, outs);
    for (int64_t o = 0; o < outs; ++o) {
      for (int64_t j = 0; j < f; ++j) w0(j, o) = double(w.data<float>()[widx(j, o)]);
      w0(f, o) = n.input(2) >= 0 ? double(g.val(n.input(2)).constant->data<float>()[o]) : 0.0;
    }
    const Eigen::MatrixXd& gram = it->second.gram;
    const int64_t k = int64_t(kept.size());
    Eigen::MatrixXd a(k, k), rhs(k, outs);
    const Eigen::MatrixXd target = gram * w0; // X^T (X w0), all features
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t q = 0; q < k; ++q) a(p, q) = gram(kept[size_t(p)], kept[size_t(q)]);
      rhs.row(p) = target.row(kept[size_t(p)]);
    }
    // The ridge keeps directions the samples do not cover at the original weights; scaled by
    // each feature's own energy, so that large features do not set the pull on small ones.
    const double floor = 1e-9 * a.trace() / double(k) + 1e-12;
    for (int64_t p = 0; p < k; ++p) {
      const double lambda = kRidge * a(p, p) + floor;
      a(p, p) += lambda;
      rhs.row(p) += lambda * w0.row(kept[size_t(p)]);
    }
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
    if (ldlt.info() != Eigen::Success) continue;
    const Eigen::MatrixXd w1 = ldlt.solve(rhs);
    if (!w1.allFinite()) continue;
    TensorData nw = w, nb(DType::F32, {outs});
    for (int64_t p = 0; p + 1 < k; ++p)
      for (int64_t o = 0; o < outs; ++o)
        nw.data<float>()[widx(kept[size_t(p)], o)] = float(w1(p, o));
    for (int64_t o = 0; o < outs; ++o) nb.data<float>()[o] = float(w1(k - 1, o));
    const std::string out = g.val(n.output(0)).name;
    n.inputs[1] = g.add_constant(g.val(n.input(1)).name + "_refit", std::move(nw));
    const int b = g.add_constant(out + "_refit_bias", std::move(nb));
    if (g.nodes[i].inputs.size() < 3) g.nodes[i].inputs.resize(3, -1);
    g.nodes[i].inputs[2] = b;
    done.insert(out);
  }
  return done;
}

} // namespace tinyc

namespace tinyc {

std::set<std::string> refit_in_order(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed,
                                     const LayerGrams& grams,
                                     const std::vector<std::vector<TensorData>>& samples) {
  struct Job {
    size_t node;
    Reader r;
    std::vector<int64_t> kept; // kept features, then the bias
  };
  std::vector<Job> jobs;
  std::set<int> inputs;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const int x = g.nodes[i].input(0);
    if (!cg.tracked(x) || g.nodes[i].output(0) < 0) continue;
    if (!grams.count(g.val(g.nodes[i].output(0)).name)) continue;
    const std::optional<Reader> r = reader_of(g, int(i), int64_t(1) << 40);
    if (!r) continue;
    const int64_t per_channel = r->features / cg.channels[size_t(x)];
    std::vector<int64_t> kept;
    for (int64_t c = 0; c < cg.channels[size_t(x)]; ++c)
      if (!removed[size_t(cg.atom_at(x, c))])
        for (int64_t k = 0; k < per_channel; ++k) kept.push_back(c * per_channel + k);
    if (int64_t(kept.size()) == r->features) continue;
    kept.push_back(r->features);
    jobs.push_back({i, *r, kept});
    inputs.insert(x);
  }
  std::set<std::string> done;
  if (jobs.empty()) return done;
  // What each layer read in the unpruned model.
  std::map<int, std::vector<TensorData>> original;
  for (const auto& sample : samples)
    evaluate(g, sample, [&](int v, const TensorData& t) {
      if (inputs.count(v)) original[v].push_back(t);
    });
  for (const Job& job : jobs) {
    const int x = g.nodes[job.node].input(0);
    if (original[x].size() != samples.size()) continue;
    const int64_t f = job.r.features, k = int64_t(job.kept.size());
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k, k), c = Eigen::MatrixXd::Zero(k, f + 1);
    for (size_t s = 0; s < samples.size(); ++s) {
      TensorData now;
      evaluate(g, samples[s], [&](int v, const TensorData& t) {
        if (v == x) now = t;
      });
      const Eigen::MatrixXd seen = input_rows(job.r, now), was = input_rows(job.r, original[x][s]);
      Eigen::MatrixXd kept(seen.rows(), k);
      for (int64_t p = 0; p < k; ++p) kept.col(p) = seen.col(job.kept[size_t(p)]);
      a.noalias() += kept.transpose() * kept;
      c.noalias() += kept.transpose() * was;
    }
    Node& n = g.nodes[job.node];
    const TensorData& w = *g.val(n.input(1)).constant;
    const bool trans = !job.r.conv && n.attr_i("transB", 0);
    const int64_t outs = job.r.conv || trans ? w.shape[0] : w.shape[1];
    auto widx = [&](int64_t feat, int64_t o) {
      return job.r.conv || trans ? o * f + feat : feat * outs + o;
    };
    Eigen::MatrixXd w0(f + 1, outs);
    for (int64_t o = 0; o < outs; ++o) {
      for (int64_t j = 0; j < f; ++j) w0(j, o) = double(w.data<float>()[widx(j, o)]);
      w0(f, o) = n.input(2) >= 0 ? double(g.val(n.input(2)).constant->data<float>()[o]) : 0.0;
    }
    Eigen::MatrixXd rhs = c * w0;
    const double floor = 1e-9 * a.trace() / double(k) + 1e-12;
    for (int64_t p = 0; p < k; ++p) {
      const double lambda = kRidge * a(p, p) + floor;
      a(p, p) += lambda;
      rhs.row(p) += lambda * w0.row(job.kept[size_t(p)]);
    }
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
    if (ldlt.info() != Eigen::Success) continue;
    const Eigen::MatrixXd w1 = ldlt.solve(rhs);
    if (!w1.allFinite()) continue;
    // Removed inputs get weight 0, so that the layers after this one see what the pruned
    // model computes; remove_channels drops them afterwards.
    TensorData nw(DType::F32, w.shape), nb(DType::F32, {outs});
    for (int64_t p = 0; p + 1 < k; ++p)
      for (int64_t o = 0; o < outs; ++o)
        nw.data<float>()[widx(job.kept[size_t(p)], o)] = float(w1(p, o));
    for (int64_t o = 0; o < outs; ++o) nb.data<float>()[o] = float(w1(k - 1, o));
    const std::string out = g.val(n.output(0)).name;
    n.inputs[1] = g.add_constant(g.val(n.input(1)).name + "_refit", std::move(nw));
    const int b = g.add_constant(out + "_refit_bias", std::move(nb));
    if (g.nodes[job.node].inputs.size() < 3) g.nodes[job.node].inputs.resize(3, -1);
    g.nodes[job.node].inputs[2] = b;
    done.insert(out);
  }
  return done;
}

} // namespace tinyc
