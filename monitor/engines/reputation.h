/* reputation.h - one check cycle against the HTTP reputation providers,
 * on the same loop as the DNSBL queries: a request per target (or one
 * request per provider whose answer covers every target), at most a few
 * at once per provider; answers kept in the state for min_interval; a
 * rate limit (429, Retry-After) pauses the provider; a daily_limit is
 * counted like a DNSBL's.  Every (target, provider) pair gets exactly one
 * result: fresh, from the cache, or an error that says why. */
#ifndef RBL_REPUTATION_H
#define RBL_REPUTATION_H

#include "engine.h"
#include "http.h"
#include "provider.h"

struct store;

#define REP_WINDOW 4              /* requests in flight per provider */
#define REP_MAX_FAILS 3           /* transport failures in a row: stop */

struct rep_opts {
  struct store *store;            /* NULL: no cache, pauses or budget */
  int64_t now;                    /* wall clock (clock_now()) */
  uint64_t deadline_ms;           /* 0: none; else resolver.deadline */
  void (*done)(void *arg);        /* every pair has its result */
  void *done_arg;
};

/* The engine (engine.h): every configured provider over the targets, one
 * state each; results from the cache (min_interval) come at once. */
extern const struct engine engine_reputation;

#endif
