/* auth.h - sender authentication as receivers check it, on the same loop
 * and in the same cycle as the blocklists: for every IP its PTR,
 * forward confirmation and whether the name looks generic; for every
 * domain its SPF (evaluated per RFC 7208 for each sending IP of its
 * watchlist), DMARC, DKIM selectors and MX.  Results have the sources
 * auth:ptr, auth:spf, auth:dmarc, auth:dkim and auth:mx.
 *
 * from_spf: a watchlist's addresses can come from a domain's SPF record
 * (auth_from_spf() runs before the check). */
#ifndef RBL_AUTH_H
#define RBL_AUTH_H

#include "authsource.h"
#include "engine.h"
#include "util.h"


#define AUTH_WINDOW 50            /* PTR jobs in flight */

/* The engine (engine.h): the checks cfg->auth_checks asks for over the
 * targets; one state per check (AUTH_NCHECKS). */
extern const struct engine engine_auth;

/* Hands add, for cfg's watchlists, the addresses their from_spf domains'
 * records authorise (ip4, ip6, a, mx; include and redirect under the same
 * domain), running the loop until done; the cycle's add leaves out what
 * is watched already.  Problems (a missing or broken record, DNS errors, terms
 * that cannot be listed, ranges too large) are written to report, one
 * escaped line each.  FROM_SPF_FAILED: a record could not be read (DNS):
 * addresses are missing that may be there next time.  deadline_ms (0:
 * none) bounds the whole expansion; each lookup is bounded by the
 * resolver's timeout. */
enum { FROM_SPF_OK, FROM_SPF_PARTIAL, FROM_SPF_FAILED };
typedef rbl_status (*from_spf_add)(void *arg, const struct target_spec *spec,
                                   const char *watchlist);
int auth_from_spf(struct loop *l, struct dns *d, const struct config *cfg,
                  from_spf_add add, void *add_arg, uint64_t deadline_ms,
                  struct sbuf *report);

#endif
