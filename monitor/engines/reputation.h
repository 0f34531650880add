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

#define REP_WINDOW 4              /* requests in flight per provider */
#define REP_MAX_FAILS 3           /* transport failures in a row: stop */

/* The engine (engine.h): every configured provider over the targets, one
 * state each; results from the cache (min_interval) come at once. */
extern const struct engine engine_reputation;

#endif
