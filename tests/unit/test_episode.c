/* test_episode.c - the episode state machine (monitor/state/episode.h):
 * every result after every state a pair can be in, and what is written
 * and announced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "episode.h"

static const struct episode_prev never = {false, false, false, ""};
static const struct episode_prev open_a = {false, true, false, "127.0.0.2"};
static const struct episode_prev closed = {false, false, true, ""};
static const struct episode_prev errored = {true, false, false, ""};
static const struct episode_prev errored_open = {true, true, false,
                                                 "127.0.0.2"};

static void
expect(struct episode_step s, enum episode_write w, size_t n,
       enum change_kind k0, enum change_kind k1)
{
  assert_int_equal(s.write, w);
  assert_int_equal(s.nchanges, n);
  if (n > 0)
    assert_int_equal(s.changes[0], k0);
  if (n > 1)
    assert_int_equal(s.changes[1], k1);
}

static void
a_first_listing_opens_an_episode(void **state)
{
  (void)state;
  expect(episode_next(&never, RES_LISTED, "127.0.0.2"), EPW_OPEN, 1,
         CHANGE_LISTED, 0);
}

static void
a_listing_after_a_closed_one_is_a_relisting(void **state)
{
  (void)state;
  expect(episode_next(&closed, RES_LISTED, "127.0.0.2"), EPW_OPEN, 1,
         CHANGE_RELISTED, 0);
}

static void
the_same_listing_again_updates_silently(void **state)
{
  (void)state;
  expect(episode_next(&open_a, RES_LISTED, "127.0.0.2"), EPW_UPDATE, 0, 0,
         0);
}

static void
new_codes_are_a_change(void **state)
{
  (void)state;
  expect(episode_next(&open_a, RES_LISTED, "127.0.0.2,127.0.0.4"),
         EPW_UPDATE, 1, CHANGE_CODES, 0);
}

static void
clean_closes_an_open_episode(void **state)
{
  (void)state;
  expect(episode_next(&open_a, RES_CLEAN, ""), EPW_CLOSE, 1,
         CHANGE_DELISTED, 0);
}

static void
clean_without_an_episode_changes_nothing(void **state)
{
  (void)state;
  expect(episode_next(&never, RES_CLEAN, ""), EPW_NONE, 0, 0, 0);
  expect(episode_next(&closed, RES_CLEAN, ""), EPW_NONE, 0, 0, 0);
}

/* An error is "unknown": never a delisting, never a listing. */
static void
an_error_keeps_the_episode_open(void **state)
{
  (void)state;
  expect(episode_next(&open_a, RES_ERROR, ""), EPW_NONE, 1, CHANGE_ERROR, 0);
  expect(episode_next(&open_a, RES_SKIPPED, ""), EPW_NONE, 1, CHANGE_ERROR,
         0);
  expect(episode_next(&errored_open, RES_ERROR, ""), EPW_NONE, 0, 0, 0);
  expect(episode_next(&never, RES_ERROR, ""), EPW_NONE, 1, CHANGE_ERROR, 0);
}

static void
recovery_comes_before_what_the_result_says(void **state)
{
  (void)state;
  expect(episode_next(&errored, RES_CLEAN, ""), EPW_NONE, 1,
         CHANGE_RECOVERED, 0);
  expect(episode_next(&errored, RES_LISTED, "127.0.0.2"), EPW_OPEN, 2,
         CHANGE_RECOVERED, CHANGE_LISTED);
  expect(episode_next(&errored_open, RES_CLEAN, ""), EPW_CLOSE, 2,
         CHANGE_RECOVERED, CHANGE_DELISTED);
  expect(episode_next(&errored_open, RES_LISTED, "127.0.0.3"), EPW_UPDATE, 2,
         CHANGE_RECOVERED, CHANGE_CODES);
}

#define T(f) cmocka_unit_test(f)
int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(a_first_listing_opens_an_episode),
    T(a_listing_after_a_closed_one_is_a_relisting),
    T(the_same_listing_again_updates_silently),
    T(new_codes_are_a_change),
    T(clean_closes_an_open_episode),
    T(clean_without_an_episode_changes_nothing),
    T(an_error_keeps_the_episode_open),
    T(recovery_comes_before_what_the_result_says),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
