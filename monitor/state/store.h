/* store.h - state and history in SQLite.
 *
 * One database file (mode 0600), WAL, a busy timeout, schema versioned by
 * PRAGMA user_version with migrations, tagged with an application_id so a
 * file that is not ours is never touched.  A new state is made under a
 * temporary name and linked into place whole, so an empty or half-made
 * file is never ours.  One writer at a time: an exclusive lock on
 * "<db>.lock", waited for a bounded time.
 *
 * The one rule (SECURITY.md): a cycle's writes are one transaction,
 * store_cycle_begin() .. store_cycle_commit().  Any failed SQLite step in
 * it, a read as much as a write, fails the transaction: from then on
 * nothing is stepped, the commit is refused and rolls back, and
 * store_failed() says so.  The same holds when SQLite rolled the
 * transaction back on its own (SQLITE_FULL, SQLITE_IOERR):
 * sqlite3_get_autocommit() is checked before every step, so nothing is
 * ever written in autocommit after a failure.  A crash or kill in between
 * leaves the last committed state. */
#ifndef RBL_STORE_H
#define RBL_STORE_H

#include <limits.h>
#include <stdint.h>
#include <time.h>
#include "clock.h"
#include "result.h"

#define STORE_SCHEMA 9
#define STORE_PATH_MAX PATH_MAX /* the state path and its suffixes */

struct store;

/* Opens (creating directories and the file if needed) the database at
 * path, waiting up to lock_wait_ms for another rblmon to finish.  On
 * failure writes what is wrong and what to do into err and returns
 * RBL_EIO, RBL_ECONFIG (not ours / newer / corrupt) or RBL_ETIMEOUT
 * (locked).  readonly: no lock, no migration (status, history). */
rbl_status store_open(const char *path, bool readonly, uint64_t lock_wait_ms,
                      struct store **out, char *err, size_t errlen);
void store_close(struct store *s);

/* The default path: $XDG_STATE_HOME/rblmon/rblmon.db, ~/.local/state/...,
 * or /var/lib/rblmon/rblmon.db for root. */
void store_default_path(char *buf, size_t size);

/* ---- one cycle ---------------------------------------------------------- */
enum change_kind {
  CHANGE_LISTED, CHANGE_RELISTED, CHANGE_DELISTED, CHANGE_CODES,
  CHANGE_ERROR, CHANGE_RECOVERED, CHANGE_HEALTH
};
extern const char *const change_names[];

struct change {
  enum change_kind kind;
  char target[TARGET_NAME_MAX];   /* "" for CHANGE_HEALTH */
  const struct list_def *list;
  char before[128], after[128];   /* codes or health, for CHANGED/HEALTH */
  char detail[320];               /* reasons, error text, health detail */
  int64_t since;                  /* DELISTED: the episode's first_seen */
  int64_t at;
  enum severity sev;
  const char *watchlist;          /* the result's (borrowed from the
                                     configuration); NULL or "": none */
};

typedef void (*store_change_fn)(void *arg, const struct change *c);

/* Starts the cycle's one transaction (BEGIN IMMEDIATE): now is the time
 * every row of the cycle gets.  RBL_EIO with err on failure. */
rbl_status store_cycle_begin(struct store *s, int64_t now, char *err,
                             size_t errlen);
/* Records one result; calls fn for each change it finds. */
rbl_status store_cycle_result(struct store *s, const struct result *r,
                              store_change_fn fn, void *arg);
rbl_status store_cycle_health(struct store *s, const struct list_state *ls,
                              store_change_fn fn, void *arg);
/* Closes the listings of pairs this cycle did not check (targets or lists
 * no longer in the configuration), prunes data older than retention_ms
 * and commits.  full: the cycle asked every source of the configuration;
 * otherwise (rblmon run's partial cycles) only the sources whose health
 * it recorded are judged, and those not among the configured ones (a list
 * removed from the configuration) are closed.  On failure the cycle
 * is rolled back and err says why. */
