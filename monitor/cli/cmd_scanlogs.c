/* cmd_scanlogs.c - rblmon scan-logs: rejections of our outgoing mail in
 * the MTA logs, classified, stored (idempotently), summarised. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "logread.h"
#include "notify.h"
#include "report.h"
#include "store.h"

#define TALLY_MAX 256

struct count {
  char key[160];
  uint64_t n;
};

struct counts {
  struct count c[TALLY_MAX];
  size_t n;
  uint64_t other;
};

struct scan {
  const struct app *a;
  /* what is ours: single addresses sorted (found by bsearch), and ranges */
  struct addr *singles;
  size_t nsingles;
  const struct target_spec **ranges;
  size_t nranges;
  struct classifier *cl;
  struct store *store;
  bool json, store_failed;
  int64_t cutoff;                 /* --since: older records are skipped */
  /* per file */
  struct logclock clock;
  enum journal_kind jkind;
  bool first_line;
  struct journal_export jexp;
  uint64_t jmsg_line;             /* export: the entry's MESSAGE= line */
  /* totals */
  uint64_t found, stored_new, permanent, temporary;
  uint64_t by_cause[CAUSE_COUNT];
  struct counts receivers, ips, blocks, texts;
  struct logread_stats st;
  size_t nout;
};

static void
count(struct counts *c, const char *key)
{
  if (key == NULL || *key == '\0')
    return;
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->c[i].key, key) == 0) {
      c->c[i].n++;
      return;
    }
  if (c->n == TALLY_MAX) {
    c->other++;
    return;
  }
  snprintf(c->c[c->n].key, sizeof(c->c[0].key), "%s", key);
  c->c[c->n++].n = 1;
}

static int
cmp_addr(const void *x, const void *y)
{
  const struct addr *a = x, *b = y;
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  return memcmp(a->b, b->b, sizeof(a->b));
}

/* Indexes the watchlists' addresses; false when out of memory. */
static bool
index_ours(struct scan *k)
{
  const struct config *cfg = &k->a->cfg;
  size_t n = cfg->nitems ? cfg->nitems : 1;
  k->singles = calloc(n, sizeof(*k->singles));
  k->ranges = calloc(n, sizeof(*k->ranges));
  if (k->singles == NULL || k->ranges == NULL)
    return false;
  for (size_t i = 0; i < cfg->nitems; i++) {
    const struct target_spec *s = &cfg->items[i].spec;
    if (s->kind == TARGET_DOMAIN)
      continue;
    if (s->prefix == (s->kind == TARGET_IP4 ? 32u : 128u))
      k->singles[k->nsingles++] = s->base;
    else
      k->ranges[k->nranges++] = s;
  }
  qsort(k->singles, k->nsingles, sizeof(*k->singles), cmp_addr);
  return true;
}

static bool
ours(const struct scan *k, const char *ip)
{
  struct addr ad;
  if (ip[0] == '\0' || !target_addr_parse(ip, &ad))
    return false;
  if (bsearch(&ad, k->singles, k->nsingles, sizeof(ad), cmp_addr) != NULL)
    return true;
  for (size_t i = 0; i < k->nranges; i++)
    if (target_spec_contains(k->ranges[i], &ad))
      return true;
  return false;
}


