/* dnsbl.h - DNSBL checks: the plan (targets x lists, streamed), RFC 5782
 * list health probes, and reading answers with each list's own codes. */
#ifndef RBL_DNSBL_H
#define RBL_DNSBL_H

#include "config.h"
#include "dns.h"
#include "engine.h"
#include "result.h"

/* ---- reading answers (pure; unit tested) ------------------------------- */
enum interp_kind {
  INTERP_LISTED,   /* at least one listing code */
  INTERP_GOOD,     /* only good-standing codes (whitelist, reputation) */
  INTERP_ERROR,    /* a code from the list's errors: refused, over quota */
  INTERP_BROKEN    /* an answer outside 127.0.0.0/8: dead or hijacked zone */
};

struct interp {
  enum interp_kind kind;
  enum severity sev;              /* worst of the listing codes */
  uint32_t codes[RESULT_MAX_CODES];
  const char *reasons[RESULT_MAX_CODES];
  size_t ncodes, nreasons;
  const char *error;              /* INTERP_ERROR: the list's meaning */
  uint32_t bad;                   /* INTERP_ERROR/BROKEN: the answer */
};

/* Reads the A records a[0..n) (n >= 1) of a list's answer.  Errors are
 * checked first; bitmask lists are decoded bit by bit; an unknown 127.x
 * code is a warning-level listing "unknown code". */
void dnsbl_interpret(const struct list_def *l, const uint32_t *a, size_t n,
                     struct interp *out);

/* ---- one check cycle ---------------------------------------------------- */
/* Number of (address, list) pairs the plan holds (saturating). */
uint64_t dnsbl_count(const struct list_def *const *lists, size_t nlists,
                     const struct engine_target *t, size_t nt);

/* The engine (engine.h): probes every list's test points, then queries
 * every (address, list) pair that fits (IPs to IP lists, domains to
 * domain lists), at most max_inflight at once, handing each result to the
 * sink as it completes; one state per list (health and counts).  With no
 * targets, only the test points: rblmon lists --probe. */
extern const struct engine engine_dnsbl;

#endif
