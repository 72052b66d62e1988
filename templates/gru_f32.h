// ONNX GRU over a whole sequence, float32. Gate order z, r, h in W, R and B. P (the params
// struct, see rnn_common.h) adds linear_before_reset: whether the reset gate scales the
// recurrent product (Rh·h + Rbh) instead of the state before that product.
// Scratch: 5 * H floats (hidden state, reset state r * h, 3 gate rows).
#pragma once

#include "rnn_common.h"

namespace tk {

template <class P, int Dir>
inline void gru_f32_direction(const float* x, const float* w, const float* r, const float* bias,
                              const int32_t* lens, const float* h0, float* y, float* yh,
                              float* scratch) {
  constexpr int H = P::H, I = P::I;
  constexpr bool reverse = rnn_reverse<P, Dir>();
  const float* wd = w + Dir * 3 * H * I;
  const float* rd = r + Dir * 3 * H * H;
  const float* wb = rnn_bias<P, Dir, 3>(bias);
  const float* rb = P::has_B ? wb + 3 * H : nullptr;
  float* h = scratch;
  float* rh = scratch + H;
  float* g = scratch + 2 * H;
  for (int b = 0; b < P::B; ++b) {
    const int len = rnn_seq_len<P>(lens, b);
    rnn_load_state<P, P::has_h0, Dir>(h, h0, b);
    for (int k = 0; k < len; ++k) {
      const int t = reverse ? len - 1 - k : k;
      const float* xt = x + rnn_x_offset<P>(t, b);
      // Update and reset gates.
      rnn_gates<P, 2 * H>(wd, rd, wb, rb, xt, h, g);
      for (int j = 0; j < 2 * H; ++j) g[j] = rnn_act_k<P, Dir, 2, 0>(rnn_clip<P>(g[j]));
      // Candidate state.
      const float* wh = wd + 2 * H * I;
      const float* rhw = rd + 2 * H * H;
      if constexpr (P::linear_before_reset) {
        for (int j = 0; j < H; ++j) {
          float v = rnn_dot<I>(wh + j * I, xt);
          float rec = rnn_dot<H>(rhw + j * H, h);
          if constexpr (P::has_B) {
            v = v + wb[2 * H + j];
            rec = rec + rb[2 * H + j];
          }
          v = v + g[H + j] * rec;
          g[2 * H + j] = rnn_act_k<P, Dir, 2, 1>(rnn_clip<P>(v));
        }
      } else {
        for (int j = 0; j < H; ++j) rh[j] = g[H + j] * h[j];
        for (int j = 0; j < H; ++j) {
          float v = rnn_dot<I>(wh + j * I, xt) + rnn_dot<H>(rhw + j * H, rh);
          if constexpr (P::has_B) {
            v = v + wb[2 * H + j];
            v = v + rb[2 * H + j];
          }
          g[2 * H + j] = rnn_act_k<P, Dir, 2, 1>(rnn_clip<P>(v));
        }
      }
      for (int j = 0; j < H; ++j) {
        const float z = g[j];
        h[j] = (1.0f - z) * g[2 * H + j] + z * h[j];
      }
      if constexpr (P::has_Y) rnn_copy<H>(h, y + rnn_y_offset<P>(t, Dir, b));
    }
    if constexpr (P::has_Y) rnn_zero_tail<P, Dir>(y, b, len);
    rnn_store_state<P, P::has_Yh, Dir>(yh, h, b, len);
  }
}

// Inputs X, W, R, B, sequence_lens, initial_h and outputs Y, Y_h; absent ones are null and
// never touched (P's has_* flags say which are present).
template <class P>
void gru_f32(const float* x, const float* w, const float* r, const float* bias, const int32_t* lens,
             const float* h0, float* y, float* yh, float* scratch) {
  gru_f32_direction<P, 0>(x, w, r, bias, lens, h0, y, yh, scratch);
  if constexpr (P::D == 2) gru_f32_direction<P, 1>(x, w, r, bias, lens, h0, y, yh, scratch);
}

} // namespace tk
