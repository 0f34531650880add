/* feeddata.h - a list's data feed in memory: what rbldnsd would answer
 * for every address and name of a zone file, read once (feedparse.h),
 * queried for one address or name, or walked over a whole range.
 *
 * Addresses are kept as rbldnsd keeps them: sorted blocks (an aligned
 * prefix and its value), 8 bytes an IPv4 block.  Aligned blocks nest or
 * are apart, so the answer at an address is that of the longest block
 * holding it (rbldnsd's ip4set looks its four classes up from /32 to /8,
 * its tries take the longest prefix: the same rule).  Several values on
 * one block are several A records; an exclusion on it wins.  A walk over
 * an owned range visits the listed blocks in it, in order: the cost is in
 * the blocks, never in the addresses.
 *
 * A struct feed_data owns everything it holds; feed_data_free() frees
 * it. */
#ifndef RBL_FEEDDATA_H
#define RBL_FEEDDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "target.h"
#include "util.h"

typedef unsigned __int128 feed_u128;

/* One A value and TXT template (rbldnsd's ":127.0.0.2:text $"); value 0
 * is an exclusion ("!entry"). */
struct feed_value {
  uint32_t a;                     /* host order, 127.0.0.2 by default */
  uint32_t set;                   /* whose $n and $=: FEED_SET_* */
  const char *txt;                /* NULL: no TXT; '$' marks the entry */
};

/* rbldnsd's $0-$9 and $= belong to one dataset: a list's IPv4 file and
 * its IPv6 file (path6) each have their own.  FEED_SET_6 is the IPv6
 * datasets' (ip6trie, ip6tset), FEED_SET_4 every other's. */
enum { FEED_SET_4, FEED_SET_6, FEED_SETS };

/* What one address or name is answered: nvalues A records (0: not
 * listed). */
#define FEED_VALUES_MAX 8
struct feed_answer {
  size_t nvalues;
  const struct feed_value *values[FEED_VALUES_MAX];
  const char *name;               /* names: the entry that matched */
};

struct feed_block4 {              /* sort key: addr, then plen, then val */
  uint32_t addr;
  uint32_t plen_val;              /* plen << 24 | value index */
};

struct feed_block6 {
  feed_u128 addr;
  uint32_t plen_val;
};

struct feed_name {                /* sorted by name, then flags, then val */
  uint32_t name;                  /* offset into names */
  uint32_t flags_val;             /* FEED_NAME_* << 24 | value index */
  uint32_t head;                  /* the name's first 4 bytes, big-endian:
                                     most comparisons need not read the
                                     text (strcmp's order still) */
};
enum { FEED_NAME_EXACT = 1, FEED_NAME_WILD = 2 };

#define FEED_VAL_BITS 24
#define FEED_VAL_MAX ((1u << FEED_VAL_BITS) - 1)

struct feed_data {
  struct arena arena;             /* TXT templates */
  struct feed_value *values;      /* [0] is the exclusion */
  size_t nvalues, capvalues;
  struct feed_block4 *b4;
  size_t n4, cap4;
  uint64_t plens4;                /* bit p: some block has prefix p */
  struct feed_block6 *b6;
  size_t n6, cap6;
  feed_u128 plens6_lo, plens6_hi; /* bit p (0-127), and /128 */
  struct feed_name *names;
  size_t nnames, capnames;
  char *text;                     /* the names, NUL-separated */
  size_t ntext, captext;
  const char *subst[FEED_SETS][10]; /* $0-$9 substitution texts */
  const char *base[FEED_SETS];    /* $= base templates */
  bool first_wins4, first_wins6;  /* tries: the first of a prefix counts
                                     (else every value: ip4set, dnset) */
};

void feed_data_init(struct feed_data *fd);
void feed_data_free(struct feed_data *fd);

/* Adding (feedparse.c): a value's index (RBL_ENOMEM: 0 and false); set:
 * FEED_SET_*. */
bool feed_data_value(struct feed_data *fd, unsigned set, uint32_t a,
                     const char *txt, size_t txtlen, uint32_t *index);
bool feed_data_add4(struct feed_data *fd, uint32_t addr, unsigned plen,
                    uint32_t val);
bool feed_data_add6(struct feed_data *fd, feed_u128 addr, unsigned plen,
                    uint32_t val);
/* name: lower case, no trailing dot; flags FEED_NAME_*. */
bool feed_data_add_name(struct feed_data *fd, const char *name, size_t n,
                        unsigned flags, uint32_t val);
/* Sorts what was added; the lookups below need it.  RBL_ENOMEM: false. */
bool feed_data_finish(struct feed_data *fd);

/* Entries: blocks and names. */
uint64_t feed_data_entries(const struct feed_data *fd);

/* The answer for one address or one name (lower case, no trailing
 * dot). */
void feed_data_lookup(const struct feed_data *fd, const struct addr *a,
                      struct feed_answer *out);
void feed_data_lookup_name(const struct feed_data *fd, const char *name,
                           struct feed_answer *out);

/* Calls fn for every listed address in the spec's range (IP kinds), in
 * order, with its answer; stops when fn returns false (then false).  Cost:
 * the blocks inside the range and the prefixes holding its start. */
typedef bool (*feed_walk_fn)(void *arg, const struct addr *a,
                             const struct feed_answer *ans);
bool feed_data_walk(const struct feed_data *fd,
                    const struct target_spec *range, feed_walk_fn fn,
                    void *arg);
/* The same, a call for each stretch of one listed block between the
 * blocks nested in it, first to last (a listed IPv6 /64 in a /32 is one
 * call, not 2^64); adjacent blocks are not joined. */
typedef bool (*feed_span_fn)(void *arg, feed_u128 first, feed_u128 last,
                             const struct feed_answer *ans);
bool feed_data_spans(const struct feed_data *fd,
                     const struct target_spec *range, feed_span_fn fn,
                     void *arg);
/* An address as a number (IPv4 in the low 32 bits), and back. */
feed_u128 feed_addr_num(const struct addr *a);
void feed_num_addr(feed_u128 x, bool v6, struct addr *a);

/* The TXT of value v for subject (the address asked, or the name of the
 * entry that matched): '$' is the subject, $0-$9 the substitutions, $= the
 * base template (rbldnsd's rules), at most FEED_TXT_MAX bytes.  Writes ""
 * when there is none. */
#define FEED_TXT_MAX 254
void feed_data_txt(const struct feed_data *fd, const struct feed_value *v,
                   const char *subject, char *buf, size_t size);

#endif
