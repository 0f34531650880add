/* logscan_opensmtpd.c - OpenSMTPD outgoing delivery results:
 *   ID mta delivery evpid=.. from=<s> to=<r> rcpt=<..> source="IP"
 *     relay="IP (mx.d)" delay=.. result="PermFail" stat="550 5.7.1 ..."
 * (relay="mx.d [IP]" is read too).  The envelope id names the message. */
#include <string.h>

#include "logscan.h"

static bool
os_maybe(const char *line, size_t n)
{
  return log_find(line, n, "result=\"PermFail\"") != NULL ||
         log_find(line, n, "result=\"TempFail\"") != NULL;
}

static bool
os_owns(const struct logline *l)
{
  return l->proglen == 5 && memcmp(l->prog, "smtpd", 5) == 0;
}

/* key="value" (or key=<value> / key=value) */
static const char *
value(const char *m, size_t n, const char *key, size_t *len)
{
  const char *k = log_find(m, n, key);
  if (k == NULL)
    return NULL;
  k += strlen(key);
  size_t left = n - (size_t)(k - m);
  char close = left && *k == '"' ? '"' : left && *k == '<' ? '>' : ' ';
  if (close != ' ')
    k++, left--;
  const char *e = memchr(k, close, left);
  *len = e ? (size_t)(e - k) : left;
  return k;
}

static bool
os_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen, len;
  if (log_find(m, n, " mta delivery ") == NULL)
    return false;
  const char *v;
  if ((v = value(m, n, " evpid=", &len)) != NULL)
    log_copy(out->queue_id, sizeof(out->queue_id), v, len);
  if ((v = value(m, n, " to=", &len)) != NULL)
    log_recipient(v, len, out);
  if ((v = value(m, n, " relay=", &len)) != NULL) {
    const char *paren = memchr(v, '(', len);
    if (paren != NULL && paren > v) { /* "IP (host)" */
      const char *close = memchr(paren, ')', len - (size_t)(paren - v));
      log_copy(out->ip, sizeof(out->ip), v, (size_t)(paren - v - 1));
      if (close != NULL)
        log_copy(out->host, sizeof(out->host), paren + 1,
                 (size_t)(close - paren - 1));
    } else {
      log_host_ip(v, len, out);
    }
  }
  if ((v = value(m, n, " stat=", &len)) == NULL || !log_reply(v, len, out))
    return false;
  if (log_find(m, n, "result=\"TempFail\"") != NULL)
    out->permanent = false;
  return true;
}

const struct mta_parser logscan_opensmtpd = {"opensmtpd", os_maybe, os_owns,
                                             os_parse};
