/* cmd.h - the subcommands (one cmd_*.c each) and what they share: parsed
 * common options and the set-up of configuration, catalog and lists. */
#ifndef RBL_CMD_H
#define RBL_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include "app.h"

struct reporter;

struct cli {
  const char *config_path;   /* -c/--config */
  const char *format;        /* --format; NULL = text */
  bool all;                  /* --all */
  bool probe;                /* --probe */
  bool changes_only;         /* --changes-only */
  bool no_state;             /* --no-state */
  const char *output;        /* --output FILE */
  const char *since;         /* --since DURATION */
  const char *note;          /* --note TEXT */
  bool test;                 /* --test */
  char **args;               /* positional arguments after the command */
  int nargs;
  /* Set by main from the command table: the reporter of --format (NULL
   * for a command that prints no view), and what to say when an argument
   * does not parse (the command's usage line). */
  const struct reporter *rep;
  const char *misuse;
};

/* app_load() with the configuration the command line names. */
int cmd_app_load(struct app *a, const struct cli *c, bool need_config);

/* The jobs rblmon run shares with the commands, on a loaded app. */
struct scan_opts {
  bool json;
  uint64_t since_ms;              /* 0: everything new */
  bool no_state;
  char *const *args;              /* files named (read whole), or none */
  int nargs;
};
int scanlogs_run(const struct app *a, const struct scan_opts *o);
/* rblmon remind on a loaded app: the due reminders worded, sent to the
 * notifiers, marked sent in one transaction and printed by rep (its
 * remind view); remind_run picks text or JSON.  Returns the exit code. */
int remind_report(const struct app *a, const struct reporter *rep);
int remind_run(const struct app *a, bool json);

int cmd_check(struct cli *c);
int cmd_status(struct cli *c);
int cmd_scanlogs(struct cli *c);
int cmd_remind(struct cli *c);
int cmd_ack(struct cli *c);
int cmd_snooze(struct cli *c);
int cmd_notify(struct cli *c);
int cmd_history(struct cli *c);
int cmd_lists(struct cli *c);
int cmd_config(struct cli *c);
int cmd_run(struct cli *c);

#endif
