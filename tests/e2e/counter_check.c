// Calibrates the SysTick instruction counter (runtime_stub/instr_counter.h) against loops of
// known length: `adds; cmp; bne` retires 3 instructions per iteration. Prints
//   loop ITERATIONS expected N counted M
// for a short loop and one long enough to wrap SysTick (2^24 ticks = 671 M instructions).
#include "instr_counter.h"
#include "semihosting.h"
#include "text_out.h"

void tc_platform_write(const char* text) {
  sh_write0(text);
}

static void measure(uint32_t iterations) {
  uint64_t start = tc_counter_ticks();
  __asm__ volatile("mov r0, #0\n"
                   "1:\n\t"
                   "adds r0, r0, #1\n\t"
                   "cmp r0, %0\n\t"
                   "bne 1b"
                   :
                   : "r"(iterations)
                   : "r0", "cc");
  uint64_t ticks = tc_counter_ticks() - start;
  tc_puts("loop ");
  tc_put_u64(iterations);
  tc_puts(" expected ");
  tc_put_u64(3ull * iterations);
  tc_puts(" counted ");
  tc_put_u64(ticks * TC_INSTRUCTIONS_PER_TICK);
  tc_puts("\n");
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  tc_counter_start();
  measure(1000000u);
  measure(250000000u);
  tc_flush();
  return 0;
}
