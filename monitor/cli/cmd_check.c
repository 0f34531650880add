/* cmd_check.c - rblmon check: the arguments of one check cycle
 * (cycle.c runs it; main has checked the format). */
#include <stdio.h>

#include "cmd.h"
#include "cycle.h"
#include "dns.h"
#include "loop.h"
#include "report.h"

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
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  struct loop *loop = NULL;
  if (cmd_app_load(&a, c, c->nargs == 0) == RBL_EXIT_OK &&
      (loop = loop_new()) == NULL)
    fprintf(stderr, "rblmon: out of memory\n");
  if (loop != NULL) {
    struct cycle_opts o = {c->rep, c->output, c->all, c->changes_only,
                           c->no_state, c->args, c->nargs, CHECK_ALL, NULL,
                           0, NULL, NULL, NULL, NULL, NULL};
    rc = cycle_run(&a, loop, &o);
  }
  loop_free(loop);
  app_free(&a);
  return rc;
}
