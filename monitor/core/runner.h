/* runner.h - rblmon run, the long-running scheduler: one application and
 * one event loop, each job (DNSBL checks, reputation providers,
 * authentication checks, log scans, reminders) a timer on the loop that
 * runs the same pass as its command (cycle_run, scan_report,
 * remindpass_run); signals on the loop: SIGHUP swaps in a new application
 * between jobs (a bad file is reported and the old one kept), SIGTERM or
 * SIGINT stops the job in hand as the deadline would and exits 0.  Lists
 * with a daily limit are paced.  Its log lines are for journald ("<N>"
 * priorities). */
#ifndef RBL_RUNNER_H
#define RBL_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

struct runner_opts {
  const char *config_path;        /* the configuration (found already) */
  /* tests: a simulated clock that jumps from one due job to the next and
   * ends after simulate_s seconds; a SIGHUP to itself after every
   * hup_every jobs, then SIGSTOP after each reload (0: none) */
  bool simulate;
  uint64_t simulate_s;
  uint64_t hup_every;
};

/* Runs until a stop signal; returns the exit code (RBL_EXIT_OK after a
 * stop, RBL_EXIT_UNKNOWN when it cannot start: said on stderr). */
int runner_run(const struct runner_opts *o);

#endif
