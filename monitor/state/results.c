/* results.c - a cycle in the state: results, listing episodes, list health,
 * the queries counted against daily limits, the reputation cache; and the
 * reads of episodes and health. */
#include "store_sql.h"
#include "episode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cycle (begun in store.c) ------------------------------------------ */
static int
cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Codes sorted (answers come in any order) and joined. */
static void
codes_str(const struct result *r, char *buf, size_t size)
{
  uint32_t c[RESULT_MAX_CODES];
  memcpy(c, r->codes, r->ncodes * sizeof(*c));
  qsort(c, r->ncodes, sizeof(*c), cmp_u32);
  size_t o = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->ncodes && o < size; i++)
    o += (size_t)snprintf(buf + o, size - o, "%s%u.%u.%u.%u", i ? "," : "",
                          c[i] >> 24, (c[i] >> 16) & 0xff, (c[i] >> 8) & 0xff,
                          c[i] & 0xff);
}

/* A provider's result has no codes: its severity is what changes. */
static void
result_codes(const struct result *r, char *buf, size_t size)
{
  if (!list_is_dnsbl(r->list))
    snprintf(buf, size, "%s", r->status == RES_LISTED
                                ? severity_names[r->sev] : "");
  else
    codes_str(r, buf, size);
}

static void
reasons_str(const struct result *r, char *buf, size_t size)
{
  size_t o = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->nreasons && o < size; i++)
    o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "; " : "",
                          r->reasons[i]);
}



static void
emit_change(struct store *s, enum change_kind kind, const struct result *r,
            const char *before, const char *after, const char *detail,
            int64_t since, store_change_fn fn, void *arg)
{
  struct change c;
  memset(&c, 0, sizeof(c));
  c.kind = kind;
  snprintf(c.target, sizeof(c.target), "%s", r->target);
  c.list = r->list;
  snprintf(c.before, sizeof(c.before), "%s", before ? before : "");
  snprintf(c.after, sizeof(c.after), "%s", after ? after : "");
  snprintf(c.detail, sizeof(c.detail), "%s", detail ? detail : "");
  c.since = since;
  c.at = s->now;
  c.sev = r->sev;
  c.watchlist = r->watchlist;
  fn(arg, &c);
}

/* Whether t (an address, or a listed block from a feed) lies inside
 * range and is not range itself. */
static bool
inside(const struct target_spec *range, const char *t)
{
  struct target_spec in;
  char err[160];
  if (t == NULL || target_parse(t, &in, err, sizeof(err)) != RBL_OK ||
      in.kind != range->kind || !target_spec_contains(range, &in.base))
    return false;
  return in.prefix > range->prefix;
}

/* The addresses (and listed blocks) under range that the state has a
 * last result for on source, checked before before (malloc'ed into
 * *out). */
struct known_target {
  char s[TARGET_NAME_MAX];
};

static int
known_in_range(struct store *s, const struct target_spec *range,
               const char *source, int64_t before, struct known_target **out,
               size_t *nout)
{
  sqlite3_stmt *sel = sq_prepare(s, "SELECT target FROM last_check WHERE "
                              "source = ?1 AND checked_at < ?2");
  struct known_target *in = NULL;
  size_t n = 0, cap = 0;
  int rc = sel == NULL ? SQLITE_ABORT : SQLITE_OK;
  if (sel != NULL) {
    sqlite3_bind_text(sel, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(sel, 2, before);
    while ((rc = sq_step(s, sel)) == SQLITE_ROW) {
      const char *t = (const char *)sqlite3_column_text(sel, 0);
      if (!inside(range, t))
        continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 64;
        struct known_target *p = realloc(in, cap * sizeof(*p));
        if (p == NULL) {
          sq_fail(s, SQLITE_NOMEM, "out of memory");
          rc = SQLITE_NOMEM;
          break;
        }
        in = p;
      }
      snprintf(in[n++].s, sizeof(in[0].s), "%s", t);
    }
    if (rc == SQLITE_DONE)
      rc = SQLITE_OK;
  }
  sqlite3_finalize(sel);
  *out = in;
  *nout = n;
  return rc;
}

/* A range's one "not checked" result (a list that could not be asked):
 * what the state knows of the range's addresses on that source stays as
 * it was, as if each had been asked and not answered, and the range has
 * its own last result (status shows it; the next cycle that asks the
 * addresses drops it).  No change is reported: the list's health change
 * says it. */
