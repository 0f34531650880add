/* classify.h - the cause of a rejection, from rules that are data
 * (lists/rules/rejections.yaml, format in docs/logscan.md): the first rule
 * whose POSIX extended regex matches the reply text wins.  Also the
 * receiving provider (from the MX host name) and the IP the text names. */
#ifndef RBL_CLASSIFY_H
#define RBL_CLASSIFY_H

#include "catalog.h"
#include "logscan.h"

struct classifier;

/* Loads and compiles the rules; problems go to d with file:line:col.  The
 * catalog (may be NULL) turns a zone named in a text into a list name; it
 * must outlive the classifier. */
rbl_status classify_load(const char *path, const struct catalog *cat,
                         struct classifier **out, struct diag *d);
/* Frees the rules, the cache and c (NULL is fine). */
void classify_free(struct classifier *c);

/* The cause of a rejection; cause_names[] spells each for the rules and
 * the output (in this order: the JSON "by_cause" object follows it).
 * recipient: the recipient's side (unknown user, mailbox full, disabled),
 * never our reputation.  receiver-error: the reply names a list but says
 * the receiver's own query of it failed (open resolver, 127.255.255.x):
 * every sender is rejected, and it is the receiver's to fix. */
enum cause {
  CAUSE_BLOCKLIST,
  CAUSE_REPUTATION,
  CAUSE_CONTENT,
  CAUSE_AUTHENTICATION,
  CAUSE_POLICY,
  CAUSE_RATE_LIMIT,
  CAUSE_CONFIGURATION,
  CAUSE_RECIPIENT,
  CAUSE_RECEIVER_ERROR,
  CAUSE_UNKNOWN,
  CAUSE_COUNT                     /* not a cause: the number of them */
};
/* NULL-terminated (for ydoc_enum): cause_names[CAUSE_COUNT] is NULL. */
extern const char *const cause_names[CAUSE_COUNT + 1];
/* The name of c; "unknown" for a value out of range. */
const char *cause_name(enum cause c);
/* Does a rejection of this cause say something about our standing with
 * the receiver (false for recipient-side and receiver-side causes)? */
bool cause_is_ours(enum cause c);

/* A receiver's published sender requirement that a reply says was broken
 * (Gmail 5.7.26, Yahoo TSS04, Microsoft 5.7.515 ...), from the rules'
 * requirements section. */
struct requirement {
  const char *id, *receiver, *code, *title, *url;
};

struct verdict {
  enum cause cause;               /* CAUSE_UNKNOWN at worst */
  const char *detail, *list, *rule, *receiver; /* may be NULL */
  const char *operator_name;      /* the list's operator named, or NULL */
  const char *postmaster;         /* the receiver's postmaster page */
  const struct requirement *req;  /* NULL: none named */
  const char *scope, *fix;        /* the named list's, for the answer the
                                     text quotes (else the list's own):
                                     catalog_scope(), catalog_fix() */
  char zone[128];                 /* the DNSBL zone named, or "" */
  char block[128];                /* the receiver's own code, else the
                                     zone or operator named, or "" */
  char named_ip[64];
};

/* The requirement of that id in the rules, or NULL. */
const struct requirement *classify_requirement(const struct classifier *c,
                                               const char *id);

/* The postmaster page the rules give for a receiver, or NULL. */
const char *classify_postmaster(const struct classifier *c,
                                const char *receiver);

/* The prefilter of a pattern (a POSIX ERE of the rules file, matched
 * case-insensitively): for each of its top-level branches the longest run
 * of characters every match of that branch holds, lower-cased, into out;
 * the text can only match when it holds one of them.  Returns how many; 0
 * when some branch has no such run of 3 characters or more, or there are
 * more than max branches (then every text must be tried). */
#define CLASSIFY_LITERAL_MAX 64
size_t classify_literals(const char *pattern,
                         char out[][CLASSIFY_LITERAL_MAX], size_t max);

/* Verdicts are cached by reply text and receiver (receivers repeat their
 * texts), so c is not const. */
void classify(struct classifier *c, const struct rejection *r,
              struct verdict *v);

#endif
