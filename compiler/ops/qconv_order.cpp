#include "qconv_order.h"

#include <algorithm>

namespace tinyc::ops {
namespace {

// qconv1x1_s8: pixel pairs (DSP; an odd last pixel alone) or single pixels (portable); each
// block reads every channel of its pixels, then writes every output channel of them.
void pointwise(const QConvGeometry& q, bool dsp, AccessTrace& t) {
  const int64_t HW = q.w.in[0] * q.w.in[1] * q.w.in[2];
  const int64_t step = dsp ? 2 : 1;
  for (int64_t n = 0; n < q.N; ++n)
    for (int64_t p = 0; p < HW; p += step) {
      const int64_t np = std::min(step, HW - p);
      for (int64_t c = 0; c < q.C; ++c)
        for (int64_t i = 0; i < np; ++i) t.read((n * q.C + c) * HW + p + i);
      for (int64_t m = 0; m < q.M; ++m)
        for (int64_t i = 0; i < np; ++i) t.write((n * q.M + m) * HW + p + i);
      t.next_block();
    }
}

// qconv_dw_s8 (both paths): per channel and output row, the padded rows it reads that are
// not in the line buffer yet are loaded (their input rows and columns that land in the plane),
// then the output row is written.
void depthwise(const QConvGeometry& q, AccessTrace& t) {
  const Window3& w = q.w;
  const int64_t rows = (w.out[1] - 1) * w.s[1] + (w.k[1] - 1) * w.d[1] + 1;
  const int64_t cols = (w.out[2] - 1) * w.s[2] + (w.k[2] - 1) * w.d[2] + 1;
  const int64_t in_rows = std::min(w.in[1], rows - w.p[1]);
  const int64_t in_cols = std::min(w.in[2], cols - w.p[2]);
  const int64_t IHW = w.in[1] * w.in[2], OHW = w.out[1] * w.out[2];
  for (int64_t n = 0; n < q.N; ++n)
    for (int64_t c = 0; c < q.C; ++c) {
      int64_t filled = 0;
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        for (; filled <= oh * w.s[1] + (w.k[1] - 1) * w.d[1]; ++filled) {
          const int64_t r = filled - w.p[1];
          if (r < 0 || r >= in_rows) continue;
          for (int64_t i = 0; i < in_cols; ++i) t.read((n * q.C + c) * IHW + r * w.in[2] + i);
        }
        for (int64_t o = 0; o < w.out[2]; ++o) t.write((n * q.C + c) * OHW + oh * w.out[2] + o);
        t.next_block();
      }
    }
}

// qconv_s8: per group, output pixel pairs (DSP; an odd last pixel alone) or single pixels
// (portable); each block gathers the in-bounds taps of its windows, then writes every output
// channel of the group at its pixels.
void general(const QConvGeometry& q, bool dsp, AccessTrace& t) {
  const Window3& w = q.w;
  const int64_t CG = q.C / q.G, MG = q.M / q.G;
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2];
  const int64_t OHW = w.out[1] * w.out[2], OSZ = w.out[0] * OHW;
  const int64_t step = dsp ? 2 : 1;
  const bool lagged = !q.lags.empty();
  for (int64_t n = 0; n < q.N; ++n)
    for (int64_t g = 0; g < q.G; ++g) {
      for (int64_t p = 0; p < OSZ; p += step) {
        const int64_t np = std::min(step, OSZ - p);
        for (int64_t i = 0; i < np; ++i) {
          const int64_t o = p + i;
          read_conv_window(t, w, o, (n * q.C + g * CG) * IDHW, CG);
        }
        // lag_store: channel m stores pixels [p - L, p + np - L) (clipped at 0).
        for (int64_t m = 0; m < MG; ++m) {
          const int64_t L = lagged ? q.lags[size_t(m)] : 0;
          for (int64_t o = std::max<int64_t>(0, p - L); o < p + np - L; ++o)
            t.write((n * q.M + g * MG + m) * OSZ + o);
        }
        t.next_block();
      }
      if (lagged) { // lag_finish
        for (int64_t m = 0; m < MG; ++m)
          for (int64_t o = std::max<int64_t>(0, OSZ - q.lags[size_t(m)]); o < OSZ; ++o)
            t.write((n * q.M + g * MG + m) * OSZ + o);
        t.next_block();
      }
    }
}

} // namespace