static rbl_status
keep_range(struct store *s, const struct result *r)
{
  struct target_spec range;
  char err[160];
  if (target_parse(r->target, &range, err, sizeof(err)) != RBL_OK)
    return RBL_OK; /* not a range: nothing known under it */
  struct known_target *in = NULL;
  size_t n = 0;
  /* the addresses first, then the updates: no table changes under a
   * running SELECT */
  int rc = known_in_range(s, &range, r->list->name, INT64_MAX, &in, &n);
  sqlite3_stmt *up = rc == SQLITE_OK
    ? sq_prepare(s, "UPDATE last_check SET checked_at = ?3 WHERE target = ?1 "
              "AND source = ?2") : NULL;
  if (up == NULL)
    rc = SQLITE_ABORT;
  else {
    sqlite3_bind_text(up, 2, r->list->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(up, 3, s->now);
  }
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
    sqlite3_bind_text(up, 1, in[i].s, -1, SQLITE_TRANSIENT);
    rc = sq_step_done(s, up);
  }
  free(in);
  sqlite3_finalize(up);
  if (rc == SQLITE_OK) {
    sqlite3_stmt *q = s->q[Q_UP_LAST];
    sq_bind_pair(q, r->target, r->list->name);
    sqlite3_bind_int64(q, 3, s->now);
    sqlite3_bind_text(q, 4, result_status_names[r->status], -1,
                      SQLITE_STATIC);
    sq_text(q, 5, "");
    sq_text(q, 6, r->error);
    rc = sq_step_done(s, q);
  }
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}

