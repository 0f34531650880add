/* changes.c - what changed, once per reader (store.h, "changes"): the
 * changes of every committed cycle are kept, and each named reader has
 * a position in them, moved in the transaction that reads them. */
#include "store_sql.h"

#include <stdio.h>
#include <string.h>

static const char sql_put[] =
  "INSERT INTO changes(at, kind, target, source, before, after, detail, "
  "since, severity, watchlist) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
  "?10)";
static const char sql_pos[] =
  "SELECT seen FROM change_readers WHERE name = ?1";
static const char sql_start[] =
  "SELECT coalesce(max(id), 0) FROM changes WHERE id < ?1";
static const char sql_read[] =
  "SELECT id, at, kind, target, source, before, after, detail, since, "
  "severity, watchlist FROM changes WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char sql_seen[] =
  "INSERT INTO change_readers(name, seen) VALUES (?1, ?2) "
  "ON CONFLICT(name) DO UPDATE SET seen = max(seen, ?2)";

bool
store_reader_name_ok(const char *name)
{
  size_t n = strlen(name);
  if (n == 0 || n > STORE_READER_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= 'A' && name[i] <= 'Z') ||
          (name[i] >= '0' && name[i] <= '9') || strchr("._-", name[i])))
      return false;
  return true;
}

rbl_status
store_changes_put(struct store *s, const struct change *c, size_t n)
{
  sqlite3_stmt *q = sq_prepare(s, sql_put);
  int rc = q != NULL ? SQLITE_OK : SQLITE_ABORT;
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
    sqlite3_bind_int64(q, 1, c[i].at);
    sqlite3_bind_text(q, 2, change_names[c[i].kind], -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, c[i].target, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, c[i].list->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, c[i].before, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, c[i].after, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, c[i].detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, c[i].since);
    sqlite3_bind_text(q, 9, severity_names[c[i].sev], -1, SQLITE_STATIC);
    if (c[i].watchlist != NULL && c[i].watchlist[0] != '\0')
      sqlite3_bind_text(q, 10, c[i].watchlist, -1, SQLITE_STATIC);
    else
      sqlite3_bind_null(q, 10);
    rc = sq_step_done(s, q);
    if (rc == SQLITE_OK && s->first_change == 0)
      s->first_change = sqlite3_last_insert_rowid(s->db);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}

/* Where reader is: its position or, a new reader, the last change before
 * this transaction's, so that it starts with this cycle's changes. */
static int
reader_pos(struct store *s, const char *reader, int64_t *pos)
{
  sqlite3_stmt *q = sq_prepare(s, sql_pos);
  if (q == NULL)
    return SQLITE_ABORT;
  sqlite3_bind_text(q, 1, reader, -1, SQLITE_STATIC);
  int rc = sq_step(s, q);
  if (rc == SQLITE_ROW)
    *pos = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE)
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
  if ((q = sq_prepare(s, sql_start)) == NULL)
    return SQLITE_ABORT;
  sqlite3_bind_int64(q, 1, s->first_change > 0 ? s->first_change : INT64_MAX);
  rc = sq_step(s, q);
  if (rc == SQLITE_ROW)
    *pos = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static const char *
col(sqlite3_stmt *q, int i)
{
  const char *t = sq_col_text(q, i);
  return t != NULL ? t : "";
}

/* The row as a change of the list find() knows; false for a source that
 * left the configuration (not news any more). */
static bool
one_change(sqlite3_stmt *q, store_list_fn find, void *arg, struct change *c)
{
  memset(c, 0, sizeof(*c));
  size_t k = 0;
  while (change_names[k] != NULL && strcmp(change_names[k], col(q, 2)) != 0)
    k++;
  if (change_names[k] == NULL || (c->list = find(arg, col(q, 4))) == NULL)
    return false;
  c->kind = (enum change_kind)k;
  c->at = sqlite3_column_int64(q, 1);
  snprintf(c->target, sizeof(c->target), "%s", col(q, 3));
  snprintf(c->before, sizeof(c->before), "%s", col(q, 5));
  snprintf(c->after, sizeof(c->after), "%s", col(q, 6));
  snprintf(c->detail, sizeof(c->detail), "%s", col(q, 7));
  c->since = sqlite3_column_int64(q, 8);
  c->sev = sq_col_sev(q, 9);
  c->watchlist = sq_col_text(q, 10); /* the row's: for the callback only */
  return true;
}

static int
move_reader(struct store *s, const char *reader, int64_t seen)
{
  sqlite3_stmt *q = sq_prepare(s, sql_seen);
  if (q == NULL)
    return SQLITE_ABORT;
  sqlite3_bind_text(q, 1, reader, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, seen);
  int rc = sq_step_done(s, q);
  sqlite3_finalize(q);
  return rc;
}

rbl_status
store_changes_read(struct store *s, const char *reader, size_t max,
                   store_list_fn find, store_change_fn fn, void *arg)
{
  int64_t pos = 0;
  int rc = reader_pos(s, reader, &pos);
  sqlite3_stmt *q = rc == SQLITE_OK ? sq_prepare(s, sql_read) : NULL;
  if (rc == SQLITE_OK && q == NULL)
    rc = SQLITE_ABORT;
  if (q != NULL) {
    sqlite3_bind_int64(q, 1, pos);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
    while ((rc = sq_step(s, q)) == SQLITE_ROW) {
      struct change c;
      pos = sqlite3_column_int64(q, 0);
      if (one_change(q, find, arg, &c))
        fn(arg, &c);
    }
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(q);
  if (rc == SQLITE_OK)
    rc = move_reader(s, reader, pos);
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}
