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
  const char *helo;          /* --helo NAME */
  const char *sender;        /* --sender ADDRESS */
  uint64_t timeout_s;        /* -t/--timeout SECONDS; 0: none */
  const char *consumer;      /* --consumer NAME */
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
int cmd_spf(struct cli *c);

#endif
