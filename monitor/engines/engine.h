/* engine.h - what the cycle asks of every engine (dnsbl, reputation,
 * auth; a data feed is one more): the common target, the result sink, and
 * a table of five functions.  The cycle owns the loop: an engine starts
 * its work on it, tells the cycle through ctx->done when every pair has
 * its result, and never runs or stops the loop itself. */
#ifndef RBL_ENGINE_H
#define RBL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

/* One watched target: a watchlist entry or a command-line argument. */
struct engine_target {
  const struct target_spec *spec;
  const char *watchlist;          /* "" for command-line targets */
};

/* Receives each result as it completes (results are not kept). */
typedef void (*result_sink)(void *arg, const struct result *r);

struct loop;
struct dns;
struct http;
struct store;
struct config;
struct list_def;
struct feed_cache;

/* What one cycle hands its engines; every pointer is borrowed for the
 * cycle. */
struct engine_ctx {
  struct loop *loop;
  struct dns *dns;
  struct http *http;              /* NULL unless an engine needs_http */
  const struct config *cfg;
  const struct list_def *const *lists;  /* the DNSBLs of this cycle */
  size_t nlists;
  const uint64_t *used_today;     /* queries per list in the last 24 h */
  const struct list_def *const *feed_lists; /* lists read from feeds */
  size_t nfeed_lists;
  struct feed_cache *feeds;       /* their data, kept between cycles */
  const struct engine_target *targets;  /* what DNS and HTTP can check */
  size_t ntargets;
  const struct engine_target *wide;     /* ranges only feeds can check */
  size_t nwide;
  struct store *store;            /* NULL: an unrecorded check */
  int64_t now;                    /* wall clock, seconds (clock_now()) */
  uint64_t deadline_ms;           /* 0: none */
  result_sink sink;
  void *sink_arg;
  void (*done)(void *arg);        /* an engine finished (its last result) */
  void *done_arg;
};

struct engine {
  const char *name;
  unsigned kind;                  /* CHECK_DNSBL, ... */
  bool needs_http;
  /* The sources it checks (one list_state each), and its pairs. */
  size_t (*nsources)(const struct engine_ctx *ctx);
  uint64_t (*count)(const struct engine_ctx *ctx);
  /* NULL when out of memory; states: nsources() of them, filled in. */
  void *(*start)(const struct engine_ctx *ctx, struct list_state *states);
  bool (*finished)(const void *run);
  /* Stops now, as the deadline would (rblmon run on SIGTERM). */
  void (*cancel)(void *run);
  /* After the loop (and after dns_free() when not finished); NULL is
   * fine. */
  void (*end)(void *run);
};

/* Why what an engine did not get to is not checked (the deadline, or a
 * cancel as the deadline would). */
#define ENGINE_DEADLINE "the deadline (resolver.deadline) was reached"

/* What a cycle asks (cycle_opts.kinds). */
enum { CHECK_DNSBL = 1, CHECK_REPUTATION = 2, CHECK_AUTH = 4,
       CHECK_FEED = 8, CHECK_ALL = 15 };

/* Every engine, in the order their sources are reported; NULL-terminated,
 * at most ENGINES_MAX (engine.c asserts it). */
#define ENGINES_MAX 8
extern const struct engine *const engines[];

#endif
