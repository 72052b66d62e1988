// Helpers for sliding windows (convolution and pooling): which kernel taps of a window that
// starts at input position o (negative inside the leading pad) fall inside an axis of size n.
#pragma once

namespace tk {

// First tap k with o + k * d >= 0.
inline int tap_lo(int o, int d) {
  return o >= 0 ? 0 : (-o + d - 1) / d;
}
// One past the last tap k < taps with o + k * d < n.
inline int tap_hi(int o, int d, int n, int taps) {
  if (o >= n) return 0;
  int hi = (n - o + d - 1) / d;
  return hi < taps ? hi : taps;
}

} // namespace tk
