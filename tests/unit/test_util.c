/* test_util.c - checked number and duration parsing, escaping of untrusted
 * text, the bounded buffer and the arena (monitor/base/util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* ---- util_parse_u64 ---------------------------------------------------- */
static void
test_u64_ok(void **state)
{
  (void)state;
  uint64_t v = 1;
  assert_int_equal(util_parse_u64("0", 10, &v), RBL_OK);
  assert_int_equal(v, 0);
  assert_int_equal(util_parse_u64("42", 100, &v), RBL_OK);
  assert_int_equal(v, 42);
  assert_int_equal(util_parse_u64("007", 100, &v), RBL_OK);
  assert_int_equal(v, 7);
  /* The value equal to max is accepted. */
  assert_int_equal(util_parse_u64("99", 99, &v), RBL_OK);
  assert_int_equal(v, 99);
  assert_int_equal(util_parse_u64("65535", 65535, &v), RBL_OK);
  assert_int_equal(v, 65535);
}

static void
test_u64_max(void **state)
{
  (void)state;
  uint64_t v = 0;
  assert_int_equal(util_parse_u64("18446744073709551615", UINT64_MAX, &v),
                   RBL_OK);
  assert_true(v == UINT64_MAX);
}

static void
test_u64_overflow(void **state)
{
  (void)state;
  uint64_t v = 0;
  /* UINT64_MAX + 1, and far beyond: must not wrap around. */
  assert_int_equal(util_parse_u64("18446744073709551616", UINT64_MAX, &v),
                   RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("99999999999999999999999", UINT64_MAX, &v),
                   RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("100", 99, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("65536", 65535, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("70000", 65535, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("11", 10, &v), RBL_ETOOBIG);
}

static void
test_u64_single_digit_over_max(void **state)
{
  (void)state;
  uint64_t v = 0;
  /* A single digit larger than max: "value <= max" must still hold. */
  assert_int_equal(util_parse_u64("7", 5, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("2", 1, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("1", 0, &v), RBL_ETOOBIG);
  assert_int_equal(util_parse_u64("0", 0, &v), RBL_OK);
  assert_int_equal(v, 0);
}

static void
test_u64_syntax(void **state)
{
  (void)state;
  uint64_t v = 0;
  assert_int_equal(util_parse_u64("", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64(NULL, 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("12a", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("a12", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("-1", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("+1", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64(" 1", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("1 ", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("0x10", 100, &v), RBL_ESYNTAX);
  assert_int_equal(util_parse_u64("1.5", 100, &v), RBL_ESYNTAX);
}

/* ---- durations ---------------------------------------------------------- */
static void
test_duration_units(void **state)
{
  (void)state;
  static const struct {
    const char *s;
    uint64_t ms;
  } ok[] = {
    {"500ms", 500},
    {"0ms", 0},
    {"1s", 1000},
    {"90s", 90000},
    {"5m", 300000},
    {"24h", 86400000},
    {"7d", 7ULL * 86400000},
    {"2w", 14ULL * 86400000},
    {"3650d", 3650ULL * 86400000}, /* the documented maximum, ~10 years */
  };
  for (size_t i = 0; i < UTIL_ARRAY_LEN(ok); i++) {
    uint64_t ms = 12345;
    rbl_status st = util_parse_duration(ok[i].s, &ms);
    if (st != RBL_OK || ms != ok[i].ms)
      fail_msg("'%s': status %d, %llu ms, expected %llu", ok[i].s, st,
               (unsigned long long)ms, (unsigned long long)ok[i].ms);
  }
}

static void
test_duration_bad_unit(void **state)
{
  (void)state;
  static const char *const bad[] = {
    "10y", "5 minutes", "5M", "5S", "1.5h", "5", "5sec", "5ms ", " 5s",
    "-5s", "5s5", "h",
  };
  for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
    uint64_t ms = 0;
    rbl_status st = util_parse_duration(bad[i], &ms);
    if (st != RBL_ESYNTAX)
      fail_msg("'%s': status %d, expected RBL_ESYNTAX", bad[i], st);
  }
}

static void
test_duration_missing_number(void **state)
{
  (void)state;
  uint64_t ms = 0;
  assert_int_equal(util_parse_duration("s", &ms), RBL_ESYNTAX);
  assert_int_equal(util_parse_duration("ms", &ms), RBL_ESYNTAX);
  assert_int_equal(util_parse_duration("", &ms), RBL_ESYNTAX);
}

static void
test_duration_overflow(void **state)
{
  (void)state;
  uint64_t ms = 0;
  assert_int_equal(util_parse_duration("3651d", &ms), RBL_ETOOBIG);
  assert_int_equal(util_parse_duration("522w", &ms), RBL_ETOOBIG);
  assert_int_equal(util_parse_duration("87601h", &ms), RBL_ETOOBIG);
  /* Far past 64 bits once multiplied: must not wrap. */
  assert_int_equal(util_parse_duration("999999999999w", &ms), RBL_ETOOBIG);
  assert_int_equal(util_parse_duration("18446744073709551616ms", &ms),
                   RBL_ETOOBIG);
  assert_int_equal(util_parse_duration("99999999999999999999999999s", &ms),
                   RBL_ETOOBIG);
}

static void
test_format_duration(void **state)
{
  (void)state;
  static const struct {
    uint64_t ms;
    const char *s;
  } cases[] = {
    {500, "500ms"},
    {1500, "1500ms"},
    {1000, "1s"},
    {90000, "90s"},
    {60000, "1m"},
    {5400000, "90m"},
    {3600000, "1h"},
    {86400000, "1d"},
    {2ULL * 86400000, "2d"},
    {7ULL * 86400000, "1w"},
    {14ULL * 86400000, "2w"},
    {8ULL * 86400000, "8d"},
  };
  for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
    char buf[32];
    util_format_duration(cases[i].ms, buf, sizeof(buf));
    assert_string_equal(buf, cases[i].s);
    /* And it reads back. */
    uint64_t back = 0;
    assert_int_equal(util_parse_duration(buf, &back), RBL_OK);
    assert_true(back == cases[i].ms);
  }
}

/* ---- escaping ----------------------------------------------------------- */
/* The escaped form of s[0..n), in a static buffer. */
static const char *
esc(const char *s, size_t n)
{
  static char out[512];
  struct sbuf b;
  sbuf_init(&b, 4096);
  assert_int_equal(util_escape(&b, s, n), RBL_OK);
  assert_true(strlen(sbuf_str(&b)) < sizeof(out));
  snprintf(out, sizeof(out), "%s", sbuf_str(&b));
  sbuf_free(&b);
  return out;
}
#define ESC(lit) esc((lit), sizeof(lit) - 1)

static void
test_escape_bidi(void **state)
{
  (void)state;
  /* U+202E and U+2066: text that shows reordered; other marks pass */
  assert_string_equal(ESC("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xaeb");
  assert_string_equal(ESC("\xe2\x81\xa6x"), "\\xe2\\x81\\xa6x");
  assert_string_equal(ESC("\xe2\x80\x8f"), "\\xe2\\x80\\x8f"); /* RLM */
  assert_string_equal(ESC("\xe2\x80\xa8"), "\\xe2\\x80\\xa8"); /* LS */
  assert_string_equal(ESC("\xe2\x80\x94"), "\xe2\x80\x94"); /* em dash */
}

/* Composed text: its untrusted parts were escaped when it was made. */
static const char *
esc_composed(const char *s, bool lines)
{
  static char out[512];
  struct sbuf b;
  sbuf_init(&b, 4096);
  assert_int_equal(util_escape_composed(&b, s, strlen(s), lines), RBL_OK);
  snprintf(out, sizeof(out), "%s", sbuf_str(&b));
  sbuf_free(&b);
  return out;
}

static void
test_escape_composed(void **state)
{
  (void)state;
  /* already escaped: not again; its lines kept when asked */
  assert_string_equal(esc_composed("says: \\x1b[31m\n  next", true),
                      "says: \\x1b[31m\n  next");
  assert_string_equal(esc_composed("a\\b\nc", false), "a\\b\\nc");
  /* what composition let through is still made safe */
  assert_string_equal(esc_composed("x\x1b[2J\ty\xff\xe2\x80\xae", true),
                      "x\\x1b[2J\\ty\\xff\\xe2\\x80\\xae");
}

static void
test_escape_plain(void **state)
{
  (void)state;
  assert_string_equal(ESC(""), "");
  assert_string_equal(ESC("Listed by example; see https://x.example/?a=1"),
                      "Listed by example; see https://x.example/?a=1");
}

static void
test_escape_controls(void **state)
{
  (void)state;
  /* An ANSI escape sequence in a TXT record must not reach the terminal. */
  assert_string_equal(ESC("a\x1b[31mred"), "a\\x1b[31mred");
  assert_string_equal(ESC("a\0b"), "a\\x00b");
  assert_string_equal(ESC("del\x7f"), "del\\x7f");
  assert_string_equal(ESC("cr\r"), "cr\\x0d");
  assert_string_equal(ESC("\a\b\f\v"), "\\x07\\x08\\x0c\\x0b");
  assert_string_equal(ESC("x\x1fy"), "x\\x1fy");
  assert_string_equal(ESC("line1\nline2"), "line1\\nline2");
  assert_string_equal(ESC("a\tb"), "a\\tb");
  assert_string_equal(ESC("C:\\path"), "C:\\\\path");
  assert_string_equal(ESC("\\x1b"), "\\\\x1b");
}

static void
test_escape_c1(void **state)
{
  (void)state;
  /* U+009B (CSI) and U+0085 (NEL) encoded as UTF-8: terminals act on them. */
  assert_string_equal(ESC("a\xc2\x9b" "31m"), "a\\xc2\\x9b31m");
  assert_string_equal(ESC("\xc2\x85"), "\\xc2\\x85");
  assert_string_equal(ESC("\xc2\x80"), "\\xc2\\x80");
  assert_string_equal(ESC("\xc2\x9f"), "\\xc2\\x9f");
  /* Raw C1 bytes (not UTF-8) as well. */
  assert_string_equal(ESC("\x9b"), "\\x9b");
  /* U+00A0 is the first character after C1: passes. */
  assert_string_equal(ESC("\xc2\xa0"), "\xc2\xa0");
}

static void
test_escape_invalid_utf8(void **state)
{
  (void)state;
  assert_string_equal(ESC("\xff"), "\\xff");
  assert_string_equal(ESC("\xfe\xfe"), "\\xfe\\xfe");
  assert_string_equal(ESC("a\x80z"), "a\\x80z");          /* lone continuation */
  assert_string_equal(ESC("\xc3"), "\\xc3");               /* truncated at end */
  assert_string_equal(ESC("\xe2\x82"), "\\xe2\\x82");      /* truncated */
  assert_string_equal(ESC("\xc3(x"), "\\xc3(x");           /* bad continuation */
  assert_string_equal(ESC("\xf5\x80\x80\x80"),
                      "\\xf5\\x80\\x80\\x80");
  /* Above U+10FFFF. */
  assert_string_equal(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
}

static void
test_escape_overlong(void **state)
{
  (void)state;
  /* '/' and NUL as overlong sequences. */
  assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");
  assert_string_equal(ESC("\xc1\xbf"), "\\xc1\\xbf");
  assert_string_equal(ESC("\xc0\x80"), "\\xc0\\x80");
  assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
  assert_string_equal(ESC("\xe0\x9f\xbf"), "\\xe0\\x9f\\xbf");
  assert_string_equal(ESC("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf");
  assert_string_equal(ESC("\xf0\x8f\xbf\xbf"), "\\xf0\\x8f\\xbf\\xbf");
}

static void
test_escape_surrogates(void **state)
{
  (void)state;
  assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* U+D800 */
  assert_string_equal(ESC("\xed\xbf\xbf"), "\\xed\\xbf\\xbf"); /* U+DFFF */
  /* U+D7FF and U+E000 border them and are fine. */
  assert_string_equal(ESC("\xed\x9f\xbf"), "\xed\x9f\xbf");
  assert_string_equal(ESC("\xee\x80\x80"), "\xee\x80\x80");
}

static void
test_escape_valid_multibyte(void **state)
{
  (void)state;
  static const char *const ok[] = {
    "caf\xc3\xa9",                 /* é */
    "\xe2\x82\xac 5",              /* € */
    "\xe6\x97\xa5\xe6\x9c\xac",    /* 日本 */
    "\xf0\x9f\x98\x80",            /* U+1F600 */
    "\xf4\x8f\xbf\xbf",            /* U+10FFFF */
    "\xe0\xa0\x80",                /* U+0800, shortest 3-byte */
    "\xf0\x90\x80\x80",            /* U+10000, shortest 4-byte */
  };
  for (size_t i = 0; i < UTIL_ARRAY_LEN(ok); i++)
    assert_string_equal(esc(ok[i], strlen(ok[i])), ok[i]);
  /* Mixed: the bad byte alone is escaped, the rest kept. */
  assert_string_equal(ESC("\xc3\xa9\xff\xc3\xa9"), "\xc3\xa9\\xff\xc3\xa9");
}

static void
test_escape_respects_max(void **state)
{
  (void)state;
  struct sbuf b;
  sbuf_init(&b, 8);
  assert_int_equal(util_escape(&b, "abcdefghijkl", 12), RBL_ETOOBIG);
  assert_true(b.len <= 8);
  sbuf_free(&b);
  /* An escape that grows the text past max fails too. */
  sbuf_init(&b, 8);
  assert_int_equal(util_escape(&b, "\x1b\x1b\x1b", 3), RBL_ETOOBIG);
  assert_true(b.len <= 8);
  sbuf_free(&b);
}

/* ---- sbuf --------------------------------------------------------------- */
static void
test_sbuf_max(void **state)
{
  (void)state;
  struct sbuf b;
  sbuf_init(&b, 10);
  assert_string_equal(sbuf_str(&b), "");
  assert_int_equal(sbuf_adds(&b, "12345"), RBL_OK);
  assert_int_equal(sbuf_adds(&b, "67890"), RBL_OK);
  assert_int_equal(b.len, 10);
  assert_string_equal(sbuf_str(&b), "1234567890");
  /* Exactly at max: one more byte is too big, and the text is intact. */
  assert_int_equal(sbuf_adds(&b, "x"), RBL_ETOOBIG);
  assert_int_equal(sbuf_addf(&b, "%d", 1), RBL_ETOOBIG);
  assert_int_equal(b.len, 10);
  assert_string_equal(sbuf_str(&b), "1234567890");
  /* A huge n must not wrap the length check. */
  assert_int_equal(sbuf_add(&b, "y", SIZE_MAX), RBL_ETOOBIG);
  assert_int_equal(sbuf_add(&b, "", 0), RBL_OK);
  sbuf_reset(&b);
  assert_string_equal(sbuf_str(&b), "");
  assert_int_equal(sbuf_adds(&b, "abc"), RBL_OK);
  assert_string_equal(sbuf_str(&b), "abc");
  sbuf_free(&b);
  assert_null(b.p);
  assert_string_equal(sbuf_str(&b), "");
}

static void
test_sbuf_addf_long(void **state)
{
  (void)state;
  struct sbuf b;
  sbuf_init(&b, 4096);
  char big[1001];
  memset(big, 'q', 1000);
  big[1000] = '\0';
  /* Longer than the formatter's small buffer. */
  assert_int_equal(sbuf_addf(&b, "<%s>%d", big, 7), RBL_OK);
  assert_int_equal(b.len, 1003);
  assert_int_equal(sbuf_str(&b)[0], '<');
  assert_string_equal(sbuf_str(&b) + 1001, ">7");
  assert_int_equal(sbuf_addf(&b, "%s%s%s%s", big, big, big, big),
                   RBL_ETOOBIG);
  assert_int_equal(b.len, 1003);
  sbuf_free(&b);
}

/* ---- arena -------------------------------------------------------------- */
static void
test_arena_alloc(void **state)
{
  (void)state;
  struct arena a = ARENA_INIT;
  unsigned char *p = arena_alloc(&a, 100);
  assert_non_null(p);
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(p[i], 0);
  memset(p, 0xaa, 100);
  unsigned char *q = arena_alloc(&a, 1);
  assert_non_null(q);
  assert_int_equal(q[0], 0);
  assert_true((uintptr_t)q % sizeof(max_align_t) == 0);
  assert_true(q >= p + 100 || q + 1 <= p); /* no overlap */
  /* Bigger than a chunk, and many small ones across chunks. */
  unsigned char *big = arena_alloc(&a, 100000);
  assert_non_null(big);
  memset(big, 1, 100000);
  void *zero = arena_alloc(&a, 0);
  assert_non_null(zero);
  for (int i = 0; i < 2000; i++) {
    int *x = arena_alloc(&a, sizeof(int) * 8);
    assert_non_null(x);
    assert_int_equal(x[7], 0);
    x[7] = i;
  }
  /* Earlier memory is untouched. */
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(p[i], 0xaa);
  arena_free(&a);
  assert_null(a.head);
  /* Reusable after free. */
  assert_non_null(arena_alloc(&a, 8));
  arena_free(&a);
}

static void
test_arena_strings(void **state)
{
  (void)state;
  struct arena a = ARENA_INIT;
  char src[] = "hello";
  char *s = arena_strdup(&a, src);
  assert_non_null(s);
  assert_string_equal(s, "hello");
  assert_true(s != src);
  src[0] = 'j';
  assert_string_equal(s, "hello");
  char *n = arena_strndup(&a, "abcdef", 3);
  assert_string_equal(n, "abc");
  char *e = arena_strdup(&a, "");
  assert_string_equal(e, "");
  char *f = arena_printf(&a, "%s-%d-%05.1f", "x", 42, 3.14159);
  assert_string_equal(f, "x-42-003.1");
  char big[3000];
  memset(big, 'z', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  char *g = arena_printf(&a, "[%s]", big);
  assert_int_equal(strlen(g), sizeof(big) + 1);
  assert_int_equal(g[0], '[');
  assert_int_equal(g[sizeof(big)], ']');
  arena_free(&a);
}

static void
test_arena_merge(void **state)
{
  (void)state;
  struct arena dst = ARENA_INIT, src = ARENA_INIT, empty = ARENA_INIT;
  char *d1 = arena_strdup(&dst, "in dst");
  char *s1 = arena_strdup(&src, "in src");
  char *s2 = arena_alloc(&src, 50000); /* a big block too */
  assert_non_null(s2);
  memset(s2, 'b', 50000);
  arena_merge(&dst, &src);
  assert_null(src.head);
  assert_non_null(dst.head);
  /* src may be freed (it is empty) and reused without touching dst. */
  arena_free(&src);
  char *s3 = arena_strdup(&src, "src again");
  assert_string_equal(d1, "in dst");
  assert_string_equal(s1, "in src");
  assert_int_equal(s2[49999], 'b');
  /* dst keeps allocating. */
  char *d2 = arena_strdup(&dst, "after merge");
  assert_string_equal(d2, "after merge");
  /* Merging an empty arena changes nothing. */
  struct arena_chunk *head = dst.head;
  arena_merge(&dst, &empty);
  assert_ptr_equal(dst.head, head);
  /* Merging into an empty arena moves everything. */
  arena_merge(&empty, &src);
  assert_null(src.head);
  assert_string_equal(s3, "src again");
  arena_free(&empty);
  /* One free releases both (ASan/valgrind check for leaks). */
  arena_free(&dst);
  assert_null(dst.head);
}

static void
test_strcaseeq(void **state)
{
  (void)state;
  assert_true(util_strcaseeq("Example.COM", "example.com"));
  assert_true(util_strcaseeq("", ""));
  assert_false(util_strcaseeq("example", "example.com"));
  assert_false(util_strcaseeq("a", "b"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_u64_ok),
    cmocka_unit_test(test_u64_max),
    cmocka_unit_test(test_u64_overflow),
    cmocka_unit_test(test_u64_single_digit_over_max),
    cmocka_unit_test(test_u64_syntax),
    cmocka_unit_test(test_duration_units),
    cmocka_unit_test(test_duration_bad_unit),
    cmocka_unit_test(test_duration_missing_number),
    cmocka_unit_test(test_duration_overflow),
    cmocka_unit_test(test_format_duration),
    cmocka_unit_test(test_escape_plain),
    cmocka_unit_test(test_escape_bidi),
    cmocka_unit_test(test_escape_composed),
    cmocka_unit_test(test_escape_controls),
    cmocka_unit_test(test_escape_c1),
    cmocka_unit_test(test_escape_invalid_utf8),
    cmocka_unit_test(test_escape_overlong),
    cmocka_unit_test(test_escape_surrogates),
    cmocka_unit_test(test_escape_valid_multibyte),
    cmocka_unit_test(test_escape_respects_max),
    cmocka_unit_test(test_sbuf_max),
    cmocka_unit_test(test_sbuf_addf_long),
    cmocka_unit_test(test_arena_alloc),
    cmocka_unit_test(test_arena_strings),
    cmocka_unit_test(test_arena_merge),
    cmocka_unit_test(test_strcaseeq),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
