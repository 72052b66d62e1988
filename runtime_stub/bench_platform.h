// What bench_main.cpp needs from where it runs: the samples, a counter, the text sink
// (tc_platform_write, see text_out.h). Implemented by platform_cortexm.c (QEMU mps2 boards)
// and platform_host.cpp (a normal process).
#ifndef TINYC_BENCH_PLATFORM_H
#define TINYC_BENCH_PLATFORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The concatenated input samples and their total size in bytes; NULL on error (after
// printing why). argc/argv are the program's (the host reads a file named there).
const uint8_t* tc_platform_samples(int argc, char** argv, uint32_t* bytes);
// Name of the platform and of the counter's unit, for the output header.
const char* tc_platform_name(void);
// Starts the counter; tc_platform_count() returns instructions since then (0 on the host).
void tc_platform_count_start(void);
uint64_t tc_platform_count(void);

#ifdef __cplusplus
}
#endif

#endif
