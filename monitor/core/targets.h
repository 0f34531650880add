/* targets.h - the target set of one cycle: the command line's targets, or
 * the watchlists' entries and what their from_spf domains add.  The
 * configuration stays read-only: added targets are the set's own. */
#ifndef RBL_TARGETS_H
#define RBL_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "util.h"

struct config;

struct target_set {
  struct engine_target *t;
  size_t n, cap;
  uint64_t naddresses;            /* what the targets hold */
  struct arena arena;             /* the specs the set added */
};

void targets_init(struct target_set *s);
void targets_free(struct target_set *s);

/* The command line's targets; prints "argument N: ..." and returns false
 * on the first that cannot be read or passes the address limit. */
bool targets_from_args(struct target_set *s, char *const *args, int nargs);
/* Every watchlist entry (borrowed from cfg, which outlives the set). */
rbl_status targets_from_config(struct target_set *s,
                               const struct config *cfg);
/* Adds spec (copied) to watchlist wl, leaving out what the set holds
 * already: the state keeps one result per (target, source).  RBL_ETOOBIG
 * past the configuration's target or address limit. */
rbl_status targets_add_uncovered(struct target_set *s,
                                 const struct target_spec *spec,
                                 const char *wl);

#endif
