#include "store.h"

#include "classify.h"
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_APP_ID 0x52424c4d /* "RBLM" */

const char *const change_names[] = {"listed", "relisted", "delisted",
                                    "changed", "error", "recovered",
                                    "health", NULL};

enum {
  Q_SEL_LAST, Q_UP_LAST, Q_SEL_OPEN, Q_SEL_PREV, Q_INS_EP, Q_UPD_EP,
  Q_CLOSE_EP, Q_SEL_HEALTH, Q_UP_HEALTH, Q_INS_HHIST, Q_INS_QUERIES,
  Q_SUM_QUERIES, Q_INS_REJ, Q_SEL_CURSOR, Q_UP_CURSOR, Q_INS_REMIND,
  Q_CLOSING_REMIND, Q_SEL_CACHE, Q_UP_CACHE, Q_SEL_PAUSE, Q_UP_PAUSE, NQ
};

static const char *const sql_text[NQ] = {
  [Q_SEL_LAST] = "SELECT status, error FROM last_check "
                 "WHERE target = ?1 AND source = ?2",
  [Q_UP_LAST] = "INSERT INTO last_check(target, source, checked_at, status, "
                "codes, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                "ON CONFLICT(target, source) DO UPDATE SET "
                "checked_at = ?3, status = ?4, codes = ?5, error = ?6",
  [Q_SEL_OPEN] = "SELECT id, codes, first_seen FROM episodes WHERE "
                 "target = ?1 AND source = ?2 AND cleared_at IS NULL",
  [Q_SEL_PREV] = "SELECT 1 FROM episodes WHERE target = ?1 AND source = ?2 "
                 "AND cleared_at IS NOT NULL LIMIT 1",
  [Q_INS_EP] = "INSERT INTO episodes(target, source, watchlist, first_seen, "
               "last_seen, codes, reasons, severity, txt) "
               "VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)",
  [Q_UPD_EP] = "UPDATE episodes SET last_seen = ?2, codes = ?3, reasons = ?4,"
               " severity = ?5, txt = ?6 WHERE id = ?1",
  [Q_CLOSE_EP] = "UPDATE episodes SET cleared_at = ?2 WHERE id = ?1",
  [Q_SEL_HEALTH] = "SELECT health FROM list_health WHERE source = ?1",
  [Q_UP_HEALTH] = "INSERT INTO list_health(source, health, detail, since, "
                  "checked_at) VALUES (?1, ?2, ?3, ?4, ?4) "
                  "ON CONFLICT(source) DO UPDATE SET checked_at = ?4, "
                  "detail = ?3, since = CASE WHEN health = ?2 THEN since "
                  "ELSE ?4 END, health = ?2",
  [Q_INS_HHIST] = "INSERT INTO health_history(source, health, detail, at) "
                  "VALUES (?1, ?2, ?3, ?4)",
  [Q_INS_QUERIES] = "INSERT INTO list_queries(source, at, queries) "
                    "VALUES (?1, ?2, ?3)",
  [Q_SUM_QUERIES] = "SELECT coalesce(sum(queries), 0) FROM list_queries "
                    "WHERE source = ?1 AND at > ?2",
  [Q_INS_REJ] = "INSERT OR IGNORE INTO rejections(hash, time, mta, queue_id, "
                "recipient, domain, host, ip, code, enhanced, stage, "
                "permanent, text, named_ip, ours, cause, detail, list, block, "
                "receiver, rule, file, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                "?19, ?20, ?21, ?22, ?23)",
  [Q_INS_REMIND] = "INSERT INTO reminders(episode, state, due, relisting) "
                   "VALUES (?1, 'open', ?2, ?3)",
  [Q_CLOSING_REMIND] = "UPDATE reminders SET state = 'closing', due = ?2 "
                       "WHERE episode = ?1 AND state != 'closed'",
  [Q_SEL_CACHE] = "SELECT checked_at, status, severity, reasons, txt "
                  "FROM reputation_cache WHERE source = ?1 AND target = ?2 "
                  "AND fingerprint = ?3",
  [Q_UP_CACHE] = "INSERT INTO reputation_cache(source, target, fingerprint, "
                 "checked_at, status, severity, reasons, txt) VALUES (?1, ?2,"
                 " ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(source, target) DO "
                 "UPDATE SET fingerprint = ?3, checked_at = ?4, status = ?5, "
                 "severity = ?6, reasons = ?7, txt = ?8",
  [Q_SEL_PAUSE] = "SELECT until, reason FROM provider_pause WHERE source = ?1",
  [Q_UP_PAUSE] = "INSERT INTO provider_pause(source, until, reason) VALUES "
                 "(?1, ?2, ?3) ON CONFLICT(source) DO UPDATE SET until = ?2, "
                 "reason = ?3",
  [Q_SEL_CURSOR] = "SELECT inode, offset, head, lines, dev, tail, updated "
                   "FROM log_cursors WHERE path = ?1",
  [Q_UP_CURSOR] = "INSERT INTO log_cursors(path, inode, offset, head, lines, "
                  "updated, dev, tail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                  "?8) ON CONFLICT(path) DO UPDATE SET inode = ?2, offset = "
                  "?3, head = ?4, lines = ?5, updated = ?6, dev = ?7, "
                  "tail = ?8",
};

/* Migrations: step N takes user_version N-1 to N.  Never edit a shipped
 * step; add one. */
