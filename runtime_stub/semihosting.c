// Semihosting on M-profile: `bkpt 0xab` with the operation in r0 and its argument in r1.
#include "semihosting.h"

enum {
  kSysWrite0 = 0x04,
  kSysExit = 0x18,
  kSysExitExtended = 0x20,
  kApplicationExit = 0x20026, // ADP_Stopped_ApplicationExit
};

static int semihost_call(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void sh_write0(const char* text) {
  semihost_call(kSysWrite0, text);
}

void sh_exit(int code) {
  // The extended form carries the exit code; plain SYS_EXIT only tells success or not.
  const int block[2] = {kApplicationExit, code};
  semihost_call(kSysExitExtended, block);
  semihost_call(kSysExit, (const void*)kApplicationExit);
  for (;;) {
  }
}
