/* catalog.h - DNSBL definitions: the shipped catalog (a YAML file per
 * file per operator) and custom lists from the configuration, which use
 * the same entry keys.  Format: docs/catalog-format.md.
 *
 * A struct catalog owns every definition in its arena; definitions stay
 * valid until catalog_free(). */
#ifndef RBL_CATALOG_H
#define RBL_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include "feeddef.h"
#include "ydoc.h"

/* Ordered: a larger value is worse. */
enum severity { SEV_GOOD = 0, SEV_NOTICE = 1, SEV_WARNING = 2, SEV_CRITICAL = 3 };
extern const char *const severity_names[]; /* NULL-terminated, by value */

/* LIST_EMAIL: a hash list asked with the hash of an e-mail address
 * (Spamhaus HBL, MSBL EBL, SURBL hashbl); see hash below. */
enum list_type { LIST_IP4, LIST_IP6, LIST_IP, LIST_DOMAIN, LIST_EMAIL };
extern const char *const list_type_names[];

/* How an e-mail list hashes the address into its query label. */
enum list_hash { LIST_HASH_NONE, LIST_HASH_MD5, LIST_HASH_SHA1,
                 LIST_HASH_SHA256 };
/* The YAML names, NULL-terminated; list_hash_names[h - 1] is hash h. */
extern const char *const list_hash_names[];
enum list_hash_enc { LIST_ENC_HEX, LIST_ENC_BASE32 };
extern const char *const list_hash_enc_names[];

enum delist_proc {
  DELIST_UNSPECIFIED = -1,
  DELIST_SELF_SERVICE, DELIST_AUTO_EXPIRE, DELIST_ISP_ONLY,
  DELIST_PAID_EXPRESS, DELIST_CONTACT, DELIST_NONE
};
extern const char *const delist_proc_names[];

/* What a listing is about, and so who can fix it: the address itself, the
 * range (allocation) around it, the provider's network, the whole ASN, a
 * domain, or a policy list of end-user space that records no abuse.
 * SCOPE_UNSPECIFIED (0, what a zeroed definition holds): not known. */
enum list_scope {
  SCOPE_UNSPECIFIED = 0,
  SCOPE_ADDRESS, SCOPE_RANGE, SCOPE_PROVIDER, SCOPE_ASN, SCOPE_DOMAIN,
  SCOPE_POLICY
};
/* The YAML names, NULL-terminated; scope_names[s - 1] is scope s. */
extern const char *const scope_names[];

/* An A value or CIDR inside 127.0.0.0/8 (host byte order). */
struct code_rule {
  uint32_t net;
  unsigned prefix;
  const char *meaning;
  enum severity sev;       /* unused for error rules */
};

/* What one of a list's codes says about fixing it (its scope: and fix:). */
struct code_fix {
  enum list_scope scope;   /* UNSPECIFIED: the list's */
  const char *fix;         /* NULL: the list's delist.fix_first */
};

struct list_def {
  const char *name, *title, *zone, *operator_name;
  const char *file;        /* where it was defined, for messages */
  unsigned line, col;
  enum list_type type;
  enum list_scope scope;          /* UNSPECIFIED: none given (a domain
                                     list: SCOPE_DOMAIN) */
  bool defunct;
  const char *defunct_since, *defunct_reason;
  const char **tags;
  size_t ntags;
  bool txt, bitmask, custom;
  const char *key_name, *key_env; /* keyed zone: zone contains "{key}" */
  struct code_rule *codes;
  size_t ncodes;
  struct code_fix *code_fixes;    /* NULL, or one for each of codes */
  struct code_rule *errors;
  size_t nerrors;
  enum list_hash hash;            /* LIST_EMAIL: the hash function; NONE
                                     for every other type */
  enum list_hash_enc hash_enc;    /* and how its digest is written */
  bool probe;                     /* false: no RFC 5782 test points (test:
                                     false); a list with good codes still
                                     has its unlisted one probed */
  const char *test_listed, *test_unlisted; /* NULL: defaults by type */
  uint64_t queries_per_day;       /* 0: no published limit */
  const char *limits_note;
  const char *delist_url, *fix_first, *delist_note;
  enum delist_proc delist_proc;
  uint64_t delist_expires_ms;
  const char *note;
  size_t nsources;
  /* An HTTP reputation provider (provider.h) rather than a DNSBL: its
   * results share the state, reports and reminders of lists. */
  const struct provider *provider;
  bool auth;                      /* an authentication check (authsource.h) */
  /* Read from a file instead of DNS (lists.feeds, or feed: in a custom
   * list): never asked over DNS.  NULL: a DNS list. */
  const struct feed_def *feed;
};

/* The queries a day rblmon sends a public list (one of the catalog's,
 * without a key) whose operator publishes no limit: the free-use limit
 * most of the catalog's operators that publish one set (Spamhaus 300,000;
 * Mailspike, SpamEatingMonkey and DNSWL 100,000; NordSpam 10,000 - see
 * lists/ and their sources).  A /16 fits; two do not.  Lists under
 * lists.custom are the operator's own business. */
#define LIST_FAIR_USE_PER_DAY 100000

