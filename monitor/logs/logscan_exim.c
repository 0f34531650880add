/* logscan_exim.c - Exim delivery failures and deferrals:
 *   MSGID ** r@d R=dnslookup T=remote_smtp H=mx.d [IP] X=... CV=yes:
 *     SMTP error from remote mail server after RCPT TO:<r@d>: 550 ...
 *   MSGID == r@d R=.. T=.. defer (-44) H=mx.d [IP]: SMTP error from ...
 *   (4.99: "CV=yes : SMTP error"; <= 4.84: "...after RCPT TO:<r@d>: host
 *   mx.d [IP]: 550 ..."; "remote mailer" before 4.50; "after pipelined
 *   MAIL FROM:<..>", "after initial connection" for the greeting).
 *   A PRDR receiver (RFC draft-hall-prdr) answers each recipient after the
 *   data: MSGID ** r@d R=.. T=.. H=mx.d [IP] : PRDR error after DATA: 550 ...
 * Reply lines are separated by a literal "\n".  Exim also writes the same
 * error once for the host, without a flag ("MSGID H=mx.d [IP]: SMTP error
 * from ..."), next to the recipients' lines: only the flagged lines, one a
 * recipient, are read.  With log_file_path=syslog the message starts with
 * Exim's own time (and [pid]), skipped here. */
#include <string.h>

#include "logscan.h"

static const char *const errors[] = {
  "SMTP error from remote ", /* "... mail server after" / "... mailer after" */
  "PRDR error after ",
};

static bool
ex_maybe(const char *line, size_t n)
{
  for (size_t k = 0; k < sizeof(errors) / sizeof(errors[0]); k++)
    if (log_find(line, n, errors[k]) != NULL)
      return true;
  return false;
}

static bool
ex_owns(const struct logline *l)
{
  return l->exim_mainlog ||
         (l->proglen >= 4 && memcmp(l->prog, "exim", 4) == 0);
}

/* Exim's time at the start of a syslog message: "2006-11-21 15:01:33
 * [.mmm][ +zzzz] [[pid]] " -> its length, else 0. */
static size_t
ex_own_time(const char *m, size_t n)
{
  int64_t t;
  size_t i = log_iso_time(m, n, ' ', &t);
  if (i == 0)
    return 0;
  while (i < n && m[i] == ' ')
    i++;
  if (i < n && m[i] == '[') {
    const char *e = memchr(m + i, ']', n - i);
    if (e != NULL)
      i = (size_t)(e - m) + 1;
    while (i < n && m[i] == ' ')
      i++;
  }
  return i;
}

/* The reply after the command: the command ends at ": " followed by a
 * reply code, or by "host NAME [IP]: " (<= 4.84). */
static const char *
ex_reply(const char *after, size_t rest, struct rejection *out)
{
  for (const char *p = after; p + 2 < after + rest; p++) {
    if (p[0] != ':' || p[1] != ' ')
      continue;
    const char *r = p + 2;
    size_t left = rest - (size_t)(r - after);
    if (left > 5 && memcmp(r, "host ", 5) == 0) { /* <= 4.84 */
      const char *hc = memchr(r, ']', left);
      if (hc != NULL && (size_t)(hc - r) + 3 <= left && hc[1] == ':') {
        log_host_ip(r + 5, (size_t)(hc + 1 - (r + 5)), out);
        out->stage = log_stage(after, (size_t)(p - after));
        return hc + 3;
      }
    }
    if (left >= 3 && (r[0] == '4' || r[0] == '5') && r[1] >= '0' &&
        r[1] <= '9' && r[2] >= '0' && r[2] <= '9') {
      out->stage = log_stage(after, (size_t)(p - after));
      return r;
    }
  }
  return NULL;
}

static bool
ex_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen;
  if (!l->exim_mainlog) { /* syslog: Exim's own time first */
    size_t t = ex_own_time(m, n);
    m += t;
    n -= t;
  }
  /* MSGID flag address */
  const char *sp = memchr(m, ' ', n);
  if (sp == NULL || (size_t)(sp - m) > 40 || sp + 4 > m + n)
    return false;
  log_copy(out->queue_id, sizeof(out->queue_id), m, (size_t)(sp - m));
  const char *flag = sp + 1;
  bool perm = memcmp(flag, "** ", 3) == 0;
  if (!perm && memcmp(flag, "== ", 3) != 0)
    return false;
  const char *addr = flag + 3;
  const char *ae = memchr(addr, ' ', n - (size_t)(addr - m));
  if (ae == NULL)
    ae = m + n;
  /* "r@d <original@d>" and "r@d: error" forms: stop at ':' too */
  size_t al = (size_t)(ae - addr);
  if (al > 0 && addr[al - 1] == ':')
    al--;
  log_recipient(addr, al, out);

  const char *err = NULL;
  for (size_t k = 0; k < sizeof(errors) / sizeof(errors[0]); k++) {
    const char *e = log_find(m, n, errors[k]);
    if (e != NULL && (err == NULL || e < err))
      err = e;
  }
  if (err == NULL)
    return false;
  /* host: "H=name [ip]" (4.85+) */
  const char *h = log_find(m, (size_t)(err - m), " H=");
  if (h != NULL) {
    const char *he = memchr(h, ']', (size_t)(err - h));
    if (he != NULL)
      log_host_ip(h + 3, (size_t)(he + 1 - (h + 3)), out);
  }
  const char *after = log_find(err, n - (size_t)(err - m), " after ");
  if (after == NULL)
    return false;
  after += 7;
  const char *reply = ex_reply(after, n - (size_t)(after - m), out);
  if (reply == NULL || !log_reply(reply, n - (size_t)(reply - m), out))
    return false;
  if (!perm)
    out->permanent = false; /* deferred by Exim, whatever the code */
  return true;
}

const struct mta_parser logscan_exim = {"exim", ex_maybe, ex_owns, ex_parse};
