/* test_report.c - reporters print a view from rows alone (no state):
 * status in text, JSON and Prometheus, history in text, the views a
 * format does not serve left NULL, the check's Prometheus listed-since
 * taken from the open listings the cycle hands over, and scan-logs'
 * rejections and summary as the pass hands them over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "scanresult.h"

#define T0 1764000000 /* 2025-11-24T16:00:00Z */

/* What a printer wrote, as one malloc'ed string. */
struct capture {
  char *buf;
  size_t len;
  FILE *f;
};

static void
cap_open(struct capture *c)
{
  c->buf = NULL;
  c->len = 0;
  c->f = open_memstream(&c->buf, &c->len);
  assert_non_null(c->f);
}

static const char *
cap_close(struct capture *c)
{
  fclose(c->f);
  return c->buf;
}

static const struct episode ep = {
  7, "192.0.2.1", "bl", "127.0.0.2", "spam trap hits", SEV_CRITICAL,
  "see \x1b]8;;x", T0, T0 + 3600, 0, "mail"};

static struct evidence ev = {3, 2, 3, T0, T0 + 60, {"gmail.com"}, {{0}}, 1,
                             {{0}}, {0}, 0};

static const struct reminder rem = {
  11, 7, REM_OPEN, T0 + 86400, 0, 0, 0, 0, NULL, false,
  {7, "192.0.2.1", "bl", "127.0.0.2", "spam trap hits", SEV_CRITICAL, NULL,
   T0, T0 + 3600, 0, "mail"}};

static const struct health_row health[] = {
  {"bl", "ok", NULL, T0, T0},
  {"dead.example", "dead", "no answer for 127.0.0.2", T0, T0},
};

static void
status_of(struct status_view *v, struct listing_view *lv)
{
  *lv = (struct listing_view){&ep, NULL, &ev, &rem};
  static const struct finding none;
  *v = (struct status_view){T0 + 7200, T0 + 3600, lv, 1, health, 2, &none, 0,
                            RBL_EXIT_CRITICAL};
}

static void
status_text(void **state)
{
  (void)state;
  struct status_view v;
  struct listing_view lv;
  struct capture c;
  status_of(&v, &lv);
  cap_open(&c);
  report_text.status(c.f, &v);
  const char *out = cap_close(&c);
  assert_non_null(strstr(out, "Listed now (last check "
                              "2025-11-24T17:00:00Z, 1h 0m ago):\n"));
  /* the TXT record is untrusted: escaped, never raw */
  assert_non_null(strstr(out, "    TXT: see \\x1b]8;;x\n"));
  assert_non_null(strstr(out, "    evidence: 2 rejections in 24 h, 3 in 7 "
                              "days at gmail.com (URGENT)\n"));
  assert_non_null(strstr(out, "    reminder 11: open, next "
                              "2025-11-25T16:00:00Z"));
  assert_non_null(strstr(out, "  dead.example             dead        since "
                              "2025-11-24T16:00:00Z: no answer"));
  assert_null(strstr(out, "  bl                       ok"));
  assert_non_null(strstr(out, "\nBlocks no listing explains (last 7 "
                              "days):\n  none\n"));
  free(c.buf);
}

static void
status_json(void **state)
{
  (void)state;
  struct status_view v;
  struct listing_view lv;
  struct capture c;
  status_of(&v, &lv);
  cap_open(&c);
  report_json.status(c.f, &v);
  const char *out = cap_close(&c);
  assert_non_null(strstr(out, "{\n \"schema_version\": 1,\n"));
  assert_non_null(strstr(out, "\"watchlist\": \"mail\""));
  assert_non_null(strstr(out, "\"urgent\": true"));
  assert_non_null(strstr(out, "\"rejections_24h\": 2"));
  assert_non_null(strstr(out, "\"status\": \"CRITICAL\""));
  assert_non_null(strstr(out, "\"last_check\": \"2025-11-24T17:00:00Z\""));
  assert_non_null(strstr(out, "\"spam trap hits\""));
  assert_non_null(strstr(out, "\"txt\": \"see \\\\x1b]8;;x\""));
  free(c.buf);
}

static void
status_prometheus(void **state)
{
  (void)state;
  struct status_view v;
  struct listing_view lv;
  struct capture c;
  status_of(&v, &lv);
  cap_open(&c);
  report_prometheus.status(c.f, &v);
  const char *out = cap_close(&c);
  assert_non_null(strstr(out, "rblmon_listed{target=\"192.0.2.1\",list="
                              "\"bl\",severity=\"critical\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_listed_since_seconds{target="
                              "\"192.0.2.1\",list=\"bl\"} 1764000000\n"));
  assert_non_null(strstr(out, "rblmon_list_health{list=\"dead.example\","
                              "health=\"dead\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_status 2\n"));
  free(c.buf);
}

static void
history_text_empty(void **state)
{
  (void)state;
  struct history_view v = {T0, "192.0.2.9", NULL, 0};
  struct capture c;
  cap_open(&c);
  report_text.history(c.f, &v);
  const char *out = cap_close(&c);
  assert_non_null(strstr(out, "\nno listing episodes for 192.0.2.9\n"));
  free(c.buf);
}

/* A format serves a view or leaves it NULL (the command table refuses
 * it then): nagios is for checks only. */
static void
views_served(void **state)
{
  (void)state;
  assert_null(report_nagios.status);
  assert_null(report_nagios.lists);
  assert_null(report_prometheus.history);
  assert_non_null(report_prometheus.status);
  assert_non_null(report_text.remind);
  assert_non_null(report_json.lists);
  assert_non_null(report_text.scan_hit);
  assert_null(report_prometheus.scan_begin);
  assert_int_equal(report_bit(report_find("prometheus")), REPORT_PROMETHEUS);
  assert_null(report_find("xml"));
}

