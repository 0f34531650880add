/* feedload.h - a list's data feed read from its files (lists.feeds): read
 * whole or not at all, judged (ok, stale or broken, never silently
 * smaller), and kept while its files do not change.
 *
 * A file is read through one open descriptor: rsync renames the next
 * file into place, which does not touch the one being read; a file
 * changed in place while it is read is read again, once, and is broken if
 * it changes again. */
#ifndef RBL_FEEDLOAD_H
#define RBL_FEEDLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include "catalog.h"
#include "feeddata.h"
#include "feedparse.h"
#include "result.h"

struct feed_file {                /* one file as it was read */
  const char *path;
  uint64_t dev, ino, size;
  int64_t mtime_ns;
};

/* One list's feed as read now.  Owns its data. */
struct feed {
  const struct list_def *list;
  struct feed_data data;
  struct feed_file files[2];      /* path, path6 */
  size_t nfiles;
  uint64_t entries, lines, bad;
  char warn[FEEDPARSE_WARN_MAX][200]; /* "file:line: what" */
  size_t nwarn;
  int64_t newest, oldest;         /* the files' change times (s) */
  enum list_health health;        /* OK, STALE or BROKEN */
  char detail[320];               /* why, when not OK */
};

/* Reads the feed of list l (l->feed) as of now (wall clock, seconds).
 * Never fails but for memory (NULL): a feed that cannot be read is
 * returned BROKEN with the reason.  The caller frees it. */
struct feed *feed_load(const struct list_def *l, int64_t now);
void feed_free(struct feed *f);

/* Whether the files of f are still the ones it read (same inode, size and
 * change time). */
bool feed_current(const struct feed *f);
/* Judges f again at now: its age against max_age (a feed that was fresh
 * goes stale as time passes without a new file). */
void feed_judge_age(struct feed *f, int64_t now);

/* What the files of l's feed are now, as a number that changes when one
 * of them changes (another file renamed into place, a change in place, a
 * file gone) or when the feed goes stale at now: rblmon run checks the
 * feeds again only then. */
uint64_t feed_signature(const struct list_def *l, int64_t now);

/* The feeds of a run of cycles: each list's, read again only when its
 * files change. */
struct feed_cache {
  struct feed **feeds;
  size_t n, cap;
};
void feed_cache_init(struct feed_cache *c);
void feed_cache_free(struct feed_cache *c);
/* The feed of l: the cached one if its files are unchanged, else read now
 * (and cached).  NULL only when out of memory.  Owned by the cache. */
struct feed *feed_cache_get(struct feed_cache *c, const struct list_def *l,
                            int64_t now);

#endif
