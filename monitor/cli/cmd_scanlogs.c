/* cmd_scanlogs.c - rblmon scan-logs: the arguments of a log pass
 * (core/scan.c), printed as it goes by the reporter's scan view. */
#include <stdio.h>

#include "cmd.h"
#include "report.h"
#include "scan.h"

int
cmd_scanlogs(struct cli *c)
{
  uint64_t since_ms = 0;
  if (c->since != NULL && util_parse_duration(c->since, &since_ms) != RBL_OK) {
    fprintf(stderr, "rblmon: --since '%s': a duration such as 2h, 7d or 4w\n",
            c->since);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, c->nargs == 0) == RBL_EXIT_OK) {
    struct scan_spec spec = {since_ms, c->no_state, c->args,
                             c->nargs > 0 ? (size_t)c->nargs : 0};
    rc = scan_report(&a, &spec, c->rep, stdout);
  }
  app_free(&a);
  return rc;
}
