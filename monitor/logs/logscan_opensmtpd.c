/* logscan_opensmtpd.c - OpenSMTPD outgoing delivery results:
 *   6.4+: ID mta delivery evpid=.. from=<s> to=<r> rcpt=<..> source="IP"
 *     relay="IP (mx.d)" delay=.. result="PermFail" stat="550 5.7.1 ..."
 *   6.0-6.3: the same with "mta event=delivery" (mta.c, mta_log())
 *   5.x: relay: PermFail for EVPID: session=.., from=<s>, to=<r>,
 *     rcpt=<->, source=IP, relay=IP (mx.d), delay=.., stat=550 ...
 * (relay="mx.d [IP]" is read too).  The envelope id names the message.
 * Local deliveries ("delivery: ..." in 5.x, "mda ..." later) are not
 * outgoing mail and are not read. */
#include <string.h>

#include "logscan.h"

static const char *const results[] = {
  "result=\"PermFail\"", "result=\"TempFail\"",    /* 6.x */
  "relay: PermFail for ", "relay: TempFail for ",  /* 5.x */
};

static bool
os_maybe(const char *line, size_t n)
{
  for (size_t k = 0; k < sizeof(results) / sizeof(results[0]); k++)
    if (log_find(line, n, results[k]) != NULL)
      return true;
  return false;
}

static bool
os_owns(const struct logline *l)
{
  return (l->proglen == 5 && memcmp(l->prog, "smtpd", 5) == 0) ||
         (l->proglen == 9 && memcmp(l->prog, "opensmtpd", 9) == 0);
}

/* key="value" or key=<value>; else key=value up to stop (" " in 6.x,
 * ", " in 5.x) or the end. */
static const char *
value(const char *m, size_t n, const char *key, const char *stop, size_t *len)
{
  const char *k = log_find(m, n, key);
  if (k == NULL)
    return NULL;
  k += strlen(key);
  size_t left = n - (size_t)(k - m);
  char close = left && *k == '"' ? '"' : left && *k == '<' ? '>' : 0;
  const char *e;
  if (close != 0) {
    k++, left--;
    e = memchr(k, close, left);
  } else {
    e = log_find(k, left, stop);
  }
  *len = e ? (size_t)(e - k) : left;
  return k;
}

static void
os_relay(const char *v, size_t len, struct rejection *out)
{
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

static bool
os_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen, len;
  const char *stop = " ", *v;
  bool temp;
  if (log_find(m, n, " mta delivery ") != NULL ||
      log_find(m, n, " mta event=delivery ") != NULL) {
    if ((v = value(m, n, " evpid=", stop, &len)) != NULL)
      log_copy(out->queue_id, sizeof(out->queue_id), v, len);
    temp = log_find(m, n, "result=\"TempFail\"") != NULL;
  } else if (n > 20 && (memcmp(m, "relay: PermFail for ", 20) == 0 ||
                        memcmp(m, "relay: TempFail for ", 20) == 0)) {
    stop = ", ";
    const char *colon = memchr(m + 20, ':', n - 20);
    if (colon != NULL)
      log_copy(out->queue_id, sizeof(out->queue_id), m + 20,
               (size_t)(colon - m - 20));
    temp = m[7] == 'T';
  } else {
    return false;
  }
  if ((v = value(m, n, " to=", stop, &len)) != NULL)
    log_recipient(v, len, out);
  if ((v = value(m, n, " relay=", stop, &len)) != NULL)
    os_relay(v, len, out);
  /* stat= is the last field, written as the receiver sent it (a quote
   * inside is not escaped): it runs to the end of the line, less 6.x's
   * closing quote */
  if ((v = log_find(m, n, " stat=")) == NULL)
    return false;
  v += 6;
  len = n - (size_t)(v - m);
  if (len > 0 && v[0] == '"') { /* the end may have been cut off */
    v++, len--;
    if (len > 0 && v[len - 1] == '"')
      len--;
  }
  if (!log_reply(v, len, out))
    return false;
  if (temp)
    out->permanent = false;
  return true;
}

const struct mta_parser logscan_opensmtpd = {"opensmtpd", os_maybe, os_owns,
                                             os_parse};