/* Whether the last result of (target, source) was an error or a skip. */
static int
last_errored(struct store *s, const char *target, const char *source,
             bool *errored)
{
  sqlite3_stmt *q = s->q[Q_SEL_LAST];
  sq_bind_pair(q, target, source);
  int rc = sq_step(s, q);
  const char *last = rc == SQLITE_ROW ? sq_col_text(q, 0) : NULL;
  if (last == NULL)
    last = "";
  *errored = strcmp(last, "error") == 0 || strcmp(last, "skipped") == 0;
  sqlite3_reset(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The latest episode of (target, source): the open one (into p, *id,
 * codes, *first) or whether an earlier one closed. */
static int
latest_episode(struct store *s, const char *target, const char *source,
               struct episode_prev *p, int64_t *id, char *codes, size_t size,
               int64_t *first)
{
  sqlite3_stmt *q = s->q[Q_SEL_OPEN];
  *id = *first = 0;
  codes[0] = '\0';
  sq_bind_pair(q, target, source);
  int rc = sq_step(s, q);
  p->open = rc == SQLITE_ROW && sqlite3_column_int(q, 3) == 0;
  p->closed_before = rc == SQLITE_ROW && !p->open;
  if (p->open) {
    *id = sqlite3_column_int64(q, 0);
    const char *c = sq_col_text(q, 1);
    snprintf(codes, size, "%s", c ? c : "");
    *first = sqlite3_column_int64(q, 2);
  }
  p->codes = codes;
  sqlite3_reset(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A new episode of a listing, and its delisting reminder, due at once. */
static int
open_listing(struct store *s, const struct result *r, const char *codes,
             const char *reasons, bool relisted)
{
  sqlite3_stmt *q = s->q[Q_INS_EP];
  sq_bind_pair(q, r->target, r->list->name);
  sq_text(q, 3, r->watchlist);
  sqlite3_bind_int64(q, 4, s->now);
  sqlite3_bind_text(q, 5, codes, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 6, reasons, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 7, severity_names[r->sev], -1, SQLITE_STATIC);
  sq_text(q, 8, r->txt);
  int rc = sq_step_done(s, q);
  if (rc != SQLITE_OK)
    return rc;
  q = s->q[Q_INS_REMIND];
  sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(s->db));
  sqlite3_bind_int64(q, 2, s->now);
  sqlite3_bind_int(q, 3, relisted);
  return sq_step_done(s, q);
}

static int
update_listing(struct store *s, int64_t id, const struct result *r,
               const char *codes, const char *reasons)
{
  sqlite3_stmt *q = s->q[Q_UPD_EP];
  sqlite3_bind_int64(q, 1, id);
  sqlite3_bind_int64(q, 2, s->now);
  sqlite3_bind_text(q, 3, codes, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 4, reasons, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 5, severity_names[r->sev], -1, SQLITE_STATIC);
  sq_text(q, 6, r->txt);
  return sq_step_done(s, q);
}

/* The episode ends; its reminder owes one closing message. */
static int
close_listing(struct store *s, int64_t id)
{
  sqlite3_stmt *q = s->q[Q_CLOSE_EP];
  sqlite3_bind_int64(q, 1, id);
  sqlite3_bind_int64(q, 2, s->now);
  int rc = sq_step_done(s, q);
  if (rc != SQLITE_OK)
    return rc;
  q = s->q[Q_CLOSING_REMIND];
  sqlite3_bind_int64(q, 1, id);
  sqlite3_bind_int64(q, 2, s->now);
  return sq_step_done(s, q);
}

/* The last result of the pair is this one. */
static int
note_last(struct store *s, const struct result *r, const char *codes)
{
  sqlite3_stmt *q = s->q[Q_UP_LAST];
  sq_bind_pair(q, r->target, r->list->name);
  sqlite3_bind_int64(q, 3, s->now);
  sqlite3_bind_text(q, 4, result_status_names[r->status], -1, SQLITE_STATIC);
  sq_text(q, 5, codes);
  sq_text(q, 6, r->error);
  return sq_step_done(s, q);
}

/* Writes what episode_next() decided. */
static int
write_step(struct store *s, const struct result *r, enum episode_write w,
           const struct episode_prev *p, int64_t id, const char *codes,
           const char *reasons)
{
  switch (w) {
  case EPW_NONE:
    return SQLITE_OK;
  case EPW_OPEN:
    return open_listing(s, r, codes, reasons, p->closed_before);
  case EPW_UPDATE:
    return update_listing(s, id, r, codes, reasons);
  case EPW_CLOSE:
    return close_listing(s, id);
  }
  return SQLITE_MISUSE;
}

/* One announced change, with what it says for its kind. */
static void
announce(struct store *s, enum change_kind k, const struct result *r,
         const char *old_codes, const char *codes, const char *reasons,
         int64_t first, store_change_fn fn, void *arg)
{
  switch (k) {
  case CHANGE_ERROR:
    emit_change(s, k, r, NULL, NULL, r->error, 0, fn, arg);
    break;
  case CHANGE_LISTED:
  case CHANGE_RELISTED:
    emit_change(s, k, r, NULL, codes, reasons, s->now, fn, arg);
    break;
  case CHANGE_CODES:
    emit_change(s, k, r, old_codes, codes, reasons, first, fn, arg);
    break;
  case CHANGE_DELISTED:
    emit_change(s, k, r, old_codes, NULL, NULL, first, fn, arg);
    break;
  case CHANGE_RECOVERED:
  case CHANGE_HEALTH:
    emit_change(s, k, r, NULL, NULL, NULL, 0, fn, arg);
    break;
  }
}

/* The clean rest of a range checked from a feed: each address (or listed
 * block) the state knows under it that had no result of its own this
 * cycle is clean now (a listing there ends, announced as delisted).  The
 * range itself then has its result as any pair (a range a feed listed
 * whole is delisted so). */
static rbl_status
clean_inside(struct store *s, const struct result *r, store_change_fn fn,
             void *arg)
{
  struct target_spec range;
  char err[160];
  if (target_parse(r->target, &range, err, sizeof(err)) != RBL_OK)
    return RBL_OK;
  struct known_target *in = NULL;
  size_t n = 0;
  int rc = known_in_range(s, &range, r->list->name, s->started, &in, &n);
  rbl_status st = rc == SQLITE_OK ? RBL_OK : RBL_EIO;
  for (size_t i = 0; st == RBL_OK && i < n; i++) {
    struct result one = *r;
    snprintf(one.target, sizeof(one.target), "%s", in[i].s);
    one.range_except = 0;
    one.part = true;              /* its own pair, not a range's result */
    st = store_cycle_result(s, &one, fn, arg);
  }
  free(in);
  return st;
}

rbl_status
store_cycle_result(struct store *s, const struct result *r,
                   store_change_fn fn, void *arg)
{
  if (s->failed)
    return RBL_EIO;
  bool range = strchr(r->target, '/') != NULL && !r->part;
  if (range && r->status == RES_CLEAN &&   /* the clean rest of a range */
      clean_inside(s, r, fn, arg) != RBL_OK)
    return RBL_EIO;
  if (range && (r->status == RES_ERROR ||  /* a range not checked */
                r->status == RES_SKIPPED))
    return keep_range(s, r);
  /* an address, a listed block, a range a feed lists whole or the clean
   * rest of one */
  char codes[160], reasons[1024], old_codes[160];
  result_codes(r, codes, sizeof(codes));
  reasons_str(r, reasons, sizeof(reasons));
  struct episode_prev p;
  int64_t id, first;
  if (last_errored(s, r->target, r->list->name, &p.errored) != SQLITE_OK ||
      latest_episode(s, r->target, r->list->name, &p, &id, old_codes,
                     sizeof(old_codes), &first) != SQLITE_OK ||
      note_last(s, r, codes) != SQLITE_OK)
    return RBL_EIO;
  struct episode_step st = episode_next(&p, r->status, codes);
  /* An error appearing or clearing is announced before the write, as it
   * does not depend on it; a listing's change only once it is written. */
  size_t i = 0;
  if (st.nchanges > 0 && (st.changes[0] == CHANGE_ERROR ||
                          st.changes[0] == CHANGE_RECOVERED))
    announce(s, st.changes[i++], r, old_codes, codes, reasons, first, fn,
             arg);
  if (write_step(s, r, st.write, &p, id, codes, reasons) != SQLITE_OK)
    return RBL_EIO;
  for (; i < st.nchanges; i++)
    announce(s, st.changes[i], r, old_codes, codes, reasons, first, fn, arg);
  return RBL_OK;
}

rbl_status
store_cycle_health(struct store *s, const struct list_state *ls,
                   store_change_fn fn, void *arg)
{
  const char *src = ls->list->name, *h = health_names[ls->health];
  char prev[24] = "";
  sqlite3_stmt *q = s->q[Q_SEL_HEALTH];
  sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
  int rc = sq_step(s, q);
  if (rc == SQLITE_ROW)
    snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(q, 0));
  sqlite3_reset(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return RBL_EIO;
  if (ls->queries > 0) {
    q = s->q[Q_INS_QUERIES];
    sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, s->now);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)ls->queries);
    if (sq_step_done(s, q) != SQLITE_OK)
      return RBL_EIO;
  }
  q = s->q[Q_UP_HEALTH];
  sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, h, -1, SQLITE_STATIC);
  sq_text(q, 3, ls->detail);
  sqlite3_bind_int64(q, 4, s->now);
  if (sq_step_done(s, q) != SQLITE_OK)
    return RBL_EIO;
  bool first_ok = prev[0] == '\0' &&
                  (ls->health == HEALTH_OK || ls->health == HEALTH_UNKNOWN);
  if (strcmp(prev, h) == 0 || first_ok)
    return RBL_OK;
  q = s->q[Q_INS_HHIST];
  sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, h, -1, SQLITE_STATIC);
  sq_text(q, 3, ls->detail);
  sqlite3_bind_int64(q, 4, s->now);
  if (sq_step_done(s, q) != SQLITE_OK)
    return RBL_EIO;
  struct change c;
  memset(&c, 0, sizeof(c));
  c.kind = CHANGE_HEALTH;
  c.list = ls->list;
  snprintf(c.before, sizeof(c.before), "%s", prev[0] ? prev : "new");
  snprintf(c.after, sizeof(c.after), "%s", h);
  snprintf(c.detail, sizeof(c.detail), "%s", ls->detail);
  c.at = s->now;
  fn(arg, &c);
  return RBL_OK;
}




