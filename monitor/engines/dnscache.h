/* dnscache.h - DNS answers as the authentication checks and from_spf read
 * them: one (name, type) answer parsed from the wire into a small shape,
 * and a cache of such answers for one cycle that fetches what it lacks on
 * the loop, once however many ask for it.
 *
 * The answer types live here, below spf.h: the SPF evaluator reads
 * answers through a dq_lookup_fn and never fetches. */
#ifndef RBL_DNSCACHE_H
#define RBL_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include "target.h"

/* DNS record types (the wire numbers). */
enum { DQ_A = 1, DQ_PTR = 12, DQ_MX = 15, DQ_TXT = 16, DQ_AAAA = 28 };

enum dq_status { DQ_OK, DQ_NXDOMAIN, DQ_NODATA, DQ_ERROR };

/* One (name, type) answer. */
struct dq_answer {
  enum dq_status status;
  size_t n;
  char **strs;      /* TXT: each record's strings joined; MX (by
                       preference) and PTR: names, lower case, no dot */
  struct addr *addrs; /* A, AAAA */
  const char *error;  /* DQ_ERROR: why, for messages (static text) */
};

/* The answer for (name, type) if known (owned by the caller's cache),
 * else NULL. */
typedef const struct dq_answer *(*dq_lookup_fn)(void *arg, const char *name,
                                                int type);

/* An answer as the checks read it (type: DQ_A, DQ_AAAA, DQ_TXT, DQ_MX,
 * DQ_PTR; status an ARES_* code; ptr_of: the address a PTR query was
 * for).  A malformed answer is DQ_ERROR, never "no data".  NULL when out
 * of memory; the caller frees it with dnscache_answer_free().  Public for
 * the fuzz target. */
struct dq_answer *dnscache_parse_answer(int type, int status,
                                        const unsigned char *abuf, int alen,
                                        const struct addr *ptr_of);
/* Frees an answer of dnscache_parse_answer(); NULL is fine. */
void dnscache_answer_free(struct dq_answer *answer);

struct dns;
struct loop;
struct dnscache;

/* An empty cache that asks d (borrowed; it must outlive the cache's
 * queries).  NULL when out of memory; free with dnscache_free(). */
struct dnscache *dnscache_new(struct dns *d);
/* Frees the cache and every answer in it; NULL is fine.  Fetches still
 * pending must have completed (dns_free() completes them). */
void dnscache_free(struct dnscache *c);

/* The cached answer for (name, type) (names compare without case and
 * trailing dot), or NULL.  The answer is owned by the cache and lives as
 * long as it.  arg is the cache: this is a dq_lookup_fn. */
const struct dq_answer *dnscache_lookup(void *c, const char *name, int type);

/* Told when the answer a dnscache_need() asked for is in the cache (or
 * could not be stored: out of memory); status is the query's ARES_* code
 * (ARES_ECANCELLED, ARES_EDESTRUCTION when cancelled or torn down). */
typedef void (*dnscache_ready_fn)(void *arg, int status);

/* The cached answer, or NULL after asking for it: ready(arg) is called
 * once when it arrives, perhaps at once from inside this call.  One query
 * however many (ready, arg) wait for the same (name, type).  Out of
 * memory: a DQ_ERROR answer saying so (nobody waits). */
const struct dq_answer *dnscache_need(struct dnscache *c, const char *name,
                                      int type, dnscache_ready_fn ready,
                                      void *arg);

#endif