static void
emit_json(struct scan *k, const struct rejection *r, const struct verdict *v,
          bool our, const char *file, uint64_t line)
{
  char t[32];
  report_time(r->time, t, sizeof(t));
  json_t *o = json_object();
  json_object_set_new(o, "file", report_json_text(file));
  json_object_set_new(o, "line", json_integer((json_int_t)line));
  json_object_set_new(o, "time", json_string(t));
  json_object_set_new(o, "mta", json_string(r->mta));
  json_object_set_new(o, "queue_id", report_json_text(r->queue_id));
  json_object_set_new(o, "recipient", report_json_text(r->recipient));
  json_object_set_new(o, "domain", report_json_text(r->domain));
  json_object_set_new(o, "host", report_json_text(r->host));
  json_object_set_new(o, "ip", report_json_text(r->ip));
  json_object_set_new(o, "code", json_integer(r->code));
  json_object_set_new(o, "enhanced", report_json_text(r->enhanced));
  json_object_set_new(o, "stage", json_string(r->stage));
  json_object_set_new(o, "permanent", json_boolean(r->permanent));
  json_object_set_new(o, "text", report_json_text(r->text));
  json_object_set_new(o, "named_ip", report_json_text(v->named_ip));
  json_object_set_new(o, "ours", json_boolean(our));
  json_object_set_new(o, "cause", json_string(cause_name(v->cause)));
  json_object_set_new(o, "detail", report_json_text(v->detail));
  json_object_set_new(o, "list", report_json_text(v->list));
  json_object_set_new(o, "block", report_json_text(v->block));
  json_object_set_new(o, "receiver", report_json_text(v->receiver));
  json_object_set_new(o, "rule", report_json_text(v->rule));
  fputs(k->nout++ ? ",\n" : "\n", stdout);
  json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
}

static void
found(struct scan *k, const struct rejection *r, const char *file,
      uint64_t line)
{
  if (k->cutoff > 0 && r->time < k->cutoff)
    return;
  struct verdict v;
  classify(k->cl, r, &v);
  bool our = ours(k, v.named_ip);
  k->found++;
  if (r->permanent)
    k->permanent++;
  else
    k->temporary++;
  k->by_cause[v.cause]++;
  count(&k->receivers, v.receiver ? v.receiver : r->domain);
  count(&k->ips, v.named_ip);
  count(&k->blocks, v.list ? v.list : v.block);
  char tx[160];
  snprintf(tx, sizeof(tx), "%d %.150s", r->code, r->text);
  count(&k->texts, tx);
  if (k->store != NULL && !k->store_failed) {
    bool is_new = false;
    if (store_rejection(k->store, r, &v, our, file, line, &is_new) != RBL_OK)
      k->store_failed = true;
    k->stored_new += is_new;
  }
  if (k->json)
    emit_json(k, r, &v, our, file, line);
}

static void
on_line(void *arg, const char *file, uint64_t lineno, const char *line,
        size_t n)
{
  struct scan *k = arg;
  struct rejection r;
  if (line == NULL) { /* too long, skipped: -o export still counts it */
    k->first_line = false;
    if (k->jkind == JOURNAL_EXPORT)
      journal_export_skipped(&k->jexp, n);
    return;
  }
  if (k->first_line) {
    k->first_line = false;
    k->jkind = journal_detect(line, n);
  }
  bool hit;
  switch (k->jkind) {
  case JOURNAL_JSON:   hit = journal_json_line(line, n, &r); break;
  case JOURNAL_EXPORT:
    if (n >= 8 && memcmp(line, "MESSAGE=", 8) == 0)
      k->jmsg_line = lineno;
    hit = journal_export_line(&k->jexp, line, n, &r);
    if (hit)
      lineno = k->jmsg_line;
    break;
  default:             hit = logscan_line(&k->clock, line, n, &r); break;
  }
  if (hit)
    found(k, &r, file, lineno);
}

/* Whether the file starts like journalctl -o json / -o export output. */
static bool
journal_file(const char *path)
{
  char head[64];
  size_t n = logread_peek(path, head, sizeof(head));
  return n > 0 && journal_detect(head, n) != JOURNAL_NONE;
}

/* Reads one file from a position; errors are reported, and what was
 * read counts.  info (may be NULL) receives what was read. */
