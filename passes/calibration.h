// The arithmetic of post-training quantisation (passes/quantize.cpp): value statistics over a
// calibration set, the range each calibration method keeps, int8 activation parameters, and
// symmetric per-channel weights with their int32 bias.
#pragma once

#include "../compiler/ir.h"

#include <optional>
#include <string>
#include <vector>

namespace tinyc {

enum class CalibMethod { MinMax, Percentile, Mse };

std::optional<CalibMethod> parse_calib_method(const std::string& name); // "minmax", ...
const char* calib_method_name(CalibMethod m);

// What the calibration set showed of one float value: its extremes, and a histogram over
// them (filled in a second sweep, once the extremes are known).
struct ValueStats {
  double min = 0, max = 0;
  bool seen = false;
  std::vector<double> hist; // counts of equal-width bins over [min, max], zeros excluded
  double zeros = 0;         // exact zeros (after Relu, padding...): quantised without error
  void observe_range(const float* x, int64_t n);
  void start_histogram(int bins);
  void observe_histogram(const float* x, int64_t n);
  double total() const;
};

struct Range {
  double lo = 0, hi = 0;
};

// The range to quantise: minmax keeps every value; percentile clips the rarest `percentile`
// complement at each tail; mse picks the clipping bounds that minimise the expected squared
// quantisation error (rounding noise inside, clipping error outside) over the histogram.
Range choose_range(const ValueStats& s, CalibMethod m, double percentile = 99.99);

// Expected squared error per element of quantising the histogram of s with int8 parameters q.
double quantization_mse(const ValueStats& s, const QuantParam& q);

// int8 asymmetric per-tensor parameters covering [lo, hi] extended to include 0, with an
// integer zero point (so 0.0 is exact) and a scale > 0 (1.0 for an all-zero range).
QuantParam activation_param(double lo, double hi);

// Symmetric int8 weights per channel along `axis` (levels -127..127, zero point 0).
struct ChannelQuant {
  TensorData q;             // int8, shape of the weights
  std::vector<float> scale; // one per channel, > 0 (all-zero channels get a neighbour's)
};
ChannelQuant quantize_weights(const TensorData& w, int64_t axis);

// int32 bias with scale fl(x_scale * w_scale[c]) per channel, as onnxruntime computes it.
struct BiasQuant {
  TensorData q;
  std::vector<float> scale;
};
BiasQuant quantize_bias(const TensorData& b, float x_scale, const std::vector<float>& w_scale);

} // namespace tinyc
