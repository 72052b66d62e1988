// What the recurrent ops (lstm.cpp, gru.cpp, rnn.cpp) share: attribute parsing (direction,
// layout, activations with their alpha/beta, clip), the shape rules of their inputs and
// outputs, the reference recurrence over directions, batch entries and time steps, and the
// call of their kernel (templates/lstm_f32.h, gru_f32.h, rnn_f32.h).
//
// Inputs:  X, W, R, B, sequence_lens, initial_h, initial_c (LSTM), P (LSTM)
// Outputs: Y, Y_h, Y_c (LSTM)
#pragma once

#include "op_util.h"

#include <functional>
#include <string>
#include <vector>

namespace tinyc::ops::recurrent {

enum Input { kX = 0, kW, kR, kB, kLens, kH0, kC0, kPeep };
enum Output { kY = 0, kYh, kYc };

// Numbering shared with templates/rnn_common.h (RNN_ACT_*).
enum class RnnAct {
  Sigmoid,
  Tanh,
  Relu,
  HardSigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  Elu,
  Softsign,
  Softplus
};

struct Activation {
  RnnAct kind = RnnAct::Sigmoid;
  float alpha = 0, beta = 0;
};
// The reference formula; templates/rnn_common.h rnn_act() computes the same in the same order.
float activate(const Activation& a, float x);

// Everything an op's attributes and input shapes decide.
struct Config {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  int direction = 0; // 0 forward, 1 reverse, 2 bidirectional
  int layout = 0;    // 0: [seq, batch, ...]; 1: [batch, seq, ...]
  bool has_clip = false;
  float clip = 0;
  int per_dir = 1;                  // activations per direction
  std::vector<Activation> acts;     // dirs * per_dir
  bool input_forget = false;        // LSTM
  bool linear_before_reset = false; // GRU

  const Activation& act(int64_t dir, int k) const { return acts[size_t(dir * per_dir + k)]; }
  float clipped(float x) const {
    if (!has_clip) return x;
    return x < -clip ? -clip : (x > clip ? clip : x);
  }
  Shape state_shape() const {
    return layout == 0 ? Shape{dirs, batch, hidden} : Shape{batch, dirs, hidden};
  }
  Shape y_shape() const {
    return layout == 0 ? Shape{seq, dirs, batch, hidden} : Shape{batch, seq, dirs, hidden};
  }
};

// One time step of one direction: updates the hidden state h (and the cell state c of an
// LSTM) in place from the input row x, reading weights for direction `dir` from `in`.
using Step = std::function<void(const Config& c, const Inputs& in, int64_t dir, const float* x,
                                float* h, float* cell)>;

// What differs between LSTM, GRU and RNN.
struct Kind {
  const char* op_type;
  int gates;                             // rows of W per hidden unit: 4, 3, 1
  std::vector<std::string> default_acts; // per direction: f, g, h
  int max_inputs;                        // 8 for LSTM, 6 otherwise
  int max_outputs;                       // 3 for LSTM, 2 otherwise
  bool cell_state;                       // LSTM: initial_c, Y_c
  const char* kernel;                    // template name, also the kernel function
  int scratch_per_hidden;                // scratch floats per hidden unit (see the template)
  Step step;
};

// Input k when the node has it, else nullptr.
inline const TensorData* opt_input(const Inputs& in, size_t k) {
  return k < in.size() ? in[k] : nullptr;
}

// a·b over n elements, summed front to back like the kernels' rnn_dot.
float dot(const float* a, const float* b, int64_t n);

// W[row]·x + R[row]·h (+ Wb[row] + Rb[row] when wb is given), summed in the kernel's order.
float gate_preactivation(const float* w, const float* r, const float* wb, const float* rb,
                         const float* x, const float* h, int64_t input, int64_t hidden,
                         int64_t row);

Config parse_config(const Kind& k, const Node& n, const Shape& x, const Shape& w);

// The OpDef of a recurrent op: infer, eval, emit, macs and scratch from its Kind.
OpDef make_recurrent_op(const Kind& k);

} // namespace tinyc::ops::recurrent