static const char *const migrations[] = {
  /* 1: episodes, last result per pair, list health */
  "CREATE TABLE episodes("
  " id INTEGER PRIMARY KEY,"
  " target TEXT NOT NULL, source TEXT NOT NULL,"
  " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
  " cleared_at INTEGER,"
  " codes TEXT NOT NULL, reasons TEXT NOT NULL, severity TEXT NOT NULL,"
  " txt TEXT);"
  "CREATE UNIQUE INDEX episodes_open ON episodes(target, source)"
  " WHERE cleared_at IS NULL;"
  "CREATE INDEX episodes_by_target ON episodes(target, first_seen);"
  "CREATE TABLE last_check("
  " target TEXT NOT NULL, source TEXT NOT NULL, checked_at INTEGER NOT NULL,"
  " status TEXT NOT NULL, codes TEXT, error TEXT,"
  " PRIMARY KEY(target, source)) WITHOUT ROWID;"
  "CREATE TABLE list_health("
  " source TEXT PRIMARY KEY, health TEXT NOT NULL, detail TEXT,"
  " since INTEGER NOT NULL, checked_at INTEGER NOT NULL);",
  /* 2: watchlist of an episode, health history, cycles */
  "ALTER TABLE episodes ADD COLUMN watchlist TEXT;"
  "CREATE TABLE health_history("
  " id INTEGER PRIMARY KEY, source TEXT NOT NULL, health TEXT NOT NULL,"
  " detail TEXT, at INTEGER NOT NULL);"
  "CREATE TABLE cycles("
  " id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
  " finished INTEGER NOT NULL, checks INTEGER NOT NULL,"
  " listed INTEGER NOT NULL, errors INTEGER NOT NULL,"
  " exit_code INTEGER NOT NULL);",
  /* 3: queries sent per list and cycle, for daily usage limits */
  "CREATE TABLE list_queries("
  " source TEXT NOT NULL, at INTEGER NOT NULL, queries INTEGER NOT NULL);"
  "CREATE INDEX list_queries_by_source ON list_queries(source, at);",
  /* 4: rejections found in mail logs, and where each log was read to */
  "CREATE TABLE rejections("
  " id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, time INTEGER NOT NULL,"
  " mta TEXT, queue_id TEXT, recipient TEXT, domain TEXT, host TEXT, ip TEXT,"
  " code INTEGER, enhanced TEXT, stage TEXT, permanent INTEGER, text TEXT,"
  " named_ip TEXT, ours INTEGER, cause TEXT, detail TEXT, list TEXT,"
  " block TEXT, receiver TEXT, rule TEXT, file TEXT, line INTEGER);"
  "CREATE INDEX rejections_by_time ON rejections(time);"
  "CREATE TABLE log_cursors("
  " path TEXT PRIMARY KEY, inode INTEGER NOT NULL, offset INTEGER NOT NULL,"
  " head INTEGER NOT NULL, lines INTEGER NOT NULL, updated INTEGER NOT NULL);",
  /* 5: a delisting reminder for every listing episode */
  "CREATE TABLE reminders("
  " id INTEGER PRIMARY KEY, episode INTEGER NOT NULL UNIQUE,"
  " state TEXT NOT NULL, due INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,"
  " last_sent INTEGER, requested_at INTEGER, snoozed_until INTEGER,"
  " note TEXT, relisting INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX reminders_by_due ON reminders(state, due);"
  "CREATE INDEX rejections_by_list ON rejections(list, time);"
  /* listings that existed before reminders: one each, due now */
  "INSERT INTO reminders(episode, state, due) SELECT id, 'open', last_seen "
  " FROM episodes WHERE cleared_at IS NULL;",
  /* 6: reputation providers: answers kept for min_interval, and pauses
   * after a rate limit */
  "CREATE TABLE reputation_cache("
  " source TEXT NOT NULL, target TEXT NOT NULL, fingerprint TEXT NOT NULL,"
  " checked_at INTEGER NOT NULL, status TEXT NOT NULL, severity TEXT,"
  " reasons TEXT NOT NULL, txt TEXT NOT NULL, PRIMARY KEY(source, target));"
  "CREATE TABLE provider_pause("
  " source TEXT PRIMARY KEY, until INTEGER NOT NULL, reason TEXT NOT NULL);",
  /* 7: a log file is known again by its device and by the bytes before
   * the cursor too */
  ("ALTER TABLE log_cursors ADD COLUMN dev INTEGER NOT NULL DEFAULT 0;"
   "ALTER TABLE log_cursors ADD COLUMN tail INTEGER NOT NULL DEFAULT 0;"),
};

struct store {
  sqlite3 *db;
  char path[STORE_PATH_MAX];
  int lock_fd;
  bool readonly, in_cycle;
  int64_t now, started;
  sqlite3_stmt *q[NQ];
  /* the first failure of the transaction in progress (the rule in
   * store.h): once set, nothing more is stepped */
  bool failed;
  int fail_rc;
  char fail_msg[256];
};

int64_t
store_now(void)
{
  const char *e = getenv("RBLMON_NOW");
  uint64_t v;
  if (e != NULL && util_parse_u64(e, INT64_MAX, &v) == RBL_OK)
    return (int64_t)v;
  return (int64_t)time(NULL);
}

void
store_default_path(char *buf, size_t size)
{
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  if (geteuid() == 0 && (xdg == NULL || *xdg != '/'))
    snprintf(buf, size, "/var/lib/rblmon/rblmon.db");
  else if (xdg != NULL && *xdg == '/')
    snprintf(buf, size, "%s/rblmon/rblmon.db", xdg);
  else if (home != NULL && *home == '/')
    snprintf(buf, size, "%s/.local/state/rblmon/rblmon.db", home);
  else
    snprintf(buf, size, "rblmon.db");
}

/* mkdir -p for the directory part of path, mode 0700. */
static bool
make_parents(const char *path, char *err, size_t errlen)
{
  char tmp[STORE_PATH_MAX];
  snprintf(tmp, sizeof(tmp), "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
      snprintf(err, errlen, "cannot create the state directory %s: %s",
               tmp, strerror(errno));
      return false;
    }
    *p = '/';
  }
  return true;
}

/* The directory part of path ("." when there is none). */
static void
dir_of(const char *path, char *buf, size_t size)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(buf, size, ".");
  else if (slash == path)
    snprintf(buf, size, "/");
  else
    snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* The mount point of the file system that holds path's directory: what an
 * operator frees space on. */
static void
mount_of(const char *path, char *buf, size_t size)
{
  char dir[STORE_PATH_MAX], real[PATH_MAX];
  dir_of(path, dir, sizeof(dir));
  struct stat sb, up;
  if (realpath(dir, real) == NULL || stat(real, &sb) != 0) {
    snprintf(buf, size, "%s", dir);
    return;
  }
  for (;;) {
    char *slash = strrchr(real, '/');
    if (slash == NULL || slash == real) {
      if (stat("/", &up) == 0 && up.st_dev != sb.st_dev)
        break;
      snprintf(real, sizeof(real), "/");
      break;
    }
    *slash = '\0';
    if (stat(real, &up) != 0 || up.st_dev != sb.st_dev) {
      *slash = '/';
      break;
    }
  }
  snprintf(buf, size, "%s", real);
}

static const char *
sql_hint(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_FULL:     return "the disk is full";
  case SQLITE_READONLY: return "the state file or its directory is "
                               "read-only";
  case SQLITE_CANTOPEN: return "the file cannot be opened; check the path "
                               "and its permissions";
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:   return "the file is damaged";
  case SQLITE_BUSY:     return "another process holds the database";
  case SQLITE_IOERR:    return "the disk reported an I/O error";
  case SQLITE_NOMEM:    return "out of memory";
  default:              return NULL;
  }
}

static rbl_status
sqlerr(struct store *s, int rc, const char *what, char *err, size_t errlen)
{
  const char *hint = sql_hint(rc);
  snprintf(err, errlen, "state %s: %s: %s%s%s", s->path, what,
           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
           hint ? ": " : "", hint ? hint : "");
  return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
           ? RBL_ECONFIG : RBL_EIO;
}

/* ---- the one rule: a failed step fails the transaction ------------------ */
static void
fail(struct store *s, int rc, const char *msg)
{
  if (s->failed)
    return; /* the first failure is the one to tell */
  s->failed = true;
  s->fail_rc = rc;
  snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
}

