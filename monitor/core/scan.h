/* scan.h - one log pass: the configured logs from their cursors (or the
 * files named, whole) -> rejections (logs/logsource.c) -> cause
 * (classify.c) -> ours or not -> the state, in one transaction with the
 * cursors -> the spike notification.  rblmon scan-logs runs one and prints
 * its summary; rblmon run runs one per due log job. */
#ifndef RBL_SCAN_H
#define RBL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "app.h"
#include "scanresult.h"

struct scan_spec {
  uint64_t since_ms;              /* 0: everything new; else also reads
                                     every rotated file, and skips older
                                     records */
  bool no_state;                  /* neither read nor write the state */
  char *const *files;             /* files named: read whole, no cursors */
  size_t nfiles;                  /* 0: the configured logs.files */
};

/* Where a pass reports (either function may be NULL).  hit: every
 * rejection as it is read.  end: the pass is over, committed or rolled
 * back, and the state is still held: what end writes (and flushes) is out
 * before the state is let go, so a run killed while closing it has
 * announced what it committed. */
struct scan_sink {
  void (*hit)(void *arg, const struct scan_hit *h);
  void (*end)(void *arg, const struct scan_summary *sum);
  void *arg;
};

/* Runs one pass with a's configuration, catalog and rules, reporting to
 * sink.  Problems with a file are printed to stderr and the pass goes on.
 * RBL_OK when the pass ran: *sum is filled and sink->end was called (its
 * exit may still be unknown when the state could not be saved: the
 * transaction is then rolled back, the cursors with it, so no rejection
 * is lost).  Otherwise nothing was read and the reason is
 * printed: RBL_ENOTFOUND (no logs to scan), RBL_ECONFIG (the rules), or the
 * state's or memory's error.  Nothing returned needs freeing. */
rbl_status scan_run(const struct app *a, const struct scan_spec *spec,
                    const struct scan_sink *sink, struct scan_summary *sum);

/* scan_run() printed as it goes by rep's scan view on out; what was
 * committed is printed and flushed before the state is let go.  Returns
 * the exit code (UNKNOWN when the pass could not run: nothing printed). */
struct reporter;
int scan_report(const struct app *a, const struct scan_spec *spec,
                const struct reporter *rep, FILE *out);

#endif
