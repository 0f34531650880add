/* cmd_check.c - rblmon check: the arguments of one check cycle
 * (cycle.c runs it; main has checked the format). */
#include <stdio.h>

#include "cmd.h"
#include "cycle.h"
#include "dns.h"
#include "loop.h"
#include "report.h"
#include "store.h"

/* -t: what the run may still spend is what the plugin's timeout leaves
 * after the time already spent and a margin for recording the state and
 * printing (a tenth of the timeout, 1 to 5 seconds).  It bounds the
 * check as resolver.deadline does (that one when it is shorter), the wait
 * for another rblmon's lock (half of it: the check then still has time to
 * say so) and a notification hook (the margin: the status line is out
 * before it runs, the exit code comes after it). */
#define CHECK_MARGIN_MIN_MS 1000
#define CHECK_MARGIN_MAX_MS 5000

static void
apply_timeout(struct app *a, uint64_t timeout_s, uint64_t spent_ms)
{
  uint64_t t = timeout_s * 1000, margin = t / 10;
  if (margin < CHECK_MARGIN_MIN_MS)
    margin = CHECK_MARGIN_MIN_MS;
  if (margin > CHECK_MARGIN_MAX_MS)
    margin = CHECK_MARGIN_MAX_MS;
  uint64_t left = t > margin + spent_ms ? t - margin - spent_ms : 1;
  if (a->cfg.deadline_ms == 0 || a->cfg.deadline_ms > left)
    a->cfg.deadline_ms = left;
  if (a->cfg.lock_wait_ms > left / 2)
    a->cfg.lock_wait_ms = left / 2;
  if (a->cfg.hook_timeout_ms > margin / 2)
    a->cfg.hook_timeout_ms = margin / 2;
}

int
cmd_check(struct cli *c)
{
  if (c->changes_only && c->no_state) {
    fprintf(stderr, "rblmon: --changes-only needs the state of the last "
            "check; drop --no-state\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (c->changes_only && c->nargs > 0) {
    fprintf(stderr, "rblmon: --changes-only compares with the watchlists' "
            "last check; drop the targets\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (c->consumer != NULL && !c->changes_only) {
    fprintf(stderr, "rblmon: --consumer names who reads the changes: it "
            "goes with --changes-only\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (c->consumer != NULL && !store_reader_name_ok(c->consumer)) {
    fprintf(stderr, "rblmon: --consumer '%s': a name of 1 to %d letters, "
            "digits, '.', '_' or '-'\n", c->consumer, STORE_READER_MAX);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  struct loop *loop = loop_new();
  uint64_t t0 = loop != NULL ? loop_now(loop) : 0;
  if (loop == NULL)
    fprintf(stderr, "rblmon: out of memory\n");
  if (cmd_app_load(&a, c, c->nargs == 0) == RBL_EXIT_OK && loop != NULL) {
    if (c->timeout_s > 0)
      apply_timeout(&a, c->timeout_s, loop_now(loop) - t0);
    struct cycle_opts o = {c->rep, c->output, c->all, c->changes_only,
                           c->no_state, c->args, c->nargs, CHECK_ALL, NULL,
                           0, NULL, NULL, NULL, NULL, NULL, NULL};
    if (c->changes_only) /* once per reader, whoever checked */
      o.reader = c->consumer ? c->consumer : STORE_READER_DEFAULT;
    rc = cycle_run(&a, loop, &o);
  }
  loop_free(loop);
  app_free(&a);
  return rc;
}