static bool
read_one(struct scan *k, const char *path, uint64_t *offset, uint64_t *line,
         struct logread_info *info)
{
  char err[512];
  struct logread_info got;
  k->first_line = true;
  k->jkind = JOURNAL_NONE;
  memset(&k->jexp, 0, sizeof(k->jexp));
  /* BSD syslog lines have no year: the file's mtime gives it (stat does
   * not block on a FIFO; reading refuses one).  Syslog and Exim logs:
   * only lines with a rejection marker are parsed; journald output (and
   * standard input, which cannot be peeked) goes line by line. */
  struct stat sb;
  logclock_init(&k->clock, stat(path, &sb) == 0 ? (int64_t)sb.st_mtime
                                                : clock_now());
  bool journal = strcmp(path, "-") == 0 || journal_file(path);
  rbl_status rs = journal
    ? logread_file(path, offset, line, on_line, k, &k->st, &got, err,
                   sizeof(err))
    : logread_filtered(path, logscan_markers, offset, line, on_line, k,
                       &k->st, &got, err, sizeof(err));
  if (info != NULL)
    *info = got;
  if (rs != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    return false;
  }
  if (k->jkind == JOURNAL_EXPORT) { /* the last entry may lack its blank line */
    struct rejection r;
    if (journal_export_line(&k->jexp, "", 0, &r))
      found(k, &r, path, k->jmsg_line);
  }
  return true;
}

/* A file of the configuration: incremental through its cursor, following
 * rotation (every file rotated since the cursor, in order; the plan is
 * logread_plan()'s); the cursor moves to where the live file was read to,
 * in the scan's transaction. */
static bool
read_configured(struct scan *k, const char *path, bool backfill)
{
  struct logcursor cur = {0};
  bool have = false;
  if (k->store != NULL &&
      store_cursor_get(k->store, path, &cur, &have) != RBL_OK) {
    k->store_failed = true;
    return false;
  }
  struct logplan plan;
  char err[512];
  rbl_status st = logread_plan(path, have ? &cur : NULL, backfill, &plan,
                               err, sizeof(err));
  if (st != RBL_OK) {
    fprintf(stderr, "rblmon: %s (its cursor is kept)\n", err);
    return false;
  }
  for (const char *p = plan.notes; *p;) {
    size_t n = strcspn(p, "\n");
    fprintf(stderr, "rblmon: %.*s\n", (int)n, p);
    p += n + (p[n] == '\n');
  }
  bool ok = true;
  struct logread_info info = {0};
  struct logfile *live = &plan.files[plan.n - 1];
  for (size_t i = 0; i < plan.n; i++)
    ok = read_one(k, plan.files[i].path, &plan.files[i].offset,
                  &plan.files[i].lines, i + 1 == plan.n ? &info : NULL) &&
         ok;
  if (k->store != NULL && info.inode != 0) {
    /* the cursor: what was read of the live file (a file rotated while it
     * was read is found again by this at the next scan) */
    struct logcursor nc = {info.dev, info.inode, live->offset, info.head,
                           info.tail, live->lines, 0};
    if (store_cursor_put(k->store, path, &nc) != RBL_OK)
      k->store_failed = true;
  }
  logread_plan_free(&plan);
  return ok;
}

static void
print_top(const char *title, struct counts *c, size_t max)
{
  if (c->n == 0)
    return;
  printf("%s:\n", title);
  for (size_t shown = 0; shown < max && shown < c->n; shown++) {
    size_t best = shown;
    for (size_t i = shown + 1; i < c->n; i++)
      if (c->c[i].n > c->c[best].n)
        best = i;
    struct count tmp = c->c[shown];
    c->c[shown] = c->c[best];
    c->c[best] = tmp;
    struct sbuf e;
    sbuf_init(&e, 1024);
    util_escape(&e, c->c[shown].key, strlen(c->c[shown].key));
    printf("  %6llu  %s\n", (unsigned long long)c->c[shown].n, sbuf_str(&e));
    sbuf_free(&e);
  }
}

/* The rules the replies are classified by (the catalog's, or
 * logs.rules); NULL after printing why they cannot be read. */
