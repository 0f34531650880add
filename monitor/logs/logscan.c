/* logscan.c - the line layer shared by the MTA parsers. */
#define _GNU_SOURCE /* memmem */
#include "logscan.h"

#include <string.h>
#include <time.h>

static const struct mta_parser *const parsers[] = {
  &logscan_postfix, &logscan_exim, &logscan_sendmail, &logscan_opensmtpd,
};

/* Every line a parser's maybe() accepts holds one of these.  Sendmail's
 * and OpenSMTPD's both have "stat=", which Postfix's "status=" does not
 * contain; each marker is one pass over a block, so fewer is faster. */
const char *const logscan_markers[] = {
  " said: ", "refused to talk to me: ", "SMTP error from remote ", "stat=",
  "PRDR error after ", NULL,
};

void
logclock_init(struct logclock *c, int64_t file_mtime)
{
  time_t t = (time_t)file_mtime;
  struct tm tm;
  localtime_r(&t, &tm);
  c->year = tm.tm_year + 1900;
  c->mtime = file_mtime;
}

const char *
log_find(const char *hay, size_t n, const char *needle)
{
  return memmem(hay, n, needle, strlen(needle));
}

/* A NUL in a log line would end the text everywhere after it: U+FFFD
 * stands for it (as in DNS TXT strings).  Returns the bytes written. */
static size_t
put_byte(char *dst, size_t room, char c)
{
  if (c != '\0') {
    if (room < 1)
      return 0;
    dst[0] = c;
    return 1;
  }
  if (room < 3)
    return 0;
  memcpy(dst, "\xef\xbf\xbd", 3);
  return 3;
}

void
log_copy(char *dst, size_t size, const char *s, size_t n)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    size_t w = put_byte(dst + o, size - 1 - o, s[i]);
    if (w == 0)
      break;
    o += w;
  }
  dst[o] = '\0';
}

