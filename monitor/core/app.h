/* app.h - the application: configuration, catalog and list selection,
 * loaded once (by a command, or by rblmon run at its start and on SIGHUP)
 * and read-only afterwards; the state and resolver they name. */
#ifndef RBL_APP_H
#define RBL_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "config.h"

/* Where the configuration comes from: a path (NULL: the default places),
 * or its text pinned in memory (rblmon run) with the stat of the file it
 * was read from. */
struct app_source {
  const char *path;
  const char *text;               /* NULL: read the file */
  size_t len;
  const struct stat *st;
  const char *log_tag;            /* messages as journald lines
                                     ("<3>TAG: ..."); NULL: plain */
  bool no_lists;                  /* a command that asks no list (spf):
                                     no catalog is read, no list selected */
};

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
 * an exit code: 0 to go on, RBL_EXIT_UNKNOWN on error (free *a anyway). */
int app_load(struct app *a, const struct app_source *src, bool need_config);
void app_free(struct app *a);
/* A loop and a resolver from the configuration; on failure prints why and
 * returns RBL_EXIT_UNKNOWN.  The caller frees both (dns_free, loop_free). */
struct loop;
struct dns;
int app_engine(const struct app *a, struct loop **l, struct dns **d);
/* A resolver on loop l (NULL and a printed reason on failure). */
struct dns *app_dns(const struct app *a, struct loop *l);
/* The catalog directory in use (for messages). */
const char *app_catalog_dir(const struct app *a);

/* The state database of the configuration (state.path or the default);
 * prints why and returns NULL when it cannot be opened. */
struct store;
struct store *app_store(const struct app *a, bool readonly);
/* The state if there is one, read-only, without waiting or a word: NULL
 * when there is none or it cannot be read (rblmon lists, run's pacing).
 * The caller closes it. */
struct store *app_store_peek(const struct app *a);
/* The same as app_store(), returning store_open()'s status and message. */
rbl_status app_store_open(const struct app *a, bool readonly,
                          struct store **s, char *err, size_t errlen);

#endif
