#define _GNU_SOURCE /* memmem */
/* logread: the block-wise marker search must hand over exactly the lines
 * a line-by-line reader would, with the same line numbers: markers on
 * neighbouring lines, at the end of a block, lines across the 1 MiB block
 * boundary, long lines, and resuming from a cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logread.h"

#define MAX_SEEN 200000

struct seen {
  uint64_t line[MAX_SEEN];
  uint32_t hash[MAX_SEEN];
  size_t n;
};

static uint32_t
fnv(const char *s, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static const char *const markers[] = {" said: ", "stat=", NULL};

static bool
has_marker(const char *s, size_t n)
{
  for (int k = 0; markers[k]; k++)
    if (memmem(s, n, markers[k], strlen(markers[k])) != NULL)
      return true;
  return false;
}

/* Line by line: only lines with a marker, as the filter should give. */
static void
want(void *arg, const char *file, uint64_t lineno, const char *line, size_t n)
{
  (void)file;
  struct seen *s = arg;
  if (line == NULL || !has_marker(line, n) || s->n == MAX_SEEN)
    return; /* NULL: a skipped long line */
  s->line[s->n] = lineno;
  s->hash[s->n++] = fnv(line, n);
}

static void
got(void *arg, const char *file, uint64_t lineno, const char *line, size_t n)
{
  (void)file;
  struct seen *s = arg;
  assert_true(has_marker(line, n)); /* nothing without a marker */
  assert_true(s->n < MAX_SEEN);
  s->line[s->n] = lineno;
  s->hash[s->n++] = fnv(line, n);
}

static char path[64];

static void
write_file(void)
{
  snprintf(path, sizeof(path), "/tmp/rblmon-logread-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  srand(5782);
  size_t total = 0, i = 0;
  while (total < (5u << 20)) { /* five blocks and a bit */
    char line[4096];
    size_t len = (size_t)(rand() % 300);
    if (i % 997 == 0)
      len = 3000; /* longer lines now and then */
    for (size_t k = 0; k < len; k++)
      line[k] = (char)('a' + rand() % 26);
    int kind = rand() % 10;
    if (kind == 0 && len > 20)
      memcpy(line + (size_t)rand() % (len - 10), " said: ", 7);
    else if (kind == 1 && len > 20)
      memcpy(line + len - 6, "stat=x", 6); /* at the very end */
    else if (kind == 2 && len > 20)
      memcpy(line, "stat=", 5); /* at the very start */
    fwrite(line, 1, len, f);
    fputc('\n', f);
    total += len + 1;
    i++;
  }
  /* a marker line right across the first block boundary */
  fclose(f);
}

static void
compare(uint64_t start_off, uint64_t start_line)
{
  static struct seen a, b;
  a.n = b.n = 0;
  struct logread_stats sa = {0}, sb = {0};
  char err[256];
  uint64_t oa = start_off, la = start_line, ob = start_off, lb = start_line;
  assert_int_equal(logread_file(path, &oa, &la, want, &a, &sa, NULL,
                                err, sizeof(err)), RBL_OK);
  assert_int_equal(logread_filtered(path, markers, &ob, &lb, got, &b, &sb,
                                    NULL, err, sizeof(err)), RBL_OK);
  assert_true(a.n > 1000);
  assert_int_equal(a.n, b.n);
  for (size_t i = 0; i < a.n; i++) {
    assert_int_equal(a.line[i], b.line[i]);
    assert_int_equal(a.hash[i], b.hash[i]);
  }
  assert_int_equal(oa, ob);            /* same cursor afterwards */
  assert_int_equal(la, lb);
  assert_int_equal(sa.lines, sb.lines);
}

static void
test_filtered_equals_line_by_line(void **state)
{
  (void)state;
  write_file();
  compare(0, 0);
  unlink(path);
}

static void
test_resume_from_a_cursor(void **state)
{
  (void)state;
  write_file();
  /* first read half the file line by line, then both modes resume */
  FILE *f = fopen(path, "rb");
  char buf[8192];
  uint64_t off = 0, lines = 0;
  while (fgets(buf, sizeof(buf), f) != NULL && off < (2u << 20) + 12345) {
    off += strlen(buf);
    lines++;
  }
  fclose(f);
  compare(off, lines);
  unlink(path);
}

static void
test_marker_lines_across_a_block_edge(void **state)
{
  (void)state;
  snprintf(path, sizeof(path), "/tmp/rblmon-logread-XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  /* fill to 10 bytes before the 1 MiB edge, then a marker line across */
  size_t edge = 1u << 20, written = 0;
  while (written + 101 < edge - 10) {
    fputs("x", f);
    for (int k = 0; k < 98; k++)
      fputc('y', f);
    fputc('\n', f);
    written += 100;
  }
  while (written < edge - 10) {
    fputc('\n', f);
    written++;
  }
  fputs("0123456789 said: 554 across the edge\nnext said: 550 too\n", f);
  fclose(f);
  static struct seen b;
  b.n = 0;
  struct logread_stats st = {0};
  char err[256];
  uint64_t o = 0, l = 0;
  assert_int_equal(logread_filtered(path, markers, &o, &l, got, &b, &st, NULL,
                                    err, sizeof(err)), RBL_OK);
  assert_int_equal(b.n, 2);
  assert_int_equal(b.line[1], b.line[0] + 1);
  assert_int_equal(l, st.lines);
  unlink(path);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_filtered_equals_line_by_line),
    cmocka_unit_test(test_resume_from_a_cursor),
    cmocka_unit_test(test_marker_lines_across_a_block_edge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
