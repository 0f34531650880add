/* cmd_run.c - rblmon run: the configuration it runs on, and the test
 * clock, around the scheduler (core/runner.c).
 *
 * RBLMON_RUN_SIMULATE=SECONDS (tests): the run's clock jumps from one due
 * job to the next instead of waiting, the wall clock follows it
 * (clock_set), and the run ends after that many simulated seconds.
 * RBLMON_RUN_SIMULATE_HUP=N (tests) also sends the run a SIGHUP after every
 * N jobs, and stops it (SIGSTOP) after each reload, for a test to measure
 * it. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "runner.h"

/* A number from the environment (*set false, and 0, when unset or
 * empty); false when it is not one (said). */
static bool
env_number(const char *name, uint64_t max, const char *unit, bool *set,
           uint64_t *out)
{
  const char *v = getenv(name);
  *out = 0;
  *set = v != NULL && *v != '\0';
  if (!*set || util_parse_u64(v, max, out) == RBL_OK)
    return true;
  fprintf(stderr, "rblmon: %s must be a number of %s, not '%s'\n", name,
          unit, v);
  return false;
}

int
cmd_run(struct cli *c)
{
  char path[4096];
  bool explicit;
  if (c->nargs > 0) {
    fprintf(stderr, "rblmon: run takes no arguments; see rblmon run --help\n");
    return RBL_EXIT_UNKNOWN;
  }
  if (!config_find(c->config_path, path, sizeof(path), &explicit)) {
    fprintf(stderr, "rblmon: run needs a configuration (-c FILE, "
            "$RBLMON_CONFIG, ~/.config/rblmon/rblmon.yaml or "
            "/etc/rblmon/rblmon.yaml)\n");
    return RBL_EXIT_UNKNOWN;
  }
  struct runner_opts o = {path, false, 0, 0};
  bool hup;
  if (!env_number("RBLMON_RUN_SIMULATE", 10ULL * 366 * 86400, "seconds",
                  &o.simulate, &o.simulate_s) ||
      (o.simulate && !env_number("RBLMON_RUN_SIMULATE_HUP", 1000000, "jobs",
                                 &hup, &o.hup_every)))
    return RBL_EXIT_UNKNOWN;
  return runner_run(&o);
}
