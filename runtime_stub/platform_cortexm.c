// bench_platform.h on the QEMU mps2 boards: samples linked into the image (tinyc_samples.c,
// written by tools/run_cortexm.py), output through semihosting, SysTick instruction counter.
#include "bench_platform.h"
#include "instr_counter.h"
#include "semihosting.h"
#include "text_out.h"

extern const uint32_t tc_samples[];
extern const uint32_t tc_samples_bytes;

void tc_platform_write(const char* text) {
  sh_write0(text);
}

const uint8_t* tc_platform_samples(int argc, char** argv, uint32_t* bytes) {
  (void)argc;
  (void)argv;
  *bytes = tc_samples_bytes;
  return (const uint8_t*)tc_samples;
}

const char* tc_platform_name(void) {
#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 8)
  return "cortex-m7"; // double-precision FPU: fpv5-d16
#elif defined(__ARM_ARCH_7EM__)
  return "cortex-m4";
#else
  return "cortex-m";
#endif
}

void tc_platform_count_start(void) {
  tc_counter_start();
}

uint64_t tc_platform_count(void) {
  return tc_counter_ticks() * TC_INSTRUCTIONS_PER_TICK;
}
