// bench_platform.h for a host process: `bench SAMPLES.bin` reads the concatenated input
// samples from a file, prints to stdout; there is no instruction counter (counts are 0).
#include "bench_platform.h"
#include "text_out.h"

#include <stdio.h>

#include <vector>

// Kept for the whole run; operator new aligns to 16 bytes as the target's buffers are.
static std::vector<uint8_t> g_samples;

extern "C" void tc_platform_write(const char* text) {
  fputs(text, stdout);
}

extern "C" const uint8_t* tc_platform_samples(int argc, char** argv, uint32_t* bytes) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SAMPLES.bin\n", argc > 0 ? argv[0] : "bench");
    return nullptr;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "bench: cannot open %s\n", argv[1]);
    return nullptr;
  }
  uint8_t chunk[65536];
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
    g_samples.insert(g_samples.end(), chunk, chunk + n);
  fclose(f);
  *bytes = uint32_t(g_samples.size());
  return g_samples.data();
}

extern "C" const char* tc_platform_name(void) {
  return "host";
}
extern "C" void tc_platform_count_start(void) {}
extern "C" uint64_t tc_platform_count(void) {
  return 0;
}
