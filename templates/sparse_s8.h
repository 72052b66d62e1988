// Sparse int8 kernels for unstructured sparsity (--prune-method unstructured): QGemm and QConv
// with one group, looping over the nonzero weights only. The compiler picks them per layer
// (compiler/ops/sparse_kernel.cpp: cost model, docs/sparse_kernels.md) when they are both
// smaller and faster than the dense kernels of templates/gemm_s8.h and conv_s8.h.
//
// Weight stream (one byte array, compiler/ops/sparse_kernel.cpp encode_sparse_s8):
//   for each output channel m: count (uint16, little endian, 2 bytes), then `count` entries
//   of 2 bytes (skip, weight): skip = uint8 distance of this weight's index k from the
//   previous entry's (from 0 for the first entry), weight = int8. A gap longer than 255 is
//   bridged by entries (255, 0): zero weights that add nothing.
// The index k runs over the layer's dense reduction axis: K for QGemm, (ic, kd, kh, kw) for
// QConv, like the dense kernels.
//
// Results are bit-identical to the dense kernels: the accumulator is the same exact integer
// sum (zero weights contribute nothing), requantised by requant_s8 (tk::requantize).
#pragma once

#include "gemm_s8.h"

#include "sparse_window.h"

#include <stdint.h>

namespace tk {

// QGemm: y[n, m] = requant(bias[m] + sum over the channel's entries of a[n, k] * w).
// bias: the compiler folds the input zero point in, bias[m] = b[m] - x_zp * sum_k w[m, k]
// (always present). The sum runs modulo 2^32: the total is the dense kernel's exact int32
// accumulator, the partial sums (with the folded bias) need not fit int32.
// P: N, M, K, x_zp, y_zp, act_lo, act_hi, fast_rq, ties, zp_folded.
template <class P>
void qgemm_sparse_s8(const int8_t* __restrict__ a, const int8_t* __restrict__ ws,
                     const int32_t* __restrict__ bias, const int32_t* __restrict__ rq,
                     int8_t* __restrict__ y) {
  for (int n = 0; n < P::N; ++n) {
    const uint8_t* s = reinterpret_cast<const uint8_t*>(ws);
    for (int m = 0; m < P::M; ++m) {
      const int cnt = sparse_count(s);
      s += 2;
      const int8_t* xp = a + n * P::K;
      uint32_t acc = uint32_t(bias[m]);
      for (int i = 0; i < cnt; ++i, s += 2) {
        xp += s[0];
        acc += uint32_t(int32_t(*xp) * int32_t(int8_t(s[1])));
      }
      y[n * P::M + m] = int8_t(requant_s8<P>(int32_t(acc), rq + 3 * m));
    }
  }
}

// One output pixel's window as (x - x_zp) (0 for a padded tap) into slot `j` of the column:
// col16[4 * k + j], k = (ic, kd, kh, kw).
template <class P, bool Interior>
inline void sparse_gather(const int8_t* __restrict__ xn, int d0, int h0, int w0,
                          i16_alias* __restrict__ col16, int j) {
  for_window_taps<P, Interior>(d0, h0, w0, [&](int k, int off, bool in) {
    col16[4 * k + j] = in ? int16_t(xn[off] - P::x_zp) : int16_t(0);
  });
}

template <class P>
inline void sparse_gather_pixel(const int8_t* __restrict__ xn, int o, i16_alias* __restrict__ col16,
                                int j) {
  constexpr int OHW = P::OH * P::OW;
  const int d0 = o / OHW * P::SD - P::PD, h0 = o % OHW / P::OW * P::SH - P::PH,
            w0 = o % P::OW * P::SW - P::PW;
  const bool interior = d0 >= 0 && d0 + (P::KD - 1) * P::DD < P::ID && h0 >= 0 &&
                        h0 + (P::KH - 1) * P::DH < P::IH && w0 >= 0 &&
                        w0 + (P::KW - 1) * P::DW < P::IW;
  if (interior)
    sparse_gather<P, true>(xn, d0, h0, w0, col16, j);
  else
    sparse_gather<P, false>(xn, d0, h0, w0, col16, j);
}

// QConv, one group, NCHW padded to three spatial axes (P as templates/conv_s8.h, G == 1).
// Four output pixels at a time: their windows go to the scratch as two words per k (pixels
// p, p + 1 in the halves of the first, p + 2, p + 3 in the second), then every channel walks
// its entries once for all four (SMLABB / SMLABT: one decoded weight, four products). Past the
// last pixel the slots hold 0 and the sums are not stored. In place: y may overlap x (no
// __restrict__): every block of four pixels reads its windows before storing its outputs, the
// order compiler/ops/sparse_kernel.cpp sparse_conv_overlap_shift replays.
// Scratch: 2 * C * KD * KH * KW words.
template <class P>
void qconv_sparse_s8(const int8_t* x, const int8_t* __restrict__ ws,
                     const int32_t* __restrict__ bias, const int32_t* __restrict__ rq,
                     int32_t* __restrict__ scratch, int8_t* y) {
  constexpr int IDHW = P::ID * P::IH * P::IW, OSZ = P::OD * P::OH * P::OW;
  constexpr int K = P::C * P::KD * P::KH * P::KW;
  i16_alias* col16 = reinterpret_cast<i16_alias*>(scratch);
  for (int n = 0; n < P::N; ++n) {
    const int8_t* xn = x + n * P::C * IDHW;
    int8_t* yn = y + n * P::M * OSZ;
    for (int p = 0; p < OSZ; p += 4) {
      const int np = OSZ - p < 4 ? OSZ - p : 4;
      for (int j = 0; j < np; ++j) sparse_gather_pixel<P>(xn, p + j, col16, j);
      if (np < 4)
        for (int k = 0; k < K; ++k)
          for (int j = np; j < 4; ++j) col16[4 * k + j] = 0;
      const uint8_t* s = reinterpret_cast<const uint8_t*>(ws);
      for (int m = 0; m < P::M; ++m) {
        const int cnt = sparse_count(s);
        s += 2;
        int32_t a0 = P::has_bias ? bias[m] : 0, a1 = a0, a2 = a0, a3 = a0;
        const i32_alias* cp = scratch;
        for (int i = 0; i < cnt; ++i, s += 2) {
          cp += 2 * s[0];
          const int32_t v0 = cp[0], v1 = cp[1], w = int8_t(s[1]);
          a0 = dsp_smlabb(w, v0, a0);
          a1 = dsp_smlabt(w, v0, a1);
          a2 = dsp_smlabb(w, v1, a2);
          a3 = dsp_smlabt(w, v1, a3);
        }
        const int32_t* r = rq + 3 * m;
        int8_t* ym = yn + m * OSZ + p;
        ym[0] = int8_t(requant_s8<P>(a0, r));
        if (np > 1) ym[1] = int8_t(requant_s8<P>(a1, r));
        if (np > 2) ym[2] = int8_t(requant_s8<P>(a2, r));
        if (np > 3) ym[3] = int8_t(requant_s8<P>(a3, r));
      }
    }
  }
}

} // namespace tk
