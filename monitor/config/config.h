/* config.h - the configuration file (rblmon.yaml(5), docs/rblmon.yaml.5).
 *
 * Strict: every unknown key, wrong type or bad value is reported with
 * file:line:col, all of them, and then the configuration is rejected.
 * Sections for features that come later (reputation, logs, schedule,
 * notify) have their key names checked now. */
#ifndef RBL_CONFIG_H
#define RBL_CONFIG_H

#include <glib.h>
#include <sys/stat.h>

#include "catalog.h"
#include "provider.h"
#include "target.h"

struct watch_item {
  struct target_spec spec;
  const char *watchlist;          /* name of its watchlist */
  unsigned line, col;
};

struct cfg_ref {                  /* a name in the file, with its place */
  const char *s;
  unsigned line, col;
};

/* Per watchlist: what only the authentication checks need. */
struct cfg_watchlist {
  const char *name;
  const char **dkim;              /* dkim_selectors (NULL: auth's) */
  size_t ndkim;
  struct cfg_ref *from_spf;       /* domains whose SPF adds addresses */
  size_t nfrom_spf;
};


struct cfg_key {                  /* lists.keys: name -> value */
  const char *name, *value;       /* value may be "${ENV}" */
  unsigned line, col;
};

/* Every watchlist together: a bound on one cycle (16 /16s; public lists
 * allow far less, see LIST_FAIR_USE_PER_DAY). */
#define CFG_MAX_ADDRESSES (1u << 20)
#define CFG_MAX_TARGETS 1000000   /* entries, over every watchlist */

/* The events of notifications (notify.<channel>.events: bit n is event
 * n), as the configuration names them; notify.h sends them. */
enum notify_kind {
  NOTIFY_EV_LISTED = 0, NOTIFY_EV_DELISTED = 1, NOTIFY_EV_REMINDER = 2,
  NOTIFY_EV_HEALTH = 3, NOTIFY_EV_SPIKE = 4, NOTIFY_EV_TEST = 5
};
extern const char *const notify_event_names[]; /* without "test" */

struct config {
  struct arena arena;             /* owns everything below */
  const char *path;
  const char *catalog_dir;        /* NULL: default */
  struct watch_item *items;
  size_t nitems, capitems;
  GHashTable *item_index;         /* "spec" and "spec\nwatchlist" -> index+1 */
  struct stat file_st;            /* of the file the text was read from */
  bool have_file_st;
  uint64_t naddresses;            /* what the items hold, at most
                                     CFG_MAX_ADDRESSES */
  bool over_limit;                /* a target limit was reported */
  size_t nwatchlists;
  struct cfg_watchlist *wls;      /* nwatchlists of them */
  struct cfg_ref *use, *exclude;
  size_t nuse, nexclude;
  bool use_given;
  struct cfg_key *keys;
  size_t nkeys;
  struct list_def **custom;
  size_t ncustom;
  struct feed_def **feeds;        /* lists.feeds, by list name */
  size_t nfeeds;
  struct provider **providers;     /* reputation: (presets expanded) */
  size_t nproviders;
  /* auth: on when the section is present */
  bool auth_on;
  unsigned auth_checks;           /* bit set: 1 << AUTH_* (authsource.h) */
  const char **dkim_selectors;
  size_t ndkim;
  /* resolver */
  char servers_csv[512];          /* "" = the system's resolver */
  uint64_t timeout_ms, tries, deadline_ms, max_inflight;
  /* remind */
  uint64_t remind_every_ms, remind_after_request_ms, remind_window_ms;
  /* logs */
  const char **log_files;         /* relative to the config file */
  size_t nlog_files;
  const char *log_rules;          /* NULL: <catalog>/rules/rejections.yaml */
  /* notify: a channel is used when its section is present and not
   * enabled: false; events is a bit set of NOTIFY_EV_* (below) */
  struct {
    bool on;
    unsigned events;
  } desktop, command;
  const char **hook_argv;         /* notify.command.argv, NULL-terminated */
  uint64_t hook_timeout_ms;
  uint64_t spike;                 /* notify.spike: rejections in one scan */
  /* schedule (rblmon run): by schedule.h job, 0 = off */
  uint64_t sched_ms[6];
  uint64_t jitter_ms;
  /* state */
  const char *state_path;         /* NULL: store_default_path() */
  uint64_t retention_ms, lock_wait_ms;
};

/* Defaults, usable without a file (rblmon check TARGET... with no file). */
void config_init(struct config *cfg);
/* Reads and checks path; problems go to d.  RBL_OK only when none. */
rbl_status config_load(struct config *cfg, const char *path, struct diag *d);
/* Same, from memory (tests, fuzzing). */
rbl_status config_load_string(struct config *cfg, const char *name,
                              const char *text, size_t len, struct diag *d);
void config_free(struct config *cfg);

/* Who may change or read the file cfg was read from (its stat when it was
 * read, not the path now): an error when every user may write it; when
 * rblmon runs as root, when another user owns it or its group may write
 * it; when every user may read it and lists.keys has a key written in it.
 * Also an error when the file's stat is not known. */
rbl_status config_check_owner(const struct config *cfg, const char *path,
                              struct diag *d);

/* The configuration file to use: explicit (-c), $RBLMON_CONFIG,
 * $XDG_CONFIG_HOME/rblmon/rblmon.yaml (~/.config/...), then
 * /etc/rblmon/rblmon.yaml.  Writes the path into buf; *explicit_out tells
 * whether the user named it (then a missing file is an error).  Returns
 * false when none exists. */
bool config_find(const char *explicit_path, char *buf, size_t size,
                 bool *explicit_out);

/* The selected lists (catalog + custom, after use/exclude), in catalog
 * order.  Second pass over the whole config: unknown names or tags are
 * errors at their place, a defunct list named explicitly is a warning.
 * *out is malloc'ed (caller frees); entries belong to cat or cfg. */
rbl_status config_select_lists(struct config *cfg,
                               struct catalog *cat,
                               const struct list_def ***out, size_t *n,
                               struct diag *d);

/* The key for a keyed list: lists.keys.<name> (with ${ENV} expanded), or
 * the entry's env variable.  NULL when there is none. */
const char *config_list_key(const struct config *cfg,
                            const struct list_def *l);

#endif
