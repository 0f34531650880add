/* diag.h - collected diagnostics about input files.
 *
 * Errors and warnings are collected (not printed at once) so every problem
 * in a file is reported, then the caller decides.  Messages read
 * "file:line:col: error: what is wrong".  Warnings per file are capped. */
#ifndef RBL_DIAG_H
#define RBL_DIAG_H

#include "util.h"

#define DIAG_MAX_PER_FILE 50

struct diag {
  struct sbuf text;   /* all messages, one per line */
  unsigned errors;
  unsigned warnings;
  unsigned suppressed;
  const char *cap_file; /* file the per-file counter counts */
  unsigned cap_count;
  const char *log_tag;  /* set: lines for journald, "<3>TAG: " before an
                           error, "<4>TAG: " before a warning */
};

void diag_init(struct diag *d);
/* line/col are 1-based; 0 omits them. */
void diag_error(struct diag *d, const char *file, unsigned line, unsigned col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_warn(struct diag *d, const char *file, unsigned line, unsigned col,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Writes the messages (and a "N more suppressed" line) to stderr. */
void diag_print(struct diag *d);
void diag_free(struct diag *d);

#endif
