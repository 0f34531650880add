/* test_schedule.c - the scheduler of rblmon run (monitor/core/schedule.h) on an
 * injected clock: jobs at their intervals, jitter within bounds, jobs
 * that are off, reloads, and per-list pacing under daily limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "schedule.h"

#define MIN 60000LL
#define HOUR (60 * MIN)

static void
jobs_run_at_their_intervals(void **state)
{
  (void)state;
  struct sched s;
  uint64_t iv[JOB_N] = {HOUR, 0, 6 * HOUR, 5 * MIN, HOUR};
  sched_init(&s, iv, 0, 42, 0);
  unsigned runs[JOB_N] = {0};
  int64_t now = 0, when;
  while (1) {
    int j = sched_next(&s, &when);
    assert_true(j >= 0);
    assert_true(when >= now); /* the clock never goes back */
    if (when >= 24 * HOUR)
      break;
    now = when;
    runs[j]++;
    sched_done(&s, j, now);
  }
  assert_int_equal(runs[JOB_DNSBL], 24);
  assert_int_equal(runs[JOB_REPUTATION], 0); /* off */
  assert_int_equal(runs[JOB_AUTH], 4);
  assert_int_equal(runs[JOB_LOGS], 24 * 12);
  assert_int_equal(runs[JOB_REMINDERS], 24);
}

static void
jitter_stays_in_bounds(void **state)
{
  (void)state;
  struct sched s;
  uint64_t iv[JOB_N] = {HOUR, HOUR, HOUR, 4 * MIN, HOUR};
  sched_init(&s, iv, 5 * MIN, 7, 1000);
  for (int j = 0; j < JOB_N; j++) {
    assert_true(s.due[j] >= 1000);
    /* at most the jitter, and at most half the interval */
    assert_true(s.due[j] <= 1000 + (j == JOB_LOGS ? 2 * MIN : 5 * MIN));
  }
  uint64_t seen_max = 0, seen_min = UINT64_MAX;
  for (int i = 0; i < 10000; i++) {
    sched_done(&s, JOB_DNSBL, 0);
    uint64_t d = (uint64_t)s.due[JOB_DNSBL] - HOUR;
    seen_max = d > seen_max ? d : seen_max;
    seen_min = d < seen_min ? d : seen_min;
  }
  assert_true(seen_max <= 5 * MIN);
  assert_true(seen_max > 4 * MIN); /* spread over the whole range */
  assert_true(seen_min < MIN);
  /* two hosts (two seeds) do not start together */
  struct sched a, b;
  sched_init(&a, iv, 5 * MIN, 1, 0);
  sched_init(&b, iv, 5 * MIN, 2, 0);
  assert_true(a.due[JOB_DNSBL] != b.due[JOB_DNSBL]);
}

static void
reload_keeps_or_moves_due_times(void **state)
{
  (void)state;
  struct sched s;
  uint64_t iv[JOB_N] = {HOUR, 0, 0, 0, HOUR};
  sched_init(&s, iv, 0, 1, 0);
  sched_done(&s, JOB_DNSBL, 0); /* next at 1h */
  uint64_t iv2[JOB_N] = {10 * MIN, HOUR, 0, 0, HOUR};
  sched_update(&s, iv2, 0, 5 * MIN);
  assert_int_equal(s.due[JOB_DNSBL], 15 * MIN); /* sooner: now + 10m */
  assert_int_equal(s.due[JOB_REPUTATION], 5 * MIN); /* newly on: now */
  int64_t when;
  assert_int_equal(sched_next(&s, &when), JOB_REMINDERS); /* due at 0 */
}

static void
pacing_holds_a_list_under_its_limit(void **state)
{
  (void)state;
  /* a /22 (1,024 addresses + 4 probes) on a list allowing 10,000 a day:
   * 9 checks a day at most */
  uint64_t q = 1028, per_day = 10000;
  uint64_t every = sched_list_interval_ms(q, per_day);
  assert_int_equal(every, (86400000 + 8) / 9);
  /* checks at that interval from any start: never more than the limit in
   * any 24 hours (the window [t, t + 24h) holds at most ceil(24h/every)) */
  uint64_t most = (uint64_t)(24 * HOUR + every - 1) / every;
  assert_true(most * q <= per_day);
  for (uint64_t qq = 1; qq < 3000; qq += 37)
    for (uint64_t p = qq; p < 20000; p += 997) {
      uint64_t e = sched_list_interval_ms(qq, p);
      uint64_t m = (uint64_t)(24 * HOUR + e - 1) / e;
      assert_true(m * qq <= p);
    }
  assert_int_equal(sched_list_interval_ms(1028, 0), 0);
  assert_int_equal(sched_list_interval_ms(1028, 1000), UINT64_MAX);
  assert_int_equal(sched_list_interval_ms(10, 100000), 8640);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(jobs_run_at_their_intervals),
    cmocka_unit_test(jitter_stays_in_bounds),
    cmocka_unit_test(reload_keeps_or_moves_due_times),
    cmocka_unit_test(pacing_holds_a_list_under_its_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