/* Whether a statement may run: not after a failure, and not in autocommit
 * when a transaction was begun (SQLite rolled it back on its own). */
static bool
may_run(struct store *s)
{
  if (s->failed)
    return false;
  if (s->in_cycle && sqlite3_get_autocommit(s->db)) {
    fail(s, SQLITE_ABORT, "SQLite ended the transaction after an error");
    return false;
  }
  return true;
}

/* sqlite3_step() under the rule: SQLITE_ROW or SQLITE_DONE, or the error
 * (recorded; the statement is reset). */
static int
step(struct store *s, sqlite3_stmt *q)
{
  if (!may_run(s))
    return SQLITE_ABORT;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  fail(s, rc, sqlite3_errmsg(s->db));
  sqlite3_reset(q);
  return rc;
}

/* A statement run for its effect (or its first row): SQLITE_OK or the
 * error; the statement is reset either way. */
static int
step_done(struct store *s, sqlite3_stmt *q)
{
  int rc = step(s, q);
  sqlite3_reset(q);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* sqlite3_exec() under the rule. */
static int
exec(struct store *s, const char *sql)
{
  if (!may_run(s))
    return SQLITE_ABORT;
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    fail(s, rc, sqlite3_errmsg(s->db));
  return rc;
}

/* A statement prepared for one use: NULL (the failure recorded) when it
 * cannot be. */
static sqlite3_stmt *
prepare(struct store *s, const char *sql)
{
  sqlite3_stmt *q = NULL;
  if (!may_run(s))
    return NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (rc != SQLITE_OK) {
    fail(s, rc, sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return NULL;
  }
  return q;
}

bool
store_failed(const struct store *s)
{
  return s != NULL && s->failed;
}

void
store_error(struct store *s, const char *what, char *err, size_t errlen)
{
  if (s->failed) {
    const char *hint = sql_hint(s->fail_rc);
    snprintf(err, errlen, "state %s: %s: %s%s%s", s->path, what,
             s->fail_msg, hint ? ": " : "", hint ? hint : "");
    return;
  }
  sqlerr(s, sqlite3_errcode(s->db), what, err, errlen);
}

void
store_failure(const struct store *s, const char *not_recorded, char *err,
              size_t errlen)
{
  char where[PATH_MAX], dir[STORE_PATH_MAX];
  int rc = s->failed ? s->fail_rc : sqlite3_errcode(s->db);
  const char *msg = s->failed ? s->fail_msg : sqlite3_errmsg(s->db);
  const char *hint = sql_hint(rc);
  char todo[PATH_MAX + 96];
  dir_of(s->path, dir, sizeof(dir));
  switch (rc & 0xff) {
  case SQLITE_FULL:
    mount_of(s->path, where, sizeof(where));
    snprintf(todo, sizeof(todo), "free space on %s and run it again", where);
    break;
  case SQLITE_READONLY:
  case SQLITE_CANTOPEN:
    snprintf(todo, sizeof(todo), "make %s writable for this user and run "
             "it again", dir);
    break;
  case SQLITE_IOERR:
    snprintf(todo, sizeof(todo), "check the disk under %s (dmesg) and run "
             "it again", dir);
    break;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    snprintf(todo, sizeof(todo), "move %s aside (the next run starts a new "
             "history)", s->path);
    break;
  default:
    snprintf(todo, sizeof(todo), "run it again");
    break;
  }
  snprintf(err, errlen, "state %s: %s%s%s; %s: %s; nothing was lost (the "
           "state is as before this run)", s->path, msg, hint ? ": " : "",
           hint ? hint : "", not_recorded, todo);
}

static int
pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* RBL_EIO: the lock file cannot be made (a read-only state: the caller
 * may go on without it); RBL_ETIMEOUT: another rblmon holds it. */
static rbl_status
lock_state(struct store *s, uint64_t wait_ms, char *err, size_t errlen)
{
  char lp[STORE_PATH_MAX + 8];
  snprintf(lp, sizeof(lp), "%s.lock", s->path);
  /* never through a symlink someone planted beside the state */
  s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (s->lock_fd < 0) {
    snprintf(err, errlen, "cannot open the lock file %s: %s (the state's "
             "directory must be writable by this user; or set state.path)",
             lp, strerror(errno));
    return RBL_EIO;
  }
  /* Bounded wait: cron may fire while the last run is still going. */
  for (uint64_t waited = 0;; waited += 100) {
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
      return RBL_OK;
    if (errno != EWOULDBLOCK || waited >= wait_ms)
      break;
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  char w[32];
  util_format_duration(wait_ms, w, sizeof(w));
  snprintf(err, errlen, "another rblmon is using %s (waited %s); it is "
           "still running, or raise state.lock_wait", s->path, w);
  return RBL_ETIMEOUT;
}

/* What is at the state's path, from its first 16 bytes.  FILE_UNREADABLE:
 * it could not be opened or read (errno says why); that says nothing
 * about the file, which may well be a good state on a failing disk. */
enum file_kind { FILE_NONE, FILE_EMPTY, FILE_SQLITE, FILE_OTHER, FILE_UNREADABLE };

static enum file_kind
file_kind(const char *path, int *why)
{
  *why = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *why = errno;
    return errno == ENOENT ? FILE_NONE : FILE_UNREADABLE;
  }
  struct stat sb;
  char head[16];
  enum file_kind k = FILE_OTHER;
  if (fstat(fd, &sb) != 0) {
    *why = errno;
    k = FILE_UNREADABLE;
  } else if (S_ISREG(sb.st_mode)) {
    ssize_t n = read(fd, head, sizeof(head));
    if (n < 0) {
      *why = errno;
      k = FILE_UNREADABLE;
    } else if (n == 0) {
      k = FILE_EMPTY;
    } else if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0) {
      k = FILE_SQLITE;
    }
  }
  close(fd);
  return k;
}

static rbl_status
migrate(struct store *s, int64_t from, char *err, size_t errlen)
{
  char *msg = NULL;
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  for (int64_t v = from; rc == SQLITE_OK && v < STORE_SCHEMA; v++)
    rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg);
  if (rc == SQLITE_OK) {
    char sql[96];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
             "PRAGMA user_version = %d", STORE_APP_ID, STORE_SCHEMA);
    rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) {
    rbl_status st = sqlerr(s, rc, "schema upgrade failed", err, errlen);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
  }
  return RBL_OK;
}

/* A new state: the schema is written to a temporary file in the state's
 * directory, which is then linked into place whole (never over a file
 * that appeared meanwhile), so a file that is empty or half made is never
 * one rblmon left. */
