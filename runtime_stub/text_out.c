#include "text_out.h"

static char g_line[256];
static size_t g_used;

static void put_char(char c) {
  if (g_used + 1 >= sizeof g_line) tc_flush();
  g_line[g_used++] = c;
  if (c == '\n') tc_flush();
}

void tc_flush(void) {
  if (g_used == 0) return;
  g_line[g_used] = '\0';
  tc_platform_write(g_line);
  g_used = 0;
}

void tc_puts(const char* text) {
  while (*text) put_char(*text++);
}

void tc_put_u64(uint64_t value) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0);
  while (n > 0) put_char(digits[--n]);
}

void tc_put_hex_bytes(const void* data, size_t bytes) {
  static const char hex[] = "0123456789abcdef";
  const uint8_t* p = (const uint8_t*)data;
  for (size_t i = 0; i < bytes; ++i) {
    put_char(hex[p[i] >> 4]);
    put_char(hex[p[i] & 15u]);
  }
}
