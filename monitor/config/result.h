/* result.h - one checked (target, source) pair, and list health: the
 * shapes the reporters and the state store consume. */
#ifndef RBL_RESULT_H
#define RBL_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "target.h"

enum result_status { RES_LISTED, RES_CLEAN, RES_ERROR, RES_SKIPPED };
extern const char *const result_status_names[];

#define RESULT_MAX_CODES 8

struct result {
  char target[TARGET_NAME_MAX];
  const char *watchlist;          /* "" for command-line targets */
  const struct list_def *list;
  enum result_status status;
  bool has_sev;                   /* listed, or clean with good standing */
  enum severity sev;
  uint32_t codes[RESULT_MAX_CODES];
  const char *reasons[RESULT_MAX_CODES]; /* catalog text or static */
  size_t ncodes, nreasons;
  char txt[512];                  /* untrusted: escape before output */
  char error[320];
  uint64_t covers;                /* pairs of the plan it stands for: 0 is
                                     one; a range's "not checked": all */
  bool part;                      /* an address (or a listed block) of a
                                     range checked from a feed: the
                                     range's result counts */
  uint64_t range_except;          /* a range's result from a feed: all its
                                     addresses but these (the part
                                     results) */
};

enum list_health {
  HEALTH_UNKNOWN,      /* not probed (no test point, or not yet) */
  HEALTH_OK,
  HEALTH_DEAD,         /* does not list its listed test point */
  HEALTH_WILDCARD,     /* lists its not-listed test point */
  HEALTH_REFUSING,     /* answers with the list's error codes */
  HEALTH_BROKEN,       /* answers outside 127.0.0.0/8 */
  HEALTH_UNREACHABLE,  /* DNS errors (timeout, SERVFAIL, REFUSED) */
  HEALTH_SKIPPED,      /* not queried (missing key, over its limit) */
  HEALTH_STALE         /* a feed whose file is older than its max_age */
};
extern const char *const health_names[];

struct list_state {
  const struct list_def *list;
  char zone[TARGET_NAME_MAX];     /* with the key filled in: secret */
  enum list_health health;
  char detail[320];               /* why, for unhealthy lists */
  uint64_t queries, listed, clean, errors;
};

/* Exit code for a set of counts: 2 any critical listing, 1 warning-level
 * listing or incomplete, 0 clean, 3 nothing could be checked. */
struct tally {
  uint64_t total, listed, clean, good, errors, skipped;
  uint64_t critical, warning, notice;
};
void tally_add(struct tally *t, const struct result *r);
int tally_exit(const struct tally *t);

#endif
