// Sliding-window geometry shared by Conv, ConvTranspose and the pooling ops: kernel, strides,
// dilations and pads resolved from the node's attributes (auto_pad included), and the output
// extent of every spatial axis. Kernels see it padded to three spatial axes (leading axes of
// size 1), so one template covers 1-D, 2-D and 3-D.
#pragma once

#include "op_util.h"

namespace tinyc::ops {

struct Window {
  int rank = 0; // spatial axes
  std::vector<int64_t> in, kernel, strides, dilations, pad_begin, pad_end, out;
};

// Geometry of a Conv or pooling node over the spatial part of input shape `x` ([N, C, ...]).
// `kernel` comes from kernel_shape or the weights; `ceil_mode` rounds the output extent up.
Window window_geometry(const Node& n, const Shape& x, const std::vector<int64_t>& kernel,
                       bool ceil_mode, bool dilations_allowed = true);

// Channels and window of a convolution (Conv, QConv, ConvInteger): x [N, C, spatial...],
// weights w [M, C/G, kernel...], optional bias [M]. Fails with the node's name when the
// shapes, the group or a kernel_shape attribute do not fit together.
struct ConvGeometry {
  int64_t N, C, M, G;
  Window win;
};
ConvGeometry conv_geometry(const Node& n, const Shape& x, const Shape& w, const Shape* b);

// [N, M, spatial output...]
Shape conv_output_shape(const ConvGeometry& s);

// The window padded to three spatial axes, as members IX/OX/KX/SX/DX/PX for X in D, H, W.
void add_window_params(Params& p, const Window& w);

// Window padded to three axes (leading 1s / 0s), for reference loops mirroring the kernels.
struct Window3 {
  int64_t in[3], out[3], k[3], s[3], d[3], p[3];
};
Window3 window3(const Window& w);

} // namespace tinyc::ops