/* Pairs this cycle did not check are no longer watched: their listings
 * close (not reported as delisted) and their last results go; then data
 * older than the retention goes.  Partial cycles (rblmon run) judge only
 * the sources they asked, plus those no longer configured. */
static const char sql_commit_full[] =
  "UPDATE episodes SET cleared_at = :now WHERE cleared_at IS NULL AND NOT "
  "EXISTS (SELECT 1 FROM last_check l WHERE l.target = episodes.target AND "
  "l.source = episodes.source AND l.checked_at >= :started);"
  "DELETE FROM last_check WHERE checked_at < :started;"
  "DELETE FROM list_health WHERE checked_at < :started;";

#define PARTIAL_SCOPE(col) \
  " AND (" col " IN (SELECT source FROM list_health WHERE checked_at >= " \
  ":started) OR " col " NOT IN (SELECT source FROM cfg_sources))"

static const char sql_commit_partial[] =
  "UPDATE episodes SET cleared_at = :now WHERE cleared_at IS NULL AND NOT "
  "EXISTS (SELECT 1 FROM last_check l WHERE l.target = episodes.target AND "
  "l.source = episodes.source AND l.checked_at >= :started)"
  PARTIAL_SCOPE("episodes.source") ";"
  "DELETE FROM last_check WHERE checked_at < :started"
  PARTIAL_SCOPE("source") ";"
  "DELETE FROM list_health WHERE checked_at < :cutoff OR source NOT IN "
  "(SELECT source FROM cfg_sources);";

