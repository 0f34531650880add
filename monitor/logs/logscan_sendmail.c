/* logscan_sendmail.c - Sendmail delivery failures:
 *   QID: to=<r>, delay=.., mailer=esmtp, pri=.., relay=mx.d. [IP],
 *     dsn=5.7.1, stat=Service unavailable[, reply=554 5.7.1 ...] (8.16+)
 *   QID: ... reply=... / "... stat=Deferred: 421 ..."
 * Without reply=, the code is taken from the stat text when it holds
 * one, else from the DSN class (5.x.x -> 550, 4.x.x -> 450) with the DSN
 * as the enhanced code.  Only deliveries to a server (relay= names an
 * address in brackets) are read: local mailers (mailer=local, prog) have
 * no relay address.  A stat with no reply code that names a failure on
 * our side (Deferred: Connection refused, Host unknown, Operating system
 * error, ...; the sysexits texts of sendmail's sm_errstring()) is not a
 * receiver's answer either. */
#include <string.h>

#include "logscan.h"

static bool
sm_maybe(const char *line, size_t n)
{
  return (log_find(line, n, "dsn=5") != NULL ||
          log_find(line, n, "dsn=4") != NULL) &&
         log_find(line, n, "stat=") != NULL;
}

static bool
sm_owns(const struct logline *l)
{
  return (l->proglen == 8 && memcmp(l->prog, "sendmail", 8) == 0) ||
         (l->proglen == 6 && memcmp(l->prog, "sm-mta", 6) == 0);
}

/* value of "key=" up to stop (", " for plain fields), or the end */
static const char *
field_until(const char *m, size_t n, const char *key, const char *stop,
            size_t *len)
{
  const char *k = log_find(m, n, key);
  if (k == NULL)
    return NULL;
  k += strlen(key);
  const char *e = log_find(k, n - (size_t)(k - m), stop);
  *len = e ? (size_t)(e - k) : n - (size_t)(k - m);
  return k;
}

static const char *
field(const char *m, size_t n, const char *key, size_t *len)
{
  return field_until(m, n, key, ", ", len);
}

/* sysexits texts for failures of our own (no reply from the receiver) */
static const char *const local_stats[] = {
  "Deferred", "Host unknown", "Operating system error", "I/O error",
  "Internal error", "Local configuration error", "Cannot open input",
  "Can't create output", "System file missing", "Bad usage",
  "Insufficient permission",
};

static bool
sm_local_stat(const char *stat, size_t len)
{
  for (size_t k = 0; k < sizeof(local_stats) / sizeof(local_stats[0]); k++) {
    size_t kl = strlen(local_stats[k]);
    if (len >= kl && memcmp(stat, local_stats[k], kl) == 0)
      return true;
  }
  return false;
}

static bool
sm_parse(const struct logline *l, struct rejection *out)
{
  const char *m = l->msg;
  size_t n = l->msglen, len;
  const char *colon = memchr(m, ':', n);
  if (colon != NULL && (size_t)(colon - m) < 32)
    log_copy(out->queue_id, sizeof(out->queue_id), m, (size_t)(colon - m));
  const char *v = field(m, n, "to=", &len);
  if (v != NULL) {
    if (len > 1 && v[0] == '<' && v[len - 1] == '>')
      v++, len -= 2;
    size_t rl = 0; /* the first of several: "<a@d>,<b@d>" or "a@d,b@d" */
    while (rl < len && v[rl] != ',' && v[rl] != '>')
      rl++;
    log_recipient(v, rl, out);
  }
  if ((v = field(m, n, "relay=", &len)) == NULL || memchr(v, '[', len) == NULL)
    return false; /* no server was spoken to */
  log_host_ip(v, len, out);
  const char *dsn = field(m, n, "dsn=", &len);
  if (dsn == NULL || len == 0 || (dsn[0] != '4' && dsn[0] != '5'))
    return false;
  for (size_t i = 0; i < len; i++) /* "dsn=5.0.0,stat=..." (no space) */
    if ((dsn[i] < '0' || dsn[i] > '9') && dsn[i] != '.') {
      len = i;
      break;
    }
  log_copy(out->enhanced, sizeof(out->enhanced), dsn, len);
  /* reply= is the receiver's own words (8.16+): the best source */
  /* reply= and stat= are free text with commas: each runs to the other
   * (8.16 writes reply= first) or to the end of the line. */
  const char *rep = field_until(m, n, "reply=", ", stat=", &len);
  char dsn_code[16];
  memcpy(dsn_code, out->enhanced, sizeof(dsn_code));
  out->enhanced[0] = '\0'; /* the receiver's reply says, as for Postfix */
  if (rep != NULL && log_reply(rep, len, out)) {
    out->stage = "unknown";
    return true;
  }
  const char *stat = field_until(m, n, "stat=", ", reply=", &len);
  if (stat == NULL)
    return false;
  /* "Deferred: 421 4.7.0 Try again later" */
  const char *c = stat;
  for (size_t i = 0; i + 4 < len; i++)
    if ((stat[i] == '4' || stat[i] == '5') && stat[i + 1] >= '0' &&
        stat[i + 1] <= '9' && stat[i + 2] >= '0' && stat[i + 2] <= '9' &&
        (stat[i + 3] == ' ' || stat[i + 3] == '-') &&
        (i == 0 || stat[i - 1] == ' ')) {
      c = stat + i;
      break;
    }
  if (c != stat && log_reply(c, len - (size_t)(c - stat), out))
    return true;
  if (sm_local_stat(stat, len))
    return false;
  memcpy(out->enhanced, dsn_code, sizeof(dsn_code)); /* no reply code */
  out->code = dsn[0] == '5' ? 550 : 450;
  out->permanent = dsn[0] == '5';
  log_copy(out->text, sizeof(out->text), stat, len);
  return true;
}

const struct mta_parser logscan_sendmail = {"sendmail", sm_maybe, sm_owns,
                                            sm_parse};
