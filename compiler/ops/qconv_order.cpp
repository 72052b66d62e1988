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

// qconv_dw_s8 (both paths): per channel, the input rows and columns that land in the padded
// plane are copied, then the channel's output plane is written.
void depthwise(const QConvGeometry& q, AccessTrace& t) {
  const Window3& w = q.w;
  const int64_t rows = (w.out[1] - 1) * w.s[1] + (w.k[1] - 1) * w.d[1] + 1;
  const int64_t cols = (w.out[2] - 1) * w.s[2] + (w.k[2] - 1) * w.d[2] + 1;
  const int64_t in_rows = std::min(w.in[1], rows - w.p[1]);
  const int64_t in_cols = std::min(w.in[2], cols - w.p[2]);
  const int64_t IHW = w.in[1] * w.in[2], OHW = w.out[1] * w.out[2];
  for (int64_t n = 0; n < q.N; ++n)
    for (int64_t c = 0; c < q.C; ++c) {
      for (int64_t r = 0; r < in_rows; ++r)
        for (int64_t i = 0; i < in_cols; ++i) t.read((n * q.C + c) * IHW + r * w.in[2] + i);
      for (int64_t o = 0; o < OHW; ++o) t.write((n * q.C + c) * OHW + o);
      t.next_block();
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
  // Output pixels [from, to) of group g leave the lag ring.
  auto store = [&](int64_t n, int64_t g, int64_t from, int64_t to) {
    for (int64_t m = 0; m < MG; ++m)
      for (int64_t o = from; o < to; ++o) t.write((n * q.M + g * MG + m) * OSZ + o);
  };
  for (int64_t n = 0; n < q.N; ++n)
    for (int64_t g = 0; g < q.G; ++g) {
      int64_t flushed = 0;
      for (int64_t p = 0; p < OSZ; p += step) {
        const int64_t np = std::min(step, OSZ - p);
        for (int64_t i = 0; i < np; ++i) {
          const int64_t o = p + i;
          const int64_t d0 = o / OHW * w.s[0] - w.p[0];
          const int64_t h0 = o % OHW / w.out[2] * w.s[1] - w.p[1];
          const int64_t w0 = o % w.out[2] * w.s[2] - w.p[2];
          for (int64_t ic = 0; ic < CG; ++ic)
            for (int64_t kd = 0; kd < w.k[0]; ++kd)
              for (int64_t kh = 0; kh < w.k[1]; ++kh)
                for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                  const int64_t id = d0 + kd * w.d[0], ih = h0 + kh * w.d[1], iw = w0 + kw * w.d[2];
                  if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1] || iw < 0 || iw >= w.in[2])
                    continue;
                  t.read((n * q.C + g * CG + ic) * IDHW + (id * w.in[1] + ih) * w.in[2] + iw);
                }
        }
        if (q.lag == 0) {
          store(n, g, p, p + np);
        } else if (p + np - q.lag > flushed) {
          store(n, g, flushed, p + np - q.lag);
          flushed = p + np - q.lag;
        }
        t.next_block();
      }
      if (q.lag != 0) {
        store(n, g, flushed, OSZ);
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
  if (q.kernel != QConvKernel::General || q.lag <= 0) return 0;
  return q.M / q.G * ((q.lag + 3) / 2 * 2);
}

int64_t qconv_choose_lag(QConvGeometry q, int64_t align) {
  if (q.kernel != QConvKernel::General) return 0;
  const Window3& w = q.w;
  const int64_t in = q.N * q.C * w.in[0] * w.in[1] * w.in[2];
  const int64_t out = q.N * q.M * w.out[0] * w.out[1] * w.out[2];
  const int64_t OW = w.out[2];
  // Candidates: r output rows plus the leading pad columns and a pixel (r = the leading pad
  // rows makes a stride-1 conv of equal shapes fit at shift 0), r up to a few rows.
  q.lag = 0;
  const int64_t k0 = qconv_overlap_shift(q, align);
  int64_t best_lag = 0, best_cost = k0 >= 0 ? std::max(in + k0, out) : in + out;
  for (int64_t r = 0; r <= std::min<int64_t>(w.out[1] - 1, std::max<int64_t>(w.p[1], 1) + 1); ++r) {
    q.lag = r * OW + w.p[2] + 1;
    if (q.lag >= w.out[0] * w.out[1] * OW) break;
    const int64_t k = qconv_overlap_shift(q, align);
    if (k < 0) continue;
    const int64_t cost = std::max(in + k, out) + qconv_lag_bytes(q);
    if (cost < best_cost) best_cost = cost, best_lag = q.lag;
  }
  return best_lag;
}

int64_t qconv_overlap_shift(const QConvGeometry& q, int64_t align) {
  return min_overlap_shift({qconv_access_trace(q, false), qconv_access_trace(q, true)}, 1, 1,
                           align);
}

} // namespace tinyc::ops
