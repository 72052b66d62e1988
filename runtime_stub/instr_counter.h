// Instruction counter for QEMU's mps2 boards, built on SysTick.
//
// Under `qemu-system-arm -icount shift=0` the CPU retires one instruction per virtual
// nanosecond and SysTick, clocked from the 25 MHz system clock, ticks once per 40
// instructions, deterministically. So instructions = 40 x ticks (+-40). This counts
// instructions, not cycles: a real Cortex-M4/M7 needs more cycles than instructions
// (loads, multiplies, branches), but the count is repeatable, so it can gate regressions.
// SysTick wraps every 2^24 ticks; the SysTick interrupt counts the wraps.
#ifndef TINYC_INSTR_COUNTER_H
#define TINYC_INSTR_COUNTER_H

#include <stdint.h>

#define TC_INSTRUCTIONS_PER_TICK 40u

#ifdef __cplusplus
extern "C" {
#endif

// Starts SysTick from zero with its interrupt enabled.
void tc_counter_start(void);
// Ticks since tc_counter_start().
uint64_t tc_counter_ticks(void);
// The SysTick exception handler (named in the vector table).
void SysTick_Handler(void);

#ifdef __cplusplus
}
#endif

#endif
