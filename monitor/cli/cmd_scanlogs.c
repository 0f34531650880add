/* cmd_scanlogs.c - rblmon scan-logs: the arguments of a log pass
 * (core/scan.c), printed as it goes by the reporter's scan view. */
#include <stdio.h>
#include <stdlib.h>

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
    rc = scanlogs_run(&a, &spec, c->rep);
  }
  app_free(&a);
  return rc;
}

/* The reporter's state between its calls. */
struct printing {
  const struct reporter *rep;
  void *st;
};

static void
on_hit(void *arg, const struct scan_hit *h)
{
  struct printing *p = arg;
  p->rep->scan_hit(p->st, h);
}

/* Before the state is let go (scan.h): what was committed is out. */
static void
on_end(void *arg, const struct scan_summary *sum)
{
  struct printing *p = arg;
  p->rep->scan_end(p->st, sum);
  p->st = NULL;
  fflush(stdout);
}

int
scanlogs_run(const struct app *a, const struct scan_spec *spec,
             const struct reporter *rep)
{
  struct printing p = {rep, rep->scan_begin(stdout)};
  if (p.st == NULL)
    return RBL_EXIT_UNKNOWN;
  struct scan_summary sum;
  struct scan_sink sink = {on_hit, on_end, &p};
  int rc = scan_run(a, spec, &sink, &sum) == RBL_OK ? sum.exit
                                                    : RBL_EXIT_UNKNOWN;
  if (p.st != NULL) /* the pass did not begin: nothing is printed */
    rep->scan_end(p.st, NULL);
  fflush(stdout);
  return rc;
}