static struct classifier *
load_rules(const struct app *a)
{
  char rules[4200];
  struct classifier *cl = NULL;
  if (a->cfg.log_rules != NULL)
    snprintf(rules, sizeof(rules), "%s", a->cfg.log_rules);
  else
    snprintf(rules, sizeof(rules), "%s/rules/rejections.yaml",
             app_catalog_dir(a));
  struct diag d;
  diag_init(&d);
  rbl_status st = classify_load(rules, &a->cat, &cl, &d);
  diag_print(&d);
  diag_free(&d);
  return st == RBL_OK ? cl : NULL;
}

static void
notify_spike(const struct app *a, const struct scan *k)
{
  struct notify_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.kind = NOTIFY_EV_SPIKE;
  ev.has_sev = true;
  ev.sev = SEV_WARNING;
  snprintf(ev.summary, sizeof(ev.summary), "%llu new rejections of "
           "outgoing mail", (unsigned long long)k->stored_new);
  size_t w = 0;
  for (int i = 0; i < CAUSE_COUNT && w < sizeof(ev.body); i++)
    if (k->by_cause[i] > 0)
      w += (size_t)snprintf(ev.body + w, sizeof(ev.body) - w, "%s%s: %llu",
                            w ? ", " : "", cause_names[i],
                            (unsigned long long)k->by_cause[i]);
  ev.json = json_pack("{sIsI}", "new", (json_int_t)k->stored_new,
                      "permanent", (json_int_t)k->permanent);
  notify_send(&a->cfg, &ev, 1, false);
  json_decref(ev.json);
}

static void
summary_json(const struct scan *k, size_t files, int rc)
{
  json_t *causes = json_object();
  for (int i = 0; i < CAUSE_COUNT; i++)
    json_object_set_new(causes, cause_names[i],
                        json_integer((json_int_t)k->by_cause[i]));
  json_t *sum = json_pack("{sIsIsIsIsIsIso}", "files", (json_int_t)files,
                          "lines", (json_int_t)k->st.lines, "bytes",
                          (json_int_t)k->st.bytes, "rejections",
                          (json_int_t)k->found, "new",
                          (json_int_t)k->stored_new, "permanent",
                          (json_int_t)k->permanent, "by_cause", causes);
  json_object_set_new(sum, "long_lines_skipped",
                      json_integer((json_int_t)k->st.long_lines));
  fputs("\n],\"summary\":", stdout);
  json_dumpf(sum, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
  printf(",\"status\":\"%s\",\"exit\":%d}\n", report_exit_name(rc), rc);
  json_decref(sum);
}

static void
summary_text(struct scan *k, size_t files)
{
  printf("Scanned %zu file%s, %llu lines (%.1f MB): %llu rejection%s of "
         "outgoing mail (%llu permanent, %llu temporary)", files,
         files == 1 ? "" : "s", (unsigned long long)k->st.lines,
         (double)k->st.bytes / 1e6, (unsigned long long)k->found,
         k->found == 1 ? "" : "s", (unsigned long long)k->permanent,
         (unsigned long long)k->temporary);
  if (k->store != NULL && !k->store_failed)
    printf(", %llu new", (unsigned long long)k->stored_new);
  printf(".\n");
  if (k->st.long_lines > 0)
    printf("%llu lines longer than %u KiB were skipped.\n",
           (unsigned long long)k->st.long_lines, LOGREAD_LINE_MAX / 1024);
  if (k->found > 0) {
    printf("By cause:\n");
    for (int i = 0; i < CAUSE_COUNT; i++)
      if (k->by_cause[i] > 0)
        printf("  %6llu  %s\n", (unsigned long long)k->by_cause[i],
               cause_names[i]);
    print_top("By receiver", &k->receivers, 10);
    print_top("By IP named in the reply", &k->ips, 10);
    print_top("By list or block", &k->blocks, 10);
    print_top("Top replies", &k->texts, 5);
  }
}

int
cmd_scanlogs(struct cli *c)
{
  const char *fmt = c->format ? c->format : "text";
  bool json = strcmp(fmt, "json") == 0;
  if (!json && strcmp(fmt, "text") != 0) {
    fprintf(stderr, "rblmon: scan-logs: format must be text or json\n");
    return RBL_EXIT_UNKNOWN;
  }
  uint64_t since_ms = 0;
  if (c->since != NULL && util_parse_duration(c->since, &since_ms) != RBL_OK) {
    fprintf(stderr, "rblmon: --since '%s': a duration such as 2h, 7d or 4w\n",
            c->since);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, c->nargs == 0) == RBL_EXIT_OK) {
    struct scan_opts o = {json, since_ms, c->no_state, c->args, c->nargs};
    rc = scanlogs_run(&a, &o);
  }
  app_free(&a);
  return rc;
}

