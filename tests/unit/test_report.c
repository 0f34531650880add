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
  *lv = (struct listing_view){&ep, NULL, &ev, &rem, "mail"};
  static const struct finding none;
  *v = (struct status_view){T0 + 7200, T0 + 3600, lv, 1, health, 2, &none, 0,
                            RBL_EXIT_CRITICAL, RBL_EXIT_CRITICAL, 7200, false};
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
                              "\"bl\",watchlist=\"mail\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_listed_severity{target=\"192.0.2.1\","
                              "list=\"bl\",watchlist=\"mail\",severity="
                              "\"critical\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_listed_since_timestamp_seconds{target="
                              "\"192.0.2.1\",list=\"bl\",watchlist=\"mail\"}"
                              " 1764000000\n"));
  assert_non_null(strstr(out, "rblmon_listed_rejections_24h{target="
                              "\"192.0.2.1\",list=\"bl\",watchlist=\"mail\"}"
                              " 2\n"));
  assert_non_null(strstr(out, "rblmon_rejections_unexplained{kind="
                              "\"receiver-block\"} 0\n"));
  /* every state of every list, the current one 1 */
  assert_non_null(strstr(out, "rblmon_list_health{list=\"dead.example\","
                              "health=\"dead\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_list_health{list=\"dead.example\","
                              "health=\"ok\"} 0\n"));
  assert_non_null(strstr(out, "rblmon_list_health{list=\"bl\","
                              "health=\"stale\"} 0\n"));
  assert_non_null(strstr(out, "rblmon_status 2\n"));
  assert_null(strstr(out, "_since_seconds"));
  free(c.buf);
}

/* Nagios: the status line with listings, the last check's age and the
 * perfdata whose ranges alert at one listing ("0": above 0); a long-text
 * line per listing; a stale state says so. */
static void
status_nagios(void **state)
{
  (void)state;
  struct status_view v;
  struct listing_view lv;
  struct capture c;
  status_of(&v, &lv);
  cap_open(&c);
  report_nagios.status(c.f, &v);
  const char *out = cap_close(&c);
  assert_string_equal(out,
    "RBLMON CRITICAL - 1 listed: 192.0.2.1 on bl; last check 1h 0m ago | "
    "listed=1;;;0 critical=1;;0;0 warning=0;0;;0 age=3600s;7200;;0\n"
    "192.0.2.1 on bl: critical, 127.0.0.2 (spam trap hits), since "
    "2025-11-24T16:00:00Z\n");
  free(c.buf);
  v.now = T0 + 3600 + 7201;
  v.stale = true;
  cap_open(&c);
  report_nagios.status(c.f, &v);
  out = cap_close(&c);
  assert_non_null(strstr(out, "; last check 2h 0m ago (stale: older than "
                              "2h 0m) | "));
  assert_non_null(strstr(out, " age=7201s;7200;;0\n"));
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
 * it then): nagios is for checks and status only. */
