/* clock.c - the wall clock (see clock.h). */
#include "clock.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

static bool is_set;
static int64_t set_to;

int64_t
clock_now(void)
{
  if (is_set)
    return set_to;
  const char *e = getenv("RBLMON_NOW");
  uint64_t v;
  if (e != NULL && util_parse_u64(e, INT64_MAX, &v) == RBL_OK)
    return (int64_t)v;
  return (int64_t)time(NULL);
}

void
clock_set(int64_t t)
{
  is_set = true;
  set_to = t;
}
