// Pieces shared by the recurrent kernels (lstm_f32.h, gru_f32.h, rnn_f32.h): the gate
// activations ONNX lets a model choose, the two tensor layouts, sequence lengths and the
// matrix-vector products of the gates.
//
// Every (direction, batch entry) pair is an independent recurrence, so the kernels run them one
// after the other with the state of a single pair in the node's scratch buffer. The parameter
// struct P carries:
//   S, B, I, H       sequence length, batch, input size, hidden size
//   D, direction     number of directions; 0 forward, 1 reverse, 2 bidirectional
//   layout           0: X [S,B,I], Y [S,D,B,H], states [D,B,H]; 1: X [B,S,I], Y [B,S,D,H],
//                    states [B,D,H]
//   has_B, has_lens, has_h0, has_c0, has_P, has_Y, has_Yh, has_Yc   optional inputs/outputs
//   acts[], alphas[], betas[]   activation ids (RNN_ACT_*) and their parameters, per direction
//   has_clip, clip   bound applied to every gate's pre-activation
#pragma once

#include <math.h>
#include <stdint.h>

namespace tk {

// Numbering shared with compiler/ops/recurrent_common.h (enum class RnnAct).
enum {
  RNN_ACT_SIGMOID = 0,
  RNN_ACT_TANH = 1,
  RNN_ACT_RELU = 2,
  RNN_ACT_HARD_SIGMOID = 3,
  RNN_ACT_AFFINE = 4,
  RNN_ACT_LEAKY_RELU = 5,
  RNN_ACT_THRESHOLDED_RELU = 6,
  RNN_ACT_SCALED_TANH = 7,
  RNN_ACT_ELU = 8,
  RNN_ACT_SOFTSIGN = 9,
  RNN_ACT_SOFTPLUS = 10
};

template <int Id> inline float rnn_act(float x, float a, float b) {
  if constexpr (Id == RNN_ACT_SIGMOID)
    return 1.0f / (1.0f + expf(-x));
  else if constexpr (Id == RNN_ACT_TANH)
    return tanhf(x);
  else if constexpr (Id == RNN_ACT_RELU)
    return x < 0.0f ? 0.0f : x;
  else if constexpr (Id == RNN_ACT_HARD_SIGMOID) {
    const float v = a * x + b;
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  } else if constexpr (Id == RNN_ACT_AFFINE)
    return a * x + b;
  else if constexpr (Id == RNN_ACT_LEAKY_RELU)
    return x < 0.0f ? a * x : x;
  else if constexpr (Id == RNN_ACT_THRESHOLDED_RELU)
    return x > a ? x : 0.0f;
  else if constexpr (Id == RNN_ACT_SCALED_TANH)
    return a * tanhf(b * x);
  else if constexpr (Id == RNN_ACT_ELU)
    return x < 0.0f ? a * (expf(x) - 1.0f) : x;
  else if constexpr (Id == RNN_ACT_SOFTSIGN)
    return x / (1.0f + fabsf(x));
  else {
    // log(1 + e^x) without overflowing e^x for large x.
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
  }
}

// Activation number K (f, g, h, ...) of direction Dir, K of them per direction.
template <class P, int Dir, int PerDir, int K> inline float rnn_act_k(float x) {
  constexpr int idx = Dir * PerDir + K;
  return rnn_act<P::acts[idx]>(x, P::alphas[idx], P::betas[idx]);
}

template <class P> inline float rnn_clip(float x) {
  if constexpr (P::has_clip)
    return x < -P::clip ? -P::clip : (x > P::clip ? P::clip : x);
  else
    return x;
}

// Whether direction Dir walks the sequence backwards.
template <class P, int Dir> constexpr bool rnn_reverse() {
  return P::direction == 1 || (P::direction == 2 && Dir == 1);
}

// Valid steps of batch entry b: sequence_lens[b] clamped to [0, S], or S without lengths.
template <class P> inline int rnn_seq_len(const int32_t* lens, int b) {
  if constexpr (P::has_lens) {
    const int32_t v = lens[b];
    return v < 0 ? 0 : (v > P::S ? P::S : int(v));
  } else {
    (void)lens;
    (void)b;
    return P::S;
  }
}

template <class P> constexpr int rnn_x_offset(int t, int b) {
  return P::layout == 0 ? (t * P::B + b) * P::I : (b * P::S + t) * P::I;
}
template <class P> constexpr int rnn_y_offset(int t, int d, int b) {
  return P::layout == 0 ? ((t * P::D + d) * P::B + b) * P::H : ((b * P::S + t) * P::D + d) * P::H;
}
template <class P> constexpr int rnn_state_offset(int d, int b) {
  return P::layout == 0 ? (d * P::B + b) * P::H : (b * P::D + d) * P::H;
}

template <int N> inline void rnn_copy(const float* src, float* dst) {
  for (int i = 0; i < N; ++i) dst[i] = src[i];
}
template <int N> inline void rnn_zero(float* dst) {
  for (int i = 0; i < N; ++i) dst[i] = 0.0f;
}

// Summed front to back like the evaluator; unrolled by 4 (same order) so that on Cortex-M the
// loop overhead is paid once per four multiply-accumulates.
template <int N> inline float rnn_dot(const float* a, const float* b) {
  constexpr int N4 = N - N % 4;
  float s = 0.0f;
  for (int i = 0; i < N4; i += 4) {
    s += a[i] * b[i];
    s += a[i + 1] * b[i + 1];
    s += a[i + 2] * b[i + 2];
    s += a[i + 3] * b[i + 3];
  }
  for (int i = N4; i < N; ++i) s += a[i] * b[i];
  return s;
}

// The initial state of (Dir, b): initial_h / initial_c when given, zeros otherwise.
template <class P, bool Given, int Dir>
inline void rnn_load_state(float* s, const float* init, int b) {
  if constexpr (Given)
    rnn_copy<P::H>(init + rnn_state_offset<P>(Dir, b), s);
  else {
    (void)init;
    (void)b;
    rnn_zero<P::H>(s);
  }
}

// The final state of (Dir, b) into Y_h / Y_c; an empty sequence yields zeros (as onnxruntime).
template <class P, bool Wanted, int Dir>
inline void rnn_store_state(float* out, const float* s, int b, int len) {
  if constexpr (Wanted) {
    float* o = out + rnn_state_offset<P>(Dir, b);
    if (len > 0)
      rnn_copy<P::H>(s, o);
    else
      rnn_zero<P::H>(o);
  } else {
    (void)out;
    (void)s;
    (void)b;
    (void)len;
  }
}

// Y at the steps past the length of batch entry b is zero.
template <class P, int Dir> inline void rnn_zero_tail(float* y, int b, int len) {
  for (int t = len; t < P::S; ++t) rnn_zero<P::H>(y + rnn_y_offset<P>(t, Dir, b));
}

// g[j] = W[j]·x + R[j]·h (+ Wb[j] + Rb[j]) for Rows consecutive gate rows.
template <class P, int Rows>
inline void rnn_gates(const float* w, const float* r, const float* wb, const float* rb,
                      const float* x, const float* h, float* g) {
  for (int j = 0; j < Rows; ++j) {
    float v = rnn_dot<P::I>(w + j * P::I, x) + rnn_dot<P::H>(r + j * P::H, h);
    if constexpr (P::has_B) {
      v = v + wb[j];
      v = v + rb[j];
    }
    g[j] = v;
  }
  if constexpr (!P::has_B) {
    (void)wb;
    (void)rb;
  }
}

// Bias of direction Dir: W biases of its G gates, then R biases (null without B).
template <class P, int Dir, int G> inline const float* rnn_bias(const float* bias) {
  if constexpr (P::has_B)
    return bias + Dir * 2 * G * P::H;
  else {
    (void)bias;
    return nullptr;
  }
}

} // namespace tk
