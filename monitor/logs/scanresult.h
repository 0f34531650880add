/* scanresult.h - the shapes of a log pass's results, as its consumers see
 * them: one classified rejection as it is read, and the summary of the
 * pass.  core/scan.c makes them; the reporters print them (scan-logs). */
#ifndef RBL_SCANRESULT_H
#define RBL_SCANRESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "classify.h"
#include "logread.h"
#include "logscan.h"

/* One rejection of the pass, classified: r, v and file are valid during
 * the call that hands it over only.  ours: the address the reply names is
 * watched. */
struct scan_hit {
  const struct rejection *r;
  const struct verdict *v;
  bool ours;
  const char *file;
  uint64_t line;
};

/* What a pass did. */
struct scan_summary {
  size_t files, failed;           /* read; of them, not (wholly) read */
  uint64_t found, stored_new, permanent, temporary;
  uint64_t by_cause[CAUSE_COUNT];
  uint64_t ours_permanent;        /* of them, about our sending (not the
                                     recipient's side or the receiver's
                                     own failed query: cause_is_ours()) */
  struct logread_stats st;        /* lines, bytes, long lines skipped */
  bool stateful;                  /* the pass had the state */
  bool store_failed;              /* ... and could not save it */
  int exit;                       /* RBL_EXIT_*: critical for a permanent
                                     rejection about our sending, warning
                                     for any other rejection or some files
                                     unread, unknown when the state was
                                     not saved */
};

#endif
