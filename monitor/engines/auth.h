/* auth.h - sender authentication as receivers check it, on the same loop
 * and in the same cycle as the blocklists: for every IP its PTR,
 * forward confirmation and whether the name looks generic; for every
 * domain its SPF (evaluated per RFC 7208 for each sending IP of its
 * watchlist), DMARC, DKIM selectors and MX.  Results have the sources
 * auth:ptr, auth:spf, auth:dmarc, auth:dkim and auth:mx.  The checks are
 * one file each behind auth_check.h; from_spf is fromspf.c. */
#ifndef RBL_AUTH_H
#define RBL_AUTH_H

#include "authsource.h"
#include "engine.h"
#include "util.h"

#define AUTH_WINDOW 50            /* PTR jobs in flight */

/* The engine (engine.h): the checks cfg->auth_checks asks for over the
 * targets; one state per check (AUTH_NCHECKS). */
extern const struct engine engine_auth;

#endif
