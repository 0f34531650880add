/* reminders.c - reminders in the state: the due ones, and their changes. */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reminders ----------------------------------------------------------- */
const char *const reminder_state_names[] = {"open", "requested", "closing",
                                            "closed", NULL};

/* A state the file holds; one it does not know reads as open: the
 * reminder goes on rather than falls silent. */
static enum reminder_state
sq_col_rstate(sqlite3_stmt *q, int i)
{
  const char *t = sq_col_text(q, i);
  for (int k = 0; t != NULL && k < REM_NSTATES; k++)
    if (strcmp(t, reminder_state_names[k]) == 0)
      return (enum reminder_state)k;
  return REM_OPEN;
}


#define RM_COLS "r.id, r.episode, r.state, r.due, coalesce(r.last_sent, 0), " \
  "coalesce(r.requested_at, 0), coalesce(r.snoozed_until, 0), r.sent, " \
  "r.note, r.relisting, e.id, e.target, e.source, e.codes, e.reasons, " \
  "e.severity, e.txt, e.first_seen, e.last_seen, coalesce(e.cleared_at, 0), " \
  "e.watchlist"


/* Every row of q into r; RBL_ENOTFOUND when there is none. */
static rbl_status
read_reminders(struct store *s, sqlite3_stmt *q, struct sq_rows *r)
{
  int rc;
  size_t n = 0;
  while ((rc = sq_step(s, q)) == SQLITE_ROW) {
    n++;
    struct reminder *m = sq_rows_next(r);
    if (m == NULL)
      continue;
    *m = (struct reminder){
      sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sq_col_rstate(q, 2),
      sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4),
      sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 6),
      sqlite3_column_int64(q, 7), sq_col_text(q, 8),
      sqlite3_column_int(q, 9) != 0,
      {sqlite3_column_int64(q, 10), sq_col_text(q, 11), sq_col_text(q, 12),
       sq_col_text(q, 13), sq_col_text(q, 14), sq_col_sev(q, 15), sq_col_text(q, 16),
       sqlite3_column_int64(q, 17), sqlite3_column_int64(q, 18),
       sqlite3_column_int64(q, 19), sq_col_text(q, 20)}};
    const char **const f[] = {&m->note, &m->e.target, &m->e.source,
                              &m->e.codes, &m->e.reasons, &m->e.txt,
                              &m->e.watchlist};
    sq_rows_strs(r, f, UTIL_ARRAY_LEN(f));
  }
  sqlite3_finalize(q);
  return sq_rows_status(r, rc != SQLITE_DONE ? RBL_EIO
                           : n ? RBL_OK : RBL_ENOTFOUND);
}

rbl_status
store_reminders(struct store *s, int64_t now, bool all, struct arena *ar,
                struct reminder **rows, size_t *n)
{
  const char *sql = all
    ? "SELECT " RM_COLS " FROM reminders r JOIN episodes e ON e.id = "
      "r.episode WHERE r.state != 'closed' ORDER BY r.due, r.id"
    : "SELECT " RM_COLS " FROM reminders r JOIN episodes e ON e.id = "
      "r.episode WHERE r.state != 'closed' AND r.due <= ?1 "
      "ORDER BY r.due, r.id";
  struct sq_rows r = SQ_ROWS(ar, sizeof(**rows));
  sqlite3_stmt *q = sq_prepare(s, sql);
  rbl_status st = RBL_EIO;
  if (q != NULL) {
    if (!all)
      sqlite3_bind_int64(q, 1, now);
    st = read_reminders(s, q, &r);
  }
  *rows = r.p;
  *n = r.n;
  return st == RBL_ENOTFOUND ? RBL_OK : st;
}

rbl_status
store_reminder_get(struct store *s, int64_t id, struct arena *ar,
                   struct reminder *out)
{
  struct sq_rows r = SQ_ROWS(ar, sizeof(*out));
  sqlite3_stmt *q = sq_prepare(s, "SELECT " RM_COLS " FROM reminders r JOIN "
                            "episodes e ON e.id = r.episode WHERE r.id = ?1");
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, id);
  rbl_status st = read_reminders(s, q, &r);
  if (st == RBL_OK)
    *out = *(const struct reminder *)r.p;
  return st;
}

rbl_status
store_reminder_set(struct store *s, int64_t id, enum reminder_state state,
                   int64_t due, bool sent_now, int64_t requested_at,
                   const char *note)
{
  sqlite3_stmt *q = sq_prepare(s, "UPDATE reminders SET state = coalesce(?2, "
                            "state), due = ?3, snoozed_until = CASE WHEN ?2 "
                            "IS NULL AND NOT ?4 THEN ?3 ELSE snoozed_until "
                            "END, sent = sent + ?4, last_sent = CASE WHEN ?4 "
                            "THEN ?5 ELSE last_sent END, requested_at = CASE "
                            "WHEN ?6 > 0 THEN ?6 ELSE requested_at END, note "
                            "= coalesce(?7, note) WHERE id = ?1");
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, id);
  sq_text(q, 2, state == REM_KEEP ? NULL : reminder_state_names[state]);
  sqlite3_bind_int64(q, 3, due);
  sqlite3_bind_int(q, 4, sent_now);
  sqlite3_bind_int64(q, 5, s->now);
  sqlite3_bind_int64(q, 6, requested_at);
  sq_text(q, 7, note);
  int rc = sq_step_done(s, q);
  sqlite3_finalize(q);
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}


