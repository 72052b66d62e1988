// Activations a producer applies as it stores its result (the compiler's FusedAct; the
// numbering matches tinyc::ActKind). P supplies act, act_a and act_b.
#pragma once

#include <math.h>

namespace tk {

enum {
  ACT_NONE = 0,
  ACT_RELU = 1,
  ACT_CLIP = 2,
  ACT_LEAKY_RELU = 3,
  ACT_SIGMOID = 4,
  ACT_HARD_SIGMOID = 5
};

template <class P> inline float activate(float v) {
  if constexpr (P::act == ACT_RELU)
    return v < 0.0f ? 0.0f : v;
  else if constexpr (P::act == ACT_CLIP) {
    v = v < P::act_a ? P::act_a : v; // then max, so min > max gives max as in ONNX
    return v > P::act_b ? P::act_b : v;
  } else if constexpr (P::act == ACT_LEAKY_RELU)
    return v < 0.0f ? v * P::act_a : v;
  else if constexpr (P::act == ACT_SIGMOID)
    return 1.0f / (1.0f + expf(-v));
  else if constexpr (P::act == ACT_HARD_SIGMOID) {
    float h = P::act_a * v + P::act_b;
    return h < 0.0f ? 0.0f : (h > 1.0f ? 1.0f : h);
  } else
    return v;
}

} // namespace tk

namespace tk {

// A binary functor followed by the fused activation of P.
template <class Op> struct with_act {
  template <class P, class T> static T apply(T a, T b) {
    return activate<P>(Op::template apply<P>(a, b));
  }
};

} // namespace tk
