/* logscan, the line layer: logline_split finds the time, the host that
 * wrote the line and the program in every syslog shape (BSD, FreeBSD's
 * "<facility.priority>", no host, RFC 3339, an ISO time with a space,
 * a docker compose prefix) and tells them from Exim's own mainlog, which
 * shares the ISO time; the host becomes the rejection's loghost (journald:
 * _HOSTNAME); the stage is the command a text starts with; and every line
 * a parser would look at carries one of logscan_markers (lines without
 * one are never handed over). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logscan.h"

#define T(fn) cmocka_unit_test(fn)

static struct logclock clk;

static int
setup(void **state)
{
  (void)state;
  setenv("TZ", "UTC", 1); /* BSD syslog times are local time */
  tzset();
  logclock_init(&clk, 1767607200 + 86400); /* 2026-01-06 */
  return 0;
}

static bool
split(const char *line, struct logline *l)
{
  return logline_split(&clk, line, strlen(line), l);
}

static void
assert_part(const char *p, size_t n, const char *want)
{
  if (want == NULL) {
    assert_int_equal(n, 0);
    return;
  }
  assert_non_null(p);
  assert_int_equal(n, strlen(want));
  assert_memory_equal(p, want, n);
}

static void
splits_syslog_shapes(void **state)
{
  (void)state;
  static const struct {
    const char *line, *host, *prog, *msg;
    int64_t time;
  } cases[] = {
    {"Jan  5 10:00:00 mx1 postfix/smtp[2101]: 7EE668039: to=<a@b>", "mx1",
     "postfix/smtp", "7EE668039: to=<a@b>", 1767607200},
    {"Jan 05 10:00:00 mx1.example.org server1-1/smtp[1]: Q: x",
     "mx1.example.org", "server1-1/smtp", "Q: x", 1767607200},
    /* FreeBSD syslogd -v */
    {"Jan  5 10:00:00 <mail.notice> robin sm-mta[2794]: 55HIbc: x", "robin",
     "sm-mta", "55HIbc: x", 1767607200},
    /* no host: postlog to a file, OpenSMTPD on OpenBSD's newsyslog */
    {"Jan  5 10:00:00 smtpd[12057]: 2c93 smtp event=closed", NULL, "smtpd",
     "2c93 smtp event=closed", 1767607200},
    {"Jan  5 10:00:00 mx1 postfix: a program without a pid", "mx1",
     "postfix", "a program without a pid", 1767607200},
    {"2026-01-05T11:00:00.123456+01:00 relay2 mx2/smtp[4201]: Q: y",
     "relay2", "mx2/smtp", "Q: y", 1767607200},
    {"2026-01-05T10:00:00Z relay2 postfix-out/error[9]: Q: z", "relay2",
     "postfix-out/error", "Q: z", 1767607200},
    /* ISO time with a space, as Exim's, but a syslog line after it */
    {"2026-01-05 10:00:00 mx1.fqdn.local exim[29786]: 2026-01-05 10:00:00 x",
     "mx1.fqdn.local", "exim", "2026-01-05 10:00:00 x", 1767607200},
    /* docker compose */
    {"postfix-mailcow-1  | Jan  5 10:00:00 mail postfix/smtp[61]: Q: w",
     "mail", "postfix/smtp", "Q: w", 1767607200},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct logline l;
    assert_true(split(cases[i].line, &l));
    assert_false(l.exim_mainlog);
    assert_int_equal(l.time, cases[i].time);
    assert_part(l.host, l.hostlen, cases[i].host);
    assert_part(l.prog, l.proglen, cases[i].prog);
    assert_part(l.msg, l.msglen, cases[i].msg);
  }
}