static void
views_served(void **state)
{
  (void)state;
  assert_non_null(report_nagios.status);
  assert_null(report_nagios.history);
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

/* A check's result for pair (target, list bl) in watchlist wl. */
static struct result
pair_result(const struct list_def *bl, const char *target, const char *wl,
            enum result_status status)
{
  struct result r;
  memset(&r, 0, sizeof(r));
  snprintf(r.target, sizeof(r.target), "%s", target);
  r.watchlist = wl;
  r.list = bl;
  r.status = status;
  r.has_sev = status == RES_LISTED;
  r.sev = status == RES_LISTED ? SEV_CRITICAL : SEV_GOOD;
  return r;
}

/* A check's metrics for results r[0..n), with the open listings. */
static char *
check_prometheus(const struct result *r, size_t n, const struct episode *open,
                 size_t nopen, bool known)
{
  struct list_state ls;
  memset(&ls, 0, sizeof(ls));
  ls.list = r[0].list;
  ls.health = HEALTH_OK;
  struct tally t;
  memset(&t, 0, sizeof(t));
  struct capture c;
  cap_open(&c);
  struct report_opts o = {c.f, false, false, false};
  void *st = report_prometheus.begin(&o);
  assert_non_null(st);
  for (size_t i = 0; i < n; i++)
    report_prometheus.result(st, &r[i]);
  struct report_summary s = {&t, &ls, 1, 0, 2, NULL, 0, true, false,
                             open, nopen, known, T0};
  report_prometheus.end(st, &s);
  cap_close(&c);
  return c.buf;
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
  struct result r = pair_result(&bl, "192.0.2.1", "", RES_LISTED);
  struct episode open[] = {
    {1, "192.0.2.0", "bl", "", "", SEV_WARNING, NULL, T0 - 5, T0, 0, NULL},
    {2, "192.0.2.1", "bl", "", "", SEV_CRITICAL, NULL, T0 - 9, T0, 0, NULL},
  };
  for (int known = 0; known < 2; known++) {
    char *out = check_prometheus(&r, 1, open, 2, known != 0);
    const char *line = "rblmon_listed_since_timestamp_seconds{target="
                       "\"192.0.2.1\",list=\"bl\",watchlist=\"\"} "
                       "1763999991\n";
    if (known)
      assert_non_null(strstr(out, line));
    else
      assert_null(strstr(out, "rblmon_listed_since_timestamp_seconds"));
    assert_null(strstr(out, "target=\"192.0.2.0\",list=\"bl\",watchlist="
                            "\"\"} 17"));
    free(out);
  }
}

/* Every checked pair has one rblmon_listed series: 1 listed, 0 clean; a
 * failed one has rblmon_check_error and keeps an open listing's 1 (a
 * list's outage is not a delisting), or has no rblmon_listed at all.
 * The severity is its own series; the watchlist a label everywhere. */
static void
check_prometheus_pairs(void **state)
{
  (void)state;
  struct list_def bl;
  memset(&bl, 0, sizeof(bl));
  bl.name = "bl";
  struct result r[] = {
    pair_result(&bl, "192.0.2.1", "mail", RES_LISTED),
    pair_result(&bl, "192.0.2.2", "mail", RES_CLEAN),
    pair_result(&bl, "192.0.2.3", "", RES_ERROR),
    pair_result(&bl, "192.0.2.4", "say \"hi\"\\", RES_SKIPPED),
  };
  struct episode open[] = {
    {1, "192.0.2.3", "bl", "", "", SEV_WARNING, NULL, T0 - 5, T0, 0, NULL},
  };
  char *out = check_prometheus(r, 4, open, 1, true);
  assert_non_null(strstr(out, "rblmon_listed{target=\"192.0.2.1\",list="
                              "\"bl\",watchlist=\"mail\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_listed{target=\"192.0.2.2\",list="
                              "\"bl\",watchlist=\"mail\"} 0\n"));
  assert_non_null(strstr(out, "rblmon_listed{target=\"192.0.2.3\",list="
                              "\"bl\",watchlist=\"\"} 1\n"));
  assert_null(strstr(out, "rblmon_listed{target=\"192.0.2.4\""));
  assert_non_null(strstr(out, "rblmon_listed_severity{target=\"192.0.2.1\","
                              "list=\"bl\",watchlist=\"mail\",severity="
                              "\"critical\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_listed_severity{target=\"192.0.2.3\","
                              "list=\"bl\",watchlist=\"\",severity="
                              "\"warning\"} 1\n"));
  assert_null(strstr(out, "rblmon_listed_severity{target=\"192.0.2.2\""));
  assert_non_null(strstr(out, "rblmon_check_error{target=\"192.0.2.3\","
                              "list=\"bl\",watchlist=\"\"} 1\n"));
  /* the operator's text, escaped as the exposition format asks */
  assert_non_null(strstr(out, "rblmon_check_error{target=\"192.0.2.4\","
                              "list=\"bl\",watchlist=\"say \\\"hi\\\""
                              "\\\\\"} 1\n"));
  assert_null(strstr(out, "rblmon_check_error{target=\"192.0.2.1\""));
  /* one series per health state, exactly one of them 1 */
  size_t ones = 0, zeros = 0;
  for (const char *l = out; (l = strstr(l, "rblmon_list_health{")) != NULL;
       l++) {
    const char *end = strchr(l, '\n');
    assert_non_null(end);
    ones += end[-1] == '1';
    zeros += end[-1] == '0';
  }
  assert_int_equal(ones, 1);
  assert_int_equal(zeros, HEALTH_STALE);
  assert_non_null(strstr(out, "rblmon_list_health{list=\"bl\",health="
                              "\"ok\"} 1\n"));
  free(out);
}

/* At most 10,000 pairs: a listing or a failure that comes when the rows
 * are full of clean pairs takes a clean pair's place; what is left out
 * is counted by result. */
static void
check_prometheus_cap(void **state)
{
  (void)state;
  enum { N = 10005 };
  struct list_def bl;
  memset(&bl, 0, sizeof(bl));
  bl.name = "bl";
  struct result *r = calloc(N + 2, sizeof(*r));
  assert_non_null(r);
  for (size_t i = 0; i < N; i++) {
    char t[32];
    snprintf(t, sizeof(t), "10.0.%zu.%zu", i / 256, i % 256);
    r[i] = pair_result(&bl, t, "big", RES_CLEAN);
  }
  r[N] = pair_result(&bl, "192.0.2.1", "big", RES_LISTED);
  r[N + 1] = pair_result(&bl, "192.0.2.2", "big", RES_ERROR);
  char *out = check_prometheus(r, N + 2, NULL, 0, false);
  assert_non_null(strstr(out, "rblmon_listed{target=\"192.0.2.1\",list="
                              "\"bl\",watchlist=\"big\"} 1\n"));
  assert_non_null(strstr(out, "rblmon_check_error{target=\"192.0.2.2\""));
  assert_non_null(strstr(out, "rblmon_listed_series_dropped{result="
                              "\"clean\"} 7\n"));
  assert_non_null(strstr(out, "rblmon_listed_series_dropped{result="
                              "\"listed\"} 0\n"));
  size_t n = 0;
  for (const char *l = out; (l = strstr(l, "\nrblmon_listed{")) != NULL; l++)
    n++;
  assert_int_equal(n, 10000 - 1); /* and the failure without a listing */
  free(out);
  free(r);
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
    cmocka_unit_test(status_nagios),
    cmocka_unit_test(history_text_empty),
    cmocka_unit_test(views_served),
    cmocka_unit_test(check_prometheus_since),
    cmocka_unit_test(check_prometheus_pairs),
    cmocka_unit_test(check_prometheus_cap),
    cmocka_unit_test(scan_text),
    cmocka_unit_test(scan_json),
    cmocka_unit_test(scan_not_begun),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