int
scanlogs_run(const struct app *ap, const struct scan_opts *o)
{
  const struct app *a = ap;
  bool json = o->json;
  uint64_t since_ms = o->since_ms;
  struct classifier *cl = NULL;
  struct scan *k = calloc(1, sizeof(*k));
  int rc = RBL_EXIT_UNKNOWN;
  if (k == NULL)
    return RBL_EXIT_UNKNOWN;
  if (o->nargs == 0 && a->cfg.nlog_files == 0) {
    fprintf(stderr, "rblmon: no logs to scan: add logs: files: [...] to %s "
            "or name files on the command line\n", a->config_path);
    goto done;
  }
  if ((cl = load_rules(a)) == NULL)
    goto done;
  k->a = a;
  if (!index_ours(k)) {
    fprintf(stderr, "rblmon: out of memory\n");
    goto done;
  }
  k->cl = cl;
  k->json = json;
  int64_t now = clock_now();
  if (since_ms > 0)
    k->cutoff = now - (int64_t)(since_ms / 1000);
  /* Files named on the command line are read whole, without cursors; the
   * rejections still go into the state (idempotently). */
  if (!o->no_state) {
    char err[512];
    if ((k->store = app_store(a, false)) == NULL)
      goto done;
    if (store_scan_begin(k->store, now, err, sizeof(err)) != RBL_OK) {
      fprintf(stderr, "rblmon: %s\n", err);
      goto done;
    }
  }
  if (json)
    fputs("{\"rejections\":[", stdout);
  size_t failed = 0, files = 0;
  if (o->nargs > 0) {
    for (int i = 0; i < o->nargs; i++, files++) {
      uint64_t off = 0, line = 0;
      failed += !read_one(k, o->args[i], &off, &line, NULL);
    }
  } else {
    for (size_t i = 0; i < a->cfg.nlog_files; i++, files++)
      failed += !read_configured(k, a->cfg.log_files[i], since_ms > 0);
  }
  char err[512] = "";
  if (k->store != NULL && !k->store_failed &&
      store_scan_commit(k->store, a->cfg.retention_ms, err, sizeof(err)) !=
        RBL_OK)
    k->store_failed = true;
  if (k->store_failed) {
    if (err[0] == '\0')
      store_failure(k->store, "the scan was not saved", err, sizeof(err));
    store_cycle_rollback(k->store);
    fprintf(stderr, "rblmon: %s\n", err);
  }
  /* A spike of new permanent rejections is news for the notifiers. */
  if (k->store != NULL && !k->store_failed && k->stored_new >= a->cfg.spike &&
      k->permanent > 0)
    notify_spike(a, k);
  rc = k->permanent > 0 ? RBL_EXIT_CRITICAL
       : k->temporary > 0 ? RBL_EXIT_WARNING : RBL_EXIT_OK;
  if (failed > 0 && rc == RBL_EXIT_OK)
    rc = failed == files ? RBL_EXIT_UNKNOWN : RBL_EXIT_WARNING;
  if (k->store_failed)
    rc = RBL_EXIT_UNKNOWN;
  if (json)
    summary_json(k, files, rc);
  else
    summary_text(k, files);
done:
  fflush(stdout);
  if (k->store != NULL)
    store_close(k->store);
  classify_free(cl);
  free(k->singles);
  free(k->ranges);
  free(k);
  return rc;
}
