/* cmd.h - the subcommands (one cmd_*.c each) and what they share: parsed
 * common options and the set-up of configuration, catalog and lists. */
#ifndef RBL_CMD_H
#define RBL_CMD_H

#include <stdbool.h>
#include "config.h"

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
  /* Set by rblmon run for the commands it runs (not options): */
  const char *config_text;   /* the configuration, pinned (NULL: read the
                                file); config_path names it */
  size_t config_len;
  const struct stat *config_st; /* of the file config_text was read from */
  unsigned kinds;            /* check: CHECK_* to run (0: all) */
  const char *const *only_lists; /* check: these lists only (NULL: all) */
  size_t nonly_lists;
  bool (*should_stop)(void); /* check: asked often; true cancels the rest */
  void (*began)(void);       /* check: told when its cycle holds the state */
  const char *log_tag;       /* configuration messages as log lines for
                                journald ("<3>TAG: ..."), NULL: plain */
};

/* What a check cycle asks (cli.kinds). */
enum { CHECK_DNSBL = 1, CHECK_REPUTATION = 2, CHECK_AUTH = 4,
       CHECK_ALL = 7 };

/* Everything a command reads before it works. */
struct app {
  struct config cfg;
  struct catalog cat;
  const struct list_def **lists;   /* selected lists */
  size_t nlists;
  bool have_config;
  char config_path[4096];
};

/* Loads configuration (required unless need_config is false and none is
 * found), catalog and list selection; prints problems to stderr.  Returns
 * an exit code: 0 to go on, RBL_EXIT_UNKNOWN on error. */
int app_load(struct app *a, const struct cli *c, bool need_config);
void app_free(struct app *a);
/* A loop and a resolver from the configuration; on failure prints why and
 * returns RBL_EXIT_UNKNOWN.  The caller frees both (dns_free, loop_free). */
struct loop;
struct dns;
int app_engine(const struct app *a, struct loop **l, struct dns **d);
/* The catalog directory in use (for messages). */
const char *app_catalog_dir(const struct app *a);

/* The state database of the configuration (state.path or the default);
 * prints why and returns NULL when it cannot be opened. */
struct store;
struct store *app_store(const struct app *a, bool readonly);
/* The same, returning store_open()'s status and message. */
rbl_status app_store_open(const struct app *a, bool readonly,
                          struct store **s, char *err, size_t errlen);

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
