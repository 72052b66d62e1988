// Sparse weight stream and the dense-vs-sparse cost model (compiler/ops/sparse_kernel.h).
#include "sparse_kernel.h"

#include "qconv_order.h"
#include "window.h"

#include "../overlap_trace.h"

namespace tinyc {

namespace {

// Walks the stream form of `columns` columns of K weights, value(j, k): per column begin(j),
// then entry(skip, weight) per nonzero in k order (skip from the previous entry's k, from 0
// for the first; a gap over 255 bridged by entries (255, 0)), then end(j, entries).
template <class Value, class Begin, class Entry, class End>
void walk_stream(int64_t columns, int64_t K, Value value, Begin begin, Entry entry, End end) {
  for (int64_t j = 0; j < columns; ++j) {
    begin(j);
    int64_t prev = 0, count = 0;
    for (int64_t k = 0; k < K; ++k) {
      const auto x = value(j, k);
      if (x == 0) continue;
      for (; k - prev > 255; prev += 255, ++count) entry(255, decltype(x)(0)); // bridge
      entry(k - prev, x);
      prev = k;
      ++count;
    }
    end(j, count);
  }
}

// Stream bytes: per column a uint16 entry count (little endian) at `head`, then the entries.
void put_count(std::vector<int8_t>& s, size_t head, int64_t count, const char* column) {
  if (count > 0xffff) fail("sparse weights: {} entries in one {} is not supported", count, column);
  s[head] = int8_t(uint8_t(count & 0xff));
  s[head + 1] = int8_t(uint8_t(count >> 8));
}

} // namespace

TensorData encode_sparse_s8(const int8_t* w, int64_t M, int64_t K) {
  std::vector<int8_t> s;
  size_t head = 0;
  walk_stream(
      M, K, [&](int64_t m, int64_t k) { return w[m * K + k]; },
      [&](int64_t) {
        head = s.size();
        s.push_back(0);
        s.push_back(0);
      },
      [&](int64_t skip, int8_t v) {
        s.push_back(int8_t(uint8_t(skip)));
        s.push_back(v);
      },
      [&](int64_t, int64_t count) { put_count(s, head, count, "channel"); });
  TensorData t(DType::I8, {int64_t(s.size())});
  std::copy(s.begin(), s.end(), t.data<int8_t>());
  return t;
}

void encode_sparse_f32(const float* b, int64_t K, int64_t N, bool transB, TensorData& idx,
                       TensorData& wv) {
  std::vector<int8_t> s;
  std::vector<float> v;
  size_t head = 0;
  walk_stream(
      N, K, [&](int64_t j, int64_t k) { return transB ? b[j * K + k] : b[k * N + j]; },
      [&](int64_t) {
        head = s.size();
        s.push_back(0);
        s.push_back(0);
      },
      [&](int64_t skip, float x) {
        s.push_back(int8_t(uint8_t(skip)));
        v.push_back(x);
      },
      [&](int64_t, int64_t count) { put_count(s, head, count, "column"); });
  idx = TensorData(DType::I8, {int64_t(s.size())});
  std::copy(s.begin(), s.end(), idx.data<int8_t>());
  wv = TensorData(DType::F32, {int64_t(v.size())});
  std::copy(v.begin(), v.end(), wv.data<float>());
}

namespace {

// Float Gemm columns: entries (nonzeros plus bridges) of op(B)'s N columns.
int64_t stream_entries_f32(const float* b, int64_t K, int64_t N, bool transB, int64_t& nonzeros) {
  int64_t e = 0;
  nonzeros = 0;
  walk_stream(
      N, K, [&](int64_t j, int64_t k) { return transB ? b[j * K + k] : b[k * N + j]; },
      [](int64_t) {}, [&](int64_t, float x) { nonzeros += x != 0.0f; },
      [&](int64_t, int64_t count) { e += count; });
  return e;
}

// Stream entries (nonzeros plus bridges) of w [M, K].
int64_t stream_entries(const int8_t* w, int64_t M, int64_t K) {
  int64_t e = 0;
  walk_stream(
      M, K, [&](int64_t m, int64_t k) { return w[m * K + k]; }, [](int64_t) {},
      [](int64_t, int8_t) {}, [&](int64_t, int64_t count) { e += count; });
  return e;
}

int64_t count_nonzero(const TensorData& w) {
  int64_t c = 0;
  for (int64_t i = 0; i < w.size(); ++i) c += w.data<int8_t>()[i] != 0;
  return c;
}

// Cortex-M4 instruction model, fitted to QEMU counts of single layers (tools/sparse_calibrate.py,
// docs/sparse_kernels.md: within about 12% on those layers). Dense int8 (templates/gemm_s8.h):
// the SMLAD core, two channels x four k values per step, two pixels at a time in convolutions,
// one row at a time in a Gemm with one row.
constexpr double kDenseMacPair = 0.92;   // per MAC, two pixels per pass
constexpr double kDenseMacSingle = 1.31; // per MAC, one row per pass
constexpr double kDenseOutput = 10.0;    // per output: bias, requantise, store
constexpr double kDenseColumnGemm = 2.0; // per k per row: the int16 pair conversion
constexpr double kDenseColumnPw = 4.1;   // per k per pixel: pointwise channel vector
constexpr double kDenseIm2col = 10.3;    // per k per pixel: general im2col
// Sparse (templates/sparse_s8.h): per stream entry, once per Gemm row or per four pixels.
constexpr double kSparseEntryGemm = 7.92;
constexpr double kSparseEntryQuad = 12.5;
constexpr double kSparseOutputGemm = 24.0;
constexpr double kSparseOutputConv = 10.7;
constexpr double kSparseGather = 4.5; // per k per pixel (window gather)
// Float Gemm: dense templates/gemm.h (four columns per pass), sparse templates/sparse_f32.h.
constexpr double kDenseMacF32 = 2.75;
constexpr double kDenseOutputF32 = 8.0;
constexpr double kSparseEntryF32 = 7.0;
constexpr double kSparseOutputF32 = 12.0;
// Float Conv (templates/conv.h: 4, 2 or 1 channels per pass), sparse: per entry per four pixels.
constexpr double kDenseConvMacF32 = 2.8;
constexpr double kSparseEntryQuadF32 = 13.0;
constexpr double kSparseOutputConvF32 = 7.4;
constexpr double kSparseGatherF32 = 3.4;

} // namespace

// Float Gemm (transA = 0, constant B): dense templates/gemm.h (four columns per pass), sparse
// templates/sparse_f32.h.
SparseEstimate estimate_sparse_f32(const Graph& g, const Node& n) {
  SparseEstimate e;
  if (n.attr_i("transA", 0) != 0 || n.input(1) < 0) return e;
  const Value& bv = g.val(n.input(1));
  const Value& av = g.val(n.input(0));
  if (!bv.constant || bv.dtype != DType::F32 || bv.shape.size() != 2 || av.shape.size() != 2)
    return e;
  const bool tb = n.attr_i("transB", 0) != 0;
  const int64_t K = tb ? bv.shape[1] : bv.shape[0], N = tb ? bv.shape[0] : bv.shape[1];
  const int64_t M = av.shape[0];
  if (K <= 0 || N <= 0 || av.shape[1] != K) return e;
  int64_t nonzeros = 0;
  const int64_t entries = stream_entries_f32(bv.constant->data<float>(), K, N, tb, nonzeros);
  e.possible = true;
  e.weights = K * N;
  e.nonzeros = nonzeros;
  e.dense_bytes = 4 * K * N;
  e.sparse_bytes = 5 * entries + 2 * N;
  e.dense_instr = double(M) * (kDenseMacF32 * double(K * N) + kDenseOutputF32 * double(N));
  e.sparse_instr = double(M) * (kSparseEntryF32 * double(entries) + kSparseOutputF32 * double(N));
  return e;
}

// Float Conv, one group, constant weights: dense templates/conv.h, sparse
// templates/sparse_f32.h (four pixels per pass).
SparseEstimate estimate_sparse_conv_f32(const Graph& g, const Node& n) {
  SparseEstimate e;
  if (n.input(1) < 0) return e;
  const Value& wv = g.val(n.input(1));
  if (!wv.constant || wv.dtype != DType::F32 || wv.shape.size() < 3) return e;
  const bool has_bias = n.input(2) >= 0;
  const ops::ConvGeometry s = ops::conv_geometry(n, g.val(n.input(0)).shape, wv.shape,
                                                 has_bias ? &g.val(n.input(2)).shape : nullptr);
  if (s.G != 1 || s.win.rank > 3) return e;
  const int64_t M = s.M, K = numel(wv.shape) / std::max<int64_t>(1, M);
  int64_t nonzeros = 0;
  const int64_t entries = stream_entries_f32(wv.constant->data<float>(), K, M, true, nonzeros);
  int64_t pixels = 1;
  for (int64_t o : s.win.out) pixels *= o;
  e.possible = true;
  e.weights = M * K;
  e.nonzeros = nonzeros;
  e.dense_bytes = 4 * M * K;
  e.sparse_bytes = 5 * entries + 2 * M;
  const double np = double(s.N * pixels), quads = double(s.N * ((pixels + 3) / 4));
  e.dense_instr = np * (kDenseConvMacF32 * double(M * K) + kDenseOutputF32 * double(M));
  e.sparse_instr = quads * kSparseEntryQuadF32 * double(entries) +
                   np * (kSparseOutputConvF32 * double(M) + kSparseGatherF32 * double(K));
  e.estimated = s.C > 1;
  return e;
}

SparseEstimate estimate_sparse(const Graph& g, const Node& n) {
  SparseEstimate e;
  if (n.op_type == "Gemm" && n.domain.empty()) return estimate_sparse_f32(g, n);
  if (n.op_type == "Conv" && n.domain.empty()) return estimate_sparse_conv_f32(g, n);
  const bool gemm = n.op_type == "QGemm", conv = n.op_type == "QConv";
  if ((!gemm && !conv) || n.domain != "tinyc" || n.input(1) < 0) return e;
  const Value& wv = g.val(n.input(1));
  if (!wv.constant || wv.dtype != DType::I8) return e;
  const bool has_bias = n.input(2) >= 0;
  const int64_t M = wv.shape.empty() ? 0 : wv.shape[0];
  const int64_t K = M > 0 ? numel(wv.shape) / M : 0;
  if (M <= 0 || K <= 0) return e;
  const int8_t* w = wv.constant->data<int8_t>();
  const int64_t entries = stream_entries(w, M, K);
  e.weights = M * K;
  e.nonzeros = count_nonzero(*wv.constant);
  e.dense_bytes = (M + 1) / 2 * 2 * ((K + 3) / 4 * 4) + (has_bias ? 4 * M : 0);
  if (gemm) {
    const int64_t N = numel(g.val(n.input(0)).shape) / K;
    e.possible = true;
    e.sparse_bytes = 2 * M + 2 * entries + 4 * M; // the folded bias is always there
    const double mac = N >= 2 ? kDenseMacPair : kDenseMacSingle;
    e.dense_instr =
        double(N) * (mac * double(M * K) + kDenseOutput * double(M) + kDenseColumnGemm * double(K));
    e.sparse_instr =
        double(N) * (kSparseEntryGemm * double(entries) + kSparseOutputGemm * double(M));
    return e;
  }
  const Shape* bs = has_bias ? &g.val(n.input(2)).shape : nullptr;
  const ops::ConvGeometry s = ops::conv_geometry(n, g.val(n.input(0)).shape, wv.shape, bs);
  if (s.G != 1 || s.win.rank > 3) return e;
  int64_t pixels = 1;
  for (int64_t o : s.win.out) pixels *= o;
  bool pointwise = true;
  for (size_t i = 0; i < s.win.kernel.size(); ++i)
    pointwise &= s.win.kernel[i] == 1 && s.win.strides[i] == 1 && s.win.pad_begin[i] == 0 &&
                 s.win.pad_end[i] == 0;
  const double np = double(s.N * pixels), quads = double(s.N * ((pixels + 3) / 4));
  e.possible = true;
  e.sparse_bytes = 2 * M + 2 * entries + (has_bias ? 4 * M : 0);
  const double mac = pixels >= 2 ? kDenseMacPair : kDenseMacSingle;
  e.dense_instr = np * (mac * double(M * K) + kDenseOutput * double(M) +
                        (pointwise ? kDenseColumnPw : kDenseIm2col) * double(K));
  e.sparse_instr = quads * kSparseEntryQuad * double(entries) +
                   np * (kSparseOutputConv * double(M) + kSparseGather * double(K));
  e.estimated = s.C > 1;
  return e;
}

std::string sparse_layer_name(const Graph& g, const Node& n) {
  return n.name.empty() && n.output(0) >= 0 ? g.val(n.output(0)).name : n.name;
}

SparseKernels parse_sparse_kernels(const std::string& s, std::vector<std::string>& only) {
  if (s.rfind("only=", 0) == 0) {
    only.clear();
    size_t at = 5;
    while (at <= s.size()) {
      const size_t comma = std::min(s.find(',', at), s.size());
      if (comma > at) only.push_back(s.substr(at, comma - at));
      at = comma + 1;
    }
    return SparseKernels::Only;
  }
  if (s == "auto") return SparseKernels::Auto;
  if (s == "never") return SparseKernels::Never;
  if (s == "always") return SparseKernels::Always;
  fail("--sparse-kernels {} is not supported (auto, never, always or only=LAYER,...)", s);
}

std::string sparse_summary_text(const Graph& g) {
  int layers = 0;
  int64_t dense = 0, sparse = 0;
  std::string names;
  for (const Node& n : g.nodes) {
    if (n.op_type.empty() || !uses_sparse_kernel(n)) continue;
    const SparseEstimate e = estimate_sparse(g, n);
    names += (layers++ ? ", " : "") + sparse_layer_name(g, n);
    dense += e.dense_bytes;
    sparse += e.sparse_bytes;
  }
  if (layers == 0) return "";
  return fmt::format("  sparse kernels: {} layer{} ({}), weights {} -> {} B\n", layers,
                     layers == 1 ? "" : "s", names, dense, sparse);
}

int64_t sparse_conv_overlap_shift(const Graph& g, const Node& n, int64_t elem_bytes,
                                  int64_t align) {
  const bool has_bias = n.input(2) >= 0;
  const ops::ConvGeometry s =
      ops::conv_geometry(n, g.val(n.input(0)).shape, g.val(n.input(1)).shape,
                         has_bias ? &g.val(n.input(2)).shape : nullptr);
  const ops::Window3 w = ops::window3(s.win);
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], OHW = w.out[1] * w.out[2];
  const int64_t OSZ = w.out[0] * OHW;
  AccessTrace t(s.N * s.C * IDHW, s.N * s.M * OSZ);
  for (int64_t nn = 0; nn < s.N; ++nn)
    for (int64_t p = 0; p < OSZ; p += 4) {
      const int64_t np = std::min<int64_t>(4, OSZ - p);
      for (int64_t o = p; o < p + np; ++o) {
        ops::read_conv_window(t, w, o, nn * s.C * IDHW, s.C);
      }
      for (int64_t m = 0; m < s.M; ++m)
        for (int64_t o = p; o < p + np; ++o) t.write((nn * s.M + m) * OSZ + o);
      t.next_block();
    }
  return min_overlap_shift({t}, elem_bytes, elem_bytes, align);
}

bool choose_sparse(const SparseEstimate& e, SparseKernels mode) {
  if (!e.possible || mode == SparseKernels::Never || mode == SparseKernels::Only) return false;
  if (mode == SparseKernels::Always) return true;
  // Auto: sparse only where it is smaller and estimated faster, by an estimate that holds, and
  // by more than the estimate's error (about 12% on the layers it was fitted on): a wrong sparse
  // choice costs more than a wrong dense one.
  constexpr double kMargin = 0.88;
  return e.estimated && e.sparse_bytes < e.dense_bytes && e.sparse_instr < kMargin * e.dense_instr;
}

} // namespace tinyc