static bool
digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static int
num(const char *s, size_t n)
{
  int v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "Jan  5 10:00:00 " -> time; returns the length read or 0. */
static size_t
bsd_time(const struct logclock *c, const char *s, size_t n, int64_t *out)
{
  if (n < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' ||
      s[15] != ' ')
    return 0;
  const char *m = strstr(months, (char[]){s[0], s[1], s[2], 0});
  if (m == NULL || (m - months) % 3 != 0)
    return 0;
  char d0 = s[4] == ' ' ? '0' : s[4];
  if (d0 < '0' || d0 > '3' || !digits(s + 5, 1) || !digits(s + 7, 2) ||
      !digits(s + 10, 2) || !digits(s + 13, 2))
    return 0;
  struct tm tm = {0};
  tm.tm_mon = (int)(m - months) / 3;
  tm.tm_mday = (d0 - '0') * 10 + (s[5] - '0');
  tm.tm_hour = num(s + 7, 2);
  tm.tm_min = num(s + 10, 2);
  tm.tm_sec = num(s + 13, 2);
  tm.tm_year = c->year - 1900;
  tm.tm_isdst = -1;
  struct tm copy = tm;
  int64_t t = (int64_t)mktime(&tm);
  /* No year in the line: a date after the file was last written belongs
   * to the year before (a December line in a file written in January). */
  if (c->mtime > 0 && t > c->mtime + 86400) {
    copy.tm_year--;
    t = (int64_t)mktime(&copy);
  }
  *out = t;
  return 16;
}

/* days from civil (proleptic Gregorian), for timegm without TZ games */
static int64_t
days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* "2026-01-05T10:00:00[.frac](Z|+hh:mm)" or Exim "2026-01-05 10:00:00
 * [.mmm][ +hhmm]".  Returns the length read or 0. */
size_t
log_iso_time(const char *s, size_t n, char sep, int64_t *out)
{
  if (n < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
      s[7] != '-' || !digits(s + 8, 2) || s[10] != sep ||
      !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
      s[16] != ':' || !digits(s + 17, 2))
    return 0;
  int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    return 0;
  int64_t t = days_from_civil(y, mo, d) * 86400 + num(s + 11, 2) * 3600 +
              num(s + 14, 2) * 60 + num(s + 17, 2);
  size_t i = 19;
  if (i < n && s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      ;
  bool zone = false;
  int64_t off = 0;
  if (sep == 'T') {
    if (i < n && s[i] == 'Z') {
      zone = true;
      i++;
    } else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') &&
               digits(s + i + 1, 2) && s[i + 3] == ':' &&
               digits(s + i + 4, 2)) {
      off = num(s + i + 1, 2) * 3600 + num(s + i + 4, 2) * 60;
      off = s[i] == '-' ? -off : off;
      zone = true;
      i += 6;
    }
  } else if (i + 6 <= n && s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-')
             && digits(s + i + 2, 4)) {
    off = num(s + i + 2, 2) * 3600 + num(s + i + 4, 2) * 60;
    off = s[i + 1] == '-' ? -off : off;
    zone = true;
    i += 6;
  }
  if (!zone) { /* local time */
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = num(s + 11, 2);
    tm.tm_min = num(s + 14, 2);
    tm.tm_sec = num(s + 17, 2);
    tm.tm_isdst = -1;
    t = (int64_t)mktime(&tm);
  } else {
    t -= off;
  }
  *out = t;
  return i;
}

static bool
name_char(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

/* "prog[pid]: " or "prog: " at line[i]: fills prog and msg.  strict (the
 * ISO time Exim's mainlog shares): prog starts with a letter and holds
 * only name characters and '/', and "[pid]" is there with digits only, so
 * that no Exim line ("1t2AbC-000000001Ab-2xYz DKIM: d=...") is taken for
 * it. */
static bool
prog_msg(const char *line, size_t n, size_t i, bool strict,
         struct logline *out)
{
  size_t p = i;
  while (p < n && line[p] != '[' && line[p] != ':' && line[p] != ' ') {
    if (strict && !name_char(line[p]) && line[p] != '/')
      return false;
    p++;
  }
  if (p >= n || p == i || line[p] == ' ')
    return false;
  if (strict && !((line[i] >= 'a' && line[i] <= 'z') ||
                  (line[i] >= 'A' && line[i] <= 'Z')))
    return false;
  out->prog = line + i;
  out->proglen = p - i;
  if (strict && line[p] != '[')
    return false;
  if (line[p] == '[') {
    const char *e = memchr(line + p, ']', n - p);
    if (e == NULL || (strict && (e == line + p + 1 ||
                                 !digits(line + p + 1,
                                         (size_t)(e - line) - p - 1))))
      return false;
    p = (size_t)(e - line) + 1;
  }
  if (p + 1 >= n || line[p] != ':' || line[p + 1] != ' ')
    return false;
  out->msg = line + p + 2;
  out->msglen = n - p - 2;
  return true;
}

/* After the time: "[<facility.priority> ]HOST prog[pid]: msg", or
 * "prog[pid]: msg" when the writer left the host out (a token with '['
 * or ending in ':' is a program, never a host name). */
static bool
syslog_rest(const char *line, size_t n, size_t i, bool strict,
            struct logline *out)
{
  while (i < n && line[i] == ' ')
    i++;
  if (!strict && i < n && line[i] == '<') { /* FreeBSD syslogd -v */
    const char *gt = memchr(line + i, '>', n - i < 32 ? n - i : 32);
    if (gt != NULL && gt + 1 < line + n && gt[1] == ' ')
      i = (size_t)(gt - line) + 2;
  }
  const char *sp = memchr(line + i, ' ', n - i);
  if (sp == NULL)
    return false;
  size_t tl = (size_t)(sp - line) - i;
  if (tl > 0 && (memchr(line + i, '[', tl) != NULL || line[i + tl - 1] == ':'))
    return prog_msg(line, n, i, strict, out); /* no host */
  for (size_t k = 0; strict && k < tl; k++)
    if (!name_char(line[i + k]) && line[i + k] != ':')
      return false;
  if (tl == 0 || !prog_msg(line, n, i + tl + 1, strict, out))
    return false;
  out->host = line + i;
  out->hostlen = tl;
  return true;
}

/* Exim's own log: after the time an optional "[pid]", then the rest is
 * Exim's (msg); there is no host. */
static void
exim_rest(const char *line, size_t n, size_t i, struct logline *out)
{
  while (i < n && line[i] == ' ')
    i++;
  if (i < n && line[i] == '[') { /* [pid] */
    const char *e = memchr(line + i, ']', n - i);
    if (e != NULL)
      i = (size_t)(e - line) + 1;
    while (i < n && line[i] == ' ')
      i++;
  }
  out->exim_mainlog = true;
  out->prog = "exim";
  out->proglen = 4;
  out->msg = line + i;
  out->msglen = n - i;
}

/* docker compose logs: "service-name-1  | " before the line. */
static size_t
compose_prefix(const char *line, size_t n)
{
  size_t i = 0;
  while (i < n && i < 128 && name_char(line[i]))
    i++;
  if (i == 0 || i >= n || line[i] != ' ')
    return 0;
  while (i < n && line[i] == ' ')
    i++;
  return i + 1 < n && line[i] == '|' && line[i + 1] == ' ' ? i + 2 : 0;
}

bool
logline_split(const struct logclock *c, const char *line, size_t n,
              struct logline *out)
{
  memset(out, 0, sizeof(*out));
  size_t skip = n > 0 && line[0] >= '0' && line[0] <= '9'
                  ? 0 : compose_prefix(line, n);
  line += skip;
  n -= skip;
  size_t i = log_iso_time(line, n, ' ', &out->time);
  if (i > 0) { /* Exim's mainlog, or syslog with a space in the time */
    struct logline l = *out;
    if (syslog_rest(line, n, i, true, &l)) {
      *out = l;
      return true;
    }
    exim_rest(line, n, i, out);
    return true;
  }
  i = bsd_time(c, line, n, &out->time);
  if (i == 0) {
    i = log_iso_time(line, n, 'T', &out->time);
    if (i == 0 || i >= n || line[i] != ' ')
      return false;
  }
  return syslog_rest(line, n, i, false, out);
}

bool
logscan_line(const struct logclock *c, const char *line, size_t n,
             struct rejection *out)
{
  size_t k;
  for (k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++)
    if (parsers[k]->maybe(line, n))
      break;
  if (k == sizeof(parsers) / sizeof(parsers[0]))
    return false;
  struct logline l;
  if (!logline_split(c, line, n, &l))
    return false;
  return logscan_logline(&l, out);
}

bool
logscan_logline(const struct logline *l, struct rejection *out)
{
  for (size_t k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++) {
    if (!parsers[k]->owns(l))
      continue;
    memset(out, 0, sizeof(*out));
    out->time = l->time;
    log_copy(out->loghost, sizeof(out->loghost), l->host, l->hostlen);
    out->mta = parsers[k]->name;
    out->stage = "unknown";
    return parsers[k]->parse(l, out);
  }
  return false;
}

/* ---- reply text ---------------------------------------------------------- */
/* At s: "NNN-" or "NNN " with the given code, then an optional enhanced
 * code "d.ddd.ddd " -> the length of the prefix, else 0. */
static size_t
reply_prefix(const char *s, size_t n, const char *code)
{
  if (n < 4 || memcmp(s, code, 3) != 0 || (s[3] != '-' && s[3] != ' '))
    return 0;
  size_t i = 4;
  if (i + 5 <= n && (s[i] == '2' || s[i] == '4' || s[i] == '5') &&
      s[i + 1] == '.') {
    size_t j = i + 2, d1 = 0, d2 = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9' && d1 < 3)
      j++, d1++;
    if (d1 > 0 && j < n && s[j] == '.') {
      j++;
      while (j < n && s[j] >= '0' && s[j] <= '9' && d2 < 3)
        j++, d2++;
      if (d2 > 0 && (j == n || s[j] == ' '))
        i = j < n ? j + 1 : j;
    }
  }
  return i;
}

bool
log_reply(const char *s, size_t n, struct rejection *out)
{
  while (n > 0 && *s == ' ')
    s++, n--;
  if (n < 3 || !digits(s, 3) || (s[0] != '4' && s[0] != '5'))
    return false;
  if (n > 3 && s[3] != ' ' && s[3] != '-')
    return false;
  char code[3] = {s[0], s[1], s[2]};
  out->code = num(s, 3);
  out->permanent = s[0] == '5';
  /* the enhanced code of the first line */
  size_t pl = reply_prefix(s, n, code);
  if (pl > 4)
    log_copy(out->enhanced, sizeof(out->enhanced), s + 4,
             pl - 4 - (pl < n || s[pl - 1] == ' ' ? 1 : 0));
  size_t o = 0, i = 0;
  bool line_start = true;
  while (i < n && o + 1 < sizeof(out->text)) {
    if (line_start) {
      size_t skip = reply_prefix(s + i, n - i, code);
      i += skip;
      line_start = false;
      continue;
    }
    /* Exim writes reply lines separated by a literal "\n". */
    if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'n') {
      i += 2;
      if (o > 0 && out->text[o - 1] != ' ')
        out->text[o++] = ' ';
      line_start = true;
      continue;
    }
    /* Postfix joins lines with a space, each keeping its prefix. */
    if (s[i] == ' ' && reply_prefix(s + i + 1, n - i - 1, code) > 0) {
      if (o > 0 && out->text[o - 1] != ' ')
        out->text[o++] = ' ';
      i++;
      line_start = true;
      continue;
    }
    size_t w = put_byte(out->text + o, sizeof(out->text) - 1 - o, s[i++]);
    if (w == 0)
      break;
    o += w;
  }
  while (o > 0 && out->text[o - 1] == ' ')
    o--;
  out->text[o] = '\0';
  return true;
}

void
log_host_ip(const char *s, size_t n, struct rejection *out)
{
  const char *lb = memchr(s, '[', n);
  if (lb == NULL) {
    log_copy(out->host, sizeof(out->host), s, n);
    return;
  }
  const char *rb = memchr(lb, ']', n - (size_t)(lb - s));
  size_t hl = (size_t)(lb - s);
  while (hl > 0 && s[hl - 1] == ' ')
    hl--;
  if (hl > 0 && s[hl - 1] == '.') /* sendmail: "mx.example.com. [ip]" */
    hl--;
  log_copy(out->host, sizeof(out->host), s, hl);
  if (rb != NULL)
    log_copy(out->ip, sizeof(out->ip), lb + 1, (size_t)(rb - lb - 1));
  if (strncmp(out->ip, "IPv6:", 5) == 0)
    memmove(out->ip, out->ip + 5, strlen(out->ip + 5) + 1);
}

void
log_recipient(const char *s, size_t n, struct rejection *out)
{
  log_copy(out->recipient, sizeof(out->recipient), s, n);
  for (char *p = out->recipient; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p + 32);
  const char *at = strrchr(out->recipient, '@');
  if (at != NULL)
    log_copy(out->domain, sizeof(out->domain), at + 1, strlen(at + 1));
}

static const struct {
  const char *word;
  const char *stage;
} stages[] = {
  {"RCPT", "rcpt"}, {"end of DATA", "data"}, {"end of data", "data"},
  {"DATA", "data"}, {"BDAT", "data"}, {"MAIL", "mail"}, {"EHLO", "helo"},
  {"HELO", "helo"}, {"LHLO", "helo"}, {"initial connection", "greeting"},
  {"STARTTLS", "helo"},
};

static bool
starts(const char *s, size_t n, const char *word)
{
  size_t wl = strlen(word);
  return n >= wl && memcmp(s, word, wl) == 0;
}

const char *
log_stage(const char *s, size_t n)
{
  /* The command the text starts with ("MAIL FROM:<data@example.org>" is
   * MAIL), after Postfix's "(in reply to " or Exim's "pipelined ". */
  static const char *const lead[] = {" ", "(in reply to ", "pipelined "};
  for (size_t k = 0; k < sizeof(lead) / sizeof(lead[0]); k++)
    while (starts(s, n, lead[k])) {
      s += strlen(lead[k]);
      n -= strlen(lead[k]);
    }
  for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
    if (starts(s, n, stages[i].word))
      return stages[i].stage;
  for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
    if (log_find(s, n, stages[i].word) != NULL)
      return stages[i].stage;
  return "unknown";
}
