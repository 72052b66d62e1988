// GRU: reference step (gate order z, r, h; linear_before_reset) and registration. The kernel
// is templates/gru_f32.h; shapes, layouts and the sequence walk are in recurrent_common.
#include "recurrent_common.h"

namespace tinyc::ops {
namespace {

using namespace recurrent;

void gru_step(const Config& c, const Inputs& in, int64_t d, const float* x, float* h, float*) {
  const int64_t H = c.hidden, I = c.input;
  const float* w = in[kW]->data<float>() + d * 3 * H * I;
  const float* r = in[kR]->data<float>() + d * 3 * H * H;
  const TensorData* bias = opt_input(in, kB);
  const float* wb = bias ? bias->data<float>() + d * 6 * H : nullptr;
  const float* rb = bias ? wb + 3 * H : nullptr;
  const Activation &fa = c.act(d, 0), &ga = c.act(d, 1);
  std::vector<float> zr(static_cast<size_t>(2 * H)), cand(static_cast<size_t>(H));
  for (int64_t j = 0; j < 2 * H; ++j)
    zr[size_t(j)] = activate(fa, c.clipped(gate_preactivation(w, r, wb, rb, x, h, I, H, j)));
  const float* z = zr.data();
  const float* reset = zr.data() + H;
  for (int64_t j = 0; j < H; ++j) {
    const int64_t row = 2 * H + j;
    float v;
    if (c.linear_before_reset) {
      // h~ = g(Wh·x + Wbh + r * (Rh·h + Rbh))
      v = dot(w + row * I, x, I);
      float rec = dot(r + row * H, h, H);
      if (bias) {
        v = v + wb[row];
        rec = rec + rb[row];
      }
      v = v + reset[j] * rec;
    } else {
      // h~ = g(Wh·x + Rh·(r * h) + Wbh + Rbh)
      std::vector<float> rh(static_cast<size_t>(H));
      for (int64_t k = 0; k < H; ++k) rh[size_t(k)] = reset[k] * h[k];
      v = gate_preactivation(w, r, wb, rb, x, rh.data(), I, H, row);
    }
    cand[size_t(j)] = activate(ga, c.clipped(v));
  }
  for (int64_t j = 0; j < H; ++j) h[j] = (1.0f - z[j]) * cand[size_t(j)] + z[j] * h[j];
}

OpDef gru_def() {
  return make_recurrent_op(
      Kind{"GRU", 3, {"Sigmoid", "Tanh"}, 6, 2, false, "gru_f32", 5, gru_step});
}

TINYC_REGISTER_OP(gru_def);

} // namespace
} // namespace tinyc::ops
