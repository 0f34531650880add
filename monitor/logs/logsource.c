/* logsource.c - the table of log sources and the reading of one log,
 * rotations and cursor included.  The journald functions are
 * logscan_journal.c's, the syslog line layer logscan.c's. */
#include "logsource.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "util.h"

/* ---- the sources ----------------------------------------------------------- */
static bool
syslog_line(struct logsource_state *s, const char *line, size_t n,
            uint64_t *lineno, struct rejection *out)
{
  (void)lineno;
  return logscan_line(&s->clock, line, n, out);
}

const struct log_source logsource_syslog = {
  "syslog", NULL, syslog_line, NULL, NULL,
};

static bool
json_detect(const char *line, size_t n)
{
  return journal_detect(line, n) == JOURNAL_JSON;
}

static bool
json_line(struct logsource_state *s, const char *line, size_t n,
          uint64_t *lineno, struct rejection *out)
{
  (void)s;
  (void)lineno;
  return journal_json_line(line, n, out);
}

const struct log_source logsource_journal_json = {
  "journal-json", json_detect, json_line, NULL, NULL,
};

static bool
export_detect(const char *line, size_t n)
{
  return journal_detect(line, n) == JOURNAL_EXPORT;
}

/* A rejection is reported at its entry's MESSAGE= line. */
static bool
export_line(struct logsource_state *s, const char *line, size_t n,
            uint64_t *lineno, struct rejection *out)
{
  if (n >= 8 && memcmp(line, "MESSAGE=", 8) == 0)
    s->msg_line = *lineno;
  bool hit = journal_export_line(&s->jexp, line, n, out);
  if (hit)
    *lineno = s->msg_line;
  return hit;
}

static void
export_skipped(struct logsource_state *s, size_t n)
{
  journal_export_skipped(&s->jexp, n);
}

/* The last entry may lack its blank line. */
static bool
export_end(struct logsource_state *s, uint64_t *lineno, struct rejection *out)
{
  *lineno = s->msg_line;
  return journal_export_line(&s->jexp, "", 0, out);
}

const struct log_source logsource_journal_export = {
  "journal-export", export_detect, export_line, export_skipped, export_end,
};

/* Tried in order; syslog, the fallback, last. */
static const struct log_source *const sources[] = {
  &logsource_journal_json, &logsource_journal_export, &logsource_syslog,
};

const struct log_source *
logsource_detect(const char *line, size_t n)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(sources); i++)
    if (sources[i]->detect == NULL || sources[i]->detect(line, n))
      return sources[i];
  return &logsource_syslog;
}

/* ---- one file -------------------------------------------------------------- */
struct reading {
  const struct logsource_sink *sink;
  const struct log_source *src;   /* NULL until the first line */
  struct logsource_state st;
};

static void
on_line(void *arg, const char *file, uint64_t lineno, const char *line,
        size_t n)
{
  struct reading *rd = arg;
  struct rejection r;
  if (line == NULL) { /* too long, skipped: -o export still counts it */
    if (rd->src == NULL)
      rd->src = &logsource_syslog;
    if (rd->src->skipped != NULL)
      rd->src->skipped(&rd->st, n);
    return;
  }
  if (rd->src == NULL)
    rd->src = logsource_detect(line, n);
  if (rd->src->line(&rd->st, line, n, &lineno, &r))
    rd->sink->found(rd->sink->arg, &r, file, lineno);
}

/* Whether the file starts like a source other than syslog. */
static bool
journal_file(const char *path)
{
  char head[64];
  size_t n = logread_peek(path, head, sizeof(head));
  return n > 0 && logsource_detect(head, n) != &logsource_syslog;
}

rbl_status
logsource_read(const char *path, uint64_t *offset, uint64_t *lineno,
               const struct logsource_sink *sink, struct logread_stats *st,
               struct logread_info *info)
{
  char err[512];
  struct logread_info got;
  struct reading rdv;
  struct reading *rd = &rdv;
  memset(rd, 0, sizeof(*rd));
  rd->sink = sink;
  /* BSD syslog lines have no year: the file's mtime gives it (stat does
   * not block on a FIFO; reading refuses one).  Syslog and Exim logs:
   * only lines with a rejection marker are parsed; journald output (and
   * standard input, which cannot be peeked) goes line by line. */
  struct stat sb;
  logclock_init(&rd->st.clock, stat(path, &sb) == 0 ? (int64_t)sb.st_mtime
                                                    : clock_now());
  bool journal = strcmp(path, "-") == 0 || journal_file(path);
  rbl_status rs = journal
    ? logread_file(path, offset, lineno, on_line, rd, st, &got, err,
                   sizeof(err))
    : logread_filtered(path, logscan_markers, offset, lineno, on_line, rd,
                       st, &got, err, sizeof(err));
  if (info != NULL)
    *info = got;
  if (rs != RBL_OK) {
    sink->warn(sink->arg, err);
    return rs;
  }
  struct rejection r;
  uint64_t at = 0;
  if (rd->src != NULL && rd->src->end != NULL && rd->src->end(&rd->st, &at, &r))
    sink->found(sink->arg, &r, path, at);
  return RBL_OK;
}

/* ---- a configured log, through its rotations --------------------------------- */
static void
warn_lines(const struct logsource_sink *sink, const char *notes)
{
  char line[1024];
  for (const char *p = notes; *p;) {
    size_t n = strcspn(p, "\n");
    snprintf(line, sizeof(line), "%.*s", (int)n, p);
    sink->warn(sink->arg, line);
    p += n + (p[n] == '\n');
  }
}

rbl_status
logsource_resume(const char *path, const struct logcursor *cur,
                 bool backfill, const struct logsource_sink *sink,
                 struct logread_stats *st, struct logcursor *next)
{
  struct logplan plan;
  char err[512], msg[600];
  memset(next, 0, sizeof(*next));
  if (logread_plan(path, cur, backfill, &plan, err, sizeof(err)) != RBL_OK) {
    snprintf(msg, sizeof(msg), "%s (its cursor is kept)", err);
    sink->warn(sink->arg, msg);
    return RBL_EIO;
  }
  warn_lines(sink, plan.notes);
  rbl_status rs = RBL_OK;
  struct logread_info info = {0};
  struct logfile *live = &plan.files[plan.n - 1];
  for (size_t i = 0; i < plan.n; i++)
    if (logsource_read(plan.files[i].path, &plan.files[i].offset,
                       &plan.files[i].lines, sink, st,
                       i + 1 == plan.n ? &info : NULL) != RBL_OK)
      rs = RBL_EIO;
  if (info.inode != 0) {
    struct logcursor nc = {info.dev, info.inode, live->offset, info.head,
                           info.tail, live->lines, 0};
    *next = nc;
  }
  logread_plan_free(&plan);
  return rs;
}
