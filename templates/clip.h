// Clip: y = min(max(x, lo), hi), NaN passing through; when lo > hi every element becomes hi
// (ONNX). The bounds are values, so they may be literals or read from run-time tensors.
#pragma once

#include <stdint.h>

namespace tk {

template <class P, class T> void clip(const T* x, T* y, T lo, T hi) {
  for (int i = 0; i < P::n; ++i) {
    T v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}

} // namespace tk
