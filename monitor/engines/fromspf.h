/* fromspf.h - from_spf: a watchlist's addresses taken from its domains'
 * SPF records (ip4, ip6, a, mx; include and redirect under the same
 * domain).  Every domain is evaluated at once on the cycle's loop, its
 * answers shared through one DNS answer cache; the cycle runs the loop
 * until fromspf_finished(), then fromspf_end() hands the addresses over
 * in the configuration's order. */
#ifndef RBL_FROMSPF_H
#define RBL_FROMSPF_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "util.h"

struct dns;
struct loop;
struct fromspf_run;

enum { FROM_SPF_OK, FROM_SPF_PARTIAL, FROM_SPF_FAILED };
typedef rbl_status (*from_spf_add)(void *arg, const struct target_spec *spec,
                                   const char *watchlist);

/* Starts evaluating cfg's from_spf domains on l through d (both borrowed
 * until fromspf_end()).  done(arg) is called once every domain is judged.
 * deadline_ms (0: none) bounds the whole expansion: then what is pending
 * is cancelled and its domains fail.  NULL when out of memory; NULL too,
 * with nothing to do, when no watchlist has from_spf (*none set). */
struct fromspf_run *fromspf_start(struct loop *l, struct dns *d,
                                  const struct config *cfg,
                                  uint64_t deadline_ms,
                                  void (*done)(void *arg), void *arg,
                                  bool *none);
bool fromspf_finished(const struct fromspf_run *r);
/* Stops now, as the deadline would (rblmon run on SIGTERM). */
void fromspf_cancel(struct fromspf_run *r);
/* Cancels what is still pending, then hands add each address the records
 * authorise, watchlist by watchlist
 * (the cycle's add leaves out what is watched already), writes the
 * problems (a missing or broken record, DNS errors, terms that cannot be
 * listed, ranges too large) to report, one escaped line each, and frees
 * r.  FROM_SPF_FAILED: a record could not be read (DNS): addresses are
 * missing that may be there next time. */
int fromspf_end(struct fromspf_run *r, from_spf_add add, void *add_arg,
                struct sbuf *report);

#endif