/* listed-since in a check's metrics comes from the open listings handed
 * over, matched by target and list; none when the state was not
 * written. */
static void
check_prometheus_since(void **state)
{
  (void)state;
  struct list_def bl;
  memset(&bl, 0, sizeof(bl));
  bl.name = "bl";
  struct result r;
  memset(&r, 0, sizeof(r));
  snprintf(r.target, sizeof(r.target), "192.0.2.1");
  r.list = &bl;
  r.status = RES_LISTED;
  r.has_sev = true;
  r.sev = SEV_CRITICAL;
  struct episode open[] = {
    {1, "192.0.2.0", "bl", "", "", SEV_WARNING, NULL, T0 - 5, T0, 0, NULL},
    {2, "192.0.2.1", "bl", "", "", SEV_CRITICAL, NULL, T0 - 9, T0, 0, NULL},
  };
  struct tally t;
  memset(&t, 0, sizeof(t));
  for (int known = 0; known < 2; known++) {
    struct capture c;
    cap_open(&c);
    struct report_opts o = {c.f, false, false, false};
    void *st = report_prometheus.begin(&o);
    assert_non_null(st);
    report_prometheus.result(st, &r);
    struct report_summary s = {&t, NULL, 0, 0, 2, NULL, 0, true, false,
                               open, 2, known != 0, T0};
    report_prometheus.end(st, &s);
    const char *out = cap_close(&c);
    const char *line = "rblmon_listed_since_seconds{target=\"192.0.2.1\","
                       "list=\"bl\"} 1763999991\n";
    if (known)
      assert_non_null(strstr(out, line));
    else
      assert_null(strstr(out, "rblmon_listed_since_seconds"));
    assert_null(strstr(out, "target=\"192.0.2.0\",list=\"bl\"} 17"));
    free(c.buf);
  }
}

/* Two rejections of a pass, one with a hostile reply text. */
static void
scan_feed(const struct reporter *rep, struct capture *c,
          struct scan_summary *sum)
{
  struct rejection r;
  memset(&r, 0, sizeof(r));
  r.time = T0;
  r.mta = "postfix";
  r.stage = "rcpt";
  r.code = 554;
  r.permanent = true;
  snprintf(r.domain, sizeof(r.domain), "gmail.com");
  snprintf(r.text, sizeof(r.text), "blocked using zen \x1b[31mred");
  struct verdict v;
  memset(&v, 0, sizeof(v));
  v.cause = CAUSE_BLOCKLIST;
  v.list = "zen.spamhaus.org";
  snprintf(v.named_ip, sizeof(v.named_ip), "192.0.2.1");
  struct scan_hit h = {&r, &v, true, "/var/log/mail.log", 42};
  void *st = rep->scan_begin(c->f);
  assert_non_null(st);
  rep->scan_hit(st, &h);
  rep->scan_hit(st, &h);
  memset(sum, 0, sizeof(*sum));
  sum->files = 1;
  sum->found = sum->permanent = 2;
  sum->by_cause[CAUSE_BLOCKLIST] = 2;
  sum->stateful = true;
  sum->stored_new = 1;
  sum->exit = 2;
  rep->scan_end(st, sum);
}

static void
scan_text(void **state)
{
  (void)state;
  struct capture c;
  struct scan_summary sum;
  cap_open(&c);
  scan_feed(&report_text, &c, &sum);
  const char *out = cap_close(&c);
  assert_non_null(strstr(out, "2 rejections of outgoing mail (2 permanent, "
                              "0 temporary), 1 new.\n"));
  assert_non_null(strstr(out, "By cause:\n       2  blocklist\n"));
  assert_non_null(strstr(out, "By receiver:\n       2  gmail.com\n"));
  assert_non_null(strstr(out, "By list or block:\n       2  "
                              "zen.spamhaus.org\n"));
  assert_null(strchr(out, '\x1b')); /* the reply is escaped */
  free(c.buf);
}

static void
scan_json(void **state)
{
  (void)state;
  struct capture c;
  struct scan_summary sum;
  cap_open(&c);
  scan_feed(&report_json, &c, &sum);
  const char *out = cap_close(&c);
  const char *head = "{\"schema_version\":1,\"rejections\":[\n{\"file\":";
  assert_int_equal(strncmp(out, head, strlen(head)), 0);
  assert_non_null(strstr(out, "\"line\":42,"));
  assert_non_null(strstr(out, "\"cause\":\"blocklist\""));
  assert_non_null(strstr(out, "\"ours\":true"));
  assert_non_null(strstr(out, "\"by_cause\":{\"blocklist\":2,"));
  assert_non_null(strstr(out, ",\"status\":\"CRITICAL\",\"exit\":2}\n"));
  assert_null(strchr(out, '\x1b'));
  free(c.buf);
}

/* A pass that did not begin prints nothing, in any format. */
static void
scan_not_begun(void **state)
{
  (void)state;
  const struct reporter *reps[] = {&report_text, &report_json};
  for (size_t i = 0; i < 2; i++) {
    struct capture c;
    cap_open(&c);
    void *st = reps[i]->scan_begin(c.f);
    assert_non_null(st);
    reps[i]->scan_end(st, NULL);
    assert_int_equal(strlen(cap_close(&c)), 0);
    free(c.buf);
  }
}

int
main(void)
{
  setenv("TZ", "UTC", 1);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(status_text),
    cmocka_unit_test(status_json),
    cmocka_unit_test(status_prometheus),
    cmocka_unit_test(history_text_empty),
    cmocka_unit_test(views_served),
    cmocka_unit_test(check_prometheus_since),
    cmocka_unit_test(scan_text),
    cmocka_unit_test(scan_json),
    cmocka_unit_test(scan_not_begun),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
