// Resize (opsets 10 to 17) and Upsample (7, 9). Every dim is resampled independently, so the
// compiler turns the coordinate transformation into per-dim tables: an index map for nearest
// (templates/index_map.h, any dtype) and taps with weights for linear and cubic
// (templates/resize.h, float). The tap rules follow the ONNX reference: the n input
// coordinates nearest to the transformed one, clamped to the edge.
#include "data_util.h"

#include <cmath>

namespace tinyc::ops {
namespace {

struct Settings {
  std::string mode, coord, nearest;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation = 0;
};

Settings settings_of(const Node& n) {
  Settings s;
  const bool upsample = n.op_type == "Upsample";
  s.mode = n.attr_s("mode", "nearest");
  if (s.mode == "bilinear") s.mode = "linear";
  if (upsample || n.opset < 11) {
    s.coord = "asymmetric";
    s.nearest = "floor";
  } else {
    s.coord = n.attr_s("coordinate_transformation_mode", "half_pixel");
    s.nearest = n.attr_s("nearest_mode", "round_prefer_floor");
  }
  s.cubic_a = n.attr_f("cubic_coeff_a", -0.75f);
  s.exclude_outside = n.attr_i("exclude_outside", 0) != 0;
  s.extrapolation = n.attr_f("extrapolation_value", 0.0f);
  if (s.mode != "nearest" && s.mode != "linear" && s.mode != "cubic")
    fail("node {}: mode '{}' is not supported", n.label(), s.mode);
  static const char* coords[] = {
      "half_pixel",           "pytorch_half_pixel", "align_corners",       "asymmetric",
      "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
  if (std::find(std::begin(coords), std::end(coords), s.coord) == std::end(coords))
    fail("node {}: coordinate_transformation_mode '{}' is not supported", n.label(), s.coord);
  static const char* nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  if (std::find(std::begin(nearests), std::end(nearests), s.nearest) == std::end(nearests))
    fail("node {}: nearest_mode '{}' is not supported", n.label(), s.nearest);
  if (n.attr_i("antialias", 0) != 0) fail("node {}: antialias is not supported", n.label());
  if (n.has_attr("axes")) fail("node {}: the axes attribute is not supported", n.label());
  if (n.attr_s("keep_aspect_ratio_policy", "stretch") != "stretch")
    fail("node {}: keep_aspect_ratio_policy other than stretch is not supported", n.label());
  return s;
}

struct Taps {
  std::vector<int64_t> idx; // out * ntap entries
  std::vector<float> w;
  int64_t ntap = 1;
  bool outside = false; // some coordinate is outside the crop box
};

struct ResizePlan {
  Settings s;
  Shape out;
  std::vector<double> scale; // per dim, as the reference uses it
  std::vector<double> roi;   // starts then ends (tf_crop_and_resize)
};

ResizePlan resize_plan(const Node& n, const Shape& in, const ConstArg& arg) {
  ResizePlan p;
  p.s = settings_of(n);
  const size_t r = in.size();
  const TensorData *scales = nullptr, *sizes = nullptr, *roi = nullptr;
  std::vector<float> attr_scales;
  if (n.op_type == "Upsample" && n.opset < 9) {
    attr_scales = n.attr_floats("scales", {});
  } else if (n.op_type == "Upsample" || n.opset < 11) {
    scales = arg(1);
  } else {
    roi = arg(1);
    scales = arg(2);
    sizes = arg(3);
  }
  if (scales && scales->size() > 0)
    for (int64_t i = 0; i < scales->size(); ++i) attr_scales.push_back(float(scales->get_f64(i)));
  if (sizes && sizes->size() > 0) {
    if (size_t(sizes->size()) != r)
      fail("node {}: sizes has {} entries for rank {}", n.label(), sizes->size(), r);
    for (size_t d = 0; d < r; ++d) {
      p.out.push_back(sizes->get_i64(int64_t(d)));
      p.scale.push_back(in[d] ? double(p.out[d]) / double(in[d]) : 1.0);
    }
  } else {
    if (attr_scales.size() != r)
      fail("node {}: needs {} scales, got {}", n.label(), r, attr_scales.size());
    for (size_t d = 0; d < r; ++d) {
      const double sc = attr_scales[d];
      if (!(sc > 0)) fail("node {}: scale {} must be positive", n.label(), sc);
      p.scale.push_back(sc);
      p.out.push_back(int64_t(std::floor(sc * double(in[d]))));
    }
  }
  if (p.s.coord == "tf_crop_and_resize") {
    if (!roi || size_t(roi->size()) != 2 * r)
      fail("node {}: tf_crop_and_resize needs an roi of {} values", n.label(), 2 * r);
    for (int64_t i = 0; i < roi->size(); ++i) p.roi.push_back(roi->get_f64(i));
  }
  return p;
}

std::vector<double> coeffs(const Settings& s, double ratio) {
  if (s.mode == "linear") return {1 - ratio, ratio};
  const double A = s.cubic_a;
  const double a = ratio + 1, b = 1 - ratio, c = 2 - ratio;
  return {((A * a - 5 * A) * a + 8 * A) * a - 4 * A,
          ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1, ((A + 2) * b - (A + 3)) * b * b + 1,
          ((A * c - 5 * A) * c + 8 * A) * c - 4 * A};
}

// Original coordinate of output coordinate x along dim d; nullopt outside the crop box.
std::optional<double> original_coord(const ResizePlan& p, size_t d, int64_t in, int64_t x) {
  const double scale = p.scale[d];
  const double out_w = scale * double(in);
  const std::string& m = p.s.coord;
  if (m == "align_corners") return out_w == 1 ? 0.0 : double(x) * double(in - 1) / (out_w - 1);
  if (m == "asymmetric") return double(x) / scale;
  if (m == "tf_half_pixel_for_nn") return (double(x) + 0.5) / scale;
  if (m == "pytorch_half_pixel") return out_w == 1 ? -0.5 : (double(x) + 0.5) / scale - 0.5;
  if (m == "half_pixel_symmetric") {
    const double adj = double(p.out[d]) / out_w, center = double(in) / 2;
    return center * (1 - adj) + (double(x) + 0.5) / scale - 0.5;
  }
  if (m == "tf_crop_and_resize") {
    const size_t r = p.roi.size() / 2;
    const double r0 = p.roi[d], r1 = p.roi[d + r];
    double xo = out_w == 1 ? (r1 - r0) * double(in - 1) / 2
                           : double(x) * (r1 - r0) * double(in - 1) / (out_w - 1);
    xo += r0 * double(in - 1);
    if (xo < 0 || xo > double(in - 1)) return std::nullopt;
    return xo;
  }
  return (double(x) + 0.5) / scale - 0.5; // half_pixel
}

Taps taps_of(const ResizePlan& p, size_t d, int64_t in) {
  Taps t;
  const int64_t out = p.out[d];
  const bool nearest = p.s.mode == "nearest";
  t.ntap = nearest ? 1 : p.s.mode == "linear" ? 2 : 4;
  for (int64_t x = 0; x < out; ++x) {
    auto xo = original_coord(p, d, in, x);
    if (!xo) {
      t.outside = true;
      t.idx.push_back(-1);
      t.w.push_back(0);
      for (int64_t k = 1; k < t.ntap; ++k) {
        t.idx.push_back(0);
        t.w.push_back(0);
      }
      continue;
    }
    const double fl = std::floor(*xo);
    const bool integral = fl == *xo;
    const double ratio = integral ? 1.0 : *xo - fl;
    const int64_t base = int64_t(fl) - (integral ? 1 : 0); // lowest of the two middle taps
    auto clampi = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
    if (nearest) {
      bool up;
      if (integral)
        up = true;
      else if (p.s.nearest == "round_prefer_floor")
        up = ratio > 0.5;
      else if (p.s.nearest == "round_prefer_ceil")
        up = ratio >= 0.5;
      else
        up = p.s.nearest == "ceil";
      t.idx.push_back(clampi(base + (up ? 1 : 0)));
      t.w.push_back(1);
      continue;
    }
    std::vector<double> c = coeffs(p.s, ratio);
    const int64_t first = base - (t.ntap / 2 - 1);
    if (p.s.exclude_outside) {
      double sum = 0;
      for (int64_t k = 0; k < t.ntap; ++k) {
        const int64_t i = first + k;
        if (i < 0 || i >= in) c[size_t(k)] = 0;
        sum += c[size_t(k)];
      }
      for (double& v : c) v = sum != 0 ? v / sum : 0;
    }
    for (int64_t k = 0; k < t.ntap; ++k) {
      t.idx.push_back(clampi(first + k));
      t.w.push_back(float(c[size_t(k)]));
    }
  }
  // A dim whose every coordinate has a single weight-1 tap needs only that tap.
  if (t.ntap > 1 && !t.outside) {
    Taps one;
    for (int64_t x = 0; x < out; ++x) {
      int64_t keep = -1;
      for (int64_t k = 0; k < t.ntap; ++k) {
        const float w = t.w[size_t(x * t.ntap + k)];
        if (w == 1.0f && keep < 0)
          keep = k;
        else if (w != 0.0f)
          return t;
      }
      if (keep < 0) return t;
      one.idx.push_back(t.idx[size_t(x * t.ntap + keep)]);
      one.w.push_back(1);
    }
    return one;
  }
  return t;
}

void check_input(const Graph& g, const Node& n) {
  require_const_inputs(g, n, {1, 2, 3}, "scales, sizes and roi");
  const Value& x = input(g, n, 0);
  Settings s = settings_of(n);
  if (s.mode != "nearest" && x.dtype != DType::F32)
    fail("node {}: {} resize of {} is not supported (float32 only)", n.label(), s.mode,
         dtype_name(x.dtype));
  if (numel(x.shape) == 0) fail("node {}: resizing an empty tensor is not supported", n.label());
}

IndexMap nearest_map(const ResizePlan& p, const Shape& in) {
  IndexMap m;
  m.out = p.out;
  m.sx = strides_of(in);
  for (size_t d = 0; d < in.size(); ++d) m.map.push_back(taps_of(p, d, in[d]).idx);
  return m;
}

OpDef make(const char* op) {
  OpDef d;
  d.op_type = op;
  d.infer = [](Graph& g, Node& n) {
    check_input(g, n);
    const Value& x = input(g, n, 0);
    set_output(g, n, 0, x.dtype, resize_plan(n, x.shape, graph_args(g, n, "scales")).out);
  };
  d.eval = [](const Node& n, const Inputs& in) {
    const TensorData& x = *in[0];
    ResizePlan p = resize_plan(n, x.shape, eval_args(in));
    TensorData y(x.dtype, p.out);
    if (p.s.mode == "nearest") {
      TensorData fill(x.dtype, {});
      fill.set_f64(0, p.s.extrapolation);
      index_map_eval(nearest_map(p, x.shape), x, &fill, y);
      return std::vector<TensorData>{y};
    }
    std::vector<Taps> taps;
    for (size_t dd = 0; dd < x.shape.size(); ++dd) taps.push_back(taps_of(p, dd, x.shape[dd]));
    auto sx = strides_of(x.shape);
    const float* xp = x.data<float>();
    std::vector<int64_t> at(p.out.size(), 0);
    // Same nesting and float rounding as tk::resize_taps.
    std::function<float(size_t, int64_t)> sum = [&](size_t dd, int64_t off) {
      float s = 0.0f;
      for (int64_t t = 0; t < taps[dd].ntap; ++t) {
        const size_t e = size_t(at[dd] * taps[dd].ntap + t);
        const int64_t o = off + taps[dd].idx[e] * sx[dd];
        const float v = dd + 1 == at.size() ? xp[o] : sum(dd + 1, o);
        s += taps[dd].w[e] * v;
      }
      return s;
    };
    for (int64_t i = 0; i < y.size(); ++i) {
      bool outside = false;
      for (size_t dd = 0; dd < at.size(); ++dd)
        outside |= taps[dd].idx[size_t(at[dd] * taps[dd].ntap)] < 0;
      y.data<float>()[i] = outside ? p.s.extrapolation : sum(0, 0);
      for (size_t dd = at.size(); dd-- > 0;) {
        if (++at[dd] < p.out[dd]) break;
        at[dd] = 0;
      }
    }
    return std::vector<TensorData>{y};
  };
  d.emit = [](EmitContext& ctx, const Node& n) {
    const Graph& g = ctx.graph();
    const Value& x = g.val(n.input(0));
    ResizePlan p = resize_plan(n, x.shape, graph_args(g, n, "scales"));
    if (numel(p.out) == 0) return;
    if (p.s.mode == "nearest") {
      TensorData fill(x.dtype, {});
      fill.set_f64(0, p.s.extrapolation);
      emit_index_map(ctx, nearest_map(p, x.shape), n.input(0), n.output(0),
                     element_literal(x.dtype, &fill));
      return;
    }
    std::vector<int64_t> ntap, base, idx;
    std::vector<float> w;
    bool outside = false;
    for (size_t dd = 0; dd < x.shape.size(); ++dd) {
      Taps t = taps_of(p, dd, x.shape[dd]);
      ntap.push_back(t.ntap);
      base.push_back(int64_t(idx.size()));
      idx.insert(idx.end(), t.idx.begin(), t.idx.end());
      w.insert(w.end(), t.w.begin(), t.w.end());
      outside |= t.outside;
    }
    ctx.use("resize");
    Params pr;
    pr.i("rank", int64_t(x.shape.size())).i("n", numel(p.out)).ints("out", p.out);
    pr.ints("sx", strides_of(x.shape)).ints("ntap", ntap).ints("base", base).ints("idx", idx);
    pr.floats("w", w).i("has_outside", outside);
    ctx.line(fmt::format("tk::resize_interp<{}>({}, {}, {});", ctx.params(pr), ctx.cptr(n.input(0)),
                         ctx.ptr(n.output(0)), float_literal(p.s.extrapolation)));
  };
  return d;
}

TINYC_REGISTER_OP([] { return make("Resize"); });
TINYC_REGISTER_OP([] { return make("Upsample"); });

} // namespace
} // namespace tinyc::ops
