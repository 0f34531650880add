#include "store_sql.h"

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


static const char *const sql_text[NQ] = {
  [Q_SEL_LAST] = "SELECT status, error FROM last_check "
                 "WHERE target = ?1 AND source = ?2",
  [Q_UP_LAST] = "INSERT INTO last_check(target, source, checked_at, status, "
                "codes, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                "ON CONFLICT(target, source) DO UPDATE SET "
                "checked_at = ?3, status = ?4, codes = ?5, error = ?6",
  /* the open episode, else the last closed one (a relisting) */
  [Q_SEL_OPEN] = "SELECT id, codes, first_seen, cleared_at IS NOT NULL "
                 "FROM episodes WHERE target = ?1 AND source = ?2 "
                 "ORDER BY cleared_at IS NULL DESC, id DESC LIMIT 1",
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
                "receiver, rule, file, line, zone, operator, requirement, "
                "loghost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
                "?23, ?24, ?25, ?26, ?27)",
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
  /* 8: what a rejection names beside its cause: the zone and operator of
   * a list, a receiver's requirement, and the syslog host that logged it */
  ("ALTER TABLE rejections ADD COLUMN zone TEXT;"
   "ALTER TABLE rejections ADD COLUMN operator TEXT;"
   "ALTER TABLE rejections ADD COLUMN requirement TEXT;"
   "ALTER TABLE rejections ADD COLUMN loghost TEXT;"),
  /* 9: the changes of every cycle, and where each reader of them is (a
   * change is news once per reader: cron's check --changes-only sees
   * what a Nagios check or rblmon run found first).  AUTOINCREMENT: ids
   * are never reused once pruned, or a reader would skip new ones. */
  ("CREATE TABLE changes("
   " id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
   " kind TEXT NOT NULL, target TEXT NOT NULL, source TEXT NOT NULL,"
   " before TEXT NOT NULL, after TEXT NOT NULL, detail TEXT NOT NULL,"
   " since INTEGER NOT NULL, severity TEXT NOT NULL, watchlist TEXT);"
   "CREATE INDEX changes_by_time ON changes(at);"
   "CREATE TABLE change_readers("
   " name TEXT PRIMARY KEY, seen INTEGER NOT NULL) WITHOUT ROWID;"
   "INSERT INTO change_readers(name, seen) VALUES ('default', 0);"),
};


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

rbl_status
sq_sqlerr(struct store *s, int rc, const char *what, char *err, size_t errlen)
{
  const char *hint = sql_hint(rc);
  snprintf(err, errlen, "state %s: %s: %s%s%s", s->path, what,
           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
           hint ? ": " : "", hint ? hint : "");
  return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
           ? RBL_ECONFIG : RBL_EIO;
}

/* ---- the one rule: a failed step fails the transaction ------------------ */
void
sq_fail(struct store *s, int rc, const char *msg)
{
  if (s->failed)
    return; /* the first failure is the one to tell */
  s->failed = true;
  s->fail_rc = rc;
  snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
}

/* Whether a statement may run: not after a failure, and not in autocommit
 * when a transaction was begun (SQLite rolled it back on its own). */
bool
sq_may_run(struct store *s)
{
  if (s->failed)
    return false;
  if (s->in_cycle && sqlite3_get_autocommit(s->db)) {
    sq_fail(s, SQLITE_ABORT, "SQLite ended the transaction after an error");
    return false;
  }
  return true;
}

/* sqlite3_step() under the rule: SQLITE_ROW or SQLITE_DONE, or the error
 * (recorded; the statement is reset). */
int
sq_step(struct store *s, sqlite3_stmt *q)
{
  if (!sq_may_run(s))
    return SQLITE_ABORT;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  sq_fail(s, rc, sqlite3_errmsg(s->db));
  sqlite3_reset(q);
  return rc;
}

/* A statement run for its effect (or its first row): SQLITE_OK or the
 * error; the statement is reset either way. */
