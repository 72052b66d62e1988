// A tiny line-buffered text writer (no printf, no heap): enough to print integers and raw
// bytes as hex, which keeps float outputs bit-exact. The platform supplies tc_platform_write.
#ifndef TINYC_TEXT_OUT_H
#define TINYC_TEXT_OUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void tc_platform_write(const char* text); // writes a NUL-terminated string

void tc_puts(const char* text);
void tc_put_u64(uint64_t value);
void tc_put_hex_bytes(const void* data, size_t bytes); // memory order, two digits a byte
void tc_flush(void);

#ifdef __cplusplus
}
#endif

#endif