/* The daily query limit rblmon keeps to for l: the published one, else
 * LIST_FAIR_USE_PER_DAY for a public list, else 0 (none).  *published
 * (may be NULL) says which. */
uint64_t list_daily_limit(const struct list_def *l, bool *published);
/* "its terms allow" or "rblmon allows a list that publishes no limit",
 * for messages about l's limit. */
const char *list_limit_why(const struct list_def *l);

/* A DNS blocklist, not a reputation provider or an authentication
 * check. */
static inline bool
list_is_dnsbl(const struct list_def *l)
{
  return l->provider == NULL && !l->auth;
}

/* A DNSBL asked over DNS (not read from a feed). */
static inline bool
list_is_dns(const struct list_def *l)
{
  return list_is_dnsbl(l) && l->feed == NULL;
}

struct catalog {
  struct arena arena;
  struct list_def **lists;        /* sorted by file, then order in file */
  size_t n, cap;
};

void catalog_init(struct catalog *cat);
void catalog_free(struct catalog *cat);

/* Loads every *.yaml file in dir (sorted by name).  Problems go to d with
 * file:line:col; returns RBL_OK only when there were none. */
rbl_status catalog_load_dir(struct catalog *cat, const char *dir,
                            struct diag *d);
rbl_status catalog_load_file(struct catalog *cat, const char *path,
                             struct diag *d);
/* The same for a file's text (messages name it name). */
rbl_status catalog_load_string(struct catalog *cat, const char *name,
                               const char *text, size_t len, struct diag *d);

/* Parses one entry (a YAML mapping) into a definition allocated in
 * c->arena; reports problems through c.  Returns NULL when the entry has
 * errors.  custom: a list from the configuration (delist and sources are
 * optional there). */
struct list_def *catalog_parse_entry(struct yctx *c, struct ynode *node,
                                     const char *operator_name, bool custom);
/* Adds def to cat (the definition must outlive cat, e.g. live in an arena
 * that is freed after it); reports a duplicate name or zone through c. */
bool catalog_add(struct catalog *cat, struct yctx *c, struct list_def *def);

/* The list named name, or NULL; owned by the catalog. */
const struct list_def *catalog_find(const struct catalog *cat,
                                    const char *name);
/* The list whose zone is zone (case-insensitive), or NULL. */
const struct list_def *catalog_find_zone(const struct catalog *cat,
                                         const char *zone);
bool list_has_tag(const struct list_def *l, const char *tag);
bool list_takes_ip4(const struct list_def *l);
bool list_takes_ip6(const struct list_def *l);
/* l has a code of severity good (a whitelist or positive reputation): its
 * negative test point is always probed (the whitelist guard, dnsbl.c). */
bool list_has_good(const struct list_def *l);

/* Longest-prefix match of an A value (host order) among rules; NULL if
 * none. */
const struct code_rule *catalog_match(const struct code_rule *rules,
                                      size_t n, uint32_t a);

/* Parses "127.0.0.2" or "127.0.2.0/24" (inside 127/8). */
bool catalog_parse_code(const char *s, uint32_t *net, unsigned *prefix);

/* ---- scope and fix: who can fix a listing, and how --------------------- */
/* The advice for one answer of a list. */
struct code_advice {
  uint32_t code;                  /* the answer (a bitmask list: the bit) */
  enum list_scope scope;          /* UNSPECIFIED: not known */
  const char *fix;                /* NULL: none known */
  enum severity sev;              /* the code's (SEV_WARNING if unknown) */
};

/* The advice for answer a (host order) of l: the scope and fix its code
 * rule gives, else the list's scope and delist.fix_first.  For a bitmask
 * list, the lowest set bit with a rule of its own.  Never fails; strings
 * are l's (valid as long as l). */
struct code_advice catalog_advice(const struct list_def *l, uint32_t a);

/* The distinct pieces of advice for the answers codes[0..n) of one
 * listing (a bitmask answer: each of its bits), worst code first, into
 * out (room for max); returns how many.  Two codes with the same scope and
 * fix make one. */
size_t catalog_advise(const struct list_def *l, const uint32_t *codes,
                      size_t n, struct code_advice *out, size_t max);

/* Codes as the state keeps them ("127.0.0.2,127.0.0.4") into out (room
 * for max); what does not parse is skipped.  Returns how many. */
size_t catalog_parse_codes(const char *s, uint32_t *out, size_t max);

/* For code (an answer as text, "127.0.0.10") of l - as a rejection names
 * a zone and perhaps the answer: the scope's name ("policy") and the fix,
 * as catalog_advice() gives them.  A NULL or unparsable code: the list's
 * own.  NULL when not known.  Strings are static or l's. */
const char *catalog_scope(const struct list_def *l, const char *code);
const char *catalog_fix(const struct list_def *l, const char *code);

/* The scope's YAML name, NULL for SCOPE_UNSPECIFIED. */
const char *catalog_scope_name(enum list_scope s);
/* Who can fix a listing of scope s, in words for people (static; NULL for
 * SCOPE_UNSPECIFIED). */
const char *catalog_scope_who(enum list_scope s);

#endif