int
sq_step_done(struct store *s, sqlite3_stmt *q)
{
  int rc = sq_step(s, q);
  sqlite3_reset(q);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* sqlite3_exec() under the rule. */
int
sq_exec(struct store *s, const char *sql)
{
  if (!sq_may_run(s))
    return SQLITE_ABORT;
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    sq_fail(s, rc, sqlite3_errmsg(s->db));
  return rc;
}

/* A statement prepared for one use: NULL (the failure recorded) when it
 * cannot be. */
sqlite3_stmt *
sq_prepare(struct store *s, const char *sql)
{
  sqlite3_stmt *q = NULL;
  if (!sq_may_run(s))
    return NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (rc != SQLITE_OK) {
    sq_fail(s, rc, sqlite3_errmsg(s->db));
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
  sq_sqlerr(s, sqlite3_errcode(s->db), what, err, errlen);
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
    rbl_status st = sq_sqlerr(s, rc, "schema upgrade failed", err, errlen);
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
    st = sq_sqlerr(&t, rc, "cannot create", err, errlen);
  else if ((rc = sqlite3_exec(t.db, "PRAGMA synchronous = FULL", NULL, NULL,
                              NULL)) != SQLITE_OK)
    st = sq_sqlerr(&t, rc, "cannot create", err, errlen);
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
    st = sq_sqlerr(s, rc, "cannot read", err, errlen);
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
    st = sq_sqlerr(s, rc, "integrity check failed", err, errlen);
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
      st = sq_sqlerr(s, rc, "cannot set up", err, errlen);
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
      st = sq_sqlerr(s, rc, "cannot prepare", err, errlen);
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



void
sq_text(sqlite3_stmt *q, int i, const char *s)
{
  if (s == NULL || *s == '\0')
    sqlite3_bind_null(q, i);
  else
    sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

void
sq_bind_pair(sqlite3_stmt *q, const char *target, const char *source)
{
  sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
}

int
sq_exec_bound(struct store *s, const char *sql, const struct bound *p)
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
    if (!sq_may_run(s))
      return SQLITE_ABORT;
    rc = sqlite3_prepare_v2(s->db, tail, -1, &q, &tail);
    if (rc != SQLITE_OK) {
      sq_fail(s, rc, sqlite3_errmsg(s->db));
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
    rc = sq_step_done(s, q);
    sqlite3_finalize(q);
  }
  return rc;
}

/* Commits under the rule: after any failure the transaction is rolled
 * back instead, and err says why. */
rbl_status
sq_finish(struct store *s, const char *what, char *err, size_t errlen)
{
  if (sq_exec(s, "COMMIT") != SQLITE_OK) {
    store_failure(s, what, err, errlen);
    store_cycle_rollback(s);
    return RBL_EIO;
  }
  s->in_cycle = false;
  return RBL_OK;
}

const char *
sq_col_text(sqlite3_stmt *q, int i)
{
  return (const char *)sqlite3_column_text(q, i);
}

/* Every transaction (a cycle, a scan, reminders) begins and ends here. */
rbl_status
store_cycle_begin(struct store *s, int64_t now, char *err, size_t errlen)
{
  s->failed = false;
  s->fail_rc = SQLITE_OK;
  s->fail_msg[0] = '\0';
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return sq_sqlerr(s, rc, "cannot start a transaction", err, errlen);
  s->in_cycle = true;
  s->now = now;
  s->started = now;
  s->first_change = 0;
  return RBL_OK;
}

void
store_cycle_rollback(struct store *s)
{
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_cycle = false;
}

rbl_status
store_begin(struct store *s, int64_t now, char *err, size_t errlen)
{
  return store_cycle_begin(s, now, err, errlen);
}

rbl_status
store_commit(struct store *s, char *err, size_t errlen)
{
  return sq_finish(s, "the change was not saved", err, errlen);
}

enum severity
sq_col_sev(sqlite3_stmt *q, int i)
{
  const char *t = sq_col_text(q, i);
  for (int k = 0; t != NULL && severity_names[k] != NULL; k++)
    if (strcmp(t, severity_names[k]) == 0)
      return (enum severity)k;
  return SEV_WARNING;
}
