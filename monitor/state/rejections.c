/* rejections.c - a log scan in the state: rejections and log cursors. */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "logread.h"

/* ---- mail log scans ------------------------------------------------------ */
rbl_status
store_scan_begin(struct store *s, int64_t now, char *err, size_t errlen)
{
  return store_cycle_begin(s, now, err, errlen);
}

static uint64_t
fnv(uint64_t h, const char *s)
{
  for (; s && *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  h ^= 0xff; /* field separator */
  return h * 1099511628211ULL;
}

rbl_status
store_rejection(struct store *s, const struct rejection *r,
                const struct verdict *v, bool ours, const char *file,
                uint64_t line, bool *is_new)
{
  /* The same rejection read twice (a rescan, a rotated copy) is one. */
  char t[24], code[8], hash[24];
  *is_new = false;
  snprintf(t, sizeof(t), "%lld", (long long)r->time);
  snprintf(code, sizeof(code), "%d", r->code);
  uint64_t h = 1469598103934665603ULL;
  h = fnv(h, t);
  h = fnv(h, r->mta);
  h = fnv(h, r->queue_id);
  h = fnv(h, r->recipient);
  h = fnv(h, r->host);
  h = fnv(h, code);
  h = fnv(h, r->text);
  snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)h);
  sqlite3_stmt *q = s->q[Q_INS_REJ];
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, r->time);
  sq_text(q, 3, r->mta);
  sq_text(q, 4, r->queue_id);
  sq_text(q, 5, r->recipient);
  sq_text(q, 6, r->domain);
  sq_text(q, 7, r->host);
  sq_text(q, 8, r->ip);
  sqlite3_bind_int(q, 9, r->code);
  sq_text(q, 10, r->enhanced);
  sq_text(q, 11, r->stage);
  sqlite3_bind_int(q, 12, r->permanent);
  sq_text(q, 13, r->text);
  sq_text(q, 14, v->named_ip);
  sqlite3_bind_int(q, 15, ours);
  sq_text(q, 16, cause_name(v->cause));
  sq_text(q, 17, v->detail);
  sq_text(q, 18, v->list);
  sq_text(q, 19, v->block);
  sq_text(q, 20, v->receiver);
  sq_text(q, 21, v->rule);
  sq_text(q, 22, file);
  sqlite3_bind_int64(q, 23, (sqlite3_int64)line);
  sq_text(q, 24, v->zone);
  sq_text(q, 25, v->operator_name);
  sq_text(q, 26, v->req ? v->req->id : NULL);
  sq_text(q, 27, r->loghost);
  if (sq_step_done(s, q) != SQLITE_OK)
    return RBL_EIO;
  *is_new = sqlite3_changes(s->db) > 0;
  return RBL_OK;
}

rbl_status
store_cursor_get(struct store *s, const char *path, struct logcursor *c,
                 bool *found)
{
  sqlite3_stmt *q = s->q[Q_SEL_CURSOR];
  memset(c, 0, sizeof(*c));
  sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
  int rc = sq_step(s, q);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW) {
    c->inode = (uint64_t)sqlite3_column_int64(q, 0);
    c->offset = (uint64_t)sqlite3_column_int64(q, 1);
    c->head = (uint64_t)sqlite3_column_int64(q, 2);
    c->lines = (uint64_t)sqlite3_column_int64(q, 3);
    c->dev = (uint64_t)sqlite3_column_int64(q, 4);
    c->tail = (uint64_t)sqlite3_column_int64(q, 5);
    c->updated = sqlite3_column_int64(q, 6);
  }
  sqlite3_reset(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

rbl_status
store_cursor_put(struct store *s, const char *path, const struct logcursor *c)
{
  sqlite3_stmt *q = s->q[Q_UP_CURSOR];
  sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, (sqlite3_int64)c->inode);
  sqlite3_bind_int64(q, 3, (sqlite3_int64)c->offset);
  sqlite3_bind_int64(q, 4, (sqlite3_int64)c->head);
  sqlite3_bind_int64(q, 5, (sqlite3_int64)c->lines);
  sqlite3_bind_int64(q, 6, s->now);
  sqlite3_bind_int64(q, 7, (sqlite3_int64)c->dev);
  sqlite3_bind_int64(q, 8, (sqlite3_int64)c->tail);
  return sq_step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

rbl_status
store_scan_commit(struct store *s, uint64_t retention_ms, char *err,
                  size_t errlen)
{
  struct bound p = {s->now, s->started,
                    s->now - (int64_t)(retention_ms / 1000), 0, 0, 0, 0, 0};
  sq_exec_bound(s, "DELETE FROM rejections WHERE time < :cutoff", &p);
  return sq_finish(s, "the scan was not saved", err, errlen);
}
