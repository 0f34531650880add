/* logscan_journal.c - journald entries (journalctl -o json, -o export) fed
 * to the MTA parsers as if they were syslog lines: SYSLOG_IDENTIFIER is
 * the program, MESSAGE the message, __REALTIME_TIMESTAMP (microseconds)
 * the time. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "logscan.h"
#include "util.h"

enum journal_kind
journal_detect(const char *line, size_t n)
{
  size_t i = 0;
  while (i < n && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i < n && line[i] == '{')
    return JOURNAL_JSON;
  if (n >= 9 && (memcmp(line, "__CURSOR=", 9) == 0 ||
                 (n >= 21 && memcmp(line, "__REALTIME_TIMESTAMP=", 21) == 0)))
    return JOURNAL_EXPORT;
  return JOURNAL_NONE;
}

static bool
parse_entry(const char *ident, size_t il, const char *host, const char *msg,
            size_t ml, int64_t time, struct rejection *out)
{
  struct logline l = {
    .time = time, .host = host, .hostlen = host != NULL ? strlen(host) : 0,
    .prog = ident, .proglen = il, .msg = msg, .msglen = ml,
  };
  return il > 0 && logscan_logline(&l, out);
}

static int64_t
usec_to_sec(const char *s)
{
  uint64_t v;
  return util_parse_u64(s, UINT64_MAX, &v) == RBL_OK ? (int64_t)(v / 1000000)
                                                     : 0;
}

/* Whether the entry's MESSAGE is an array (bytes: not UTF-8 text). */
static bool
message_is_bytes(const char *line, size_t n)
{
  const char *k = log_find(line, n, "\"MESSAGE\"");
  if (k == NULL)
    return false;
  const char *p = k + 9, *end = line + n;
  while (p < end && (*p == ' ' || *p == '\t' || *p == ':'))
    p++;
  return p < end && *p == '[';
}

bool
journal_json_line(const char *line, size_t n, struct rejection *out)
{
  /* Cheap test first: most journal lines are not mail rejections (a
   * message written as bytes cannot be tested before it is decoded). */
  if (log_find(line, n, "said") == NULL && log_find(line, n, "refused") ==
      NULL && log_find(line, n, "SMTP error") == NULL &&
      log_find(line, n, "PRDR error") == NULL &&
      log_find(line, n, "Fail") == NULL && log_find(line, n, "dsn=") == NULL &&
      !message_is_bytes(line, n))
    return false;
  json_error_t jerr;
  json_t *o = json_loadb(line, n, JSON_DISABLE_EOF_CHECK, &jerr);
  if (o == NULL || !json_is_object(o)) {
    json_decref(o);
    return false;
  }
  const char *ident = json_string_value(json_object_get(o, "SYSLOG_IDENTIFIER"));
  const char *ts = json_string_value(json_object_get(o, "__REALTIME_TIMESTAMP"));
  const char *host = json_string_value(json_object_get(o, "_HOSTNAME"));
  json_t *m = json_object_get(o, "MESSAGE");
  char buf[LOG_TEXT_MAX * 2];
  size_t ml = 0;
  if (json_is_string(m)) {
    ml = json_string_length(m);
    if (ml >= sizeof(buf))
      ml = sizeof(buf) - 1;
    memcpy(buf, json_string_value(m), ml);
  } else if (json_is_array(m)) { /* non-UTF-8 messages: an array of bytes */
    for (size_t i = 0; i < json_array_size(m) && ml + 1 < sizeof(buf); i++) {
      json_t *b = json_array_get(m, i);
      json_int_t v = json_integer_value(b);
      if (!json_is_integer(b) || v < 0 || v > 255) {
        ml = 0; /* not bytes: not a message */
        break;
      }
      buf[ml++] = (char)v; /* a NUL is kept: the parsers show it as U+FFFD */
    }
  }
  buf[ml] = '\0';
  bool r = ident != NULL &&
           parse_entry(ident, strlen(ident), host, buf, ml,
                       ts != NULL ? usec_to_sec(ts) : 0, out);
  json_decref(o);
  return r;
}