rbl_status store_cycle_commit(struct store *s, uint64_t retention_ms,
                              const struct tally *t, int exit_code,
                              bool full, const char *const *configured,
                              size_t nconfigured, char *err, size_t errlen);
/* Drops everything written since the begin (also for scans and
 * reminders, which share the transaction functions). */
void store_cycle_rollback(struct store *s);
/* What the last failed call ran into, with what to do. */
void store_error(struct store *s, const char *what, char *err, size_t errlen);
/* Whether a step of the transaction in progress failed (or SQLite ended
 * it on its own): nothing more is written and the commit is refused. */
bool store_failed(const struct store *s);
/* The message for a failed transaction: the state's path, what SQLite
 * said, what was not recorded (not_recorded, e.g. "this check's results
 * were not recorded") and what to do ("free space on /var and run it
 * again"), ending with what the state still holds. */
void store_failure(const struct store *s, const char *not_recorded,
                   char *err, size_t errlen);

/* ---- changes, once per reader ------------------------------------------
 * The changes of a cycle are kept in the state with the cycle (until the
 * retention), whoever ran it: rblmon run, a Nagios check, cron.  A named
 * reader (check --changes-only --consumer NAME; "default" when none is
 * named) gets those it has not seen yet, and its position moves in the
 * same transaction: a change is news once per reader, and only once the
 * transaction is committed.  Inside a cycle's transaction. */
#define STORE_READER_DEFAULT "default"
#define STORE_READER_MAX 64
/* A reader's name: 1 to STORE_READER_MAX of [A-Za-z0-9._-]. */
bool store_reader_name_ok(const char *name);
/* Keeps the cycle's changes (c[i].list->name is the source). */
rbl_status store_changes_put(struct store *s, const struct change *c,
                             size_t n);
/* The list_def a source name stands for now, or NULL (its changes are
 * left out: it is no longer configured). */
typedef const struct list_def *(*store_list_fn)(void *arg,
                                                const char *source);
/* Calls fn with each change after reader's position, oldest first, at
 * most max (the rest at the next read), and moves the position past
 * them.  A reader the state does not know yet starts with the changes
 * this transaction put.  A change's watchlist is the row's text, valid
 * during the call only.  RBL_EIO (the transaction fails). */
rbl_status store_changes_read(struct store *s, const char *reader,
                              size_t max, store_list_fn find,
                              store_change_fn fn, void *arg);

/* Queries sent to source since the given time (for daily limits); an
 * error (the transaction then fails) rather than a guess. */
rbl_status store_queries_since(struct store *s, const char *source,
                               int64_t since, uint64_t *out);

/* ---- reputation providers (inside a cycle) ------------------------------ */
struct rep_cached {
  int64_t checked_at;
  enum result_status status;      /* listed or clean */
  bool has_sev;
  enum severity sev;
  char reasons[1024];             /* "; " between reasons */
  char txt[512];
};
/* The last answer for (source, target) if the provider's definition
 * (fingerprint) is the same; false when there is none. */
bool store_rep_cache_get(struct store *s, const char *source,
                         const char *target, uint64_t fingerprint,
                         struct rep_cached *out);
/* Keeps a listed or clean result as the answer of the cycle's time. */
rbl_status store_rep_cache_put(struct store *s, const struct result *r,
                               uint64_t fingerprint);
/* Until when source is paused after a rate limit (0: it is not). */
int64_t store_rep_paused(struct store *s, const char *source, char *reason,
                         size_t size);
rbl_status store_rep_pause(struct store *s, const char *source,
                           int64_t until, const char *reason);

/* ---- mail log scans ------------------------------------------------------ */
struct rejection;
struct verdict;
struct logcursor;
/* A scan's writes are one transaction too. */
rbl_status store_scan_begin(struct store *s, int64_t now, char *err,
                            size_t errlen);
/* Stores one rejection unless the same one is stored already (rescans are
 * idempotent); *is_new tells which. */
rbl_status store_rejection(struct store *s, const struct rejection *r,
                           const struct verdict *v, bool ours,
                           const char *file, uint64_t line, bool *is_new);