static rbl_status
create_state(struct store *s, char *err, size_t errlen)
{
  char dir[STORE_PATH_MAX], tmp[STORE_PATH_MAX + 16];
  dir_of(s->path, dir, sizeof(dir));
  snprintf(tmp, sizeof(tmp), "%s.new.XXXXXX", s->path);
  mode_t old = umask(077);
  int fd = mkstemp(tmp);
  umask(old);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create the state in %s: %s", dir,
             strerror(errno));
    return RBL_EIO;
  }
  close(fd);
  struct store t = {.path = ""};
  snprintf(t.path, sizeof(t.path), "%s", s->path);
  rbl_status st = RBL_EIO;
  int rc = sqlite3_open_v2(tmp, &t.db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    st = sqlerr(&t, rc, "cannot create", err, errlen);
  else if ((rc = sqlite3_exec(t.db, "PRAGMA synchronous = FULL", NULL, NULL,
                              NULL)) != SQLITE_OK)
    st = sqlerr(&t, rc, "cannot create", err, errlen);
  else
    st = migrate(&t, 0, err, errlen);
  if (t.db != NULL && sqlite3_close(t.db) != SQLITE_OK && st == RBL_OK) {
    snprintf(err, errlen, "state %s: cannot finish the new file", s->path);
    st = RBL_EIO;
  }
  if (st == RBL_OK && link(tmp, s->path) != 0) {
    if (errno == EEXIST)
      st = RBL_OK; /* made meanwhile (not by a locked rblmon): use it */
    else if (rename(tmp, s->path) != 0) {
      snprintf(err, errlen, "cannot create the state %s: %s", s->path,
               strerror(errno));
      st = RBL_EIO;
    }
  }
  unlink(tmp);
  char jr[STORE_PATH_MAX + 32];
  snprintf(jr, sizeof(jr), "%s-journal", tmp);
  unlink(jr);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { /* the new name on disk too */
    fsync(dfd);
    close(dfd);
  }
  return st;
}

/* Percent-escapes path for an SQLite URI ("file:...?immutable=1"). */
static void
uri_of(const char *path, const char *query, char *buf, size_t size)
{
  size_t o = (size_t)snprintf(buf, size, "file:");
  for (const char *p = path; *p && o + 4 < size; p++) {
    if (*p == '%' || *p == '?' || *p == '#')
      o += (size_t)snprintf(buf + o, size - o, "%%%02X", (unsigned char)*p);
    else
      buf[o++] = *p;
  }
  snprintf(buf + (o < size ? o : size - 1), size - (o < size ? o : size - 1),
           "?%s", query);
}

/* Opens the database; read-only where the file system is read-only too:
 * a WAL state needs its -shm file, which cannot be made there, so when no
 * write-ahead log is left over it is read as immutable (a left-over log
 * would be ignored, so then it is an error). */
static int
open_db(struct store *s, bool readonly, int64_t *app, int64_t *ver,
        int64_t *tables)
{
  int rc = sqlite3_open_v2(s->path, &s->db,
                           readonly ? SQLITE_OPEN_READONLY
                                    : SQLITE_OPEN_READWRITE, NULL);
  for (int pass = 0; pass < 2; pass++) {
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(s->db, 5000);
      sqlite3_extended_result_codes(s->db, 0);
      rc = pragma_int(s->db, "PRAGMA application_id", app);
      if (rc == SQLITE_OK)
        rc = pragma_int(s->db, "PRAGMA user_version", ver);
      if (rc == SQLITE_OK)
        rc = pragma_int(s->db, "SELECT count(*) FROM sqlite_master",
                        tables);
    }
    if (rc == SQLITE_OK || !readonly || pass == 1)
      break;
    char wal[STORE_PATH_MAX + 8], uri[3 * STORE_PATH_MAX + 32];
    struct stat sb;
    snprintf(wal, sizeof(wal), "%s-wal", s->path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
      break;
    sqlite3_close(s->db);
    s->db = NULL;
    uri_of(s->path, "immutable=1", uri, sizeof(uri));
    rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                         NULL);
  }
  return rc;
}

/* PRAGMA quick_check: false with a one-line description when the file is
 * damaged. */
static int
quick_check(struct store *s, char *err, size_t errlen, bool *damaged)
{
  sqlite3_stmt *q;
  *damaged = false;
  int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(20)", -1, &q, NULL);
  if (rc != SQLITE_OK)
    return rc;
  struct sbuf first;
  sbuf_init(&first, 512);
  unsigned problems = 0;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(q, 0);
    if (r != NULL && strcmp(r, "ok") == 0)
      continue;
    if (problems++ == 0 && r != NULL) {
      /* the first problem on one line, cut at a word */
      size_t n = strlen(r), cut = n > 120 ? 120 : n;
      while (cut < n && cut > 80 && r[cut] != ' ')
        cut--;
      util_escape(&first, r, cut);
      if (cut < n)
        sbuf_adds(&first, "...");
    }
  }
  sqlite3_finalize(q);
  if (rc == SQLITE_DONE && problems > 0) {
    *damaged = true;
    char more[48] = "";
    if (problems > 1)
      snprintf(more, sizeof(more), ", and %s%u more", problems >= 20 ? "at "
               "least " : "", problems - 1);
    snprintf(err, errlen, "%s is damaged (%s%s); move it aside and the next "
             "run starts a new history", s->path, sbuf_str(&first), more);
  }
  sbuf_free(&first);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* What is at path, if it cannot be opened as a state: the error, and a
 * message that says the file was left alone and what to do. */
static rbl_status
refuse_file(const char *path, bool readonly, char *err, size_t errlen)
{
  static const struct {
    enum file_kind kind;
    bool readonly_only;
    rbl_status st;
    const char *fmt; /* %s: the path; then strerror for FILE_UNREADABLE */
  } refused[] = {
    {FILE_UNREADABLE, false, RBL_EIO, "cannot read %s: %s; it was left "
     "untouched: check the disk and the file's permissions, then run again"},
    {FILE_OTHER, false, RBL_ECONFIG, "%s is not a rblmon state database "
     "(not SQLite); it was left untouched: set state.path to another file"},
    {FILE_EMPTY, false, RBL_ECONFIG, "%s is empty (0 bytes): rblmon never "
     "leaves an empty state, so it was truncated or made by something else; "
     "it was left untouched: move it aside and the next run starts a new "
     "history"},
    {FILE_NONE, true, RBL_ENOTFOUND, "no state yet at %s: run 'rblmon check' "
     "first"},
  };
  int why;
  enum file_kind kind = file_kind(path, &why);
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    if (refused[i].kind != kind || (refused[i].readonly_only && !readonly))
      continue;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the table's own */
    snprintf(err, errlen, refused[i].fmt, path, strerror(why));
#pragma GCC diagnostic pop
    return refused[i].st;
  }
  return RBL_OK;
}

