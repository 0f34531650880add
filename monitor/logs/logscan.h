/* logscan.h - rejections of outgoing mail in MTA logs: the record, the
 * line layer (syslog / RFC 3339 / Exim timestamps) and one parser per MTA
 * behind a table (logscan_postfix.c, logscan_exim.c, logscan_sendmail.c,
 * logscan_opensmtpd.c).  Contract: docs/logscan.md.
 *
 * Everything here is lenient and bounded: log lines are strangers' text. */
#ifndef RBL_LOGSCAN_H
#define RBL_LOGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_TEXT_MAX 2048
#define LOG_FIELD_MAX 256

struct rejection {
  int64_t time;                  /* Unix seconds */
  const char *mta;               /* static */
  char queue_id[64];
  char recipient[LOG_FIELD_MAX];
  char domain[LOG_FIELD_MAX];
  char host[LOG_FIELD_MAX];
  char ip[64];
  int code;
  char enhanced[16];
  const char *stage;             /* static: greeting helo mail rcpt data unknown */
  bool permanent;
  char text[LOG_TEXT_MAX];
  char loghost[LOG_FIELD_MAX];   /* the host that wrote the line: syslog
                                    HOSTNAME, journald _HOSTNAME; empty for
                                    Exim's own mainlog */
};

/* One log line split into its syslog parts.  Pointers are into the line. */
struct logline {
  int64_t time;                  /* 0: no time could be read */
  const char *host;              /* syslog HOSTNAME; NULL (hostlen 0) when
                                    the line has none (Exim mainlog) */
  size_t hostlen;
  const char *prog;              /* "postfix/smtp", "exim", ... */
  size_t proglen;
  const char *msg;               /* after "prog[pid]: " */
  size_t msglen;
  bool exim_mainlog;             /* Exim's own log: msg is after the time */
};

/* How BSD syslog times (no year, local time) are read: the year of the
 * file's mtime, one year back for dates after it (rollover). */
struct logclock {
  int year;
  int64_t mtime;
};
void logclock_init(struct logclock *c, int64_t file_mtime);

/* Splits a line: BSD syslog "Mmm dd hh:mm:ss HOST prog[pid]: msg" (a
 * "<facility.priority>" before HOST, as FreeBSD syslogd -v writes, is
 * skipped), the same with an RFC 3339 time ("2026-01-05T10:00:00+01:00")
 * or an ISO time with a space ("2026-01-05 10:00:00 HOST prog[pid]: "),
 * or Exim's mainlog ("2026-01-05 10:00:00[.mmm][ +zzzz] [[pid]] msg").  A
 * docker compose prefix ("postfix-mailcow-1  | ") before any of them is
 * skipped.  False when the line has none of these shapes. */
bool logline_split(const struct logclock *c, const char *line, size_t n,
                   struct logline *out);

struct mta_parser {
  const char *name;
  /* Cheap test on the raw line: could it hold a rejection? */
  bool (*maybe)(const char *line, size_t n);
  /* Does this program name belong to the MTA? */
  bool (*owns)(const struct logline *l);
  /* Fills out from a line it owns; false when it is not a rejection. */
  bool (*parse)(const struct logline *l, struct rejection *out);
};

extern const struct mta_parser logscan_postfix, logscan_exim,
  logscan_sendmail, logscan_opensmtpd;

/* Every parser's markers: a line without one of them holds no rejection
 * (for logread_filtered).  NULL-terminated. */
extern const char *const logscan_markers[];

/* Parses one raw line with whichever parser owns it. */
bool logscan_line(const struct logclock *c, const char *line, size_t n,
                  struct rejection *out);
/* The same for a line already split (journald entries). */
bool logscan_logline(const struct logline *l, struct rejection *out);

/* ---- journald (logscan_journal.c) --------------------------------------- */
enum journal_kind { JOURNAL_NONE, JOURNAL_JSON, JOURNAL_EXPORT };
/* Which journalctl output a file's first line shows. */
enum journal_kind journal_detect(const char *line, size_t n);
/* journalctl -o json: one entry a line (_HOSTNAME is the loghost). */
bool journal_json_line(const char *line, size_t n, struct rejection *out);
/* journalctl -o export: KEY=value lines, an empty line ends an entry; a
 * field that is not text is its name alone on a line, then a 64-bit
 * little-endian length and that many bytes (newlines included) and a
 * newline.  Feed every line; returns true (and fills out) at the end of
 * an entry that is a rejection.  Start from a zeroed struct. */
struct journal_export {
  char ident[64];
  char host[LOG_FIELD_MAX];       /* _HOSTNAME */
  char message[LOG_TEXT_MAX * 2];
  int64_t time;
  /* inside a binary field: */
  bool bin;
  unsigned bin_lenbytes;          /* of the length read so far (8) */
  uint64_t bin_len, bin_got;      /* data bytes: announced, read */
  char *bin_dst;                  /* message or ident; NULL: skipped */
  size_t bin_size;
  bool resync;                    /* lost count: wait for the next
                                     __CURSOR= line */
};
bool journal_export_line(struct journal_export *e, const char *line,
                         size_t n, struct rejection *out);
/* A line of n bytes the reader skipped (too long): inside a binary field
 * its bytes are data, counted (when the field's length itself was in the
 * line, the rest of the entry is dropped: reading starts again at the next
 * entry's __CURSOR= line); elsewhere the entry it was in is dropped. */
void journal_export_skipped(struct journal_export *e, size_t n);

/* ---- shared helpers for the parsers ------------------------------------- */
/* The first needle in hay[0, n), or NULL (memmem). */
const char *log_find(const char *hay, size_t n, const char *needle);
/* Copies [s, s+n) into dst (size), NUL-terminated, cut to fit. */
void log_copy(char *dst, size_t size, const char *s, size_t n);
/* Fills code, enhanced and text from an SMTP reply as logged: removes
 * every "NNN-"/"NNN " prefix (and the enhanced code after it) of each
 * reply line; lines separated by spaces (Postfix) or a literal "\n"
 * (Exim). False when the reply does not start with a 3-digit code. */
bool log_reply(const char *s, size_t n, struct rejection *out);
/* "name[1.2.3.4]" or "name [1.2.3.4]" -> host, ip. */
void log_host_ip(const char *s, size_t n, struct rejection *out);
/* recipient (lower-cased) and its domain */
void log_recipient(const char *s, size_t n, struct rejection *out);
/* "2026-01-05T10:00:00[.frac](Z|+hh:mm)" (sep 'T'; without a zone: local
 * time) or Exim's "2026-01-05 10:00:00[.mmm][ +hhmm]" (sep ' ') at s ->
 * *out (Unix seconds) and the length read; 0 when s does not start so. */
size_t log_iso_time(const char *s, size_t n, char sep, int64_t *out);
/* Stage from a command name ("RCPT TO", "end of DATA", "MAIL FROM", ...). */
const char *log_stage(const char *s, size_t n);

#endif
