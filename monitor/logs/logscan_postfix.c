/* logscan_postfix.c - Postfix smtp/lmtp/error client lines that carry a
 * receiver's reply:
 *   QID: to=<r>, relay=H[IP]:25, ..., status=bounced (host H[IP] said:
 *     550-5.7.1 ... 550 5.7.1 ... (in reply to RCPT TO command))
 *   QID: host H[IP] said: 554 ... (in reply to end of DATA command)
 *   QID: host H[IP] refused to talk to me: 554 ...
 *   postfix/error: QID: to=<r>, ..., status=deferred (delivery temporarily
 *     suspended: host H[IP] refused to talk to me: 554 ...)
 *   2.x: QID: to=<r>, ..., status=deferred (connect to H[IP]: server
 *     refused to talk to me: 421 ... (port 25))
 * under any syslog_name (postfix-24/smtp, mx2/smtp, server1-1/smtp). */
#define _GNU_SOURCE /* memrchr */
#include <string.h>

#include "logscan.h"

static bool
pf_maybe(const char *line, size_t n)
{
  return log_find(line, n, " said: ") != NULL ||
         log_find(line, n, "refused to talk to me: ") != NULL;
}

/* The length of the queue id that starts the message ("7EE668039: ",
 * "44JCRG5tYPzCqt2: "), 0 when it does not start with one. */
static size_t
pf_queue_id(const char *m, size_t n)
{
  size_t q = 0;
  while (q < n && q < 32 &&
         ((m[q] >= '0' && m[q] <= '9') || (m[q] >= 'A' && m[q] <= 'Z') ||
          (m[q] >= 'a' && m[q] <= 'z')))
    q++;
  return q > 0 && q + 1 < n && m[q] == ':' && m[q + 1] == ' ' ? q : 0;
}

/* Postfix names its programs "syslog_name/process": syslog_name is
 * "postfix" or whatever an instance set ("postfix-out", "mx2",
 * "server1-1"), so the name alone says little; the process must be a
 * delivery agent that talks to other servers (smtp, lmtp; and error,
 * which repeats a reply recorded earlier), and the message must
 * start as Postfix's do, with a queue id: "QID: ".  Exim's message ids
 * have dashes, OpenSMTPD's ids are followed by a space, and Exim's own
 * mainlog, Sendmail's and OpenSMTPD's program names have no such
 * process. */
static bool
pf_owns(const struct logline *l)
{
  if (l->exim_mainlog || l->proglen < 6)
    return false;
  const char *slash = memrchr(l->prog, '/', l->proglen);
  if (slash == NULL || slash == l->prog)
    return false;
  const char *proc = slash + 1;
  size_t pl = l->proglen - (size_t)(proc - l->prog);
  if (!((pl == 4 && (memcmp(proc, "smtp", 4) == 0 ||
                     memcmp(proc, "lmtp", 4) == 0)) ||
        (pl == 5 && memcmp(proc, "error", 5) == 0)))
    return false;
  return pf_queue_id(l->msg, l->msglen) > 0;
}

/* The last occurrence of needle in [s, s+n). */
static const char *
find_last(const char *s, size_t n, const char *needle)
{
  const char *last = NULL, *p = s;
  size_t nl = strlen(needle);
  while ((p = log_find(p, n - (size_t)(p - s), needle)) != NULL) {
    last = p;
    p += nl;
    if ((size_t)(p - s) >= n)
      break;
  }
  return last;
}

/* The server before the mark: "host NAME[IP] said:", or Postfix 2.x's
 * "connect to NAME[IP]: server refused to talk to me:". */
static void
pf_host(const char *m, const char *mark, struct rejection *out)
{
  for (const char *p = mark; p >= m + 5; p--)
    if (memcmp(p - 5, "host ", 5) == 0) {
      log_host_ip(p, (size_t)(mark - p), out);
      return;
    }
  const char *c = find_last(m, (size_t)(mark - m), "connect to ");
  if (c == NULL)
    return;
  c += 11;
  const char *rb = memchr(c, ']', (size_t)(mark - c));
  if (rb != NULL)
    log_host_ip(c, (size_t)(rb + 1 - c), out);
}

/* Postfix 2.x ends "server refused to talk to me: REPLY (port 25)". */
static size_t
pf_strip_port(const char *reply, size_t rn)
{
  const char *p = find_last(reply, rn, " (port ");
  if (p == NULL || reply[rn - 1] != ')')
    return rn;
  for (const char *d = p + 7; d < reply + rn - 1; d++)
    if (*d < '0' || *d > '9')
      return rn;
  return (size_t)(p - reply);
}

static bool
pf_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen;
  size_t q = pf_queue_id(m, n);
  log_copy(out->queue_id, sizeof(out->queue_id), m, q);

  const char *to = log_find(m, n, "to=<");
  if (to != NULL) {
    const char *gt = memchr(to + 4, '>', n - (size_t)(to + 4 - m));
    if (gt != NULL)
      log_recipient(to + 4, (size_t)(gt - to - 4), out);
  }
  bool soft = log_find(m, n, "status=SOFTBOUNCE") != NULL;
  bool wrapped = log_find(m, n, "status=") != NULL;

  /* Postfix's own words come first: a reply may quote either phrase */
  const char *said = log_find(m, n, " said: ");
  const char *refused = log_find(m, n, " refused to talk to me: ");
  if (said != NULL && refused != NULL) {
    if (refused < said)
      said = NULL;
    else
      refused = NULL;
  }
  const char *mark = said ? said : refused;
  if (mark == NULL)
    return false;
  const char *reply = mark + (said ? 7 : 24);
  pf_host(m, mark, out);

  size_t rn = n - (size_t)(reply - m);
  const char *inr = find_last(reply, rn, " (in reply to ");
  if (inr != NULL) {
    out->stage = log_stage(inr, rn - (size_t)(inr - reply));
    rn = (size_t)(inr - reply);
  } else {
    if (refused != NULL)
      out->stage = "greeting";
    /* "status=... (... REPLY)": the closing parenthesis is Postfix's */
    if (wrapped && rn > 0 && reply[rn - 1] == ')')
      rn--;
    rn = pf_strip_port(reply, rn);
  }
  if (refused != NULL && said == NULL)
    out->stage = "greeting";
  if (!log_reply(reply, rn, out))
    return false;
  if (soft)
    out->permanent = false;
  return true;
}

const struct mta_parser logscan_postfix = {"postfix", pf_maybe, pf_owns,
                                           pf_parse};
