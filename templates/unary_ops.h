// Functors for elementwise unary ops (used with map_unary in elementwise.h). Float math
// uses the <math.h> float functions so host and target agree with the reference evaluator.
#pragma once

#include <math.h>
#include <stdint.h>

namespace tk {

struct op_relu {
  template <class P, class T> static T apply(T x) { return x < T(0) ? T(0) : x; }
};
struct op_neg {
  template <class P, class T> static T apply(T x) { return T(-x); }
};
struct op_abs {
  template <class P, class T> static T apply(T x) { return x < T(0) ? T(-x) : x; }
};
struct op_exp {
  template <class P> static float apply(float x) { return expf(x); }
};
struct op_sigmoid {
  template <class P> static float apply(float x) { return 1.0f / (1.0f + expf(-x)); }
};
struct op_tanh {
  template <class P> static float apply(float x) { return tanhf(x); }
};

}  // namespace tk
