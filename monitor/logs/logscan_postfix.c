/* logscan_postfix.c - Postfix smtp/lmtp/error client lines that carry a
 * receiver's reply:
 *   QID: to=<r>, relay=H[IP]:25, ..., status=bounced (host H[IP] said:
 *     550-5.7.1 ... 550 5.7.1 ... (in reply to RCPT TO command))
 *   QID: host H[IP] said: 554 ... (in reply to end of DATA command)
 *   QID: host H[IP] refused to talk to me: 554 ...
 *   postfix/error: QID: to=<r>, ..., status=deferred (delivery temporarily
 *     suspended: host H[IP] refused to talk to me: 554 ...)
 * Instance names (postfix-24/smtp) included. */
#include <string.h>

#include "logscan.h"

static bool
pf_maybe(const char *line, size_t n)
{
  return log_find(line, n, " said: ") != NULL ||
         log_find(line, n, "refused to talk to me: ") != NULL;
}

static bool
pf_owns(const struct logline *l)
{
  if (l->proglen < 8 || memcmp(l->prog, "postfix", 7) != 0)
    return false;
  const char *slash = memchr(l->prog, '/', l->proglen);
  if (slash == NULL)
    return false;
  size_t rest = l->proglen - (size_t)(slash + 1 - l->prog);
  return (rest == 4 && memcmp(slash + 1, "smtp", 4) == 0) ||
         (rest == 4 && memcmp(slash + 1, "lmtp", 4) == 0) ||
         (rest == 5 && memcmp(slash + 1, "error", 5) == 0);
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

static bool
pf_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen;
  /* queue id: hex (short) or the long form, then ": " */
  size_t q = 0;
  while (q < n && q < 32 &&
         ((m[q] >= '0' && m[q] <= '9') || (m[q] >= 'A' && m[q] <= 'Z') ||
          (m[q] >= 'a' && m[q] <= 'z')))
    q++;
  if (q > 0 && q + 1 < n && m[q] == ':' && m[q + 1] == ' ')
    log_copy(out->queue_id, sizeof(out->queue_id), m, q);

  const char *to = log_find(m, n, "to=<");
  if (to != NULL) {
    const char *gt = memchr(to + 4, '>', n - (size_t)(to + 4 - m));
    if (gt != NULL)
      log_recipient(to + 4, (size_t)(gt - to - 4), out);
  }
  bool soft = log_find(m, n, "status=SOFTBOUNCE") != NULL;
  bool wrapped = log_find(m, n, "status=") != NULL;

  const char *said = log_find(m, n, " said: ");
  const char *refused = log_find(m, n, " refused to talk to me: ");
  const char *mark = said ? said : refused;
  if (mark == NULL)
    return false;
  const char *reply = mark + (said ? 7 : 24);
  /* "host NAME[IP]" just before the mark */
  const char *host = NULL;
  for (const char *p = mark; p > m + 4; p--)
    if (memcmp(p - 5, "host ", 5) == 0) {
      host = p;
      break;
    }
  if (host != NULL)
    log_host_ip(host, (size_t)(mark - host), out);

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
