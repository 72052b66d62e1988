// How much int8 quantisation changes a model's results, measured on data: the quantised graph
// (as compiled, int8 kernels' reference semantics included) against the float graph it came
// from.
#pragma once

#include "ir.h"

#include <functional>
#include <string>
#include <vector>

namespace tinyc {

struct QuantAccuracy {
  std::string data; // "validation" or "calibration"
  int64_t samples = 0;
  double snr_db = 0;        // 10 log10(sum float^2 / sum (int8 - float)^2) over all outputs
  bool exact = false;       // no difference at all (snr_db is then meaningless)
  double max_abs_error = 0; // largest |int8 - float| over all outputs
  bool has_labels = false;  // top-1 below were measured against labels
  double top1_float = 0, top1_int8 = 0; // fraction of samples whose argmax of output 0 is right
  double top1_agreement = 0;            // fraction where both graphs pick the same class
};

// Evaluates both graphs on every sample. `labels` may be empty; otherwise one per sample.
QuantAccuracy measure_quant_accuracy(
    const Graph& float_graph, const Graph& quant_graph,
    const std::vector<std::vector<TensorData>>& samples, const std::vector<int64_t>& labels,
    const std::string& data,
    const std::function<void(const std::string&, int64_t, int64_t)>& progress = {});

// One line for the compile summary, e.g.
// "int8 vs float on 256 validation samples: top-1 98.05% vs 98.44%, SNR 31.2 dB, ...".
std::string accuracy_text(const QuantAccuracy& a);

} // namespace tinyc
