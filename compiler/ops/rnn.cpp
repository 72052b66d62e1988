// RNN (simple Elman recurrence): reference step and registration. The kernel is
// templates/rnn_f32.h; shapes, layouts and the sequence walk are in recurrent_common.
#include "recurrent_common.h"

namespace tinyc::ops {
namespace {

using namespace recurrent;

void rnn_step(const Config& c, const Inputs& in, int64_t d, const float* x, float* h, float*) {
  const int64_t H = c.hidden, I = c.input;
  const float* w = in[kW]->data<float>() + d * H * I;
  const float* r = in[kR]->data<float>() + d * H * H;
  const TensorData* bias = opt_input(in, kB);
  const float* wb = bias ? bias->data<float>() + d * 2 * H : nullptr;
  const float* rb = bias ? wb + H : nullptr;
  std::vector<float> next(static_cast<size_t>(H));
  for (int64_t j = 0; j < H; ++j)
    next[size_t(j)] =
        activate(c.act(d, 0), c.clipped(gate_preactivation(w, r, wb, rb, x, h, I, H, j)));
  std::copy(next.begin(), next.end(), h);
}

OpDef rnn_def() {
  return make_recurrent_op(Kind{"RNN", 1, {"Tanh"}, 6, 2, false, "rnn_f32", 2, rnn_step});
}

TINYC_REGISTER_OP(rnn_def);

} // namespace
} // namespace tinyc::ops