static const char sql_commit_common[] =
  "UPDATE reminders SET state = 'closed' WHERE state IN ('open', "
  "'requested') AND episode IN (SELECT id FROM episodes WHERE cleared_at IS "
  "NOT NULL);"
  "DELETE FROM list_queries WHERE at < :now - 2 * 86400;"
  "DELETE FROM reminders WHERE episode IN (SELECT id FROM episodes WHERE "
  "cleared_at < :cutoff);"
  "DELETE FROM episodes WHERE cleared_at IS NOT NULL AND cleared_at < "
  ":cutoff;"
  "DELETE FROM health_history WHERE at < :cutoff;"
  "DELETE FROM changes WHERE at < :cutoff;"
  "DELETE FROM cycles WHERE started < :cutoff;"
  "DELETE FROM reputation_cache WHERE checked_at < :now - 31 * 86400;"
  "DELETE FROM provider_pause WHERE until < :now;"
  "INSERT INTO cycles(started, finished, checks, listed, errors, exit_code) "
  "VALUES (:started, :wall, :checks, :listed, :errors, :exit);";

/* The sources of the configuration, for a partial cycle's scope. */
static int
note_configured(struct store *s, const char *const *configured, size_t n)
{
  int rc = sq_exec(s, "CREATE TEMP TABLE IF NOT EXISTS cfg_sources(source "
                "TEXT PRIMARY KEY); DELETE FROM cfg_sources;");
  sqlite3_stmt *q = rc == SQLITE_OK
    ? sq_prepare(s, "INSERT OR IGNORE INTO cfg_sources VALUES (?1)") : NULL;
  if (rc == SQLITE_OK && q == NULL)
    rc = SQLITE_ABORT;
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
    sqlite3_bind_text(q, 1, configured[i], -1, SQLITE_STATIC);
    rc = sq_step_done(s, q);
  }
  sqlite3_finalize(q);
  return rc;
}

rbl_status
store_cycle_commit(struct store *s, uint64_t retention_ms,
                   const struct tally *t, int exit_code, bool full,
                   const char *const *configured, size_t nconfigured,
                   char *err, size_t errlen)
{
  struct bound p = {s->now, s->started,
                    s->now - (int64_t)(retention_ms / 1000), clock_now(),
                    (int64_t)t->total, (int64_t)t->listed,
                    (int64_t)(t->errors + t->skipped), exit_code};
  if (!full)
    note_configured(s, configured, nconfigured);
  sq_exec_bound(s, full ? sql_commit_full : sql_commit_partial, &p);
  sq_exec_bound(s, sql_commit_common, &p);
  return sq_finish(s, "the results were not saved", err, errlen);
}

rbl_status
store_queries_since(struct store *s, const char *source, int64_t since,
                    uint64_t *out)
{
  sqlite3_stmt *q = s->q[Q_SUM_QUERIES];
  *out = 0;
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, since);
  int rc = sq_step(s, q);
  if (rc == SQLITE_ROW)
    *out = (uint64_t)sqlite3_column_int64(q, 0);
  sqlite3_reset(q);
  return rc == SQLITE_ROW ? RBL_OK : RBL_EIO;
}

/* ---- reputation providers ------------------------------------------------ */
static void
hex64(uint64_t v, char *buf)
{
  snprintf(buf, 17, "%016llx", (unsigned long long)v);
}

