/* auth_check.h - the five authentication checks behind the auth engine
 * (internal to auth*.c and their unit test), rbldnsd's struct dstype
 * applied to checks: auth.c runs the jobs and fetches, and each check,
 * one file each (auth_ptr.c, auth_spf.c, auth_dmarc.c, auth_dkim.c,
 * auth_mx.c), says what it needs and judges what was fetched.
 *
 * Every judge is pure: fetched answers in (a dq_lookup_fn over the
 * cache, or the facts of a PTR job), a finding out; no loop, no DNS. */
#ifndef RBL_AUTH_CHECK_H
#define RBL_AUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "authsource.h"
#include "dnscache.h"
#include "engine.h"
#include "result.h"
#include "spf.h"

/* Whether mail passes SPF for every address, or has a usable DKIM key. */
enum auth_verdict { AUTH_V_NO, AUTH_V_YES, AUTH_V_UNKNOWN };

/* What one check found for one target: the result it becomes.
 * RES_LISTED: reasons and the worst severity; RES_CLEAN: the reason that
 * all is well (none for auth:mx); RES_ERROR: error, no reasons.  Reasons
 * are static texts; the details (untrusted) are in txt. */
struct auth_finding {
  enum result_status status;
  enum severity sev;
  const char *reasons[RESULT_MAX_CODES];
  size_t nr;
  char txt[512];
  char error[200];
};

/* ---- auth:ptr: one address ------------------------------------------------------ */
#define AUTH_PTR_NAMES 10

/* What the lookups of one address found: its PTR names and, for each,
 * whether it resolves back to the address (ok) or its lookup failed. */
struct auth_ptr_facts {
  struct addr a;
  enum dq_status status;          /* of the PTR query */
  char error[160];                /* DQ_ERROR: why */
  char names[AUTH_PTR_NAMES][256];
  bool ok[AUTH_PTR_NAMES], err[AUTH_PTR_NAMES];
  size_t n;
};

/* The judge of auth:ptr: no PTR, not forward-confirmed, a generic name,
 * or confirmed. */
void auth_ptr_judge(const struct auth_ptr_facts *p, struct auth_finding *f);

/* One address's lookups (PTR, then each name's A or AAAA), started by the
 * engine, which embeds the job in its own.  The engine's callbacks: seen
 * gets every answer's c-ares status (cancellation, teardown), done is
 * called once when the facts are complete.  *stopped (the engine's
 * deadline) true: no forward lookups are started. */
struct auth_ptr_job {
  struct auth_ptr_facts f;
  bool cut;                       /* the deadline stopped its lookups */
  size_t pending;
  struct dns *dns;
  const bool *stopped;
  void (*seen)(struct auth_ptr_job *j, int status);
  void (*done)(struct auth_ptr_job *j);
};
/* Starts j's PTR query (the reverse name of j->f.a); j is the engine's
 * until done. */
void auth_ptr_fetch(struct auth_ptr_job *j);

/* ---- the domain checks ---------------------------------------------------------- */
/* One domain of a watchlist, as the checks see its job. */
struct auth_domain {
  const char *domain, *watchlist;
  const char *const *sel;         /* DKIM selectors */
  size_t nsel;
  const struct engine_target *t;  /* the cycle's targets (SPF: the */
  size_t nt;                      /* watchlist's sending addresses) */
  /* The engine's fetch: the answer, or NULL after asking for it (the job
   * is stepped again when it arrives). */
  const struct dq_answer *(*need)(struct auth_domain *d, const char *name,
                                  int type);
  struct dnscache *cache;         /* what was fetched, for the judges */
  /* SPF, over the watchlist's addresses one at a time */
  size_t ti;
  struct target_iter it;
  bool in_range, have_ip, probe_only, spf_done;
  struct addr ip;
  uint64_t n[SPF_NEED];           /* results by kind */
  char spf_txt[400];
  size_t spf_notes;
  /* the verdicts DMARC reads (set by the SPF and DKIM judges) */
  enum auth_verdict spf_v, dkim_v;
};

/* A domain check: needed when any of wanted_by is asked for (and, with
 * selectors, only when the domain has DKIM selectors).  need() asks for
 * what is missing: false while waiting.  judge() runs once everything is
 * fetched: it sets its verdict in d and fills f, which the engine reports
 * when check itself is asked for. */
struct auth_check_ops {
  enum auth_check check;
  unsigned wanted_by;             /* bits of enum auth_check */
  bool selectors;
  bool (*need)(struct auth_domain *d);
  void (*judge)(struct auth_domain *d, struct auth_finding *f);
};

/* In the order they are reported. */
extern const struct auth_check_ops auth_check_spf, auth_check_dkim,
  auth_check_dmarc, auth_check_mx;

/* The pure judges behind judge(); lookup/arg read the fetched answers
 * (NULL: not fetched, judged as a failed lookup). */

/* auth:spf over the results of evaluating each sending address (n, by
 * enum spf_result; probe_only: there was none, the record was only read),
 * with the notes spf_txt gathered. */
void auth_spf_judge(const uint64_t n[SPF_NEED], bool probe_only,
                    const char *notes, struct auth_finding *f);
/* Whether mail passes SPF for every sending address (for DMARC). */
enum auth_verdict auth_spf_verdict(const uint64_t n[SPF_NEED],
                                   bool probe_only);

/* auth:dkim over each selector's TXT answer at sel._domainkey.domain;
 * returns whether a key is usable (AUTH_V_UNKNOWN: a lookup failed and no
 * other key is). */
enum auth_verdict auth_dkim_judge(const char *domain,
                                  const char *const *sel, size_t nsel,
                                  dq_lookup_fn lookup, void *arg,
                                  struct auth_finding *f);

/* What DMARC's judge knows besides the records. */
struct auth_dmarc_facts {
  const char *domain;
  enum auth_verdict spf, dkim;    /* from the SPF and DKIM judges */
  bool spf_temperror;             /* an SPF evaluation failed on DNS */
  size_t nsel;                    /* DKIM selectors configured */
};
/* auth:dmarc: the policy at _dmarc.domain (or at the organisational
 * domain), whether mail can pass it, and the consent of report domains
 * of other organisations (RFC 7489 7.1). */
void auth_dmarc_judge(const struct auth_dmarc_facts *x, dq_lookup_fn lookup,
                      void *arg, struct auth_finding *f);

/* auth:mx: the domain's MX (absent, null MX, hosts without an address)
 * and, without MX, its address records. */
void auth_mx_judge(const char *domain, dq_lookup_fn lookup, void *arg,
                   struct auth_finding *f);

#endif
