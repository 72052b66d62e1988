// ONNX RNN (the simple Elman recurrence) over a whole sequence, float32:
//   h_t = f(W·x_t + R·h_{t-1} + Wb + Rb)
// Scratch: 2 * H floats (hidden state, gate row).
#pragma once

#include "rnn_common.h"

namespace tk {

template <class P, int Dir>
inline void rnn_f32_direction(const float* x, const float* w, const float* r, const float* bias,
                              const int32_t* lens, const float* h0, float* y, float* yh,
                              float* scratch) {
  constexpr int H = P::H;
  constexpr bool reverse = rnn_reverse<P, Dir>();
  const float* wd = w + Dir * H * P::I;
  const float* rd = r + Dir * H * H;
  const float* wb = rnn_bias<P, Dir, 1>(bias);
  const float* rb = P::has_B ? wb + H : nullptr;
  float* h = scratch;
  float* g = scratch + H;
  for (int b = 0; b < P::B; ++b) {
    const int len = rnn_seq_len<P>(lens, b);
    rnn_load_state<P, P::has_h0, Dir>(h, h0, b);
    for (int k = 0; k < len; ++k) {
      const int t = reverse ? len - 1 - k : k;
      rnn_gates<P, H>(wd, rd, wb, rb, x + rnn_x_offset<P>(t, b), h, g);
      for (int j = 0; j < H; ++j) h[j] = rnn_act_k<P, Dir, 1, 0>(rnn_clip<P>(g[j]));
      if constexpr (P::has_Y) rnn_copy<H>(h, y + rnn_y_offset<P>(t, Dir, b));
    }
    if constexpr (P::has_Y) rnn_zero_tail<P, Dir>(y, b, len);
    rnn_store_state<P, P::has_Yh, Dir>(yh, h, b, len);
  }
}

// Inputs X, W, R, B, sequence_lens, initial_h and outputs Y, Y_h; absent ones are null and
// never touched (P's has_* flags say which are present).
template <class P>
void rnn_f32(const float* x, const float* w, const float* r, const float* bias, const int32_t* lens,
             const float* h0, float* y, float* yh, float* scratch) {
  rnn_f32_direction<P, 0>(x, w, r, bias, lens, h0, y, yh, scratch);
  if constexpr (P::D == 2) rnn_f32_direction<P, 1>(x, w, r, bias, lens, h0, y, yh, scratch);
}

} // namespace tk