bool
store_rep_cache_get(struct store *s, const char *source, const char *target,
                    uint64_t fingerprint, struct rep_cached *out)
{
  sqlite3_stmt *q = s->q[Q_SEL_CACHE];
  char fp[17];
  bool found = false;
  hex64(fingerprint, fp);
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, target, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, fp, -1, SQLITE_STATIC);
  if (sq_step(s, q) == SQLITE_ROW) {
    memset(out, 0, sizeof(*out));
    out->checked_at = sqlite3_column_int64(q, 0);
    const char *st = (const char *)sqlite3_column_text(q, 1);
    const char *sev = (const char *)sqlite3_column_text(q, 2);
    out->status = st && strcmp(st, "listed") == 0 ? RES_LISTED : RES_CLEAN;
    for (int i = 0; sev != NULL && severity_names[i] != NULL; i++)
      if (strcmp(severity_names[i], sev) == 0) {
        out->has_sev = true;
        out->sev = (enum severity)i;
      }
    snprintf(out->reasons, sizeof(out->reasons), "%s",
             (const char *)sqlite3_column_text(q, 3));
    snprintf(out->txt, sizeof(out->txt), "%s",
             (const char *)sqlite3_column_text(q, 4));
    found = st != NULL && (out->status == RES_CLEAN || out->has_sev);
  }
  sqlite3_reset(q);
  return found;
}

