#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOOP_MAX_FDS 1024
#define LOOP_MAX_TIMERS 64
#define LOOP_MAX_PREPARE 8

struct watch {
  int fd;
  short events;
  loop_io_fn fn;
  void *arg;
};

struct timer {
  unsigned id;
  uint64_t due;
  loop_timer_fn fn;
  void *arg;
};

struct loop {
  struct watch w[LOOP_MAX_FDS];
  size_t nw;
  struct timer t[LOOP_MAX_TIMERS];
  size_t nt;
  unsigned next_id;
  struct {
    loop_prepare_fn fn;
    void *arg;
  } p[LOOP_MAX_PREPARE];
  size_t np;
  uint64_t offset;
  bool stop;
};

struct loop *
loop_new(void)
{
  return calloc(1, sizeof(struct loop));
}

void
loop_free(struct loop *l)
{
  free(l);
}

uint64_t
loop_now(const struct loop *l)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
         l->offset;
}

void
loop_advance(struct loop *l, uint64_t ms)
{
  l->offset += ms;
}

rbl_status
loop_watch(struct loop *l, int fd, short events, loop_io_fn fn, void *arg)
{
  for (size_t i = 0; i < l->nw; i++) {
    if (l->w[i].fd != fd)
      continue;
    if (events == 0) {
      l->w[i] = l->w[--l->nw];
    } else {
      l->w[i].events = events;
      l->w[i].fn = fn;
      l->w[i].arg = arg;
    }
    return RBL_OK;
  }
  if (events == 0)
    return RBL_OK;
  if (l->nw == LOOP_MAX_FDS)
    return RBL_ETOOBIG;
  l->w[l->nw++] = (struct watch){fd, events, fn, arg};
  return RBL_OK;
}

unsigned
loop_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn, void *arg)
{
  if (l->nt == LOOP_MAX_TIMERS)
    return 0;
  unsigned id = ++l->next_id;
  if (id == 0)
    id = ++l->next_id;
  l->t[l->nt++] = (struct timer){id, loop_now(l) + delay_ms, fn, arg};
  return id;
}

void
loop_timer_cancel(struct loop *l, unsigned id)
{
  for (size_t i = 0; i < l->nt; i++)
    if (l->t[i].id == id) {
      l->t[i] = l->t[--l->nt];
      return;
    }
}

rbl_status
loop_prepare(struct loop *l, loop_prepare_fn fn, void *arg)
{
  if (l->np == LOOP_MAX_PREPARE)
    return RBL_ETOOBIG;
  l->p[l->np].fn = fn;
  l->p[l->np].arg = arg;
  l->np++;
  return RBL_OK;
}

void
loop_unprepare(struct loop *l, loop_prepare_fn fn, void *arg)
{
  for (size_t i = 0; i < l->np; i++)
    if (l->p[i].fn == fn && l->p[i].arg == arg) {
      l->p[i] = l->p[--l->np];
      return;
    }
}

void
loop_stop(struct loop *l)
{
  l->stop = true;
}

static void
run_timers(struct loop *l)
{
  uint64_t now = loop_now(l);
  for (size_t i = 0; i < l->nt;) {
    if (l->t[i].due > now) {
      i++;
      continue;
    }
    struct timer t = l->t[i];
    uint64_t next = t.fn(t.arg);
    /* The callback may have added or cancelled timers: find t again. */
    size_t k;
    for (k = 0; k < l->nt && l->t[k].id != t.id; k++)
      ;
    if (k == l->nt)
      continue;
    if (next == 0)
      l->t[k] = l->t[--l->nt];
    else
      l->t[k].due = loop_now(l) + next;
    i = 0; /* the array may have changed order */
    now = loop_now(l);
  }
}

void
loop_once(struct loop *l, uint64_t max_ms)
{
  uint64_t wait = max_ms;
  for (size_t i = 0; i < l->np; i++) {
    uint64_t w = l->p[i].fn(l->p[i].arg);
    if (w < wait)
      wait = w;
  }
  /* A prepare hook may finish the work (an engine processing its
   * timeouts): do not go to sleep on an empty poll set then. */
  if (l->stop)
    return;
  uint64_t now = loop_now(l);
  for (size_t i = 0; i < l->nt; i++) {
    uint64_t w = l->t[i].due > now ? l->t[i].due - now : 0;
    if (w < wait)
      wait = w;
  }
  struct pollfd pfd[LOOP_MAX_FDS];
  size_t n = l->nw;
  for (size_t i = 0; i < n; i++)
    pfd[i] = (struct pollfd){l->w[i].fd, l->w[i].events, 0};
  int timeout = wait > 60000 ? 60000 : (int)wait;
  int r = poll(pfd, (nfds_t)n, timeout);
  if (r > 0) {
    for (size_t i = 0; i < n; i++) {
      if (pfd[i].revents == 0)
        continue;
      /* Look the fd up again: an earlier callback may have removed it. */
      for (size_t k = 0; k < l->nw; k++)
        if (l->w[k].fd == pfd[i].fd) {
          l->w[k].fn(l->w[k].arg, pfd[i].fd, pfd[i].revents);
          break;
        }
    }
  }
  run_timers(l);
}

void
loop_run(struct loop *l)
{
  l->stop = false;
  while (!l->stop && (l->nw > 0 || l->nt > 0))
    loop_once(l, UINT64_MAX);
}
