/* Checks shared by the fuzz targets: what they assert of any output. */
#ifndef RBL_FUZZCHECK_H
#define RBL_FUZZCHECK_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "util.h"

/* Text that may reach a terminal: valid UTF-8, no control character
 * (but line breaks when lines). */
static inline void
fuzz_assert_printable_lines(const char *s, size_t n, bool lines)
{
  if (!g_utf8_validate(s, (gssize)n, NULL))
    __builtin_trap();
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && !(lines && c == '\n')) || c == 0x7f)
      __builtin_trap();
  }
  /* nor C1 controls (terminal escapes too) or bidirectional overrides */
  for (const char *p = s; p < s + n; p += g_utf8_skip[(unsigned char)*p]) {
    gunichar u = g_utf8_get_char(p);
    if ((u >= 0x80 && u <= 0x9f) || (u >= 0x202a && u <= 0x202e) ||
        (u >= 0x2066 && u <= 0x2069) || u == 0x200e || u == 0x200f ||
        u == 0x061c || u == 0x2028 || u == 0x2029)
      __builtin_trap();
  }
}

static inline void
fuzz_assert_printable(const char *s, size_t n)
{
  fuzz_assert_printable_lines(s, n, false);
}

/* Escapes s[0..n) as every report does, and as composed text (errors,
 * notification bodies) is escaped, and checks the results. */
static inline void
fuzz_escape_check(const char *s, size_t n)
{
  struct sbuf b;
  sbuf_init(&b, 8 * n + 16);
  if (util_escape(&b, s, n) != RBL_OK)
    __builtin_trap();
  fuzz_assert_printable(sbuf_str(&b), b.len);
  sbuf_reset(&b);
  if (util_escape_composed(&b, s, n, true) != RBL_OK)
    __builtin_trap();
  fuzz_assert_printable_lines(sbuf_str(&b), b.len, true);
  sbuf_reset(&b);
  if (util_escape_composed(&b, s, n, false) != RBL_OK)
    __builtin_trap();
  fuzz_assert_printable(sbuf_str(&b), b.len);
  sbuf_free(&b);
}

#endif
