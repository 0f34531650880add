/* cycle.h - one check cycle, on a loop it is given: targets -> plan ->
 * engines -> interpret -> store -> changes -> notify and report.  rblmon
 * check runs one; rblmon run runs one per due job, on its own loop. */
#ifndef RBL_CYCLE_H
#define RBL_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include "app.h"
#include "engine.h"

struct loop;
struct reporter;
struct cycle;
struct feed_cache;

struct cycle_opts {
  const struct reporter *rep;     /* the format (report_find()) */
  const char *output;             /* NULL: stdout */
  bool all;                       /* text: clean results too */
  bool changes_only;              /* only what changed since the last */
  bool no_state;                  /* neither read nor record the state */
  char *const *args;              /* command-line targets: a one-off */
  int nargs;                      /* check, never recorded */
  unsigned kinds;                 /* CHECK_* (0: all) */
  const char *const *only_lists;  /* these DNSBLs only (NULL: all) */
  size_t nonly_lists;
  /* Told when the cycle holds the state (its transaction began). */
  void (*began)(void *arg);
  void *arg;
  /* While from_spf or the engines run, *current is the cycle (NULL
   * otherwise), for cycle_cancel() from a signal watch on the loop. */
  struct cycle **current;
  struct feed_cache *feeds;       /* feeds kept between cycles (rblmon
                                     run); NULL: read for this one */
  bool *recorded;                 /* told whether the state took the
                                     cycle (NULL: not asked) */
  /* The reader of the changes (store.h) whose unseen changes the report
   * shows, moving its position; NULL: this cycle's changes (rblmon run,
   * a plain check). */
  const char *reader;
};

/* Runs one cycle; returns its exit code (RBL_EXIT_*). */
int cycle_run(const struct app *a, struct loop *loop,
              const struct cycle_opts *o);
/* Only the RFC 5782 test points of a's selected lists (rblmon lists
 * --probe), through the DNSBL engine on loop and d: each list's health
 * into states (a->nlists of them).  RBL_ENOMEM. */
struct dns;
struct list_state;
rbl_status cycle_probe(const struct app *a, struct loop *loop, struct dns *d,
                       struct list_state *states);
/* Stops the engines now, as the deadline would; what was answered is
 * recorded as usual. */
void cycle_cancel(struct cycle *y);

#endif
