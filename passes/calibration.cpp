#include "calibration.h"

#include "../compiler/quant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tinyc {

std::optional<CalibMethod> parse_calib_method(const std::string& name) {
  if (name == "minmax") return CalibMethod::MinMax;
  if (name == "percentile") return CalibMethod::Percentile;
  if (name == "mse") return CalibMethod::Mse;
  return std::nullopt;
}

const char* calib_method_name(CalibMethod m) {
  switch (m) {
  case CalibMethod::MinMax:
    return "minmax";
  case CalibMethod::Percentile:
    return "percentile";
  default:
    return "mse";
  }
}

void ValueStats::observe_range(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    if (!seen) min = max = x[i];
    seen = true;
    min = std::min(min, double(x[i]));
    max = std::max(max, double(x[i]));
  }
}

void ValueStats::start_histogram(int bins) {
  hist.assign(size_t(bins), 0.0);
  zeros = 0;
}

void ValueStats::observe_histogram(const float* x, int64_t n) {
  if (hist.empty()) return;
  const double width = max - min;
  const double bins = double(hist.size());
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    if (x[i] == 0.0f) {
      zeros += 1;
      continue;
    }
    double b = width > 0 ? (double(x[i]) - min) / width * bins : 0;
    size_t k = size_t(std::clamp(b, 0.0, bins - 1));
    hist[k] += 1;
  }
}

double ValueStats::total() const {
  double t = zeros;
  for (double c : hist) t += c;
  return t;
}

QuantParam activation_param(double lo, double hi) {
  const double rmin = std::min(lo, 0.0), rmax = std::max(hi, 0.0);
  QuantParam q;
  if (!(rmax - rmin > 1e-30) || !std::isfinite(rmax - rmin)) return q; // scale 1, zero point 0
  // Smaller scales could not be requantised in integers (compiler/quant.h).
  q.scale = std::max(float((rmax - rmin) / 255.0), 1e-9f);
  const double zp = std::nearbyint(-128.0 - rmin / double(q.scale));
  q.zero_point = int32_t(std::clamp(zp, -128.0, 127.0));
  return q;
}

// Centre of histogram bin k.
static double bin_center(const ValueStats& s, size_t k) {
  return s.min + (double(k) + 0.5) * (s.max - s.min) / double(s.hist.size());
}

double quantization_mse(const ValueStats& s, const QuantParam& q) {
  const double lo = (-128.0 - q.zero_point) * q.scale, hi = (127.0 - q.zero_point) * q.scale;
  const double rounding = double(q.scale) * q.scale / 12.0;
  double err = 0, total = 0;
  for (size_t k = 0; k < s.hist.size(); ++k) {
    if (s.hist[k] == 0) continue;
    const double x = bin_center(s, k);
    const double clip = x < lo ? lo - x : x > hi ? x - hi : 0.0;
    err += s.hist[k] * (clip > 0 ? clip * clip : rounding);
    total += s.hist[k];
  }
  total += s.zeros; // zero is exact: no error
  return total > 0 ? err / total : 0.0;
}

// The value below which a fraction `tail` of the histogram lies (linear within a bin).
static double quantile(const ValueStats& s, double tail) {
  const double target = tail * s.total();
  const double bins = double(s.hist.size());
  const double width = (s.max - s.min) / bins;
  // The exact zeros belong to the bin holding 0.
  const size_t zero_bin = size_t(std::clamp((0.0 - s.min) / width, 0.0, bins - 1));
  double acc = 0;
  for (size_t k = 0; k < s.hist.size(); ++k) {
    const double c = s.hist[k] + (k == zero_bin ? s.zeros : 0.0);
    if (acc + c >= target && c > 0) return s.min + width * (double(k) + (target - acc) / c);
    acc += c;
  }
  return s.max;
}

static Range mse_range(const ValueStats& s) {
  Range best{s.min, s.max};
  double best_err = quantization_mse(s, activation_param(best.lo, best.hi));
  const int steps = 128;
  // Coordinate descent: the upper bound with the lower fixed, then the lower, twice over.
  for (int round = 0; round < 2; ++round) {
    for (int side = 0; side < 2; ++side) {
      const double end = side == 0 ? std::max(s.max, 0.0) : std::min(s.min, 0.0);
      if (end == 0) continue;
      Range r = best;
      for (int k = 1; k <= steps; ++k) {
        (side == 0 ? r.hi : r.lo) = end * k / steps;
        const double e = quantization_mse(s, activation_param(r.lo, r.hi));
        if (e < best_err) {
          best_err = e;
          best = r;
        }
      }
    }
  }
  return best;
}

Range choose_range(const ValueStats& s, CalibMethod m, double percentile) {
  if (!s.seen) return {0, 0};
  if (m == CalibMethod::MinMax || s.hist.empty() || s.max == s.min) return {s.min, s.max};
  if (m == CalibMethod::Percentile) {
    const double tail = std::clamp(1.0 - percentile / 100.0, 0.0, 0.5);
    return {quantile(s, tail), quantile(s, 1.0 - tail)};
  }
  return mse_range(s);
}

ChannelQuant quantize_weights(const TensorData& w, int64_t axis) {
  const Shape& sh = w.shape;
  int64_t outer = 1, C = 1, inner = 1;
  for (int64_t i = 0; i < int64_t(sh.size()); ++i)
    (i < axis ? outer : i == axis ? C : inner) *= sh[size_t(i)];
  std::vector<double> absmax(size_t(C), 0.0);
  const float* x = w.data<float>();
  for (int64_t o = 0, i = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < inner; ++k, ++i)
        if (std::isfinite(x[i]))
          absmax[size_t(c)] = std::max(absmax[size_t(c)], std::fabs(double(x[i])));
  ChannelQuant r;
  r.q = TensorData(DType::I8, sh);
  // An all-zero channel gets the smallest scale of the others, which keeps its bias precise
  // and its requantisation multiplier in the range of its neighbours'.
  float fallback = 0;
  for (double a : absmax)
    if (a > 0) {
      const float s = std::max(float(a / 127.0), 1e-9f);
      fallback = fallback == 0 ? s : std::min(fallback, s);
    }
  if (fallback == 0) fallback = 1.0f / 127.0f;
  for (double a : absmax) r.scale.push_back(a > 0 ? std::max(float(a / 127.0), 1e-9f) : fallback);
  int8_t* q = r.q.data<int8_t>();
  for (int64_t o = 0, i = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < inner; ++k, ++i)
        q[i] = int8_t(std::max(-127, quantize_value(std::isfinite(x[i]) ? x[i] : 0.0f,
                                                    r.scale[size_t(c)], 0, DType::I8)));
  return r;
}

BiasQuant quantize_bias(const TensorData& b, float x_scale, const std::vector<float>& w_scale) {
  BiasQuant r;
  r.q = TensorData(DType::I32, b.shape);
  const float* x = b.data<float>();
  const double lim = double(std::numeric_limits<int32_t>::max());
  for (size_t c = 0; c < w_scale.size(); ++c) {
    const float s = x_scale * w_scale[c];
    r.scale.push_back(s > 0 ? s : std::numeric_limits<float>::min());
    const double v = std::isfinite(x[c]) ? std::nearbyint(double(x[c]) / r.scale[c]) : 0.0;
    r.q.data<int32_t>()[c] = int32_t(std::clamp(v, -lim, lim));
  }
  return r;
}

} // namespace tinyc