/* Where path was read to (*found false: never read); and where it is
 * now, written in the scan's transaction.  RBL_EIO when the state cannot
 * be read (the transaction then fails). */
rbl_status store_cursor_get(struct store *s, const char *path,
                            struct logcursor *c, bool *found);
rbl_status store_cursor_put(struct store *s, const char *path,
                            const struct logcursor *c);
/* Prunes rejections older than retention_ms and commits. */
rbl_status store_scan_commit(struct store *s, uint64_t retention_ms,
                             char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------
 * Reads return arrays of typed rows.  The array and every string its rows
 * point to are allocated from the caller's arena ar (util.h) and live until
 * arena_free(ar); the store keeps no pointer to them.  Errors: RBL_EIO (a
 * failed SQLite step: inside a transaction, the transaction fails) and
 * RBL_ENOMEM; then *rows is NULL and *n 0 (what was allocated stays in the
 * arena until it is freed). */
struct arena;

struct episode {
  int64_t id;
  const char *target, *source, *codes, *reasons;
  enum severity sev;               /* notice, warning or critical */
  const char *txt;                 /* NULL: none */
  int64_t first_seen, last_seen, cleared_at; /* cleared_at 0: open */
  const char *watchlist;           /* NULL: a command-line target's */
};

/* Open episodes (current listings), by severity then target. */
rbl_status store_current(struct store *s, struct arena *ar,
                         struct episode **rows, size_t *n);
/* All episodes, or those of target, newest first. */
rbl_status store_history(struct store *s, const char *target,
                         struct arena *ar, struct episode **rows, size_t *n);

struct health_row {
  const char *source, *health, *detail;   /* detail may be NULL */
  int64_t since, checked_at;
};
/* Every source's last health, by name. */
rbl_status store_health(struct store *s, struct arena *ar,
                        struct health_row **rows, size_t *n);
/* The last cycle: when, how long, and its exit code (0 if none). */
rbl_status store_last_cycle(struct store *s, int64_t *started,
                            int64_t *finished, int *exit_code);


/* ---- reminders (remind.c decides; these read and write) ------------------ */
enum reminder_state {
  REM_OPEN,                       /* listed: remind every remind_every */
  REM_REQUESTED,                  /* removal asked (ack) */
  REM_CLOSING,                    /* delisted: one last message */
  REM_CLOSED,
  REM_NSTATES,
  REM_KEEP = REM_NSTATES          /* store_reminder_set: unchanged */
};
extern const char *const reminder_state_names[]; /* as in the state */

struct reminder {
  int64_t id, episode;
  enum reminder_state state;
  int64_t due, last_sent, requested_at, snoozed_until;
  int64_t sent;
  const char *note;
  bool relisting;
  struct episode e;               /* the listing it is about */
};

/* Reminders due at now (open, requested or closing), oldest due first; or
 * every reminder not closed (all = true).  Rows in ar, as the reads above
 * (the reminder's note and its episode's strings too). */
rbl_status store_reminders(struct store *s, int64_t now, bool all,
                           struct arena *ar, struct reminder **rows,
                           size_t *n);
/* One reminder by id into *out, its strings in ar; RBL_ENOTFOUND when
 * there is none, RBL_EIO, RBL_ENOMEM. */
rbl_status store_reminder_get(struct store *s, int64_t id, struct arena *ar,
                              struct reminder *out);
/* Changes a reminder (state REM_KEEP: unchanged; note NULL: kept).  A
 * change of due alone (no state, not sent) is a snooze and is recorded as
 * snoozed_until. */
rbl_status store_reminder_set(struct store *s, int64_t id,
                              enum reminder_state state,
                              int64_t due, bool sent_now, int64_t requested_at,
                              const char *note);
/* Writes outside a check: remind, ack, snooze use these. */
rbl_status store_begin(struct store *s, int64_t now, char *err, size_t errlen);
rbl_status store_commit(struct store *s, char *err, size_t errlen);

#endif
