// --report-html: the arena plan drawn as an SVG inside one HTML page (no scripts from the
// network, no external files). Time runs left to right (one column per execution step),
// arena offsets bottom to top; each buffer is a rectangle spanning its lifetime, coloured by
// the layer that writes it; hovering shows its name, size, offset and lifetime. The live-bytes
// curve and the step where it peaks are marked, so the gap between the arena and the lower
// bound is visible.
#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <cmath>

namespace tinyc {

namespace {

std::string escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
    case '&':
      r += "&amp;";
      break;
    case '<':
      r += "&lt;";
      break;
    case '>':
      r += "&gt;";
      break;
    case '"':
      r += "&quot;";
      break;
    default:
      r += (unsigned char)c < 0x20 ? ' ' : c;
    }
  }
  return r;
}

// Distinct hues for neighbouring layers (golden-angle steps).
std::string layer_colour(int step, bool scratch) {
  const int hue = int((step * 137.508) + 200) % 360;
  return fmt::format("hsl({},{}%,{}%)", hue, scratch ? 35 : 65, scratch ? 80 : 62);
}

} // namespace

std::string report_html(const Graph& g, const EmittedModel& m, const std::string& model_file) {
  const ArenaPlan& p = m.plan;
  const int steps = std::max<int>(1, int(m.layers.size()));
  const int64_t top = std::max<int64_t>({p.arena_bytes, p.lower_bound, 1});
  const double W = 960, H = 480, left = 80, bottom = 40, right = 20, head = 40;
  const double sw = W / steps, sy = H / double(top);
  auto X = [&](double step) { return left + step * sw; };
  auto Y = [&](double bytes) { return head + H - bytes * sy; };

  // Bytes alive per step; the buffers of an overlap group count the span they cover together.
  std::vector<int64_t> live(size_t(steps), 0);
  for (int t = 0; t < steps; ++t) {
    std::map<int, std::pair<int64_t, int64_t>> spans;
    for (const auto& b : p.buffers) {
      if (t < b.first || t > b.last) continue;
      if (b.group < 0) {
        live[size_t(t)] += b.size;
        continue;
      }
      auto it = spans.find(b.group);
      if (it == spans.end())
        spans[b.group] = {b.offset, b.offset + b.size};
      else
        it->second = {std::min(it->second.first, b.offset),
                      std::max(it->second.second, b.offset + b.size)};
    }
    for (const auto& [grp, span] : spans) live[size_t(t)] += span.second - span.first;
  }
  const int peak_step = int(std::max_element(live.begin(), live.end()) - live.begin());

  std::string svg =
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
                  "font-family=\"sans-serif\" font-size=\"11\">\n",
                  left + W + right, head + H + bottom + 90);
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f7f7f7\" "
                     "stroke=\"#999\"/>\n",
                     left, head, W, H);
  // The step where the most bytes are alive.
  svg +=
      fmt::format("<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"#ffd54f\" "
                  "opacity=\"0.35\"><title>peak: step {} ({}), {} B alive</title></rect>\n",
                  X(peak_step), head, sw, H, peak_step,
                  escape(peak_step < int(m.layers.size()) ? m.layers[size_t(peak_step)].name : ""),
                  live[size_t(peak_step)]);
  for (const auto& b : p.buffers) {
    const int producer = std::max(0, b.first);
    const std::string layer =
        producer < int(m.layers.size()) ? m.layers[size_t(producer)].name : std::string();
    std::string tip = fmt::format("{}\n{} B at offset {}\nalive from step {} to {}\nwritten by {}",
                                  buffer_name(g, b), b.size, b.offset, b.first, b.last,
                                  b.value_id < 0 ? "its kernel (scratch)" : layer);
    if (b.group >= 0) tip += "\noverlaps the buffer it replaces (in-place convolution)";
    if (b.values.size() > 1)
      for (int v : b.values)
        tip += fmt::format("\n  {}: {} B at offset {}", g.val(v).name,
                           numel(g.val(v).shape) * int64_t(dtype_size(g.val(v).dtype)),
                           b.offset + p.alias_offset[size_t(v)]);
    svg +=
        fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                    "fill=\"{}\" stroke=\"#333\" stroke-width=\"0.6\"{}><title>{}</title></rect>\n",
                    X(b.first) + 0.5, Y(double(b.offset + b.size)), (b.last - b.first + 1) * sw - 1,
                    std::max(0.5, b.size * sy), layer_colour(producer, b.value_id < 0),
                    b.value_id < 0 ? " stroke-dasharray=\"3,2\"" : "", escape(tip));
  }
  // Live bytes per step (the lower bound is its maximum).
  std::string pts;
  for (int t = 0; t < steps; ++t)
    pts += fmt::format("{:.2f},{:.2f} {:.2f},{:.2f} ", X(t), Y(double(live[size_t(t)])), X(t + 1),
                       Y(double(live[size_t(t)])));
  svg +=
      fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#c62828\" stroke-width=\"1.5\">"
                  "<title>bytes alive per step</title></polyline>\n",
                  pts);
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.2f}\" y2=\"{2:.2f}\" stroke=\"#000\" "
                     "stroke-dasharray=\"6,3\"/><text x=\"{1}\" y=\"{3:.2f}\" "
                     "text-anchor=\"end\">arena {4} B</text>\n",
                     left, left + W, Y(double(p.arena_bytes)), Y(double(p.arena_bytes)) - 4,
                     p.arena_bytes);
  // The peak step, marked above the plot and by a line through it.
  svg +=
      fmt::format("<line x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#e65100\" "
                  "stroke-width=\"2\" stroke-dasharray=\"2,3\"/><path d=\"M{3:.2f},{1} l6,-9 "
                  "l-12,0 z\" fill=\"#e65100\"><title>peak: {4} B alive</title></path>\n",
                  X(peak_step + 0.5), head, head + H, X(peak_step + 0.5), live[size_t(peak_step)]);
  // Offset axis: five ticks.
  for (int k = 0; k <= 4; ++k) {
    const double bytes = double(top) * k / 4;
    svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{:.0f}</text>\n", left - 4,
                       Y(bytes) + 4, bytes);
  }
  // Step axis: layer names when they fit, else every few steps.
  const int every = std::max(1, int(std::ceil(12.0 / sw)));
  for (int t = 0; t < steps; t += every) {
    const std::string name = t < int(m.layers.size())
                                 ? fmt::format("{} {}", t, m.layers[size_t(t)].op)
                                 : std::to_string(t);
    svg += fmt::format("<text transform=\"translate({:.2f},{}) rotate(60)\">{}</text>\n",
                       X(t + 0.5), head + H + 10, escape(name));
  }
  svg +=
      fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\">{}: arena {} B, lower bound {} B, "
                  "every buffer separate {} B</text>\n",
                  left, head - 14, escape(model_file), p.arena_bytes, p.lower_bound, p.naive_bytes);
  svg += "</svg>\n";

  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tinyc arena plan: " +
         escape(model_file) + "</title></head>\n<body style=\"margin:8px;background:#fff\">\n" +
         svg +
         "<p style=\"font-family:sans-serif;font-size:12px\">Time (execution steps) across, arena "
         "offset up. One rectangle per buffer, coloured by the layer that writes it (dashed: a "
         "kernel's scratch buffer). Red: bytes alive per step; orange marker: the peak step. "
         "Hover for "
         "details.</p>\n</body></html>\n";
}

} // namespace tinyc
