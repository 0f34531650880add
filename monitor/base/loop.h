/* loop.h - the one event loop: poll(2) over registered fds, timers on a
 * monotonic clock (advanceable by tests), and prepare hooks that engines
 * (c-ares, later libcurl) use to process their own timeouts.  Tests that
 * simulate time use RBLMON_NOW for the state (clock_now()); the loop's
 * clock offset (loop_advance) is for a scheduler driven by tests. */
#ifndef RBL_LOOP_H
#define RBL_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "status.h"

struct loop;

typedef void (*loop_io_fn)(void *arg, int fd, short revents);
/* Returns the next interval in ms, or 0 to stop the timer. */
typedef uint64_t (*loop_timer_fn)(void *arg);
/* Called before each poll; returns the longest the loop may wait (ms),
 * or UINT64_MAX for no limit. */
typedef uint64_t (*loop_prepare_fn)(void *arg);

/* NULL when out of memory. */
struct loop *loop_new(void);
/* Frees l (NULL is fine); watched fds are the owners' to close. */
void loop_free(struct loop *l);

/* Watches fd for events (POLLIN|POLLOUT); events 0 removes the watch. */
rbl_status loop_watch(struct loop *l, int fd, short events, loop_io_fn fn,
                      void *arg);
/* Starts a timer; returns its id (> 0) or 0 when out of memory. */
unsigned loop_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn,
                    void *arg);
void loop_timer_cancel(struct loop *l, unsigned id);
rbl_status loop_prepare(struct loop *l, loop_prepare_fn fn, void *arg);
/* Removes the hook (its owner goes; the loop may live on). */
void loop_unprepare(struct loop *l, loop_prepare_fn fn, void *arg);

/* Monotonic milliseconds (plus what tests advanced). */
uint64_t loop_now(const struct loop *l);
void loop_advance(struct loop *l, uint64_t ms);

/* Runs until loop_stop() or until nothing is watched and no timer is set. */
void loop_run(struct loop *l);
/* One iteration, waiting at most max_ms. */
void loop_once(struct loop *l, uint64_t max_ms);
void loop_stop(struct loop *l);

#endif
