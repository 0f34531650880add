/* cmd_check.c - rblmon check: one cycle against the selected lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dnsbl.h"
#include "report.h"

struct check {
  const struct reporter *rep;
  void *rep_state;
  struct tally tally;
  struct loop *loop;
  uint64_t started, total;
  bool progress_shown;
};

static void
sink(void *arg, const struct result *r)
{
  struct check *k = arg;
  tally_add(&k->tally, r);
  k->rep->result(k->rep_state, r);
}

/* A progress line on a terminal for runs longer than a second. */
static uint64_t
progress(void *arg)
{
  struct check *k = arg;
  uint64_t done = k->tally.total;
  fprintf(stderr, "\r\033[Kchecking: %llu/%llu (%llu%%), %llu listed",
          (unsigned long long)done, (unsigned long long)k->total,
          (unsigned long long)(k->total ? done * 100 / k->total : 0),
          (unsigned long long)k->tally.listed);
  k->progress_shown = true;
  return 250;
}

int
cmd_check(struct cli *c)
{
  struct app a;
  struct dnsbl_target *targets = NULL;
  struct target_spec *specs = NULL;
  struct list_state *states = NULL;
  struct loop *loop = NULL;
  struct dns *dns = NULL;
  size_t nt = 0;
  int rc = RBL_EXIT_UNKNOWN;
  const struct reporter *rep = report_find(c->format ? c->format : "text");
  if (rep == NULL) {
    fprintf(stderr, "rblmon: unknown format '%s' (one of %s)\n", c->format,
            report_names);
    return RBL_EXIT_UNKNOWN;
  }
  if (app_load(&a, c, c->nargs == 0) != RBL_EXIT_OK)
    goto done;

  if (c->nargs > 0) {
    specs = calloc((size_t)c->nargs, sizeof(*specs));
    targets = calloc((size_t)c->nargs, sizeof(*targets));
    if (specs == NULL || targets == NULL)
      goto oom;
    for (int i = 0; i < c->nargs; i++) {
      char err[256];
      if (target_parse(c->args[i], &specs[i], err, sizeof(err)) != RBL_OK) {
        fprintf(stderr, "rblmon: argument %d: %s\n", i + 1, err);
        goto done;
      }
      targets[nt++] = (struct dnsbl_target){&specs[i], ""};
    }
  } else {
    targets = calloc(a.cfg.nitems ? a.cfg.nitems : 1, sizeof(*targets));
    if (targets == NULL)
      goto oom;
    for (size_t i = 0; i < a.cfg.nitems; i++)
      targets[nt++] = (struct dnsbl_target){&a.cfg.items[i].spec,
                                            a.cfg.items[i].watchlist};
  }
  if (nt == 0) {
    fprintf(stderr, "rblmon: nothing to check: %s has no watchlist targets; "
            "add ips: or domains: to a watchlist, or name targets on the "
            "command line\n", a.config_path);
    goto done;
  }
  if (a.nlists == 0) {
    fprintf(stderr, "rblmon: no lists selected: check lists.use and "
            "lists.exclude in %s (rblmon lists shows the catalog)\n",
            a.have_config ? a.config_path : "the configuration");
    goto done;
  }

  states = calloc(a.nlists, sizeof(*states));
  if (states == NULL)
    goto oom;
  if (app_engine(&a, &loop, &dns) != RBL_EXIT_OK)
    goto done;
  struct report_opts ro = {stdout, false, c->all};
  const char *nc = getenv("NO_COLOR");
  ro.color = isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
  struct check k;
  memset(&k, 0, sizeof(k));
  k.rep = rep;
  k.loop = loop;
  k.rep_state = rep->begin(&ro);
  if (k.rep_state == NULL)
    goto oom;
  k.total = dnsbl_count(a.lists, a.nlists, targets, nt);
  k.started = loop_now(loop);
  unsigned ptimer = 0;
  if (isatty(STDERR_FILENO))
    ptimer = loop_timer(loop, 1000, progress, &k);
  struct dnsbl_opts o = {(unsigned)a.cfg.max_inflight, a.cfg.deadline_ms};
  dnsbl_check(loop, dns, &a.cfg, a.lists, a.nlists, targets, nt, &o, sink,
              &k, states);
  if (ptimer)
    loop_timer_cancel(loop, ptimer);
  if (k.progress_shown)
    fputs("\r\033[K", stderr);
  rc = tally_exit(&k.tally);
  struct report_summary s = {&k.tally, states, a.nlists,
                             loop_now(loop) - k.started, rc};
  rep->end(k.rep_state, &s);
  fflush(stdout);
  goto done;
oom:
  fprintf(stderr, "rblmon: out of memory\n");
  rc = RBL_EXIT_UNKNOWN;
done:
  dns_free(dns);
  loop_free(loop);
  free(states);
  free(targets);
  free(specs);
  app_free(&a);
  return rc;
}
