/* store_sql.h - inside the state (store.c and its parts results.c,
 * rejections.c, reminders.c): the handle, the prepared statements, and
 * the one rule every step follows (store.h): after a failed step nothing
 * more runs, and the transaction is rolled back.  Not for other
 * modules. */
#ifndef RBL_STORE_SQL_H
#define RBL_STORE_SQL_H

#include <sqlite3.h>
#include "store.h"

enum {
  Q_SEL_LAST, Q_UP_LAST, Q_SEL_OPEN, Q_INS_EP, Q_UPD_EP,
  Q_CLOSE_EP, Q_SEL_HEALTH, Q_UP_HEALTH, Q_INS_HHIST, Q_INS_QUERIES,
  Q_SUM_QUERIES, Q_INS_REJ, Q_SEL_CURSOR, Q_UP_CURSOR, Q_INS_REMIND,
  Q_CLOSING_REMIND, Q_SEL_CACHE, Q_UP_CACHE, Q_SEL_PAUSE, Q_UP_PAUSE, NQ
};

struct store {
  sqlite3 *db;
  char path[STORE_PATH_MAX];
  int lock_fd;
  bool readonly, in_cycle;
  int64_t now, started;
  int64_t first_change;     /* the transaction's first kept change, 0:
                               none yet (changes.c) */
  sqlite3_stmt *q[NQ];
  /* the first failure of the transaction in progress (the rule in
   * store.h): once set, nothing more is stepped */
  bool failed;
  int fail_rc;
  char fail_msg[256];
};

/* Runs the statements of sql (one after another, their named parameters
 * :now, :started, :cutoff, :wall, :checks, :listed, :errors, :exit bound
 * from p) under the rule. */
struct bound {
  int64_t now, started, cutoff, wall, checks, listed, errors, exit;
};

/* The rule: a failed step fails the transaction (store.c). */
rbl_status sq_sqlerr(struct store *s, int rc, const char *what, char *err,
                     size_t errlen);
void sq_fail(struct store *s, int rc, const char *msg);
bool sq_may_run(struct store *s);
int sq_step(struct store *s, sqlite3_stmt *q);
int sq_step_done(struct store *s, sqlite3_stmt *q);
int sq_exec(struct store *s, const char *sql);
sqlite3_stmt *sq_prepare(struct store *s, const char *sql);
void sq_text(sqlite3_stmt *q, int i, const char *s);
void sq_bind_pair(sqlite3_stmt *q, const char *target,
                  const char *source);
int sq_exec_bound(struct store *s, const char *sql, const struct bound *p);
/* Commits; after any failure rolls back instead, err saying why. */
rbl_status sq_finish(struct store *s, const char *what, char *err,
                     size_t errlen);
const char *sq_col_text(sqlite3_stmt *q, int i);
/* A severity as the state holds it; an unknown one reads as warning (a
 * listing is never taken for less than it may be). */
enum severity sq_col_sev(sqlite3_stmt *q, int i);

/* Typed rows of a read, gathered into the caller's arena (results.c): the
 * array grows by doubling, every string is copied out of the statement
 * before the next step; out of memory is remembered, not fatal mid-read. */
struct sq_rows {
  struct arena *ar;
  void *p;
  size_t n, cap, size;
  bool oom;
};
#define SQ_ROWS(ar, size) {(ar), NULL, 0, 0, (size), false}
/* The next row (zeroed), NULL when out of memory. */
void *sq_rows_next(struct sq_rows *r);
/* Moves the strings the fields point to into the arena. */
void sq_rows_strs(struct sq_rows *r, const char **const *f, size_t n);
/* The read's status (RBL_ENOMEM if a row was lost); no rows unless it is
 * RBL_OK. */
rbl_status sq_rows_status(struct sq_rows *r, rbl_status st);

#endif