static void
splits_exim_mainlog(void **state)
{
  (void)state;
  /* Exim's lines after the time: none of them is "HOST prog[pid]: " */
  static const struct {
    const char *line, *msg;
  } cases[] = {
    {"2026-01-05 10:00:00 1t2AbC-000000001Ab-2xYz ** u@example.com R=x",
     "1t2AbC-000000001Ab-2xYz ** u@example.com R=x"},
    {"2026-01-05 10:00:00.123 [4711] 1t2AbD-0002Cd-3aBc == k@y R=d",
     "1t2AbD-0002Cd-3aBc == k@y R=d"},
    {"2026-01-05 10:00:00 +0100 1RookS-000Pg8-VO DKIM: d=example.org s=k",
     "1RookS-000Pg8-VO DKIM: d=example.org s=k"},
    {"2026-01-05 10:00:00 Test: temp-rej connect", "Test: temp-rej connect"},
    {"2026-01-05 10:00:00 Start queue run: pid=4801",
     "Start queue run: pid=4801"},
    {"2026-01-05 10:00:00 [10099] H=(x.example) [198.51.100.1]:3755 F=<a@b>",
     "H=(x.example) [198.51.100.1]:3755 F=<a@b>"},
    {"2026-01-05 10:00:00 exim 4.96 daemon started: pid=1",
     "exim 4.96 daemon started: pid=1"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct logline l;
    assert_true(split(cases[i].line, &l));
    assert_true(l.exim_mainlog);
    assert_null(l.host);
    assert_part(l.prog, l.proglen, "exim");
    assert_part(l.msg, l.msglen, cases[i].msg);
  }
  struct logline l;
  assert_true(split("2026-01-05 10:00:00 +0100 x", &l));
  assert_int_equal(l.time, 1767603600);
}

static void
refuses_other_shapes(void **state)
{
  (void)state;
  static const char *const bad[] = {
    "", "Jan  5", "Jan  5 10:00:00", "Jan  5 10:00:00 mx1",
    "Jan  5 10:00:00 mx1 postfix/smtp[1] no colon",
    "Jan  5 10:00:00 mx1 postfix/smtp[1",
    "Foo  5 10:00:00 mx1 postfix/smtp[1]: Q: x",
    "relay: PermFail for 64303: session=7818, stat=550 no syslog prefix",
    "x  | not a compose prefix either",
    "name | Jan  5 10:00:00 mx1 postfix/smtp[1]",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct logline l;
    assert_false(split(bad[i], &l));
  }
}

static const char *const samples[] = {
  "Jan  5 10:00:01 relay1 postfix-out/smtp[3101]: 1A2B3C4D5E: "
  "to=<anna@example.net>, relay=mx.example.net[198.51.100.50]:25, dsn=5.7.1,"
  " status=bounced (host mx.example.net[198.51.100.50] said: 554 5.7.1 "
  "Service unavailable (in reply to RCPT TO command))",
  "2026-01-05T11:01:00+01:00 relay2 mx2/smtp[4201]: 2B3C4D5E6F: host "
  "mx1.example.com[198.51.100.21] refused to talk to me: 554 go away",
  "2026-01-05 10:00:00 1t2AbO-00000000DYz-4lMn ** rosa@example.com "
  "R=dnslookup T=remote_smtp H=mx.example.com [198.51.100.20] : PRDR error "
  "after DATA: 550 5.7.1 Message rejected",
  "Jan  5 10:00:00 mx7 exim[9001]: 2026-01-05 10:00:00 1t2AbX-0000QRs-2tUv "
  "** ned@example.net R=d T=r H=mx.example.net [198.51.100.50]: SMTP error "
  "from remote mail server after RCPT TO:<ned@example.net>: 550 no",
  "Jan  5 10:00:00 <mail.notice> mx5 sm-mta[7001]: 605BA1aA007001: "
  "to=<amy@example.com>, mailer=esmtp, relay=mx.example.com. "
  "[198.51.100.20], dsn=5.0.0, stat=Service unavailable",
  "Jan  5 10:00:00 mx6 smtpd[8001]: 7a1b2c3d4e5f6071 mta event=delivery "
  "evpid=0a1b2c3d4e5f6071 from=<n@example.org> to=<ian@example.com> "
  "rcpt=<-> source=\"192.0.2.33\" relay=\"198.51.100.20 (mx.example.com)\" "
  "delay=2s result=\"PermFail\" stat=\"550 5.7.1 blocked\"",
  "Jan  5 10:00:00 mx6 smtpd[8002]: relay: TempFail for 0b1c2d3e4f506173: "
  "session=0b1c, from=<n@example.org>, to=<lou@example.com>, rcpt=<->, "
  "source=192.0.2.33, relay=198.51.100.20 (mx.example.com), delay=5m, "
  "stat=451 4.7.1 Greylisted",
};
static const char *const sample_hosts[] = {
  "relay1", "relay2", "", "mx7", "mx5", "mx6", "mx6",
};

static void
fills_loghost(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    struct rejection r;
    memset(&r, 0x55, sizeof(r)); /* nothing of an earlier line is kept */
    assert_true(logscan_line(&clk, samples[i], strlen(samples[i]), &r));
    assert_string_equal(r.loghost, sample_hosts[i]);
  }
}

