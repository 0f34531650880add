/* episode.h - a listing's episodes as a pure state machine.  What the
 * state knows of one (target, source) pair and this cycle's result decide
 * what is written (an episode opened, updated or closed) and which changes
 * are announced; results.c gathers the facts and writes.  No database, no
 * clock: unit tests drive it (tests/unit/test_episode.c).
 *
 * The rules: an error or skip is "unknown", so an open episode stays open
 * and only the error appearing (or clearing) is a change; a listing with
 * no open episode opens one (a relisting when an earlier one closed); a
 * listing with one open updates it, a change of codes being a change; a
 * clean result closes the open episode (delisted). */
#ifndef RBL_EPISODE_H
#define RBL_EPISODE_H

#include <stdbool.h>
#include <stddef.h>
#include "store.h"

/* What the state holds for the pair before this result. */
struct episode_prev {
  bool errored;                   /* the last result was an error or skip */
  bool open;                      /* an episode is open */
  bool closed_before;             /* (none open) an earlier one was closed */
  const char *codes;              /* the open episode's codes, or "" */
};

enum episode_write {
  EPW_NONE,                       /* the episode (if any) is left as it is */
  EPW_OPEN,                       /* a new episode and its reminder */
  EPW_UPDATE,                     /* the open episode, seen again */
  EPW_CLOSE                       /* the open episode ends */
};

#define EPISODE_MAX_CHANGES 2

struct episode_step {
  enum episode_write write;
  size_t nchanges;
  enum change_kind changes[EPISODE_MAX_CHANGES]; /* in the order announced */
};

/* The step for a result of status st with codes (never NULL) after p. */
struct episode_step episode_next(const struct episode_prev *p,
                                 enum result_status st, const char *codes);

#endif
