/* logsource.h - rejections out of a log, whatever its kind: a table of log
 * sources (syslog and Exim files, journalctl -o json, journalctl -o
 * export), one file read through the source its first line shows, and a
 * configured log read from its cursor through its rotations (logread_plan).
 * Callers get rejections, never lines. */
#ifndef RBL_LOGSOURCE_H
#define RBL_LOGSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "logread.h"
#include "logscan.h"

/* What a source keeps while one file is read. */
struct logsource_state {
  struct logclock clock;          /* syslog: the year of BSD times */
  struct journal_export jexp;     /* export: the entry being read */
  uint64_t msg_line;              /* export: the entry's MESSAGE= line */
};

/* One kind of log.  detect: does a file's first line show this kind (NULL:
 * the fallback, plain syslog)?  line: one line; true (and out filled) when
 * it completes a rejection, *lineno then the line it is reported at.
 * skipped: a line too long to read, n bytes (may be NULL).  end: the file
 * ended; true (and out filled) when an entry still open was a rejection
 * (may be NULL). */
struct log_source {
  const char *name;
  bool (*detect)(const char *line, size_t n);
  bool (*line)(struct logsource_state *s, const char *line, size_t n,
               uint64_t *lineno, struct rejection *out);
  void (*skipped)(struct logsource_state *s, size_t n);
  bool (*end)(struct logsource_state *s, uint64_t *lineno,
              struct rejection *out);
};

extern const struct log_source logsource_syslog, logsource_journal_json,
  logsource_journal_export;

/* The source whose detect() accepts line (a file's first line); the
 * syslog source when none does.  Never NULL; static. */
const struct log_source *logsource_detect(const char *line, size_t n);

/* Where the rejections and the messages of a read go.  found: one
 * rejection, with the file and line it was read at (r and file are valid
 * during the call only).  warn: a message about a file (no "rblmon:"
 * prefix, no newline), after which reading goes on. */
struct logsource_sink {
  void (*found)(void *arg, const struct rejection *r, const char *file,
                uint64_t line);
  void (*warn)(void *arg, const char *msg);
  void *arg;
};

/* Reads path ("-": standard input) from *offset and *lineno (as
 * logread_file()) and hands every rejection in it to sink->found.  The
 * source is the one its first line shows; syslog files are searched for
 * the parsers' markers block-wise.  info (may be NULL) receives what was
 * read.  RBL_EIO (and a sink->warn) when the file cannot be read: what was
 * read before counts. */
rbl_status logsource_read(const char *path, uint64_t *offset,
                          uint64_t *lineno, const struct logsource_sink *sink,
                          struct logread_stats *st,
                          struct logread_info *info);

/* Reads a configured log from its cursor (NULL: none) through its
 * rotations (logread_plan(): every file rotated since the cursor, in
 * order, then the live file), or every file of the set when backfill.
 * The plan's notes go to sink->warn.  *next receives the cursor to keep:
 * where the live file was read to (a file rotated while it was read is
 * found again by it at the next scan); next->inode is 0 when there is no
 * new cursor (the live file could not be read: the old one is kept).
 * RBL_EIO when any file could not be read (each one a sink->warn); the
 * rejections read before count. */
rbl_status logsource_resume(const char *path, const struct logcursor *cur,
                            bool backfill, const struct logsource_sink *sink,
                            struct logread_stats *st,
                            struct logcursor *next);

#endif
