/* logsource: the table of log sources picks the source a first line
 * shows, each sample log gives the rejections (and line numbers) of its
 * expected file, a journal export whose last entry lacks its blank line
 * still gives that entry, and the cause names follow enum cause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "logsource.h"

static void
test_detect(void **state)
{
  (void)state;
  static const struct {
    const char *line;
    const struct log_source *want;
  } cases[] = {
    {"{\"__CURSOR\":\"s=1\",\"MESSAGE\":\"x\"}", &logsource_journal_json},
    {"  {\"MESSAGE\":\"x\"}", &logsource_journal_json},
    {"__CURSOR=s=1;i=2", &logsource_journal_export},
    {"__REALTIME_TIMESTAMP=1767607200000000", &logsource_journal_export},
    {"Jan  5 10:00:00 mx1 postfix/smtp[1]: A1: to=<u@example.com>",
     &logsource_syslog},
    {"2026-01-05 10:00:00 1abc-000001-AB ** u@example.com", &logsource_syslog},
    {"", &logsource_syslog},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct log_source *got =
      logsource_detect(cases[i].line, strlen(cases[i].line));
    assert_ptr_equal(got, cases[i].want);
    assert_non_null(got->line);
  }
  /* syslog is the fallback: it claims nothing itself */
  assert_null(logsource_syslog.detect);
}

struct got {
  uint64_t line[64];
  size_t n;
  size_t warnings;
};

static void
on_found(void *arg, const struct rejection *r, const char *file,
         uint64_t line)
{
  struct got *g = arg;
  (void)file;
  assert_non_null(r->mta);
  if (g->n < 64)
    g->line[g->n] = line;
  g->n++;
}

static void
on_warn(void *arg, const char *msg)
{
  (void)msg;
  ((struct got *)arg)->warnings++;
}

static void
read_sample(const char *name)
{
  char path[512], exp[600];
  snprintf(path, sizeof(path), "%s/logs/%s", TESTS_DIR, name);
  snprintf(exp, sizeof(exp), "%s.expected.json", path);
  json_error_t je;
  json_t *want = json_load_file(exp, 0, &je);
  assert_non_null(want);
  struct got g = {{0}, 0, 0};
  struct logsource_sink sink = {on_found, on_warn, &g};
  struct logread_stats st = {0, 0, 0};
  uint64_t off = 0, lineno = 0;
  assert_int_equal(logsource_read(path, &off, &lineno, &sink, &st, NULL),
                   RBL_OK);
  assert_int_equal(g.warnings, 0);
  assert_int_equal(g.n, json_array_size(want));
  for (size_t i = 0; i < g.n && i < 64; i++)
    assert_int_equal(g.line[i],
                     json_integer_value(json_object_get(
                       json_array_get(want, i), "line")));
  json_decref(want);
}

static void
test_samples(void **state)
{
  (void)state;
  static const char *const names[] = {
    "postfix.log", "postfix-rfc3339.log", "exim.log", "sendmail.log",
    "opensmtpd.log", "journal.json", "journal.export",
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    read_sample(names[i]);
}

/* An export whose last entry ends without its blank line: end() gives it,
 * reported at its MESSAGE= line. */
static void
test_export_last_entry(void **state)
{
  (void)state;
  static const char text[] =
    "__CURSOR=s=1\n"
    "__REALTIME_TIMESTAMP=1767607200000000\n"
    "SYSLOG_IDENTIFIER=postfix/smtp\n"
    "MESSAGE=A1B2C3: to=<u@example.com>, relay=mx.example.com"
    "[198.51.100.25]:25, dsn=5.7.1, status=bounced (host mx.example.com"
    "[198.51.100.25] said: 554 5.7.1 blocked (in reply to RCPT TO "
    "command))\n"
    "_PID=1\n";
  char path[64];
  snprintf(path, sizeof(path), "/tmp/rblmon-logsource-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, sizeof(text) - 1),
                   (ssize_t)(sizeof(text) - 1));
  close(fd);
  struct got g = {{0}, 0, 0};
  struct logsource_sink sink = {on_found, on_warn, &g};
  struct logread_stats st = {0, 0, 0};
  uint64_t off = 0, lineno = 0;
  assert_int_equal(logsource_read(path, &off, &lineno, &sink, &st, NULL),
                   RBL_OK);
  unlink(path);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.line[0], 4);
}

static void
test_missing_file_warns(void **state)
{
  (void)state;
  struct got g = {{0}, 0, 0};
  struct logsource_sink sink = {on_found, on_warn, &g};
  struct logread_stats st = {0, 0, 0};
  uint64_t off = 0, lineno = 0;
  assert_int_not_equal(logsource_read("/nonexistent/rblmon/mail.log", &off,
                                      &lineno, &sink, &st, NULL),
                       RBL_OK);
  assert_int_equal(g.warnings, 1);
  assert_int_equal(g.n, 0);
}

static void
test_cause_names(void **state)
{
  (void)state;
  for (int i = 0; i < CAUSE_COUNT; i++) {
    assert_non_null(cause_names[i]);
    assert_string_equal(cause_name((enum cause)i), cause_names[i]);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(cause_names[i], cause_names[j]);
  }
  assert_null(cause_names[CAUSE_COUNT]);
  assert_string_equal(cause_names[CAUSE_BLOCKLIST], "blocklist");
  assert_string_equal(cause_names[CAUSE_UNKNOWN], "unknown");
  assert_string_equal(cause_name(CAUSE_COUNT), "unknown");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_detect),
    cmocka_unit_test(test_samples),
    cmocka_unit_test(test_export_last_entry),
    cmocka_unit_test(test_missing_file_warns),
    cmocka_unit_test(test_cause_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
