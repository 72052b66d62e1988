// Post-training int8 quantisation (--quantize int8): calibrates, then writes QDQ form.
#include "passes.h"

#include "../compiler/diagnostics.h"

namespace tinyc {

void quantize(Graph& g, const PassOptions& opts) {
  (void)g;
  if (opts.quant.enabled) fail("--quantize int8 is not available yet");
}

} // namespace tinyc