rbl_status
store_open(const char *path, bool readonly, uint64_t lock_wait_ms,
           struct store **out, char *err, size_t errlen)
{
  *out = NULL;
  if (strlen(path) + 16 >= STORE_PATH_MAX) {
    snprintf(err, errlen, "the state path is longer than %d characters; "
             "set state.path to a shorter one", STORE_PATH_MAX - 16);
    return RBL_ECONFIG;
  }
  struct store *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return RBL_ENOMEM;
  }
  s->lock_fd = -1;
  s->readonly = readonly;
  snprintf(s->path, sizeof(s->path), "%s", path);
  int why;
  rbl_status st = refuse_file(path, readonly, err, errlen);
  if (st != RBL_OK)
    goto fail;
  if (!readonly) {
    st = RBL_EIO;
    if (!make_parents(path, err, errlen))
      goto fail;
    if ((st = lock_state(s, lock_wait_ms, err, errlen)) != RBL_OK)
      goto fail;
    if (file_kind(path, &why) == FILE_NONE &&
        (st = create_state(s, err, errlen)) != RBL_OK)
      goto fail;
  }
  int64_t app = 0, ver = 0, tables = 0;
  int rc = open_db(s, readonly, &app, &ver, &tables);
  if (rc != SQLITE_OK) {
    st = sqlerr(s, rc, "cannot read", err, errlen);
    goto fail;
  }
  if (app != STORE_APP_ID) {
    snprintf(err, errlen, "%s is a SQLite database but not rblmon's state; "
             "it was left untouched: set state.path to another file", path);
    st = RBL_ECONFIG;
    goto fail;
  }
  if (ver > STORE_SCHEMA) {
    snprintf(err, errlen, "%s was written by a newer rblmon (schema %lld; "
             "this one knows up to %d): upgrade rblmon", path,
             (long long)ver, STORE_SCHEMA);
    st = RBL_ECONFIG;
    goto fail;
  }
  bool damaged;
  rc = quick_check(s, err, errlen, &damaged);
  if (rc != SQLITE_OK) {
    st = sqlerr(s, rc, "integrity check failed", err, errlen);
    goto fail;
  }
  if (damaged) {
    st = RBL_ECONFIG;
    goto fail;
  }
  (void)tables;
  if (!readonly) {
    chmod(path, 0600);
    rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; "
                      "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
      st = sqlerr(s, rc, "cannot set up", err, errlen);
      goto fail;
    }
    if (ver < STORE_SCHEMA && (st = migrate(s, ver, err, errlen)) != RBL_OK)
      goto fail;
  } else if (ver < STORE_SCHEMA) {
    snprintf(err, errlen, "%s has an older schema (%lld): run 'rblmon "
             "check' once to upgrade it", path, (long long)ver);
    st = RBL_ECONFIG;
    goto fail;
  }
  /* Write statements are prepared read-only too: they are never stepped
   * there, and reads share the table. */
  for (int i = 0; i < NQ; i++) {
    rc = sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &s->q[i], NULL);
    if (rc != SQLITE_OK) {
      st = sqlerr(s, rc, "cannot prepare", err, errlen);
      goto fail;
    }
  }
  *out = s;
  return RBL_OK;
fail:
  store_close(s);
  return st;
}

void
store_close(struct store *s)
{
  if (s == NULL)
    return;
  if (s->in_cycle)
    store_cycle_rollback(s);
  for (int i = 0; i < NQ; i++)
    sqlite3_finalize(s->q[i]);
  sqlite3_close(s->db);
  if (s->lock_fd >= 0)
    close(s->lock_fd);
  free(s);
}

/* ---- cycle -------------------------------------------------------------- */
rbl_status
store_cycle_begin(struct store *s, int64_t now, char *err, size_t errlen)
{
  s->failed = false;
  s->fail_rc = SQLITE_OK;
  s->fail_msg[0] = '\0';
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return sqlerr(s, rc, "cannot start a transaction", err, errlen);
  s->in_cycle = true;
  s->now = now;
  s->started = now;
  return RBL_OK;
}

