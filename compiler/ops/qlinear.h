// What QConv and QGemm (compiler/ops/qconv.cpp, qgemm.cpp) share: their common attributes,
// the compile-time tables their kernels read (requantisation parameters, weights in
// kernel order), and the QDQ-rule steps that turn float scales, weights and biases into them.
#pragma once

#include "op_util.h"

#include "../../passes/qdq_rules.h"

#include <optional>

namespace tinyc::ops {

// x_zp, y_zp, act_lo, act_hi, mult[], shift[] of a QConv/QGemm node, validated: mult/shift
// hold one value or one per output channel (`channels`).
struct QLinearAttrs {
  int32_t x_zp = 0, y_zp = 0, act_lo = -128, act_hi = 127;
  std::vector<int32_t> mult, shift; // expanded to one per channel
};
QLinearAttrs qlinear_attrs(const Node& n, int64_t channels);

// The largest |accumulator| must stay in int32: K products of |x - zp| <= 255 and |w| <= 128,
// plus the bias. Throws "not supported" otherwise.
void check_accumulator_range(const Node& n, int64_t K, const TensorData* bias);

// The kernels' [M][3] requantisation table (templates/gemm_s8.h: requant_s8). `fast`: it
// holds (m31, C, t), else (mult, shift, 0); `ties`: some accumulator within `acc_bound` can
// land exactly halfway between two outputs; `zp_folded`: C includes the output zero point.
struct RequantTable {
  bool fast = false;
  bool ties = true;
  bool zp_folded = false;
  TensorData table; // int32 [M * 3]
};
RequantTable requant_table(const QLinearAttrs& a, double acc_bound);

// The largest |accumulator| of K products plus the bias.
double accumulator_bound(int64_t K, const TensorData* bias);

// Weights w int8 [M, K] (groups of `mg` channels, mg == M for one group) in the order both
// code paths of the kernels read them (templates/gemm_s8.h wq_index): per group, channels
// rounded up to even and K up to a multiple of 4 (padding zero), [MG/2][K4/4][2][4] int8.
// One byte per weight; the DSP path expands the pairs with SXTB16 at run time.
TensorData order_weights_s8(const TensorData& w, int64_t M, int64_t K, int64_t mg);

// Emits the common members of a QConv/QGemm parameter struct.
void add_qlinear_params(Params& p, const QLinearAttrs& a, const RequantTable& rq, bool has_bias);

// ---- QDQ rule helpers ----

// Input 0 of a QConv/QGemm: a per-tensor int8 activation.
bool is_int8_activation(const QdqInput& in);

// Weights of a rule: int8 constant with per-tensor or per-channel (along `channel_axis`)
// parameters, minus the zero point; nullopt when w - zp does not fit int8 or the layout
// does not match. `scales` gets one scale per output channel (size `channels`).
std::optional<TensorData> rule_weights(const Graph& g, const QdqInput& w, int64_t channel_axis,
                                       int64_t channels, std::vector<float>& scales);

// mult/shift per channel of float(s_x * s_w[c]) / s_y (onnxruntime's float32 arithmetic);
// false when some scale has no exact multiplier.
bool rule_multipliers(float sx, const std::vector<float>& sw, float sy, std::vector<int64_t>& mult,
                      std::vector<int64_t>& shift);

// The int32 bias [M] of a rule from input `b` (the float node's bias input, value -1 when
// absent): an int32 DequantizeLinear with scale s_x * s_w[c] and zero point 0 is taken as it
// is; any other constant bias (float, or dequantised with other parameters) is quantised to
// that scale now. `bias_values` gives each channel's real value from the bias tensor (for
// broadcast biases). nullopt when the bias is not constant or does not fit int32.
std::optional<TensorData> rule_bias(const Graph& g, const QdqInput& b, float sx,
                                    const std::vector<float>& sw, int64_t channels);

// Writes the common attributes onto the lowered node.
void set_qlinear_attrs(Node& n, int32_t x_zp, const QdqOutput& out, int32_t lo, int32_t hi,
                       const std::vector<int64_t>& mult, const std::vector<int64_t>& shift);

} // namespace tinyc::ops