/* Every line a parser would read holds a marker: the reader hands over
 * no other line (logread_filtered), so a parser that accepts a line
 * without one would never see it in a real scan. */
static void
samples_carry_a_marker(void **state)
{
  (void)state;
  const struct mta_parser *const parsers[] = {
    &logscan_postfix, &logscan_exim, &logscan_sendmail, &logscan_opensmtpd};
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    size_t n = strlen(samples[i]);
    bool maybe = false, marker = false;
    for (size_t k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++)
      maybe = maybe || parsers[k]->maybe(samples[i], n);
    for (size_t k = 0; logscan_markers[k] != NULL; k++)
      marker = marker || log_find(samples[i], n, logscan_markers[k]);
    assert_true(maybe);
    assert_true(marker);
  }
  /* and the other way: no marker, no parser interest */
  static const char *const quiet[] = {
    "Jan  5 10:00:00 mx1 postfix/qmgr[1]: Q: from=<a@b>, size=1, nrcpt=1",
    "Jan  5 10:00:00 mx1 postfix/smtp[1]: Q: to=<a@b>, relay=x[1.2.3.4]:25,"
    " dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    "2026-01-05 10:00:00 1t2AbI-000000007Mn-8fGh ** nobody@example.org: "
    "Unrouteable address",
  };
  for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
    for (size_t k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++)
      assert_false(parsers[k]->maybe(quiet[i], strlen(quiet[i])));
}

static void
stage_is_the_command_first_named(void **state)
{
  (void)state;
  static const struct {
    const char *text, *stage;
  } cases[] = {
    {" (in reply to RCPT TO command)", "rcpt"},
    {" (in reply to end of DATA command)", "data"},
    {" (in reply to MAIL FROM command)", "mail"},
    {"RCPT TO:<u@example.com>", "rcpt"},
    {"MAIL FROM:<RCPT-DATA@example.org> SIZE=1200", "mail"},
    {"pipelined MAIL FROM:<a@example.org>", "mail"},
    {"pipelined DATA", "data"},
    {"end of data", "data"},
    {"DATA", "data"},
    {"initial connection", "greeting"},
    {"HELO the.local.host.name", "helo"},
    {"EHLO mail.example.org", "helo"},
    {"STARTTLS", "helo"},
    {"QUIT", "unknown"},
    {"", "unknown"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    assert_string_equal(log_stage(cases[i].text, strlen(cases[i].text)),
                        cases[i].stage);
}

static void
journal_hostname_is_the_loghost(void **state)
{
  (void)state;
  const char *json =
    "{\"__REALTIME_TIMESTAMP\": \"1767607200000000\", \"_HOSTNAME\": "
    "\"relay2\", \"SYSLOG_IDENTIFIER\": \"mx2/smtp\", \"MESSAGE\": \"Q1: "
    "to=<a@example.com>, relay=mx.example.com[198.51.100.20]:25, dsn=5.7.1, "
    "status=bounced (host mx.example.com[198.51.100.20] said: 554 5.7.1 no "
    "(in reply to RCPT TO command))\"}";
  struct rejection r;
  assert_true(journal_json_line(json, strlen(json), &r));
  assert_string_equal(r.loghost, "relay2");
  assert_string_equal(r.mta, "postfix");
  assert_int_equal(r.time, 1767607200);

  static const char *const export[] = {
    "__CURSOR=s=1;i=1", "__REALTIME_TIMESTAMP=1767607200000000",
    "_HOSTNAME=relay3", "SYSLOG_IDENTIFIER=postfix-out/smtp",
    ("MESSAGE=Q2: host mx.example.com[198.51.100.20] said: 550 5.7.1 no "
     "(in reply to end of DATA command)"),
    "",
  };
  struct journal_export e;
  memset(&e, 0, sizeof(e));
  bool got = false;
  for (size_t i = 0; i < sizeof(export) / sizeof(export[0]); i++)
    got = journal_export_line(&e, export[i], strlen(export[i]), &r);
  assert_true(got);
  assert_string_equal(r.loghost, "relay3");
  assert_string_equal(r.queue_id, "Q2");
  assert_string_equal(r.stage, "data");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(splits_syslog_shapes),
    T(splits_exim_mainlog),
    T(refuses_other_shapes),
    T(fills_loghost),
    T(samples_carry_a_marker),
    T(stage_is_the_command_first_named),
    T(journal_hostname_is_the_loghost),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
