// LSTM: reference step (gate order i, o, f, c; peepholes i, o, f) and registration. The kernel
// is templates/lstm_f32.h; shapes, layouts and the sequence walk are in recurrent_common.
#include "recurrent_common.h"

namespace tinyc::ops {
namespace {

using namespace recurrent;

void lstm_step(const Config& c, const Inputs& in, int64_t d, const float* x, float* h,
               float* cell) {
  const int64_t H = c.hidden, I = c.input;
  const float* w = in[kW]->data<float>() + d * 4 * H * I;
  const float* r = in[kR]->data<float>() + d * 4 * H * H;
  const TensorData* bias = opt_input(in, kB);
  const float* wb = bias ? bias->data<float>() + d * 8 * H : nullptr;
  const float* rb = bias ? wb + 4 * H : nullptr;
  const TensorData* peep = opt_input(in, kPeep);
  const float* p = peep ? peep->data<float>() + d * 3 * H : nullptr;
  std::vector<float> g(size_t(4 * H));
  for (int64_t j = 0; j < 4 * H; ++j)
    g[size_t(j)] = gate_preactivation(w, r, wb, rb, x, h, I, H, j);
  const Activation &fa = c.act(d, 0), &ga = c.act(d, 1), &ha = c.act(d, 2);
  for (int64_t j = 0; j < H; ++j) {
    float gi = g[size_t(j)], go = g[size_t(H + j)], gf = g[size_t(2 * H + j)];
    if (p) {
      gi = gi + p[j] * cell[j];
      gf = gf + p[2 * H + j] * cell[j];
    }
    const float i = activate(fa, c.clipped(gi));
    // input_forget couples the gates: what is let in is forgotten.
    const float f = c.input_forget ? 1.0f - i : activate(fa, c.clipped(gf));
    const float cand = activate(ga, c.clipped(g[size_t(3 * H + j)]));
    const float ct = f * cell[j] + i * cand;
    cell[j] = ct;
    if (p) go = go + p[H + j] * ct; // the output gate peeks at the new cell state
    const float o = activate(fa, c.clipped(go));
    h[j] = o * activate(ha, ct);
  }
}

OpDef lstm_def() {
  return make_recurrent_op(
      Kind{"LSTM", 4, {"Sigmoid", "Tanh", "Tanh"}, 8, 3, true, "lstm_f32", 6, lstm_step});
}

TINYC_REGISTER_OP(lstm_def);

} // namespace
} // namespace tinyc::ops