void
store_cycle_rollback(struct store *s)
{
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_cycle = false;
}

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
text(sqlite3_stmt *q, int i, const char *s)
{
  if (s == NULL || *s == '\0')
    sqlite3_bind_null(q, i);
  else
    sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static void
bind_pair(sqlite3_stmt *q, const char *target, const char *source)
{
  sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
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
  fn(arg, &c);
}

/* The addresses under range that the state has a last result for on
 * source (malloc'ed into *out). */
static int
known_in_range(struct store *s, const struct target_spec *range,
               const char *source, struct addr **out, size_t *nout)
{
  sqlite3_stmt *sel = prepare(s, "SELECT target FROM last_check WHERE "
                              "source = ?1");
  struct addr *in = NULL;
  size_t n = 0, cap = 0;
  int rc = sel == NULL ? SQLITE_ABORT : SQLITE_OK;
  if (sel != NULL) {
    sqlite3_bind_text(sel, 1, source, -1, SQLITE_STATIC);
    while ((rc = step(s, sel)) == SQLITE_ROW) {
      const char *t = (const char *)sqlite3_column_text(sel, 0);
      struct addr a;
      if (t == NULL || !target_addr_parse(t, &a) ||
          !target_spec_contains(range, &a))
        continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 64;
        struct addr *p = realloc(in, cap * sizeof(*p));
        if (p == NULL) {
          fail(s, SQLITE_NOMEM, "out of memory");
          rc = SQLITE_NOMEM;
          break;
        }
        in = p;
      }
      in[n++] = a;
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
  struct addr *in = NULL;
  size_t n = 0;
  /* the addresses first, then the updates: no table changes under a
   * running SELECT */
  int rc = known_in_range(s, &range, r->list->name, &in, &n);
  sqlite3_stmt *up = rc == SQLITE_OK
    ? prepare(s, "UPDATE last_check SET checked_at = ?3 WHERE target = ?1 "
              "AND source = ?2") : NULL;
  if (up == NULL)
    rc = SQLITE_ABORT;
  else {
    sqlite3_bind_text(up, 2, r->list->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(up, 3, s->now);
  }
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
    char t[TARGET_ADDR_MAX];
    target_addr_str(&in[i], t, sizeof(t));
    sqlite3_bind_text(up, 1, t, -1, SQLITE_TRANSIENT);
    rc = step_done(s, up);
  }
  free(in);
  sqlite3_finalize(up);
  if (rc == SQLITE_OK) {
    sqlite3_stmt *q = s->q[Q_UP_LAST];
    bind_pair(q, r->target, r->list->name);
    sqlite3_bind_int64(q, 3, s->now);
    sqlite3_bind_text(q, 4, result_status_names[r->status], -1,
                      SQLITE_STATIC);
    text(q, 5, "");
    text(q, 6, r->error);
    rc = step_done(s, q);
  }
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}

/* The last result of (target, source): its status into buf ("" when
 * none). */
static int
last_status(struct store *s, const char *target, const char *source,
            char *buf, size_t size)
{
  sqlite3_stmt *q = s->q[Q_SEL_LAST];
  buf[0] = '\0';
  bind_pair(q, target, source);
  int rc = step(s, q);
  if (rc == SQLITE_ROW)
    snprintf(buf, size, "%s", (const char *)sqlite3_column_text(q, 0));
  sqlite3_reset(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The open episode of (target, source): id 0 when there is none. */
static int
open_episode(struct store *s, const char *target, const char *source,
             int64_t *id, char *codes, size_t size, int64_t *first)
{
  sqlite3_stmt *q = s->q[Q_SEL_OPEN];
  *id = *first = 0;
  codes[0] = '\0';
  bind_pair(q, target, source);
  int rc = step(s, q);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(q, 0);
    snprintf(codes, size, "%s", (const char *)sqlite3_column_text(q, 1));
    *first = sqlite3_column_int64(q, 2);
  }
  sqlite3_reset(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A new episode of a listing, and its delisting reminder, due at once. */
static int
open_listing(struct store *s, const struct result *r, const char *codes,
             const char *reasons, bool *relisted)
{
  const char *src = r->list->name;
  sqlite3_stmt *q = s->q[Q_SEL_PREV];
  bind_pair(q, r->target, src);
  int rc = step(s, q);
  *relisted = rc == SQLITE_ROW;
  sqlite3_reset(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return rc;
  q = s->q[Q_INS_EP];
  bind_pair(q, r->target, src);
  text(q, 3, r->watchlist);
  sqlite3_bind_int64(q, 4, s->now);
  sqlite3_bind_text(q, 5, codes, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 6, reasons, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 7, severity_names[r->sev], -1, SQLITE_STATIC);
  text(q, 8, r->txt);
  if ((rc = step_done(s, q)) != SQLITE_OK)
    return rc;
  q = s->q[Q_INS_REMIND];
  sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(s->db));
  sqlite3_bind_int64(q, 2, s->now);
  sqlite3_bind_int(q, 3, *relisted);
  return step_done(s, q);
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
  text(q, 6, r->txt);
  return step_done(s, q);
}

/* The episode ends; its reminder owes one closing message. */
static int
close_listing(struct store *s, int64_t id)
{
  sqlite3_stmt *q = s->q[Q_CLOSE_EP];
  sqlite3_bind_int64(q, 1, id);
  sqlite3_bind_int64(q, 2, s->now);
  int rc = step_done(s, q);
  if (rc != SQLITE_OK)
    return rc;
  q = s->q[Q_CLOSING_REMIND];
  sqlite3_bind_int64(q, 1, id);
  sqlite3_bind_int64(q, 2, s->now);
  return step_done(s, q);
}

rbl_status
store_cycle_result(struct store *s, const struct result *r,
                   store_change_fn fn, void *arg)
{
  if (s->failed)
    return RBL_EIO;
  if (r->covers > 1)
    return keep_range(s, r);
  const char *src = r->list->name;
  char codes[160], reasons[1024], prev[16];
  result_codes(r, codes, sizeof(codes));
  reasons_str(r, reasons, sizeof(reasons));

  /* The previous result, for errors appearing and clearing. */
  if (last_status(s, r->target, src, prev, sizeof(prev)) != SQLITE_OK)
    return RBL_EIO;
  sqlite3_stmt *q = s->q[Q_UP_LAST];
  bind_pair(q, r->target, src);
  sqlite3_bind_int64(q, 3, s->now);
  sqlite3_bind_text(q, 4, result_status_names[r->status], -1, SQLITE_STATIC);
  text(q, 5, codes);
  text(q, 6, r->error);
  if (step_done(s, q) != SQLITE_OK)
    return RBL_EIO;
  bool was_error = strcmp(prev, "error") == 0 || strcmp(prev, "skipped") == 0;
  bool is_error = r->status == RES_ERROR || r->status == RES_SKIPPED;
  if (is_error && !was_error)
    emit_change(s, CHANGE_ERROR, r, NULL, NULL, r->error, 0, fn, arg);
  else if (!is_error && was_error)
    emit_change(s, CHANGE_RECOVERED, r, NULL, NULL, NULL, 0, fn, arg);
  if (is_error)
    return RBL_OK; /* unknown: an open episode stays open */

  /* Episodes: listed opens or updates one; clean closes it. */
  int64_t id, first;
  char old_codes[160];
  if (open_episode(s, r->target, src, &id, old_codes, sizeof(old_codes),
                   &first) != SQLITE_OK)
    return RBL_EIO;
  if (r->status == RES_LISTED && id == 0) {
    bool relisted;
    if (open_listing(s, r, codes, reasons, &relisted) != SQLITE_OK)
      return RBL_EIO;
    emit_change(s, relisted ? CHANGE_RELISTED : CHANGE_LISTED, r, NULL,
                codes, reasons, s->now, fn, arg);
  } else if (r->status == RES_LISTED) {
    if (update_listing(s, id, r, codes, reasons) != SQLITE_OK)
      return RBL_EIO;
    if (strcmp(old_codes, codes) != 0)
      emit_change(s, CHANGE_CODES, r, old_codes, codes, reasons, first, fn,
                  arg);
  } else if (id != 0) { /* clean now: the listing is gone */
    if (close_listing(s, id) != SQLITE_OK)
      return RBL_EIO;
    emit_change(s, CHANGE_DELISTED, r, old_codes, NULL, NULL, first, fn,
                arg);
  }
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
  int rc = step(s, q);
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
    if (step_done(s, q) != SQLITE_OK)
      return RBL_EIO;
  }
  q = s->q[Q_UP_HEALTH];
  sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, h, -1, SQLITE_STATIC);
  text(q, 3, ls->detail);
  sqlite3_bind_int64(q, 4, s->now);
  if (step_done(s, q) != SQLITE_OK)
    return RBL_EIO;
  bool first_ok = prev[0] == '\0' &&
                  (ls->health == HEALTH_OK || ls->health == HEALTH_UNKNOWN);
  if (strcmp(prev, h) == 0 || first_ok)
    return RBL_OK;
  q = s->q[Q_INS_HHIST];
  sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, h, -1, SQLITE_STATIC);
  text(q, 3, ls->detail);
  sqlite3_bind_int64(q, 4, s->now);
  if (step_done(s, q) != SQLITE_OK)
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

/* Runs the statements of sql (one after another, their named parameters
 * :now, :started, :cutoff, :wall, :checks, :listed, :errors, :exit bound
 * from p) under the rule. */
struct bound {
  int64_t now, started, cutoff, wall, checks, listed, errors, exit;
};

static int
exec_bound(struct store *s, const char *sql, const struct bound *p)
{
  static const struct {
    const char *name;
    size_t off;
  } names[] = {
    {":now", offsetof(struct bound, now)},
    {":started", offsetof(struct bound, started)},
    {":cutoff", offsetof(struct bound, cutoff)},
    {":wall", offsetof(struct bound, wall)},
    {":checks", offsetof(struct bound, checks)},
    {":listed", offsetof(struct bound, listed)},
    {":errors", offsetof(struct bound, errors)},
    {":exit", offsetof(struct bound, exit)},
  };
  const char *tail = sql;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && *tail != '\0') {
    sqlite3_stmt *q = NULL;
    if (!may_run(s))
      return SQLITE_ABORT;
    rc = sqlite3_prepare_v2(s->db, tail, -1, &q, &tail);
    if (rc != SQLITE_OK) {
      fail(s, rc, sqlite3_errmsg(s->db));
      break;
    }
    if (q == NULL)
      break; /* only white space was left */
    for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++) {
      int idx = sqlite3_bind_parameter_index(q, names[i].name);
      if (idx > 0)
        sqlite3_bind_int64(q, idx, *(const int64_t *)(const void *)
                                     ((const char *)p + names[i].off));
    }
    rc = step_done(s, q);
    sqlite3_finalize(q);
  }
  return rc;
}

/* Commits under the rule: after any failure the transaction is rolled
 * back instead, and err says why. */
static rbl_status
finish(struct store *s, const char *what, char *err, size_t errlen)
{
  if (exec(s, "COMMIT") != SQLITE_OK) {
    store_failure(s, what, err, errlen);
    store_cycle_rollback(s);
    return RBL_EIO;
  }
  s->in_cycle = false;
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
  "DELETE FROM cycles WHERE started < :cutoff;"
  "DELETE FROM reputation_cache WHERE checked_at < :now - 31 * 86400;"
  "DELETE FROM provider_pause WHERE until < :now;"
  "INSERT INTO cycles(started, finished, checks, listed, errors, exit_code) "
  "VALUES (:started, :wall, :checks, :listed, :errors, :exit);";

/* The sources of the configuration, for a partial cycle's scope. */
static int
note_configured(struct store *s, const char *const *configured, size_t n)
{
  int rc = exec(s, "CREATE TEMP TABLE IF NOT EXISTS cfg_sources(source "
                "TEXT PRIMARY KEY); DELETE FROM cfg_sources;");
  sqlite3_stmt *q = rc == SQLITE_OK
    ? prepare(s, "INSERT OR IGNORE INTO cfg_sources VALUES (?1)") : NULL;
  if (rc == SQLITE_OK && q == NULL)
    rc = SQLITE_ABORT;
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
    sqlite3_bind_text(q, 1, configured[i], -1, SQLITE_STATIC);
    rc = step_done(s, q);
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
                    s->now - (int64_t)(retention_ms / 1000), store_now(),
                    (int64_t)t->total, (int64_t)t->listed,
                    (int64_t)(t->errors + t->skipped), exit_code};
  if (!full)
    note_configured(s, configured, nconfigured);
  exec_bound(s, full ? sql_commit_full : sql_commit_partial, &p);
  exec_bound(s, sql_commit_common, &p);
  return finish(s, "the results were not saved", err, errlen);
}

int64_t
store_listed_since(struct store *s, const char *target, const char *source)
{
  int64_t id, since;
  char codes[160];
  if (open_episode(s, target, source, &id, codes, sizeof(codes), &since) !=
      SQLITE_OK)
    return 0;
  return since;
}

rbl_status
store_queries_since(struct store *s, const char *source, int64_t since,
                    uint64_t *out)
{
  sqlite3_stmt *q = s->q[Q_SUM_QUERIES];
  *out = 0;
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, since);
  int rc = step(s, q);
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
  if (step(s, q) == SQLITE_ROW) {
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
  return step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

int64_t
store_rep_paused(struct store *s, const char *source, char *reason,
                 size_t size)
{
  sqlite3_stmt *q = s->q[Q_SEL_PAUSE];
  int64_t until = 0;
  sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
  if (step(s, q) == SQLITE_ROW) {
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
  return step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

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
  text(q, 3, r->mta);
  text(q, 4, r->queue_id);
  text(q, 5, r->recipient);
  text(q, 6, r->domain);
  text(q, 7, r->host);
  text(q, 8, r->ip);
  sqlite3_bind_int(q, 9, r->code);
  text(q, 10, r->enhanced);
  text(q, 11, r->stage);
  sqlite3_bind_int(q, 12, r->permanent);
  text(q, 13, r->text);
  text(q, 14, v->named_ip);
  sqlite3_bind_int(q, 15, ours);
  text(q, 16, v->cause);
  text(q, 17, v->detail);
  text(q, 18, v->list);
  text(q, 19, v->block);
  text(q, 20, v->receiver);
  text(q, 21, v->rule);
  text(q, 22, file);
  sqlite3_bind_int64(q, 23, (sqlite3_int64)line);
  if (step_done(s, q) != SQLITE_OK)
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
  int rc = step(s, q);
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
  return step_done(s, q) == SQLITE_OK ? RBL_OK : RBL_EIO;
}

rbl_status
store_scan_commit(struct store *s, uint64_t retention_ms, char *err,
                  size_t errlen)
{
  struct bound p = {s->now, s->started,
                    s->now - (int64_t)(retention_ms / 1000), 0, 0, 0, 0, 0};
  exec_bound(s, "DELETE FROM rejections WHERE time < :cutoff", &p);
  return finish(s, "the scan was not saved", err, errlen);
}

/* ---- reminders ----------------------------------------------------------- */
rbl_status
store_begin(struct store *s, int64_t now, char *err, size_t errlen)
{
  return store_cycle_begin(s, now, err, errlen);
}

rbl_status
store_commit(struct store *s, char *err, size_t errlen)
{
  return finish(s, "the change was not saved", err, errlen);
}

#define RM_COLS "r.id, r.episode, r.state, r.due, coalesce(r.last_sent, 0), " \
  "coalesce(r.requested_at, 0), coalesce(r.snoozed_until, 0), r.sent, " \
  "r.note, r.relisting, e.id, e.target, e.source, e.codes, e.reasons, " \
  "e.severity, e.txt, e.first_seen, e.last_seen, coalesce(e.cleared_at, 0)"

static const char *
col_text(sqlite3_stmt *q, int i)
{
  return (const char *)sqlite3_column_text(q, i);
}

static rbl_status
read_reminders(struct store *s, sqlite3_stmt *q, store_reminder_fn fn,
               void *arg)
{
  int rc;
  size_t n = 0;
  while ((rc = step(s, q)) == SQLITE_ROW) {
    struct reminder r = {
      sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), col_text(q, 2),
      sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4),
      sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 6),
      sqlite3_column_int64(q, 7), col_text(q, 8),
      sqlite3_column_int(q, 9) != 0,
      {sqlite3_column_int64(q, 10), col_text(q, 11), col_text(q, 12),
       col_text(q, 13), col_text(q, 14), col_text(q, 15), col_text(q, 16),
       sqlite3_column_int64(q, 17), sqlite3_column_int64(q, 18),
       sqlite3_column_int64(q, 19)}};
    fn(arg, &r);
    n++;
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? (n ? RBL_OK : RBL_ENOTFOUND) : RBL_EIO;
}

rbl_status
store_reminders(struct store *s, int64_t now, bool all, store_reminder_fn fn,
                void *arg)
{
  const char *sql = all
    ? "SELECT " RM_COLS " FROM reminders r JOIN episodes e ON e.id = "
      "r.episode WHERE r.state != 'closed' ORDER BY r.due, r.id"
    : "SELECT " RM_COLS " FROM reminders r JOIN episodes e ON e.id = "
      "r.episode WHERE r.state != 'closed' AND r.due <= ?1 "
      "ORDER BY r.due, r.id";
  sqlite3_stmt *q = prepare(s, sql);
  if (q == NULL)
    return RBL_EIO;
  if (!all)
    sqlite3_bind_int64(q, 1, now);
  rbl_status st = read_reminders(s, q, fn, arg);
  return st == RBL_ENOTFOUND ? RBL_OK : st;
}

rbl_status
store_reminder_get(struct store *s, int64_t id, store_reminder_fn fn,
                   void *arg)
{
  sqlite3_stmt *q = prepare(s, "SELECT " RM_COLS " FROM reminders r JOIN "
                            "episodes e ON e.id = r.episode WHERE r.id = ?1");
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, id);
  return read_reminders(s, q, fn, arg);
}

