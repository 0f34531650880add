/* logscan, the MTA parsers: which parser owns a line (by program name and
 * the message's shape, so that none takes another MTA's lines), and what
 * each reads from the shapes that are not in tests/logs field by field:
 * Postfix 2.x "connect to ...: server refused", a reply that quotes the
 * other phrase, Exim in syslog mode, Sendmail's local failures, and an
 * OpenSMTPD reply with a quote in it. */
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
  setenv("TZ", "UTC", 1);
  tzset();
  logclock_init(&clk, 1767607200 + 86400);
  return 0;
}

static const struct mta_parser *const parsers[] = {
  &logscan_postfix, &logscan_exim, &logscan_sendmail, &logscan_opensmtpd};

/* The name of the parser that owns the line, "-" for none. */
static const char *
owner(const char *line)
{
  struct logline l;
  if (!logline_split(&clk, line, strlen(line), &l))
    return "-";
  for (size_t k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++)
    if (parsers[k]->owns(&l))
      return parsers[k]->name;
  return "-";
}

static void
ownership_by_name_and_shape(void **state)
{
  (void)state;
  static const struct {
    const char *line, *owner;
  } cases[] = {
    {"Jan  5 10:00:00 h postfix/smtp[1]: 7EE668039: host x said: 550 no",
     "postfix"},
    {"Jan  5 10:00:00 h server1-1/smtp[1]: EEC614DD82BD4: to=<a@b>", "postfix"},
    {"Jan  5 10:00:00 h postfix-out/lmtp[1]: 44JCRG5tYPzCqt2: to=<a@b>",
     "postfix"},
    {"Jan  5 10:00:00 h mx2/error[1]: A1: to=<a@b>", "postfix"},
    {"Jan  5 10:00:00 h postfix/relay/smtp[1]: A1: host x said: 550 no",
     "postfix"},
    /* Postfix's other programs, and lines without a queue id */
    {"Jan  5 10:00:00 h postfix/smtpd[1]: A1: host x said: 550 no", "-"},
    {"Jan  5 10:00:00 h postfix/postscreen[1]: A1: said: 550 no", "-"},
    {"Jan  5 10:00:00 h postfix/local[1]: A1: to=<a@b>, relay=local", "-"},
    {"Jan  5 10:00:00 h mx2/smtp[1]: connect to x[1.2.3.4]:25: refused",
     "-"},
    {"Jan  5 10:00:00 h smtp[1]: A1: host x said: 550 no", "-"},
    /* other MTAs keep theirs, whatever the message says */
    {"Jan  5 10:00:00 h exim[1]: 2026-01-05 10:00:00 1RookS-000Pg8-VO ** a@b",
     "exim"},
    {"Jan  5 10:00:00 h exim4[1]: 1RookS-000Pg8-VO: host x said: 550 no",
     "exim"},
    {"Jan  5 10:00:00 h sm-mta[1]: 605AA1xK003299: host x said: 550 no",
     "sendmail"},
    {"Jan  5 10:00:00 h sendmail[1]: 605AA1xK003299: to=<a@b>, stat=x",
     "sendmail"},
    {"Jan  5 10:00:00 h smtpd[1]: 5df87c9b982c8401 mta delivery evpid=1",
     "opensmtpd"},
    {"2026-01-05 10:00:00 1t2AbC-000000001Ab-2xYz ** a@b R=x", "exim"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    assert_string_equal(owner(cases[i].line), cases[i].owner);
}

static bool
scan(const char *line, struct rejection *r)
{
  return logscan_line(&clk, line, strlen(line), r);
}

static void
postfix_shapes(void **state)
{
  (void)state;
  struct rejection r;
  /* 2.x: no dsn=, the server named by "connect to", "(port 25)" after */
  assert_true(scan("Jan  5 10:00:00 h postfix/smtp[1]: A1: to=<F@Example.net>,"
                   " relay=none, delay=30, status=deferred (connect to "
                   "mx.example.net[198.51.100.50]: server refused to talk to "
                   "me: 421 busy, try later   (port 25))", &r));
  assert_string_equal(r.host, "mx.example.net");
  assert_string_equal(r.ip, "198.51.100.50");
  assert_string_equal(r.recipient, "f@example.net");
  assert_string_equal(r.stage, "greeting");
  assert_int_equal(r.code, 421);
  assert_false(r.permanent);
  assert_string_equal(r.text, "busy, try later");
  /* a greeting that quotes "said:" is still a greeting */
  assert_true(scan("Jan  5 10:00:00 h mx2/smtp[1]: A2: host x.example[192.0.2.1]"
                   " refused to talk to me: 554 the list said: go away", &r));
  assert_string_equal(r.stage, "greeting");
  assert_string_equal(r.text, "the list said: go away");
  assert_string_equal(r.host, "x.example");
  /* SOFTBOUNCE is never permanent */
  assert_true(scan("Jan  5 10:00:00 h postfix/smtp[1]: A3: to=<a@b.example>, "
                   "dsn=4.7.1, status=SOFTBOUNCE (host x[192.0.2.1] said: 554 "
                   "5.7.1 no (in reply to RCPT TO command))", &r));
  assert_false(r.permanent);
  assert_string_equal(r.enhanced, "5.7.1");
}

static void
exim_shapes(void **state)
{
  (void)state;
  struct rejection r;
  /* syslog mode: Exim's own time and [pid] before the message id */
  assert_true(scan("Jan  5 10:00:00 mx7 exim[9]: 2026-01-05 10:00:00 [9] "
                   "1t2AbX-00000000QRs-2tUv == n@example.net R=d T=r defer (-44) "
                   "H=mx.example.net [198.51.100.50]: SMTP error from remote "
                   "mail server after RCPT TO:<n@example.net>: 550 5.7.1 no",
                   &r));
  assert_string_equal(r.queue_id, "1t2AbX-00000000QRs-2tUv");
  assert_false(r.permanent); /* deferred by Exim */
  assert_string_equal(r.stage, "rcpt");
  /* PRDR: the recipient's own answer after the data */
  assert_true(scan("2026-01-05 10:00:00 1t2AbO-00000000DYz-4lMn ** r@example.com"
                   " R=d T=r H=mx.example.com [198.51.100.20] : PRDR error "
                   "after DATA: 550-5.7.1 first\\n550 5.7.1 second", &r));
  assert_string_equal(r.stage, "data");
  assert_string_equal(r.text, "first second");
  assert_string_equal(r.host, "mx.example.com");
  /* the host's line without a flag repeats the recipients' lines */
  assert_false(scan("2026-01-05 10:00:00 1t2AbR-00000000GEf-6nOp H=mx.example.org"
                    " [198.51.100.30]: SMTP error from remote mail server after "
                    "initial connection: 554 5.7.1 no", &r));
  /* LMTP to a local store is not outgoing mail */
  assert_false(scan("2026-01-05 10:00:00 1t2AbW-00000000OPq-1sTu ** z@example.org"
                    " R=u T=lmtp H=127.0.0.1 [127.0.0.1] : LMTP error after "
                    "DATA: 550 5.1.1 No such mailbox", &r));
}

static void
sendmail_shapes(void **state)
{
  (void)state;
  struct rejection r;
  const char *pre = "Jan  5 10:00:00 mx5 sm-mta[7]: 605BA1aA007001: ";
  char line[1024];
  /* "dsn=5.0.0,stat=" (no space), several recipients */
  snprintf(line, sizeof(line), "%sto=<amy@example.com>,<bo@example.com>, "
           "mailer=esmtp, relay=mx.example.com. [198.51.100.20], "
           "dsn=5.0.0,stat=Service unavailable", pre);
  assert_true(scan(line, &r));
  assert_string_equal(r.recipient, "amy@example.com");
  assert_string_equal(r.enhanced, "5.0.0");
  assert_int_equal(r.code, 550);
  assert_string_equal(r.text, "Service unavailable");
  /* our own failures: no server spoken to, or no answer from it */
  static const char *const ours[] = {
    "to=<e@example.com>, mailer=esmtp, relay=mx.example.com., dsn=4.0.0, "
    "stat=Deferred: Connection refused by mx.example.com.",
    "to=<f@example.com>, mailer=esmtp, relay=mx.example.com. [198.51.100.20],"
    " dsn=4.0.0, stat=Deferred: Connection reset by mx.example.com.",
    "to=<g@example.net>, mailer=esmtp, relay=mx.example.net. [198.51.100.50],"
    " dsn=4.5.0, stat=Operating system error",
    "to=<h@example.net>, mailer=esmtp, relay=x.example.net. [198.51.100.50],"
    " dsn=5.1.2, stat=Host unknown (Name server: x.example.net: host not "
    "found)",
    "to=hal, delay=00:00:00, mailer=local, pri=30400, dsn=5.1.1, "
    "stat=User unknown",
  };
  for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
    snprintf(line, sizeof(line), "%s%s", pre, ours[i]);
    assert_false(scan(line, &r));
  }
  /* a deferral with the receiver's reply is read */
  snprintf(line, sizeof(line), "%sto=<i@example.net>, mailer=esmtp, "
           "relay=mx.example.net. [198.51.100.50], dsn=4.7.1, stat=Deferred: "
           "451 4.7.1 greylisted", pre);
  assert_true(scan(line, &r));
  assert_int_equal(r.code, 451);
  assert_string_equal(r.text, "greylisted");
}

static void
opensmtpd_shapes(void **state)
{
  (void)state;
  struct rejection r;
  /* 6.0-6.3; a quote inside the reply is the receiver's */
  assert_true(scan("Jan  5 10:00:00 mx6 smtpd[8]: 7a1b2c3d4e5f6071 mta "
                   "event=delivery evpid=0a1b2c3d4e5f6071 from=<n@example.org> "
                   "to=<Ian@Example.com> rcpt=<-> source=\"192.0.2.33\" relay="
                   "\"198.51.100.20 (mx.example.com)\" delay=2s result="
                   "\"PermFail\" stat=\"550 5.7.1 say \"no\" to spam\"", &r));
  assert_string_equal(r.queue_id, "0a1b2c3d4e5f6071");
  assert_string_equal(r.recipient, "ian@example.com");
  assert_string_equal(r.host, "mx.example.com");
  assert_string_equal(r.ip, "198.51.100.20");
  assert_string_equal(r.text, "say \"no\" to spam");
  /* 5.x */
  assert_true(scan("Jan  5 10:00:00 mx6 smtpd[8]: relay: TempFail for "
                   "0b1c2d3e4f506173: session=0b1c2d3e0a0b0c0e, "
                   "from=<n@example.org>, to=<lou@example.com>, rcpt=<->, "
                   "source=192.0.2.33, relay=198.51.100.20 (mx.example.com), "
                   "delay=5m, stat=451 4.7.1 Greylisted, try again", &r));
  assert_string_equal(r.queue_id, "0b1c2d3e4f506173");
  assert_string_equal(r.recipient, "lou@example.com");
  assert_string_equal(r.host, "mx.example.com");
  assert_string_equal(r.ip, "198.51.100.20");
  assert_false(r.permanent);
  assert_string_equal(r.text, "Greylisted, try again");
  /* no reply: a connection failure; local deliveries are not read */
  assert_false(scan("Jan  5 10:00:00 mx6 smtpd[8]: 7a1b mta event=delivery "
                    "evpid=0a1b to=<k@example.net> result=\"TempFail\" "
                    "stat=\"Connection refused\"", &r));
  assert_false(scan("Jan  5 10:00:00 mx6 smtpd[8]: delivery: PermFail for "
                    "0c1d: from=<n@example.org>, to=<m@example.org>, "
                    "user=m, method=mbox, delay=0s, stat=550 no such user",
                    &r));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(ownership_by_name_and_shape),
    T(postfix_shapes),
    T(exim_shapes),
    T(sendmail_shapes),
    T(opensmtpd_shapes),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