rbl_status
store_rep_cache_put(struct store *s, const struct result *r,
                    uint64_t fingerprint)
{
  sqlite3_stmt *q = s->q[Q_UP_CACHE];
  char fp[17], reasons[1024];
  hex64(fingerprint, fp);
  reasons_str(r, reasons, sizeof(reasons));
  sqlite3_bind_text(q, 1, r->list->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, r->target, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, fp, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 4, s->now);
  sqlite3_bind_text(q, 5, result_status_names[r->status], -1, SQLITE_STATIC);
  if (r->has_sev)
    sqlite3_bind_text(q, 6, severity_names[r->sev], -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(q, 6);
  sqlite3_bind_text(q, 7, reasons, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 8, r->txt, -1, SQLITE_STATIC);
  return sq_step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

int64_t
store_rep_paused(struct store *s, const char *source, char *reason,
                 size_t size)
{
  sqlite3_stmt *q = s->q[Q_SEL_PAUSE];
  int64_t until = 0;
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  if (sq_step(s, q) == SQLITE_ROW) {
    until = sqlite3_column_int64(q, 0);
    snprintf(reason, size, "%s", (const char *)sqlite3_column_text(q, 1));
  }
  sqlite3_reset(q);
  return until > s->now ? until : 0;
}

rbl_status
store_rep_pause(struct store *s, const char *source, int64_t until,
                const char *reason)
{
  sqlite3_stmt *q = s->q[Q_UP_PAUSE];
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, until);
  sqlite3_bind_text(q, 3, reason, -1, SQLITE_STATIC);
  return sq_step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

/* ---- reading ------------------------------------------------------------ */
void *
sq_rows_next(struct sq_rows *r)
{
  if (r->oom)
    return NULL;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    char *p = cap > SIZE_MAX / r->size ? NULL
                                       : arena_alloc(r->ar, cap * r->size);
    if (p == NULL) {
      r->oom = true;
      return NULL;
    }
    if (r->n > 0) /* the outgrown copy stays in the arena until it goes */
      memcpy(p, r->p, r->n * r->size);
    r->p = p;
    r->cap = cap;
  }
  return (char *)r->p + r->n++ * r->size;
}

void
sq_rows_strs(struct sq_rows *r, const char **const *f, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (*f[i] != NULL && (*f[i] = arena_strdup(r->ar, *f[i])) == NULL)
      r->oom = true;
}

rbl_status
sq_rows_status(struct sq_rows *r, rbl_status st)
{
  if (st == RBL_OK && r->oom)
    st = RBL_ENOMEM;
  if (st != RBL_OK) {
    r->p = NULL;
    r->n = 0;
  }
  return st;
}

/* Each episode of sql to fn, borrowed for the call. */
typedef void (*episode_fn)(void *arg, const struct episode *e);
static rbl_status
read_episodes(struct store *s, const char *sql, const char *target,
              episode_fn fn, void *arg)
{
  sqlite3_stmt *q = sq_prepare(s, sql);
  if (q == NULL)
    return RBL_EIO;
  if (target != NULL)
    sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sq_step(s, q)) == SQLITE_ROW) {
    struct episode e = {
      sqlite3_column_int64(q, 0), sq_col_text(q, 1), sq_col_text(q, 2),
      sq_col_text(q, 3), sq_col_text(q, 4), sq_col_sev(q, 5), sq_col_text(q, 6),
      sqlite3_column_int64(q, 7), sqlite3_column_int64(q, 8),
      sqlite3_column_int64(q, 9), sq_col_text(q, 10)};
    fn(arg, &e);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

static void
keep_episode_row(void *arg, const struct episode *e)
{
  struct sq_rows *r = arg;
  struct episode *c = sq_rows_next(r);
  if (c == NULL)
    return;
  *c = *e;
  const char **const f[] = {&c->target, &c->source, &c->codes, &c->reasons,
                            &c->txt, &c->watchlist};
  sq_rows_strs(r, f, UTIL_ARRAY_LEN(f));
}

#define EP_COLS "id, target, source, codes, reasons, severity, txt, " \
                "first_seen, last_seen, coalesce(cleared_at, 0), watchlist"
#define EP_CURRENT "SELECT " EP_COLS " FROM episodes WHERE cleared_at IS " \
  "NULL ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' " \
  "THEN 1 ELSE 2 END, target, source"
#define EP_HISTORY_OF "SELECT " EP_COLS " FROM episodes WHERE target = ?1 " \
  "ORDER BY first_seen DESC, source"
#define EP_HISTORY "SELECT " EP_COLS " FROM episodes ORDER BY first_seen " \
  "DESC, target, source"

rbl_status
store_current(struct store *s, struct arena *ar, struct episode **rows,
              size_t *n)
{
  struct sq_rows r = SQ_ROWS(ar, sizeof(**rows));
  rbl_status st = sq_rows_status(&r, read_episodes(s, EP_CURRENT, NULL,
                                                keep_episode_row, &r));
  *rows = r.p;
  *n = r.n;
  return st;
}

rbl_status
store_history(struct store *s, const char *target, struct arena *ar,
              struct episode **rows, size_t *n)
{
  struct sq_rows r = SQ_ROWS(ar, sizeof(**rows));
  rbl_status st = sq_rows_status(
    &r, read_episodes(s, target != NULL ? EP_HISTORY_OF : EP_HISTORY, target,
                      keep_episode_row, &r));
  *rows = r.p;
  *n = r.n;
  return st;
}

rbl_status
store_health(struct store *s, struct arena *ar, struct health_row **rows,
             size_t *n)
{
  struct sq_rows r = SQ_ROWS(ar, sizeof(**rows));
  sqlite3_stmt *q = sq_prepare(s, "SELECT source, health, detail, since, "
                            "checked_at FROM list_health ORDER BY source");
  int rc = SQLITE_ERROR;
  while (q != NULL && (rc = sq_step(s, q)) == SQLITE_ROW) {
    struct health_row *h = sq_rows_next(&r);
    if (h == NULL)
      continue;
    *h = (struct health_row){sq_col_text(q, 0), sq_col_text(q, 1),
                             sq_col_text(q, 2), sqlite3_column_int64(q, 3),
                             sqlite3_column_int64(q, 4)};
    const char **const f[] = {&h->source, &h->health, &h->detail};
    sq_rows_strs(&r, f, UTIL_ARRAY_LEN(f));
  }
  sqlite3_finalize(q);
  rbl_status st = sq_rows_status(&r, rc == SQLITE_DONE ? RBL_OK : RBL_EIO);
  *rows = r.p;
  *n = r.n;
  return st;
}

rbl_status
store_last_cycle(struct store *s, int64_t *started, int64_t *finished,
                 int *exit_code)
{
  *started = *finished = 0;
  *exit_code = 0;
  sqlite3_stmt *q = sq_prepare(s, "SELECT started, finished, exit_code FROM "
                            "cycles ORDER BY id DESC LIMIT 1");
  if (q == NULL)
    return RBL_EIO;
  int rc = sq_step(s, q);
  if (rc == SQLITE_ROW) {
    *started = sqlite3_column_int64(q, 0);
    *finished = sqlite3_column_int64(q, 1);
    *exit_code = sqlite3_column_int(q, 2);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}
