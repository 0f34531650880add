/* provider.h - reputation providers over HTTP: their definitions (the
 * configuration's reputation: section, and the presets abuseipdb and
 * snds), request templates, and the secrets they use.
 *
 * Each provider carries a struct list_def so its results flow through the
 * same state, reports, reminders and notifications as a DNSBL's; the
 * def's provider pointer tells them apart.  Format: rblmon.yaml(5). */
#ifndef RBL_PROVIDER_H
#define RBL_PROVIDER_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include "catalog.h"
#include "target.h"
#include "ydoc.h"

enum rep_format { REP_JSON, REP_CSV, REP_REGEX };
extern const char *const rep_format_names[];

enum cond_op { COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE,
               COND_IN, COND_PRESENT };

struct rep_cond {
  enum cond_op op;
  bool numeric;                   /* the operand is a number */
  double num;
  const char *str;
  const char **set;               /* COND_IN: case-insensitive */
  size_t nset;
};

struct rep_where {                /* where a value is in an answer */
  const char *pointer;            /* json: RFC 6901; may hold {ip} etc. */
  unsigned column;                /* csv: 1-based; 0 = none */
};

struct rep_rule {
  enum severity sev;              /* SEV_GOOD for "ok" */
  struct rep_where where;         /* none: the provider's value */
  struct rep_cond cond;
  const char *reason;             /* given, or made from the condition */
};

struct rep_error {                /* error_if: errors inside a 2xx body */
  struct rep_where where;
  bool has_cond;                  /* without: any value but null/false/"" */
  struct rep_cond cond;
  const char *message;            /* json pointer to the text, or NULL */
};

enum rep_not_found { NF_ERROR, NF_CLEAN, NF_WARNING, NF_CRITICAL };
extern const char *const rep_not_found_names[];

#define REP_MAX_LIMIT_STATUS 8

struct provider {
  struct list_def def;            /* name, type, delisting, place */
  const char *preset;             /* NULL: custom */
  const char *url;                /* template */
  const char *method;             /* GET or POST */
  const char **headers;           /* templates "Name: value" */
  size_t nheaders;
  const char *key_env;            /* key: ${VAR} */
  const char *key_file;           /* absolute or relative to the config */
  enum rep_format format;
  struct rep_where value;         /* the provider's main value */
  struct rep_where detail;        /* extra text for the result */
  regex_t re;                     /* format regex */
  bool has_re;
  unsigned match_col, first_col, last_col; /* csv: which row is ours */
  struct rep_rule *rules;
  size_t nrules;
  struct rep_error *errors;
  size_t nerrors;
  enum rep_not_found not_found;
  uint64_t min_interval_ms, timeout_ms, daily_limit, max_size;
  long limit_status[REP_MAX_LIMIT_STATUS]; /* besides 429 */
  size_t nlimit;
  const char *ca_file;
  const char **connect_to;        /* NULL-terminated, or NULL */
  bool per_target;                /* the request names the target */
  uint64_t fingerprint;           /* of the definition: cache validity */
};

/* Parses the reputation: section (a sequence of providers) into *out
 * (allocated in c->arena; presets expand here, snds into two providers).
 * config_file: for relative key_file and ca_file paths. */
void provider_parse_all(struct yctx *c, struct ynode *v,
                        struct provider ***out, size_t *n);
/* Releases what is not in the arena (compiled regexes). */
void provider_free(struct provider *p);

/* ---- at check time ------------------------------------------------------ */
#define REP_MAX_SECRETS 8
#define REP_SECRET_MAX 4096       /* bytes, with the NUL */
#define REP_KEY_MIN 8             /* shorter values are not taken as keys */
#define REP_MAX_HEADERS 32

/* The secrets a provider's requests carry, for templates and redaction:
 * the key, and every ${VARIABLE} value of REP_KEY_MIN bytes or more. */
struct rep_secrets {
  char key[REP_SECRET_MAX];       /* "" when none is needed */
  const char *redact[REP_MAX_SECRETS]; /* longest first */
  size_t nredact;
  char store[REP_MAX_SECRETS][REP_SECRET_MAX];
};

/* Reads the key (environment or key_file) and every ${VAR} the templates
 * use.  false with the reason (naming what to set) in err when one is
 * missing or a key_file is unsafe. */
bool provider_secrets(const struct provider *p, struct rep_secrets *s,
                      char *err, size_t errlen);

/* Expands a template: {ip} {domain} {target} {key} {date:FMT} ${VAR}.
 * url: values are URL-encoded.  target may be NULL for shared requests.
 * now: UTC seconds for {date:...}.  false when the result does not fit
 * or a value would break the request (a newline in a header). */
bool provider_expand(const char *tmpl, const char *target,
                     const struct rep_secrets *s, int64_t now, bool url,
                     char *out, size_t size);

/* Replaces every secret in text (in place) with "****", the longest
 * first, raw and URL-encoded. */
void provider_redact(const struct rep_secrets *s, char *text, size_t size);

#endif
