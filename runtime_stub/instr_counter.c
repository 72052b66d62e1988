#include "instr_counter.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t*)0xE000ED04u)

enum {
  kEnable = 1u << 0,
  kTickInt = 1u << 1,
  kProcessorClock = 1u << 2,
  kPendSysTick = 1u << 26, // ICSR.PENDSTSET
  kReload = 0xFFFFFFu,
};

static volatile uint32_t g_wraps;

void SysTick_Handler(void) {
  g_wraps = g_wraps + 1u;
}

void tc_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = kReload;
  SYST_CVR = 0; // any write clears the counter; it reloads on the next tick
  g_wraps = 0;
  SYST_CSR = kEnable | kTickInt | kProcessorClock;
  // The cleared counter reads 0 until its first tick loads RVR; wait for that (at most one
  // tick) so readings from here on only count down or wrap.
  while (SYST_CVR == 0) {
  }
}

uint64_t tc_counter_ticks(void) {
  // With interrupts masked, a wrap that happened but was not yet counted shows as a pending
  // SysTick exception; then re-read the counter so both halves belong to the same period.
  __asm__ volatile("cpsid i" ::: "memory");
  uint32_t current = SYST_CVR;
  uint32_t wraps = g_wraps;
  if (SCB_ICSR & kPendSysTick) {
    current = SYST_CVR;
    wraps += 1u;
  }
  __asm__ volatile("cpsie i" ::: "memory");
  return (uint64_t)wraps * (kReload + 1u) + (kReload - current);
}
