// Softmax, LogSoftmax and Hardmax along one axis of a tensor viewed as [outer, A, inner].
// Max-subtracted for range safety; the evaluator computes the same expressions in float.
// P: outer, A, inner.
#pragma once

#include <math.h>

namespace tk {

enum { SOFTMAX = 0, LOG_SOFTMAX = 1, HARDMAX = 2 };

template <class P, int Kind> void softmax_float(const float* x, float* y) {
  if constexpr (P::A == 0) return; // nothing to normalise
  for (int o = 0; o < P::outer; ++o) {
    for (int i = 0; i < P::inner; ++i) {
      const float* xs = x + o * P::A * P::inner + i;
      float* ys = y + o * P::A * P::inner + i;
      float m = xs[0];
      int arg = 0;
      for (int a = 1; a < P::A; ++a)
        if (xs[a * P::inner] > m) {
          m = xs[a * P::inner];
          arg = a;
        }
      if constexpr (Kind == HARDMAX) {
        for (int a = 0; a < P::A; ++a) ys[a * P::inner] = a == arg ? 1.0f : 0.0f;
      } else if constexpr (Kind == SOFTMAX) {
        float sum = 0.0f;
        for (int a = 0; a < P::A; ++a) {
          const float e = expf(xs[a * P::inner] - m);
          ys[a * P::inner] = e;
          sum += e;
        }
        for (int a = 0; a < P::A; ++a) ys[a * P::inner] = ys[a * P::inner] / sum;
      } else {
        float sum = 0.0f;
        for (int a = 0; a < P::A; ++a) sum += expf(xs[a * P::inner] - m);
        // (x - max) - log(sum): subtracting the max first keeps large inputs exact.
        const float ls = logf(sum);
        for (int a = 0; a < P::A; ++a) ys[a * P::inner] = (xs[a * P::inner] - m) - ls;
      }
    }
  }
}

} // namespace tk
