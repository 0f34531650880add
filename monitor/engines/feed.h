/* feed.h - the feed engine: lists read from their data files
 * (lists.feeds) instead of DNS, with the same catalog entry, results and
 * state as a DNS answer.  Ranges of any size: the listed addresses get
 * their own results, the clean rest of a range is one result. */
#ifndef RBL_FEED_H
#define RBL_FEED_H

#include "engine.h"

extern const struct engine engine_feed;

/* Whether list l (with a feed) can check target t. */
struct target_spec;
bool feed_fits(const struct list_def *l, const struct target_spec *t);

#endif
