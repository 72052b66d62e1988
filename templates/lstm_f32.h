// ONNX LSTM over a whole sequence, float32. Gate order i, o, f, c in W, R and B; peepholes
// P in order i, o, f. P (the params struct, see rnn_common.h) adds input_forget.
// Scratch: 6 * H floats (hidden state, cell state, 4 gate rows).
#pragma once

#include "rnn_common.h"

namespace tk {

template <class P, int Dir>
inline void lstm_f32_direction(const float* x, const float* w, const float* r, const float* bias,
                               const int32_t* lens, const float* h0, const float* c0,
                               const float* peep, float* y, float* yh, float* yc, float* scratch) {
  constexpr int H = P::H;
  constexpr bool reverse = rnn_reverse<P, Dir>();
  const float* wd = w + Dir * 4 * H * P::I;
  const float* rd = r + Dir * 4 * H * H;
  const float* wb = rnn_bias<P, Dir, 4>(bias);
  const float* rb = P::has_B ? wb + 4 * H : nullptr;
  const float* pd = P::has_P ? peep + Dir * 3 * H : nullptr;
  float* h = scratch;
  float* c = scratch + H;
  float* g = scratch + 2 * H;
  for (int b = 0; b < P::B; ++b) {
    const int len = rnn_seq_len<P>(lens, b);
    rnn_load_state<P, P::has_h0, Dir>(h, h0, b);
    rnn_load_state<P, P::has_c0, Dir>(c, c0, b);
    for (int k = 0; k < len; ++k) {
      const int t = reverse ? len - 1 - k : k;
      rnn_gates<P, 4 * H>(wd, rd, wb, rb, x + rnn_x_offset<P>(t, b), h, g);
      for (int j = 0; j < H; ++j) {
        float gi = g[j], go = g[H + j], gf = g[2 * H + j];
        if constexpr (P::has_P) {
          gi = gi + pd[j] * c[j];
          gf = gf + pd[2 * H + j] * c[j];
        }
        const float i = rnn_act_k<P, Dir, 3, 0>(rnn_clip<P>(gi));
        float f;
        if constexpr (P::input_forget)
          f = 1.0f - i;
        else
          f = rnn_act_k<P, Dir, 3, 0>(rnn_clip<P>(gf));
        const float cand = rnn_act_k<P, Dir, 3, 1>(rnn_clip<P>(g[3 * H + j]));
        const float cell = f * c[j] + i * cand;
        c[j] = cell;
        if constexpr (P::has_P) go = go + pd[H + j] * cell;
        const float o = rnn_act_k<P, Dir, 3, 0>(rnn_clip<P>(go));
        h[j] = o * rnn_act_k<P, Dir, 3, 2>(cell);
      }
      if constexpr (P::has_Y) rnn_copy<H>(h, y + rnn_y_offset<P>(t, Dir, b));
    }
    if constexpr (P::has_Y) rnn_zero_tail<P, Dir>(y, b, len);
    rnn_store_state<P, P::has_Yh, Dir>(yh, h, b, len);
    rnn_store_state<P, P::has_Yc, Dir>(yc, c, b, len);
  }
  (void)pd;
}

// Inputs X, W, R, B, sequence_lens, initial_h, initial_c, P and outputs Y, Y_h, Y_c; absent
// ones are null and never touched (P's has_* flags say which are present).
template <class P>
void lstm_f32(const float* x, const float* w, const float* r, const float* bias,
              const int32_t* lens, const float* h0, const float* c0, const float* peep, float* y,
              float* yh, float* yc, float* scratch) {
  lstm_f32_direction<P, 0>(x, w, r, bias, lens, h0, c0, peep, y, yh, yc, scratch);
  if constexpr (P::D == 2)
    lstm_f32_direction<P, 1>(x, w, r, bias, lens, h0, c0, peep, y, yh, yc, scratch);
}

} // namespace tk
