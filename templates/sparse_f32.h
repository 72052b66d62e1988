// Sparse float Gemm for unstructured sparsity (--prune-method unstructured): loops over the
// nonzero weights of B only. Chosen per layer like the int8 sparse kernels
// (compiler/ops/sparse_kernel.cpp, docs/sparse_kernels.md).
//
// Weights: two arrays (compiler/ops/sparse_kernel.cpp encode_sparse_f32), per output column j
// of op(B) (one row of B^T):
// - idx (bytes): count (uint16, little endian), then one byte per entry: the distance of the
//   entry's k from the previous entry's (from 0 for the first); a gap over 255 is bridged by
//   an entry of skip 255 and weight 0;
// - wv (float): the entries' weights, in the same order, all columns one after the other.
// Every output is the sum over the column's nonzero weights, k ascending, of a[i, k] * w, then
// alpha, beta * C and the activation, as templates/gemm.h: the dense sum minus terms that are
// exactly +-0 (for finite inputs the same value).
#pragma once

#include "activation.h"

#include "sparse_window.h"

#include <stdint.h>

namespace tk {

// P: M, N, K, alpha, beta, has_c, cs_m, cs_n, act/act_a/act_b (transA = 0).
template <class P>
void gemm_sparse_f32(const float* __restrict__ a, const int8_t* __restrict__ idx,
                     const float* __restrict__ wv, const float* __restrict__ c,
                     float* __restrict__ y) {
  for (int i = 0; i < P::M; ++i) {
    const uint8_t* s = reinterpret_cast<const uint8_t*>(idx);
    const float* w = wv;
    for (int j = 0; j < P::N; ++j) {
      const int cnt = sparse_count(s);
      s += 2;
      const float* xp = a + i * P::K;
      float acc = 0.0f;
      for (int e = 0; e < cnt; ++e) {
        xp += s[e];
        acc += *xp * w[e];
      }
      s += cnt;
      w += cnt;
      float v = acc;
      if constexpr (P::alpha != 1.0f) v *= P::alpha;
      if constexpr (P::has_c) v += P::beta * c[i * P::cs_m + j * P::cs_n];
      y[i * P::N + j] = activate<P>(v);
    }
  }
}

// One output pixel's window into col[4 * k] (0 for a padded tap), k = (ic, kd, kh, kw).
template <class P, bool Interior>
inline void sparse_gather_f32(const float* __restrict__ xn, int d0, int h0, int w0,
                              float* __restrict__ col) {
  for_window_taps<P, Interior>(d0, h0, w0,
                               [&](int k, int off, bool in) { col[4 * k] = in ? xn[off] : 0.0f; });
}

// Float Conv, one group, NCHW padded to three spatial axes (P as templates/conv.h with G = 1).
// idx/wv as for the Gemm, one column per output channel, k = (ic, kd, kh, kw). Four output
// pixels at a time: their windows go to the scratch ([K][4] floats, 0 for a padded tap, and
// 0 past the last pixel), then every channel walks its entries once for all four. Each output
// is bias + x * w over the nonzero weights in the evaluator's order (a padded tap adds 0 * w,
// which changes no sum). y may overlap x: each block of four pixels reads its windows before
// storing (compiler/ops/sparse_kernel.cpp sparse_conv_overlap_shift). Scratch: 4 * C * KD * KH * KW
// floats.
template <class P>
void conv_sparse_f32(const float* x, const int8_t* __restrict__ idx, const float* __restrict__ wv,
                     const float* __restrict__ bias, float* __restrict__ scratch, float* y) {
  constexpr int IDHW = P::ID * P::IH * P::IW, OHW = P::OH * P::OW, OSZ = P::OD * OHW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
  for (int n = 0; n < P::N; ++n) {
    const float* xn = x + n * P::C * IDHW;
    float* yn = y + n * P::M * OSZ;
    for (int p = 0; p < OSZ; p += 4) {
      const int np = OSZ - p < 4 ? OSZ - p : 4;
      for (int j = 0; j < 4; ++j) {
        if (j >= np) { // past the last pixel
          for (int k = 0; k < P::C * KSZ; ++k) scratch[4 * k + j] = 0.0f;
          continue;
        }
        const int o = p + j;
        const int d0 = o / OHW * P::SD - P::PD, h0 = o % OHW / P::OW * P::SH - P::PH,
                  w0 = o % P::OW * P::SW - P::PW;
        const bool interior = d0 >= 0 && d0 + (P::KD - 1) * P::DD < P::ID && h0 >= 0 &&
                              h0 + (P::KH - 1) * P::DH < P::IH && w0 >= 0 &&
                              w0 + (P::KW - 1) * P::DW < P::IW;
        if (interior)
          sparse_gather_f32<P, true>(xn, d0, h0, w0, scratch + j);
        else
          sparse_gather_f32<P, false>(xn, d0, h0, w0, scratch + j);
      }
      const uint8_t* s = reinterpret_cast<const uint8_t*>(idx);
      const float* w = wv;
      for (int m = 0; m < P::M; ++m) {
        const int cnt = sparse_count(s);
        s += 2;
        float a0 = 0.0f;
        if constexpr (P::has_bias) a0 = bias[m];
        float a1 = a0, a2 = a0, a3 = a0;
        const float* cp = scratch;
        for (int e = 0; e < cnt; ++e) {
          cp += 4 * s[e];
          const float we = w[e];
          a0 += cp[0] * we;
          a1 += cp[1] * we;
          a2 += cp[2] * we;
          a3 += cp[3] * we;
        }
        s += cnt;
        w += cnt;
        float* ym = yn + m * OSZ + p;
        ym[0] = activate<P>(a0);
        if (np > 1) ym[1] = activate<P>(a1);
        if (np > 2) ym[2] = activate<P>(a2);
        if (np > 3) ym[3] = activate<P>(a3);
      }
    }
  }
}

} // namespace tk
