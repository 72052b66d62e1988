#include "window.h"

namespace tinyc::ops {

static std::vector<int64_t> per_axis(const Node& n, const char* name, int rank, int64_t dflt) {
  std::vector<int64_t> v = n.attr_ints(name, {});
  if (v.empty()) return std::vector<int64_t>(size_t(rank), dflt);
  if (int(v.size()) != rank)
    fail("node {}: attribute {} has {} values, expected {}", n.label(), name, v.size(), rank);
  return v;
}

Window window_geometry(const Node& n, const Shape& x, const std::vector<int64_t>& kernel,
                       bool ceil_mode, bool dilations_allowed) {
  if (x.size() < 3)
    fail("node {}: input rank {} is below 3 ([N, C, spatial...])", n.label(), x.size());
  Window w;
  w.rank = int(x.size()) - 2;
  if (w.rank > 3) fail("node {}: {} spatial axes are not supported (at most 3)", n.label(), w.rank);
  if (int(kernel.size()) != w.rank)
    fail("node {}: kernel has {} axes but the input has {} spatial axes", n.label(), kernel.size(),
         w.rank);
  w.in.assign(x.begin() + 2, x.end());
  w.kernel = kernel;
  w.strides = per_axis(n, "strides", w.rank, 1);
  w.dilations = per_axis(n, "dilations", w.rank, 1);
  for (int i = 0; i < w.rank; ++i) {
    if (w.kernel[size_t(i)] < 1) fail("node {}: kernel size must be positive", n.label());
    if (w.strides[size_t(i)] < 1) fail("node {}: strides must be positive", n.label());
    if (w.dilations[size_t(i)] < 1) fail("node {}: dilations must be positive", n.label());
    if (!dilations_allowed && w.dilations[size_t(i)] != 1)
      fail("node {}: dilations other than 1 are not supported for this op", n.label());
  }
  w.pad_begin.assign(size_t(w.rank), 0);
  w.pad_end.assign(size_t(w.rank), 0);
  w.out.assign(size_t(w.rank), 0);
  const std::string auto_pad = n.attr_s("auto_pad", "NOTSET");
  std::vector<int64_t> pads = n.attr_ints("pads", {});
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    if (!pads.empty() && int(pads.size()) != 2 * w.rank)
      fail("node {}: pads has {} values, expected {}", n.label(), pads.size(), 2 * w.rank);
    if (!pads.empty())
      for (int i = 0; i < w.rank; ++i) {
        w.pad_begin[size_t(i)] = pads[size_t(i)];
        w.pad_end[size_t(i)] = pads[size_t(i + w.rank)];
      }
  } else if (auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    fail("node {}: auto_pad '{}' is not supported", n.label(), auto_pad);
  }
  for (int i = 0; i < w.rank; ++i) {
    const size_t a = size_t(i);
    const int64_t in = w.in[a], s = w.strides[a];
    const int64_t span = (w.kernel[a] - 1) * w.dilations[a] + 1;
    if (w.pad_begin[a] < 0 || w.pad_end[a] < 0)
      fail("node {}: negative pads are not supported", n.label());
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w.out[a] = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (w.out[a] - 1) * s + span - in);
      w.pad_begin[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[a] = total - w.pad_begin[a];
    } else {
      const int64_t room = in + w.pad_begin[a] + w.pad_end[a] - span;
      if (room < 0) fail("node {}: the kernel is larger than the padded input", n.label());
      w.out[a] = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
      // A last window starting past the input and its leading pad is dropped (ceil mode).
      if (ceil_mode && (w.out[a] - 1) * s >= in + w.pad_begin[a]) --w.out[a];
    }
  }
  return w;
}

Window3 window3(const Window& w) {
  Window3 r;
  const int off = 3 - w.rank;
  for (int i = 0; i < 3; ++i) {
    const bool real = i >= off;
    const size_t a = size_t(i - off);
    r.in[i] = real ? w.in[a] : 1;
    r.out[i] = real ? w.out[a] : 1;
    r.k[i] = real ? w.kernel[a] : 1;
    r.s[i] = real ? w.strides[a] : 1;
    r.d[i] = real ? w.dilations[a] : 1;
    r.p[i] = real ? w.pad_begin[a] : 0;
  }
  return r;
}

ConvGeometry conv_geometry(const Node& n, const Shape& x, const Shape& w, const Shape* b) {
  if (w.size() != x.size() || w.size() < 3)
    fail("node {}: weights of rank {} do not match an input of rank {}", n.label(), w.size(),
         x.size());
  ConvGeometry s;
  s.N = x[0];
  s.C = x[1];
  s.M = w[0];
  s.G = n.attr_i("group", 1);
  if (s.G < 1 || s.C % s.G != 0 || s.M % s.G != 0 || w[1] * s.G != s.C)
    fail("node {}: group {} does not fit {} input channels and weights {}", n.label(), s.G, s.C,
         shape_str(w));
  if (b && (b->size() != 1 || (*b)[0] != s.M))
    fail("node {}: bias shape {} is not [{}]", n.label(), shape_str(*b), s.M);
  const std::vector<int64_t> kernel(w.begin() + 2, w.end());
  const std::vector<int64_t> attr = n.attr_ints("kernel_shape", {});
  if (!attr.empty() && attr != kernel)
    fail("node {}: kernel_shape {} disagrees with the weights {}", n.label(), shape_str(attr),
         shape_str(w));
  s.win = window_geometry(n, x, kernel, false);
  return s;
}

Shape conv_output_shape(const ConvGeometry& s) {
  Shape o = {s.N, s.M};
  o.insert(o.end(), s.win.out.begin(), s.win.out.end());
  return o;
}

void add_window_params(Params& p, const Window& w) {
  Window3 r = window3(w);
  const char* ax[3] = {"D", "H", "W"};
  for (int i = 0; i < 3; ++i) {
    p.i(std::string("I") + ax[i], r.in[i]).i(std::string("O") + ax[i], r.out[i]);
    p.i(std::string("K") + ax[i], r.k[i]).i(std::string("S") + ax[i], r.s[i]);
    p.i(std::string("D") + ax[i], r.d[i]).i(std::string("P") + ax[i], r.p[i]);
  }
}

} // namespace tinyc::ops
