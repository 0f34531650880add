/* spf.h - SPF evaluation (RFC 7208 check_host()), pure.
 *
 * The evaluator reads DNS answers through a lookup function and never
 * waits: when an answer is not known yet it stops with SPF_NEED and names
 * the (name, type) to fetch; the caller fetches it, keeps it, and
 * evaluates again from the start.  Evaluation is cheap; a domain's DNS is
 * fetched once and then serves every sending IP.
 *
 * Implemented: the record selection (exactly one "v=spf1"), the whole
 * record's syntax checked before anything is evaluated, mechanisms all,
 * include, a, mx, ptr, ip4, ip6, exists with dual CIDR lengths,
 * modifiers redirect and exp (fetched by spf_eval() on request), macros
 * (%{s l o d i p v h}, and c r t in explanations, with digits, r and
 * delimiters; p is the validated PTR name, "unknown" when none
 * validates), the limit of 10 DNS-querying terms, at
 * most 10 MX or PTR names, at most 2 void lookups.  An IPv4-mapped IPv6
 * client (::ffff:a.b.c.d) is evaluated as IPv4 (RFC 7208 section 5); a
 * target name no DNS query can carry (an empty label, a label over 63
 * octets) does not match and counts as a void lookup. */
#ifndef RBL_SPF_H
#define RBL_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include "dnscache.h"
#include "target.h"

enum spf_result {
  SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_TEMPERROR,
  SPF_PERMERROR, SPF_NEED
};
extern const char *const spf_result_names[];

#define SPF_MAX_LOOKUPS 10
#define SPF_MAX_VOIDS 2

struct spf_out {
  enum spf_result result;
  char why[320];           /* what matched, or what is wrong */
  char exp[512];           /* spf_eval, fail with explain: the domain's
                              explanation (exp=); empty: none, the
                              receiver's default */
  char need_name[256];     /* SPF_NEED: what to fetch */
  int need_type;
  unsigned lookups, voids;
  bool partial;            /* spf_authorized: not everything was listed */
};

/* check_host(ip, domain, sender): sender is the MAIL FROM address
 * ("postmaster@domain" when rblmon checks a domain). */
enum spf_result spf_check(const struct addr *ip, const char *domain,
                          const char *sender, dq_lookup_fn lookup, void *arg,
                          struct spf_out *out);

/* One line of an evaluation's trace (a record, a DNS answer, a term and
 * whether it matched); depth is the include and redirect nesting, 0 for
 * the domain asked about.  The line holds DNS text as it came: the
 * caller escapes it for where it goes. */
typedef void (*spf_trace_fn)(void *arg, unsigned depth, const char *line);

/* One check_host() as a receiver runs it for a message. */
struct spf_query {
  const struct addr *ip;
  const char *domain;      /* the domain checked: MAIL FROM's, or HELO's */
  const char *sender;      /* MAIL FROM, or postmaster@ the HELO name */
  const char *helo;        /* %{h}; NULL: the sender's domain */
  const char *receiver;    /* %{r} in explanations; NULL: "unknown" */
  bool explain;            /* on fail, fetch the explanation (exp=) */
  spf_trace_fn trace;      /* NULL: no trace */
  void *trace_arg;
};

/* spf_check() with all of check_host()'s inputs, the explanation and a
 * trace.  On SPF_NEED the caller fetches and evaluates again: the trace
 * starts over each time, and only the last evaluation's is whole. */
enum spf_result spf_eval(const struct spf_query *q, dq_lookup_fn lookup,
                         void *arg, struct spf_out *out);

/* The networks a domain's record authorises with a pass ("+"): ip4, ip6,
 * a and mx (their addresses), include and redirect when the target is the
 * domain or under it.  Other terms (exists, ptr, includes of other
 * organisations, macros) cannot be listed: they are described in notes.
 * SPF_NEED as for spf_check(); SPF_PASS when walked, else the error. */
struct spf_net {
  struct addr a;
  unsigned prefix;
};
enum spf_result spf_authorized(const char *domain, dq_lookup_fn lookup,
                               void *arg, struct spf_net *nets, size_t max,
                               size_t *n, char *notes, size_t notes_size,
                               struct spf_out *out);

/* The reverse-lookup name of an address (in-addr.arpa / ip6.arpa). */
void spf_reverse_name(const struct addr *a, char *buf, size_t size);

#endif
