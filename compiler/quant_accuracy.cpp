#include "quant_accuracy.h"

#include "diagnostics.h"
#include "evaluator.h"
#include "quant.h"

#include <cmath>

namespace tinyc {

static int64_t argmax(const TensorData& t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.size(); ++i)
    if (t.get_f64(i) > t.get_f64(best)) best = i;
  return best;
}

// With --io int8 the quantised graph takes and returns int8 levels: the float samples are
// quantised with each input's parameters (as the caller of the generated code would), and its
// int8 outputs read as real values, so both graphs compare on the same scale.
static std::vector<TensorData> as_graph_inputs(const Graph& g, const std::vector<TensorData>& in) {
  std::vector<TensorData> r = in;
  for (size_t k = 0; k < r.size() && k < g.inputs.size(); ++k) {
    const Value& v = g.val(g.inputs[k]);
    if (v.dtype != DType::I8 || !v.quant || r[k].dtype != DType::F32) continue;
    TensorData q(DType::I8, r[k].shape);
    for (int64_t i = 0; i < q.size(); ++i)
      q.data<int8_t>()[i] = int8_t(
          quantize_value(r[k].data<float>()[i], v.quant->scale, v.quant->zero_point, DType::I8));
    r[k] = std::move(q);
  }
  return r;
}

static std::vector<TensorData> as_real_outputs(const Graph& g, std::vector<TensorData> out) {
  for (size_t k = 0; k < out.size() && k < g.outputs.size(); ++k) {
    const Value& v = g.val(g.outputs[k]);
    if (v.dtype != DType::I8 || !v.quant) continue;
    TensorData f(DType::F32, out[k].shape);
    for (int64_t i = 0; i < f.size(); ++i)
      f.data<float>()[i] = float(out[k].get_i64(i) - v.quant->zero_point) * v.quant->scale;
    out[k] = std::move(f);
  }
  return out;
}

QuantAccuracy
measure_quant_accuracy(const Graph& float_graph, const Graph& quant_graph,
                       const std::vector<std::vector<TensorData>>& samples,
                       const std::vector<int64_t>& labels, const std::string& data,
                       const std::function<void(const std::string&, int64_t, int64_t)>& progress) {
  if (!labels.empty() && labels.size() != samples.size())
    fail("--val: {} labels for {} samples", labels.size(), samples.size());
  QuantAccuracy a;
  a.data = data;
  a.samples = int64_t(samples.size());
  a.has_labels = !labels.empty();
  double signal = 0, noise = 0;
  int64_t right_f = 0, right_q = 0, agree = 0;
  for (size_t s = 0; s < samples.size(); ++s) {
    const auto f = evaluate(float_graph, samples[s]);
    const auto q = as_real_outputs(quant_graph,
                                   evaluate(quant_graph, as_graph_inputs(quant_graph, samples[s])));
    for (size_t k = 0; k < f.size() && k < q.size(); ++k) {
      if (f[k].size() != q[k].size()) continue;
      for (int64_t i = 0; i < f[k].size(); ++i) {
        const double x = f[k].get_f64(i), y = q[k].get_f64(i);
        signal += x * x;
        noise += (y - x) * (y - x);
        a.max_abs_error = std::max(a.max_abs_error, std::fabs(y - x));
      }
    }
    if (!f.empty() && !q.empty()) {
      const int64_t cf = argmax(f[0]), cq = argmax(q[0]);
      agree += cf == cq;
      if (a.has_labels) {
        right_f += cf == labels[s];
        right_q += cq == labels[s];
      }
    }
    if (progress) progress("measuring int8 vs float", int64_t(s) + 1, a.samples);
  }
  a.exact = noise == 0;
  a.snr_db = a.exact ? 0.0 : 10.0 * std::log10(std::max(signal, 1e-300) / noise);
  const double n = double(std::max<int64_t>(a.samples, 1));
  a.top1_float = double(right_f) / n;
  a.top1_int8 = double(right_q) / n;
  a.top1_agreement = double(agree) / n;
  return a;
}

std::string accuracy_text(const QuantAccuracy& a) {
  std::string s = fmt::format("  int8 vs float on {} {} samples: ", a.samples, a.data);
  if (a.has_labels)
    s += fmt::format("top-1 {:.2f}% (int8) vs {:.2f}% (float), ", 100 * a.top1_int8,
                     100 * a.top1_float);
  s += fmt::format("same top-1 class {:.2f}%, ", 100 * a.top1_agreement);
  if (a.exact)
    s += "outputs identical\n";
  else
    s += fmt::format("SNR {:.1f} dB, max |error| {:.4g}\n", a.snr_db, a.max_abs_error);
  return s;
}

} // namespace tinyc
