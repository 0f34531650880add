/* classify_int.h - the classifier's insides, shared by its three files:
 * rules.c reads the rules file (docs/logscan.md) into them, prefilter.c
 * derives each pattern's literals, classify.c reads a reply with them.
 * Private to monitor/logs/. */
#ifndef RBL_CLASSIFY_INT_H
#define RBL_CLASSIFY_INT_H

#include <locale.h>
#include <regex.h>
#include <stdbool.h>

#include "classify.h"
#include "ydoc.h"

/* The order rules are read in (docs/logscan.md): what the reply itself
 * states comes before what a receiver's rule or a generic word guesses. */
enum tier {
  TIER_QUERY_ERROR,               /* the receiver's own list query failed */
  TIER_ADDRESS,                   /* the sender's or recipient's address */
  TIER_REASON,                    /* a stated reason */
  TIER_CODE,                      /* an enhanced status code alone */
  TIER_RECEIVER,                  /* a receiver's generic texts */
  TIER_GENERIC,                   /* generic words */
  TIER_COUNT
};

#define CLASSIFY_MAX_RULES 2000

#define RULE_LITERALS 32

/* One entry of rules, lists, codes or requirements (each reads its own
 * keys). */
struct rule {
  const char *id;
  const char *pattern;            /* match, as written */
  /* Prefilter: the text (lower-cased) can only match when it holds one of
   * these; nlits 0: no prefilter (a branch without a literal to require). */
  const char *lits[RULE_LITERALS];
  size_t nlits;
  regex_t re;
  bool compiled;
  regex_t code_re;                /* the enhanced code, anchored */
  bool has_code;
  int tier;
  enum cause cause;
  bool has_cause;                 /* cause was read */
  const char *detail, *list, *block, *receiver;
  int block_group;
  const char *zone, *operator_name; /* lists: what the text names */
  int zone_group;
  struct requirement req;         /* requirements */
};

struct receiver {
  const char *suffix, *name, *postmaster;
  regex_t re;                     /* a signature in the text, or none */
  bool has_re;
};

#define CACHE_SLOTS 4096

struct cache_slot {
  uint64_t hash;
  char *text;                     /* malloc'ed; NULL: empty slot */
  const char *host;               /* receiver found from the host name */
  char enhanced[16];
  struct verdict v;
};

struct section {
  struct rule *r;
  size_t n;
};

/* The rules are byte patterns (docs/logscan.md): they are compiled and
 * run under the C locale whatever the user's, which is also several times
 * faster than multibyte matching. */
struct classifier {
  locale_t bytes;                 /* the C locale, or (locale_t)0 */
  struct cache_slot *cache;       /* CACHE_SLOTS, allocated on first use */
  struct arena arena;
  const struct catalog *cat;
  struct section rules, lists, codes, reqs;
  struct receiver *recv;
  size_t nrecv;
};

/* Can ru's pattern match the text (lower: it lower-cased)?  False only
 * when the text holds none of the pattern's literals (prefilter.c). */
bool rule_may_match(const struct rule *ru, const char *lower);

#endif