AccessTrace qconv_access_trace(const QConvGeometry& q, bool dsp) {
  const Window3& w = q.w;
  AccessTrace t(q.N * q.C * w.in[0] * w.in[1] * w.in[2],
                q.N * q.M * w.out[0] * w.out[1] * w.out[2]);
  switch (q.kernel) {
  case QConvKernel::Pointwise:
    pointwise(q, dsp, t);
    break;
  case QConvKernel::Depthwise:
    depthwise(q, t);
    break;
  case QConvKernel::General:
    general(q, dsp, t);
    break;
  }
  return t;
}

int64_t qconv_lag_bytes(const QConvGeometry& q) {
  if (q.kernel != QConvKernel::General || q.lags.empty()) return 0;
  int64_t bytes = 2 * (q.M / q.G);
  for (int64_t L : q.lags) bytes += L ? L + 2 : 0;
  return bytes;
}

std::vector<int64_t> qconv_choose_lags(QConvGeometry q, int64_t align) {
  q.lags.clear();
  if (q.kernel != QConvKernel::General || q.G != 1 || q.N != 1) return {};
  const Window3& w = q.w;
  const int64_t in = q.C * w.in[0] * w.in[1] * w.in[2];
  const int64_t OSZ = w.out[0] * w.out[1] * w.out[2], out = q.M * OSZ;
  const int64_t k0 = qconv_overlap_shift(q, align);
  int64_t best_cost = k0 >= 0 ? std::max(in + k0, out) : in + out;
  std::vector<int64_t> best;
  // Last-read blocks of every input byte on both paths (lags change only the stores).
  const AccessTrace port = qconv_access_trace(q, false), dsp = qconv_access_trace(q, true);
  // Shifts that put a whole number of output planes before the input.
  for (int64_t planes = 0; planes < q.M; ++planes) {
    const int64_t k = (planes * OSZ + align - 1) / align * align;
    if (k >= out) break;
    // Channel m, pixel o lies on input byte a = m * OSZ + o - k: it may be stored in the
    // block of pixel o + L only if that block is not before a's last read (portable: block =
    // pixel; DSP: block = pixel / 2).
    std::vector<int64_t> lags(size_t(q.M), 0);
    for (int64_t m = 0; m < q.M; ++m)
      for (int64_t o = 0; o < OSZ; ++o) {
        const int64_t a = m * OSZ + o - k;
        if (a < 0 || a >= in) continue;
        const int64_t rp = port.last_read[size_t(a)], rd = dsp.last_read[size_t(a)];
        lags[size_t(m)] = std::max({lags[size_t(m)], rp - o, 2 * rd - o});
      }
    q.lags = lags;
    const int64_t cost = std::max(in + k, out) + qconv_lag_bytes(q);
    // Lags cost time (each output passes through a ring): only when they save a quarter of
    // the output's size.
    if (4 * (k0 >= 0 ? std::max(in + k0, out) : in + out) - 4 * cost < out) continue;
    if (cost < best_cost) {
      // Confirm on the replayed order (the shift found may only be smaller).
      const int64_t got = qconv_overlap_shift(q, align);
      if (got >= 0 && got <= k) best_cost = cost, best = lags;
    }
  }
  return best;
}

int64_t qconv_overlap_shift(const QConvGeometry& q, int64_t align) {
  return min_overlap_shift({qconv_access_trace(q, false), qconv_access_trace(q, true)}, 1, 1,
                           align);
}

void read_conv_window(AccessTrace& t, const Window3& w, int64_t o, int64_t base, int64_t channels) {
  const int64_t IDHW = w.in[0] * w.in[1] * w.in[2], OHW = w.out[1] * w.out[2];
  const int64_t d0 = o / OHW * w.s[0] - w.p[0];
  const int64_t h0 = o % OHW / w.out[2] * w.s[1] - w.p[1];
  const int64_t w0 = o % w.out[2] * w.s[2] - w.p[2];
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t kd = 0; kd < w.k[0]; ++kd)
      for (int64_t kh = 0; kh < w.k[1]; ++kh)
        for (int64_t kw = 0; kw < w.k[2]; ++kw) {
          const int64_t id = d0 + kd * w.d[0], ih = h0 + kh * w.d[1], iw = w0 + kw * w.d[2];
          if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1] || iw < 0 || iw >= w.in[2])
            continue;
          t.read(base + c * IDHW + (id * w.in[1] + ih) * w.in[2] + iw);
        }
}

} // namespace tinyc::ops
