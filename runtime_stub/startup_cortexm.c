// Reset and exception vectors for the QEMU mps2 Cortex-M4/M7 boards: copies .data from
// flash, zeroes .bss, enables the FPU, runs static constructors, calls main() and reports its
// return value as the exit code through semihosting. Faults print a message and exit with 3.
#include <stdint.h>

#include "instr_counter.h"
#include "semihosting.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
typedef void (*InitFunction)(void);
extern InitFunction __init_array_start[], __init_array_end[];

int main(int argc, char** argv);
void Reset_Handler(void) __attribute__((noreturn));

#define SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)

static void fault(const char* what) {
  sh_write0("\nfatal: ");
  sh_write0(what);
  sh_write0("\n");
  sh_exit(3);
}

static void HardFault_Handler(void) {
  fault("HardFault");
}
static void MemManage_Handler(void) {
  fault("MemManage fault");
}
static void BusFault_Handler(void) {
  fault("BusFault");
}
static void UsageFault_Handler(void) {
  fault("UsageFault");
}
static void Unexpected_Handler(void) {
  fault("unexpected exception");
}

// Cortex-M exception vectors, then the board's 32 interrupts (none is used: all fault).
__attribute__((section(".vectors"), used)) static const void* const g_vectors[16 + 32] = {
    [0] = __stack_top,         [1] = Reset_Handler,
    [2] = Unexpected_Handler, // NMI
    [3] = HardFault_Handler,   [4] = MemManage_Handler,
    [5] = BusFault_Handler,    [6] = UsageFault_Handler,
    [11] = Unexpected_Handler, // SVCall
    [12] = Unexpected_Handler, // DebugMonitor
    [14] = Unexpected_Handler, // PendSV
    [15] = SysTick_Handler,    [16 ... 47] = Unexpected_Handler,
};

void Reset_Handler(void) {
  // CP10/CP11 full access before any floating-point instruction runs.
  SCB_CPACR |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  for (InitFunction* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  sh_exit(main(0, 0));
}
