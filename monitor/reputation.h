/* reputation.h - one check cycle against the HTTP reputation providers,
 * on the same loop as the DNSBL queries: a request per target (or one
 * request per provider whose answer covers every target), at most a few
 * at once per provider; answers kept in the state for min_interval; a
 * rate limit (429, Retry-After) pauses the provider; a daily_limit is
 * counted like a DNSBL's.  Every (target, provider) pair gets exactly one
 * result: fresh, from the cache, or an error that says why. */
#ifndef RBL_REPUTATION_H
#define RBL_REPUTATION_H

#include "dnsbl.h"
#include "http.h"
#include "provider.h"

struct store;

#define REP_WINDOW 4              /* requests in flight per provider */
#define REP_MAX_FAILS 3           /* transport failures in a row: stop */

struct rep_opts {
  struct store *store;            /* NULL: no cache, pauses or budget */
  int64_t now;                    /* wall clock (store_now()) */
  uint64_t deadline_ms;           /* 0: none; else resolver.deadline */
};

/* Number of (target, provider) pairs (saturating). */
uint64_t rep_count(struct provider *const *p, size_t np,
                   const struct dnsbl_target *t, size_t nt);

struct rep_run;

/* Starts the cycle; results go to sink as they complete (some at once,
 * from the cache).  states (np) get each provider's health and request
 * count.  NULL when out of memory. */
struct rep_run *rep_start(struct loop *l, struct http *h,
                          struct provider *const *p, size_t np,
                          const struct dnsbl_target *t, size_t nt,
                          const struct rep_opts *o, dnsbl_sink sink,
                          void *arg, struct list_state *states);
/* Every pair has its result. */
bool rep_finished(const struct rep_run *r);
/* Stops now, as the deadline would. */
void rep_cancel(struct rep_run *r);
void rep_end(struct rep_run *r);

#endif
