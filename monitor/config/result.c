#include "result.h"

#include "status.h"

const char *const result_status_names[] = {"listed", "clean", "error",
                                           "skipped", "stale", NULL};
const char *const health_names[] = {"unknown", "ok", "dead", "wildcard",
                                    "refusing", "broken", "unreachable",
                                    "skipped", "stale", NULL};

void
tally_add(struct tally *t, const struct result *r)
{
  t->total++;
  switch (r->status) {
  case RES_LISTED:
    t->listed++;
    if (r->sev == SEV_CRITICAL)
      t->critical++;
    else if (r->sev == SEV_WARNING)
      t->warning++;
    else
      t->notice++;
    break;
  case RES_CLEAN:
    t->clean++;
    if (r->has_sev && r->sev == SEV_GOOD)
      t->good++;
    break;
  case RES_ERROR:
    t->errors++;
    break;
  case RES_SKIPPED:
    t->skipped++;
    break;
  }
}

int
tally_exit(const struct tally *t)
{
  if (t->critical > 0)
    return RBL_EXIT_CRITICAL;
  if (t->warning > 0)
    return RBL_EXIT_WARNING;
  if (t->listed + t->clean == 0)
    return RBL_EXIT_UNKNOWN;   /* nothing could be checked */
  if (t->errors + t->skipped > 0)
    return RBL_EXIT_WARNING;   /* incomplete: never a plain OK */
  return RBL_EXIT_OK;
}
