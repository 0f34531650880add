/* schedule.h - when rblmon run does what (pure; unit tested): jobs with
 * their own intervals, jitter so that a fleet of hosts does not ask a list
 * in the same second, and per-list pacing within the daily query limits
 * the list operators publish. */
#ifndef RBL_SCHEDULE_H
#define RBL_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

enum sched_job { JOB_DNSBL, JOB_REPUTATION, JOB_AUTH, JOB_LOGS,
                 JOB_REMINDERS, JOB_FEEDS, JOB_N };
extern const char *const sched_job_names[]; /* as in schedule: */

struct sched {
  uint64_t interval_ms[JOB_N];    /* 0: the job does not run */
  uint64_t jitter_ms;
  int64_t due[JOB_N];             /* on the run's clock, ms */
  uint64_t rng;                   /* xorshift state */
};

/* Every job runs first at now + a jitter, then every interval + a
 * jitter.  seed: any value (the process id and the time in production, a
 * constant in tests). */
void sched_init(struct sched *s, const uint64_t interval_ms[JOB_N],
                uint64_t jitter_ms, uint64_t seed, int64_t now);
/* New intervals (a reloaded configuration): due times are kept, but a
 * job that was off, or is due later than its new interval, moves. */
void sched_update(struct sched *s, const uint64_t interval_ms[JOB_N],
                  uint64_t jitter_ms, int64_t now);
/* The job due first (-1: none runs) and when. */
int sched_next(const struct sched *s, int64_t *when);
/* The job ran, starting at started: the next run is an interval plus a
 * jitter later. */
void sched_done(struct sched *s, int job, int64_t started);
/* A jitter: uniform in [0, min(jitter, interval / 2)]. */
uint64_t sched_jitter(struct sched *s, uint64_t interval_ms);

/* The shortest interval at which a list that takes queries_per_check
 * queries a check can be checked within per_day queries in any 24 hours
 * (0: no limit; UINT64_MAX: not even once a day). */
uint64_t sched_list_interval_ms(uint64_t queries_per_check,
                                uint64_t per_day);

#endif