rbl_status
store_reminder_set(struct store *s, int64_t id, const char *state,
                   int64_t due, bool sent_now, int64_t requested_at,
                   const char *note)
{
  sqlite3_stmt *q = prepare(s, "UPDATE reminders SET state = coalesce(?2, "
                            "state), due = ?3, snoozed_until = CASE WHEN ?2 "
                            "IS NULL AND NOT ?4 THEN ?3 ELSE snoozed_until "
                            "END, sent = sent + ?4, last_sent = CASE WHEN ?4 "
                            "THEN ?5 ELSE last_sent END, requested_at = CASE "
                            "WHEN ?6 > 0 THEN ?6 ELSE requested_at END, note "
                            "= coalesce(?7, note) WHERE id = ?1");
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, id);
  text(q, 2, state);
  sqlite3_bind_int64(q, 3, due);
  sqlite3_bind_int(q, 4, sent_now);
  sqlite3_bind_int64(q, 5, s->now);
  sqlite3_bind_int64(q, 6, requested_at);
  text(q, 7, note);
  int rc = step_done(s, q);
  sqlite3_finalize(q);
  return rc == SQLITE_OK ? RBL_OK : RBL_EIO;
}

rbl_status
store_rejections(struct store *s, int64_t from, int64_t to, bool blocks_only,
                 store_rejection_fn fn, void *arg)
{
  const char *sql = blocks_only
    ? "SELECT time, list, block, named_ip, receiver, cause, text, code, rule, "
      "detail FROM rejections WHERE time BETWEEN ?1 AND ?2 AND cause IN "
      "('blocklist', 'reputation') ORDER BY time"
    : "SELECT time, list, block, named_ip, receiver, cause, text, code, rule, "
      "detail FROM rejections WHERE time BETWEEN ?1 AND ?2 AND (list IS NOT NULL "
      "OR cause IN ('authentication', 'configuration')) ORDER BY time";
  sqlite3_stmt *q = prepare(s, sql);
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, from);
  sqlite3_bind_int64(q, 2, to);
  int rc;
  while ((rc = step(s, q)) == SQLITE_ROW) {
    struct rejection_row r = {
      sqlite3_column_int64(q, 0), col_text(q, 1), col_text(q, 2),
      col_text(q, 3), col_text(q, 4), col_text(q, 5), col_text(q, 6),
      sqlite3_column_int(q, 7), col_text(q, 8), col_text(q, 9)};
    fn(arg, &r);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

/* ---- reading ------------------------------------------------------------ */
static rbl_status
read_episodes(struct store *s, const char *sql, const char *target,
              store_episode_fn fn, void *arg)
{
  sqlite3_stmt *q = prepare(s, sql);
  if (q == NULL)
    return RBL_EIO;
  if (target != NULL)
    sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
  int rc;
  while ((rc = step(s, q)) == SQLITE_ROW) {
    struct episode e = {
      sqlite3_column_int64(q, 0), col_text(q, 1), col_text(q, 2),
      col_text(q, 3), col_text(q, 4), col_text(q, 5), col_text(q, 6),
      sqlite3_column_int64(q, 7), sqlite3_column_int64(q, 8),
      sqlite3_column_int64(q, 9)};
    fn(arg, &e);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

#define EP_COLS "id, target, source, codes, reasons, severity, txt, " \
                "first_seen, last_seen, coalesce(cleared_at, 0)"

rbl_status
store_current(struct store *s, store_episode_fn fn, void *arg)
{
  return read_episodes(s, "SELECT " EP_COLS " FROM episodes WHERE "
                       "cleared_at IS NULL ORDER BY CASE severity WHEN "
                       "'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
                       "target, source", NULL, fn, arg);
}

rbl_status
store_history(struct store *s, const char *target, store_episode_fn fn,
              void *arg)
{
  return read_episodes(s, target != NULL
                         ? "SELECT " EP_COLS " FROM episodes WHERE target = "
                           "?1 ORDER BY first_seen DESC, source"
                         : "SELECT " EP_COLS " FROM episodes ORDER BY "
                           "first_seen DESC, target, source",
                       target, fn, arg);
}

rbl_status
store_health(struct store *s, store_health_fn fn, void *arg)
{
  sqlite3_stmt *q = prepare(s, "SELECT source, health, detail, since, "
                            "checked_at FROM list_health ORDER BY source");
  if (q == NULL)
    return RBL_EIO;
  int rc;
  while ((rc = step(s, q)) == SQLITE_ROW) {
    struct health_row h = {col_text(q, 0), col_text(q, 1), col_text(q, 2),
                           sqlite3_column_int64(q, 3),
                           sqlite3_column_int64(q, 4)};
    fn(arg, &h);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

rbl_status
store_last_cycle(struct store *s, int64_t *started, int64_t *finished,
                 int *exit_code)
{
  *started = *finished = 0;
  *exit_code = 0;
  sqlite3_stmt *q = prepare(s, "SELECT started, finished, exit_code FROM "
                            "cycles ORDER BY id DESC LIMIT 1");
  if (q == NULL)
    return RBL_EIO;
  int rc = step(s, q);
  if (rc == SQLITE_ROW) {
    *started = sqlite3_column_int64(q, 0);
    *finished = sqlite3_column_int64(q, 1);
    *exit_code = sqlite3_column_int(q, 2);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}
