/* logread.h - reading log files line by line: plain or gzip (zlib reads
 * both), from an offset, with a hard line length; incremental reading of
 * a rotated set (mail.log, mail.log.1, mail.log.2.gz, maillog-20260105)
 * through a cursor that knows the file again after a rotation.
 *
 * Only regular files are read: a FIFO, a socket or a device is opened
 * without blocking, seen for what it is and refused, never waited on. */
#ifndef RBL_LOGREAD_H
#define RBL_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define LOGREAD_LINE_MAX (64u * 1024)
/* Bytes before a cursor that identify it: several whole lines, with their
 * times, PIDs and queue IDs (the last 64 bytes of two log lines are often
 * the same text). */
#define LOGREAD_TAIL 4096

typedef void (*logread_fn)(void *arg, const char *file, uint64_t lineno,
                           const char *line, size_t n);

struct logread_stats {
  uint64_t lines, bytes, long_lines;
};

/* Where a log was read to, and how its file is known again after a
 * rotation: device and inode (a renamed file), a hash of its first line
 * (a compressed or copied file), a hash of the LOGREAD_TAIL bytes just
 * before offset (a file rewritten or truncated in place that kept its
 * first line or its inode). */
struct logcursor {
  uint64_t dev, inode, offset, head, tail, lines;
  int64_t updated;                /* when it was written (Unix time) */
};

/* What logread_file() read: the file's identity and the tail hash at the
 * offset where it stopped. */
struct logread_info {
  uint64_t dev, inode, head, tail;
  int64_t mtime;
};

/* Reads path (or standard input for "-") from *offset (uncompressed
 * bytes) and line number *lineno, calling fn for every complete line.  A
 * last line without a newline is left for the next run unless the file is
 * compressed.  On return *offset and *lineno are where reading stopped.
 * Lines longer than LOGREAD_LINE_MAX are skipped and counted; fn is called
 * for them with line NULL and n their length (so a reader that counts
 * bytes across lines keeps count).  info (may be NULL) receives what was
 * read.  On failure err says why (with the file name); what was read
 * before the failure counts. */
rbl_status logread_file(const char *path, uint64_t *offset, uint64_t *lineno,
                        logread_fn fn, void *arg, struct logread_stats *st,
                        struct logread_info *info, char *err, size_t errlen);

/* The same, calling fn only for lines that contain one of the NULL-
 * terminated markers: each block is searched for the markers as a whole
 * (much faster than a search per line), line numbers stay exact.  Lines,
 * bytes and long lines are counted as above; fn is never called for a
 * skipped line. */
rbl_status logread_filtered(const char *path, const char *const *markers,
                            uint64_t *offset, uint64_t *lineno,
                            logread_fn fn, void *arg,
                            struct logread_stats *st,
                            struct logread_info *info, char *err,
                            size_t errlen);

/* The first bytes of path (decompressed), up to size; 0 if unreadable or
 * not a regular file. */
size_t logread_peek(const char *path, char *buf, size_t size);

/* ---- a rotated set -------------------------------------------------------- */
/* One file of the set as found now. */
struct logfile {
  char *path;
  uint64_t dev, inode, head, size;
  int64_t mtime;
  bool compressed;
  uint64_t offset, lines;         /* where reading starts in it */
};

/* What to read of a configured log: files[0..n), oldest first, each from
 * its offset; the live file is always last.  notes: what the plan
 * noticed (siblings that are not regular files, a cursor whose file is
 * gone), one message a line, "" when none. */
struct logplan {
  struct logfile *files;
  size_t n;
  char notes[1024];
};

/* The plan for the live log at path and its rotated siblings (path.1,
 * path.2.gz, path-20260105, ...: regular files only):
 * - with a cursor: the file the cursor was in, found again by its first
 *   line and the bytes before the cursor (whatever its name or inode now),
 *   read from the cursor, then every newer file of the set whole, in
 *   order; when the file is gone, every file changed since the cursor was
 *   written, whole (rejections are stored idempotently);
 * - backfill: every file of the set whole;
 * - neither: the live file whole.
 * Of a compressed file and a plain one with the same first line (a
 * rotation compressing it right now), only the complete plain one is
 * read; the same for a rotated copy of the live file.  RBL_EIO (with err)
 * when the live file cannot be read: the cursor is then kept.  The caller
 * frees the plan with logread_plan_free(). */
rbl_status logread_plan(const char *path, const struct logcursor *cur,
                        bool backfill, struct logplan *plan, char *err,
                        size_t errlen);
void logread_plan_free(struct logplan *plan);

#endif
