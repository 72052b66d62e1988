// Runs a tinyc model on every sample of a batch and prints the raw output bytes and the
// instruction count of each inference. The same source runs on the host and under QEMU:
//   tinyc-bench platform=P samples=N
//   out S <hex bytes of output 0> <hex bytes of output 1> ...
//   instr S <instructions in NAME_run for sample S>
//   end rc=0
// tinyc_glue.h (written by tools/run_cortexm.py) includes the model header and defines
// TC_NUM_INPUTS, TC_NUM_OUTPUTS, TC_INPUT_BYTES_i / TC_OUTPUT_BYTES_i (each a multiple of
// 8 in the sample layout) and tc_run(in, out).
#include <string.h>

#include "bench_platform.h"
#include "text_out.h"
#include "tinyc_glue.h"

namespace {

constexpr uint32_t padded(uint32_t bytes) {
  return (bytes + 7u) / 8u * 8u;
}

constexpr uint32_t kInputBytes[TC_NUM_INPUTS] = {TC_INPUT_BYTES_LIST};
constexpr uint32_t kOutputBytes[TC_NUM_OUTPUTS] = {TC_OUTPUT_BYTES_LIST};

constexpr uint32_t total(const uint32_t* sizes, int n) {
  uint32_t t = 0;
  for (int i = 0; i < n; ++i) t += padded(sizes[i]);
  return t;
}

constexpr uint32_t kSampleBytes = total(kInputBytes, TC_NUM_INPUTS);
constexpr uint32_t kOutputTotal = total(kOutputBytes, TC_NUM_OUTPUTS);

// The model reads its inputs from RAM, as on a device that filled them from a sensor.
alignas(16) uint8_t g_inputs[kSampleBytes];
alignas(16) uint8_t g_outputs[kOutputTotal];

} // namespace

int main(int argc, char** argv) {
  uint32_t bytes = 0;
  const uint8_t* samples = tc_platform_samples(argc, argv, &bytes);
  if (!samples) return 2;
  if (bytes % kSampleBytes != 0) {
    tc_puts("error: sample data is not a whole number of samples\n");
    return 2;
  }
  const uint32_t count = bytes / kSampleBytes;
  uint8_t* in[TC_NUM_INPUTS];
  uint8_t* out[TC_NUM_OUTPUTS];
  for (uint32_t i = 0, at = 0; i < TC_NUM_INPUTS; at += padded(kInputBytes[i]), ++i)
    in[i] = g_inputs + at;
  for (uint32_t i = 0, at = 0; i < TC_NUM_OUTPUTS; at += padded(kOutputBytes[i]), ++i)
    out[i] = g_outputs + at;

  tc_puts("tinyc-bench platform=");
  tc_puts(tc_platform_name());
  tc_puts(" samples=");
  tc_put_u64(count);
  tc_puts("\n");

  // What the measurement itself costs, subtracted from every inference.
  tc_platform_count_start();
  uint64_t t0 = tc_platform_count();
  uint64_t overhead = tc_platform_count() - t0;

  int rc = 0;
  for (uint32_t s = 0; s < count && rc == 0; ++s) {
    memcpy(g_inputs, samples + uint64_t(s) * kSampleBytes, kSampleBytes);
    memset(g_outputs, 0xA5, sizeof g_outputs); // an output the model forgets shows up
    uint64_t start = tc_platform_count();
    rc = tc_run(in, out);
    uint64_t used = tc_platform_count() - start;
    tc_puts("out ");
    tc_put_u64(s);
    for (int i = 0; i < TC_NUM_OUTPUTS; ++i) {
      tc_puts(" ");
      tc_put_hex_bytes(out[i], kOutputBytes[i]);
    }
    tc_puts("\ninstr ");
    tc_put_u64(s);
    tc_puts(" ");
    tc_put_u64(used > overhead ? used - overhead : 0);
    tc_puts("\n");
  }
  tc_puts(rc == 0 ? "end rc=0\n" : "end rc=1\n");
  tc_flush();
  return rc == 0 ? 0 : 1;
}
