#include "schedule.h"

#include <stddef.h>

const char *const sched_job_names[] = {"dnsbl", "reputation", "auth", "logs",
                                       "reminders", "feeds", NULL};

static uint64_t
next_random(struct sched *s)
{
  uint64_t x = s->rng ? s->rng : 0x9e3779b97f4a7c15ULL;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  s->rng = x;
  return x;
}

uint64_t
sched_jitter(struct sched *s, uint64_t interval_ms)
{
  uint64_t max = s->jitter_ms;
  if (interval_ms > 0 && max > interval_ms / 2)
    max = interval_ms / 2;
  return max ? next_random(s) % (max + 1) : 0;
}

void
sched_init(struct sched *s, const uint64_t interval_ms[JOB_N],
           uint64_t jitter_ms, uint64_t seed, int64_t now)
{
  s->jitter_ms = jitter_ms;
  s->rng = seed * 0x2545f4914f6cdd1dULL + 1;
  for (int j = 0; j < JOB_N; j++) {
    s->interval_ms[j] = interval_ms[j];
    s->due[j] = now + (int64_t)sched_jitter(s, interval_ms[j]);
  }
}

void
sched_update(struct sched *s, const uint64_t interval_ms[JOB_N],
             uint64_t jitter_ms, int64_t now)
{
  s->jitter_ms = jitter_ms;
  for (int j = 0; j < JOB_N; j++) {
    bool was_off = s->interval_ms[j] == 0;
    s->interval_ms[j] = interval_ms[j];
    int64_t latest = now + (int64_t)interval_ms[j];
    if (was_off || s->due[j] > latest)
      s->due[j] = (was_off ? now : latest) +
                  (int64_t)sched_jitter(s, interval_ms[j]);
  }
}

int
sched_next(const struct sched *s, int64_t *when)
{
  int best = -1;
  for (int j = 0; j < JOB_N; j++)
    if (s->interval_ms[j] > 0 && (best < 0 || s->due[j] < s->due[best]))
      best = j;
  if (best >= 0)
    *when = s->due[best];
  return best;
}

void
sched_done(struct sched *s, int job, int64_t started)
{
  s->due[job] = started + (int64_t)s->interval_ms[job] +
                (int64_t)sched_jitter(s, s->interval_ms[job]);
}

uint64_t
sched_list_interval_ms(uint64_t queries_per_check, uint64_t per_day)
{
  if (per_day == 0)
    return 0;
  /* k checks fit in any 24 hours when k * q <= P: at most floor(P / q)
   * checks a day, and checks at 24h / k apart are k in any 24 hours only
   * if the interval is at least 24h / k (rounded up) */
  uint64_t k = queries_per_check ? per_day / queries_per_check : 0;
  if (k == 0)
    return UINT64_MAX; /* not even one check a day fits */
  return (86400000ULL + k - 1) / k;
}
