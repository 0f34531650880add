/* logread.h - reading log files line by line: plain or gzip (zlib reads
 * both), from an offset, with a hard line length; incremental reading of
 * a rotated set (mail.log, mail.log.1, mail.log.2.gz, maillog-20260105)
 * through a cursor (inode, offset, a hash of the first line). */
#ifndef RBL_LOGREAD_H
#define RBL_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define LOGREAD_LINE_MAX (64u * 1024)

typedef void (*logread_fn)(void *arg, const char *file, uint64_t lineno,
                           const char *line, size_t n);

struct logread_stats {
  uint64_t lines, bytes, long_lines;
};

struct logcursor {
  uint64_t inode, offset, head, lines;
};

/* Reads path (or standard input for "-") from *offset (uncompressed
 * bytes) and line number *lineno, calling fn for every complete line.  A
 * last line without a newline is left for the next run unless the file is
 * compressed.  On return *offset and *lineno are where reading stopped.
 * Lines longer than LOGREAD_LINE_MAX are skipped and counted; fn is called
 * for them with line NULL and n their length (so a reader that counts
 * bytes across lines keeps count).  mtime and
 * inode of the file are returned when not NULL.  On failure err says
 * why (with the file name); what was read before the failure counts. */
rbl_status logread_file(const char *path, uint64_t *offset, uint64_t *lineno,
                        logread_fn fn, void *arg, struct logread_stats *st,
                        int64_t *mtime, uint64_t *inode, char *err,
                        size_t errlen);

/* The same, calling fn only for lines that contain one of the NULL-
 * terminated markers: each block is searched for the markers as a whole
 * (much faster than a search per line), line numbers stay exact.  Lines,
 * bytes and long lines are counted as above; fn is never called for a
 * skipped line. */
rbl_status logread_filtered(const char *path, const char *const *markers,
                            uint64_t *offset, uint64_t *lineno,
                            logread_fn fn, void *arg,
                            struct logread_stats *st, int64_t *mtime,
                            uint64_t *inode, char *err, size_t errlen);

/* The first bytes of path (decompressed), up to size; 0 if unreadable. */
size_t logread_peek(const char *path, char *buf, size_t size);

/* FNV-1a of the first line (up to 256 bytes) of path; 0 if unreadable or
 * empty.  Works on compressed files too. */
uint64_t logread_head(const char *path);

/* The rotated siblings of path, oldest first (by mtime): path.1,
 * path.2.gz, path-20260105, ...; not path itself.  *out is malloc'ed,
 * each string too; logread_free_list() frees them. */
size_t logread_siblings(const char *path, char ***out);
void logread_free_list(char **list, size_t n);

#endif