bool
journal_export_line(struct journal_export *e, const char *line, size_t n,
                    struct rejection *out)
{
  if (e->resync) { /* lost in a binary field: the next entry starts anew */
    if (n < 9 || memcmp(line, "__CURSOR=", 9) != 0)
      return false;
    memset(e, 0, sizeof(*e));
  }
  if (e->bin) { /* the length and data of a binary field, then newline */
    for (size_t i = 0; i <= n && e->bin; i++) {
      unsigned char c = i < n ? (unsigned char)line[i] : '\n';
      if (e->bin_lenbytes < 8) {
        e->bin_len |= (uint64_t)c << (8 * e->bin_lenbytes++);
      } else if (e->bin_got < e->bin_len) {
        if (e->bin_dst != NULL && e->bin_got + 1 < e->bin_size) {
          e->bin_dst[e->bin_got] = c ? (char)c : ' ';
          e->bin_dst[e->bin_got + 1] = '\0';
        }
        e->bin_got++;
      } else {
        e->bin = false; /* the newline after the data */
      }
    }
    return false;
  }
  if (n == 0) { /* end of the entry */
    bool r = parse_entry(e->ident, strlen(e->ident), e->host, e->message,
                         strlen(e->message), e->time, out);
    memset(e, 0, sizeof(*e));
    return r;
  }
  const char *eq = memchr(line, '=', n);
  if (eq == NULL) { /* a binary field's name: its data follows */
    e->bin = true;
    e->bin_lenbytes = 0;
    e->bin_len = e->bin_got = 0;
    e->bin_dst = NULL;
    e->bin_size = 0;
    if (n == 7 && memcmp(line, "MESSAGE", 7) == 0) {
      e->bin_dst = e->message;
      e->bin_size = sizeof(e->message);
    } else if (n == 17 && memcmp(line, "SYSLOG_IDENTIFIER", 17) == 0) {
      e->bin_dst = e->ident;
      e->bin_size = sizeof(e->ident);
    }
    if (e->bin_dst != NULL)
      e->bin_dst[0] = '\0';
    return false;
  }
  size_t kl = (size_t)(eq - line), vl = n - kl - 1;
  const char *v = eq + 1;
  if (kl == 7 && memcmp(line, "MESSAGE", 7) == 0)
    log_copy(e->message, sizeof(e->message), v, vl);
  else if (kl == 17 && memcmp(line, "SYSLOG_IDENTIFIER", 17) == 0)
    log_copy(e->ident, sizeof(e->ident), v, vl);
  else if (kl == 9 && memcmp(line, "_HOSTNAME", 9) == 0)
    log_copy(e->host, sizeof(e->host), v, vl);
  else if (kl == 20 && memcmp(line, "__REALTIME_TIMESTAMP", 20) == 0) {
    char t[32];
    log_copy(t, sizeof(t), v, vl);
    e->time = usec_to_sec(t);
  }
  return false;
}

void
journal_export_skipped(struct journal_export *e, size_t n)
{
  if (!e->bin) { /* a field too long to read: the entry is not whole */
    e->ident[0] = '\0';
    e->message[0] = '\0';
    return;
  }
  if (e->bin_lenbytes < 8) { /* its length was in the skipped line: lost */
    memset(e, 0, sizeof(*e));
    e->resync = true;
    return;
  }
  /* data; the newline that ended the line is data too unless the field
   * ends there */
  uint64_t total = (uint64_t)n + 1;
  uint64_t left = e->bin_len - e->bin_got;
  if (total <= left) {
    e->bin_got += total;
  } else {
    e->bin_got = e->bin_len;
    e->bin = false; /* the newline after the data */
  }
  if (e->bin_dst != NULL)
    e->bin_dst[0] = '\0'; /* what was kept is not the whole field */
}
