/* feed.h - the feed engine: lists read from their data files
 * (lists.feeds) instead of DNS, with the same catalog entry, results and
 * state as a DNS answer.  Ranges of any size: the listed addresses get
 * their own results (a listed block of more than 256, one a CIDR block
 * of it; a range listed whole, one), the clean rest of a range one
 * result (part results carry r->part; the range's own does not). */
#ifndef RBL_FEED_H
#define RBL_FEED_H

#include "engine.h"

extern const struct engine engine_feed;

/* Whether list l (with a feed) answers for target t: by the list's type,
 * as over DNS (a family its feed has no file for gets an error result). */
struct target_spec;
bool feed_fits(const struct list_def *l, const struct target_spec *t);

#endif
