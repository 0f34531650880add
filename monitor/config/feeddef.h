/* feeddef.h - a list read from a local file instead of DNS: the keys of
 * lists.feeds.<list> in the configuration, and of feed: in a custom list
 * (rblmon.yaml(5)).  The data itself is read by feeds/ (feedload.h). */
#ifndef RBL_FEEDDEF_H
#define RBL_FEEDDEF_H

#include <stdbool.h>
#include <stdint.h>
#include "ydoc.h"

enum feed_format { FEED_FORMAT_RBLDNSD, FEED_FORMAT_PLAIN };
extern const char *const feed_format_names[];

/* rbldnsd's dataset types (man rbldnsd), and "none given". */
enum feed_type {
  FEED_TYPE_DEFAULT = -1,
  FEED_IP4SET, FEED_IP4TSET, FEED_IP4TRIE, FEED_IP6TRIE, FEED_IP6TSET,
  FEED_DNSET, FEED_COMBINED, FEED_TYPE_N
};
extern const char *const feed_type_names[];  /* NULL-terminated */

/* Defaults: a file older than this is stale; more bad lines than this
 * make it broken. */
#define FEED_DEFAULT_MAX_AGE_MS (2 * 86400000ULL)
#define FEED_DEFAULT_MAX_BAD 100

struct feed_def {
  const char *list;               /* the list it stands for */
  const char *path, *path6;       /* path6: a second file (IPv6), or NULL */
  enum feed_format format;
  enum feed_type type, type6;     /* FEED_TYPE_DEFAULT: by the list's type */
  const char *dataset;            /* one dataset of a combined file */
  uint64_t max_age_ms;            /* 0: never stale */
  uint64_t max_bad;
  const char *file;               /* where it was configured */
  unsigned line, col;
};

/* Parses a feed map (node) for the list named list into a definition in
 * c->arena; relative paths are taken from the directory of base (the
 * configuration file; NULL: as given).  Problems go through c; NULL when
 * there were any. */
struct feed_def *feed_def_parse(struct yctx *c, struct ynode *node,
                                const char *list, const char *base);

/* Whether the feed has data for an address family or for names
 * (target_kind values: 0 IPv4, 1 IPv6, 2 domain), given its list's
 * type (enum list_type). */
bool feed_def_takes(const struct feed_def *f, int list_type, int kind);
/* The dataset type the file of path (or path6: second) is read as. */
enum feed_type feed_def_type(const struct feed_def *f, int list_type,
                             bool second);

#endif
