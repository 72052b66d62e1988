// Normalization kernels (float): BatchNormalization (inference), InstanceNormalization,
// LayerNormalization, MeanVarianceNormalization and LRN. Each mirrors the evaluator's
// expression and summation order in compiler/ops/normalization.cpp.
#pragma once

#include "activation.h"

#include <math.h>

namespace tk {

// y = x * s + (B - mean * s), s = scale / sqrt(var + eps), per channel of [N, C, HW].
// P: N, C, HW, eps, act/act_a/act_b.
template <class P>
void batchnorm_float(const float* x, const float* scale, const float* bias, const float* mean,
                     const float* var, float* y) {
  for (int c = 0; c < P::C; ++c) {
    const float s = scale[c] / sqrtf(var[c] + P::eps);
    const float t = bias[c] - mean[c] * s;
    for (int n = 0; n < P::N; ++n) {
      const float* xc = x + (n * P::C + c) * P::HW;
      float* yc = y + (n * P::C + c) * P::HW;
      for (int i = 0; i < P::HW; ++i) yc[i] = activate<P>(xc[i] * s + t);
    }
  }
}

// Mean and 1 / sqrt(variance + eps) of n elements.
template <int n, class P> inline void moments(const float* x, float& mean, float& inv_std) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += x[i];
  mean = sum / float(n);
  float sq = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    sq += d * d;
  }
  inv_std = 1.0f / sqrtf(sq / float(n) + P::eps);
}

// Per (n, c) plane of HW elements: (x - mean) * inv_std * scale[c] + B[c]. P: N, C, HW, eps.
template <class P>
void instancenorm_float(const float* x, const float* scale, const float* bias, float* y) {
  for (int n = 0; n < P::N; ++n)
    for (int c = 0; c < P::C; ++c) {
      const float* xc = x + (n * P::C + c) * P::HW;
      float* yc = y + (n * P::C + c) * P::HW;
      float mean, inv_std;
      moments<P::HW, P>(xc, mean, inv_std);
      for (int i = 0; i < P::HW; ++i) yc[i] = (xc[i] - mean) * inv_std * scale[c] + bias[c];
    }
}

// Each of `outer` rows of `inner` elements: (x - mean) * inv_std * scale + B, scale and B
// read with strides ss / sb (0: one value for all). Mean and inv_std optionally stored.
// P: outer, inner, eps, ss, sb, has_bias, store_mean, store_inv_std.
template <class P>
void layernorm_float(const float* x, const float* scale, const float* bias, float* y,
                     float* mean_out, float* inv_std_out) {
  for (int r = 0; r < P::outer; ++r) {
    const float* xr = x + r * P::inner;
    float* yr = y + r * P::inner;
    float mean, inv_std;
    moments<P::inner, P>(xr, mean, inv_std);
    for (int i = 0; i < P::inner; ++i) {
      float v = (xr[i] - mean) * inv_std * scale[i * P::ss];
      if constexpr (P::has_bias) v += bias[i * P::sb];
      yr[i] = v;
    }
    if constexpr (P::store_mean) mean_out[r] = mean;
    if constexpr (P::store_inv_std) inv_std_out[r] = inv_std;
  }
}

// MeanVarianceNormalization over the axes not kept: y = (x - E[x]) / (sqrt(E[x^2] - E[x]^2) +
// 1e-9), as ONNX defines it. Element (g, r) of group g and reduced index r sits at
// sum over axes of digit * stride; P: rank, groups, count, gsize[rank], gstride[rank],
// rsize[rank], rstride[rank] (size 1 on axes the index does not cover).
template <class P> inline int mvn_offset(int idx, const int32_t* size, const int32_t* stride) {
  int off = 0;
  for (int d = P::rank - 1; d >= 0; --d) {
    off += (idx % size[d]) * stride[d];
    idx /= size[d];
  }
  return off;
}

template <class P> void mvn_float(const float* x, float* y) {
  for (int gi = 0; gi < P::groups; ++gi) {
    const int base = mvn_offset<P>(gi, P::gsize, P::gstride);
    float sum = 0.0f, sq = 0.0f;
    for (int r = 0; r < P::count; ++r) {
      const float v = x[base + mvn_offset<P>(r, P::rsize, P::rstride)];
      sum += v;
      sq += v * v;
    }
    const float mean = sum / float(P::count);
    float var = sq / float(P::count) - mean * mean;
    if (var < 0.0f) var = 0.0f;
    const float den = sqrtf(var) + 1e-9f;
    for (int r = 0; r < P::count; ++r) {
      const int o = base + mvn_offset<P>(r, P::rsize, P::rstride);
      y[o] = (x[o] - mean) / den;
    }
  }
}

// LRN across channels of [N, C, HW]: y = x / (bias + alpha / size * sum of squares over the
// channel window)^beta. P: N, C, HW, size, alpha, beta, bias.
template <class P> void lrn_float(const float* x, float* y) {
  constexpr int lo_off = (P::size - 1) / 2, hi_off = P::size - 1 - lo_off;
  for (int n = 0; n < P::N; ++n)
    for (int c = 0; c < P::C; ++c) {
      const int c0 = c - lo_off < 0 ? 0 : c - lo_off;
      const int c1 = c + hi_off > P::C - 1 ? P::C - 1 : c + hi_off;
      for (int i = 0; i < P::HW; ++i) {
        float sq = 0.0f;
        for (int k = c0; k <= c1; ++k) {
          const float v = x[(n * P::C + k) * P::HW + i];
          sq += v * v;
        }
        const int at = (n * P::C + c) * P::HW + i;
        y[at] = x[at] / powf(P::bias + P::alpha / float(P::size) * sq, P::beta);
      }
    }
}

} // namespace tk
