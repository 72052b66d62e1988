// ARM semihosting calls (QEMU: -semihosting-config enable=on,target=native): console output
// and the exit code reach the host without any UART driver.
#ifndef TINYC_SEMIHOSTING_H
#define TINYC_SEMIHOSTING_H

#ifdef __cplusplus
extern "C" {
#endif

// Writes a NUL-terminated string to the host console (SYS_WRITE0).
void sh_write0(const char* text);
// Ends the simulation with `code` as the host process's exit status (SYS_EXIT_EXTENDED).
void sh_exit(int code) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif
