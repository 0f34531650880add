/* cmd_scanlogs.c - rblmon scan-logs: the arguments of a log pass
 * (core/scan.c) and the printing of what it found, as text or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "scan.h"

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

/* What the printing keeps of a pass: the tallies of the text summary and
 * where the JSON array is. */
struct out {
  bool json, started;
  size_t nout;
  struct counts receivers, ips, blocks, texts;
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


static void
emit_json(struct out *k, const struct scan_hit *h)
{
  const struct rejection *r = h->r;
  const struct verdict *v = h->v;
  char t[32];
  report_time(r->time, t, sizeof(t));
  json_t *o = json_object();
  json_object_set_new(o, "file", report_json_text(h->file));
  json_object_set_new(o, "line", json_integer((json_int_t)h->line));
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
  json_object_set_new(o, "ours", json_boolean(h->ours));
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

/* The JSON array opens once the pass has begun (nothing is printed when
 * it cannot begin). */
static void
start(struct out *k)
{
  if (k->json && !k->started)
    fputs("{\"rejections\":[", stdout);
  k->started = true;
}

static void
on_hit(void *arg, const struct scan_hit *h)
{
  struct out *k = arg;
  const struct verdict *v = h->v;
  const struct rejection *r = h->r;
  start(k);
  count(&k->receivers, v->receiver ? v->receiver : r->domain);
  count(&k->ips, v->named_ip);
  count(&k->blocks, v->list ? v->list : v->block);
  char tx[160];
  snprintf(tx, sizeof(tx), "%d %.150s", r->code, r->text);
  count(&k->texts, tx);
  if (k->json)
    emit_json(k, h);
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

static void
summary_json(const struct scan_summary *sum)
{
  json_t *causes = json_object();
  for (int i = 0; i < CAUSE_COUNT; i++)
    json_object_set_new(causes, cause_names[i],
                        json_integer((json_int_t)sum->by_cause[i]));
  json_t *js = json_pack("{sIsIsIsIsIsIso}", "files", (json_int_t)sum->files,
                         "lines", (json_int_t)sum->st.lines, "bytes",
                         (json_int_t)sum->st.bytes, "rejections",
                         (json_int_t)sum->found, "new",
                         (json_int_t)sum->stored_new, "permanent",
                         (json_int_t)sum->permanent, "by_cause", causes);
  json_object_set_new(js, "long_lines_skipped",
                      json_integer((json_int_t)sum->st.long_lines));
  fputs("\n],\"summary\":", stdout);
  json_dumpf(js, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
  printf(",\"status\":\"%s\",\"exit\":%d}\n", report_exit_name(sum->exit),
         sum->exit);
  json_decref(js);
}

static void
summary_text(struct out *k, const struct scan_summary *sum)
{
  size_t files = sum->files;
  printf("Scanned %zu file%s, %llu lines (%.1f MB): %llu rejection%s of "
         "outgoing mail (%llu permanent, %llu temporary)", files,
         files == 1 ? "" : "s", (unsigned long long)sum->st.lines,
         (double)sum->st.bytes / 1e6, (unsigned long long)sum->found,
         sum->found == 1 ? "" : "s", (unsigned long long)sum->permanent,
         (unsigned long long)sum->temporary);
  if (sum->stateful && !sum->store_failed)
    printf(", %llu new", (unsigned long long)sum->stored_new);
  printf(".\n");
  if (sum->st.long_lines > 0)
    printf("%llu lines longer than %u KiB were skipped.\n",
           (unsigned long long)sum->st.long_lines, LOGREAD_LINE_MAX / 1024);
  if (sum->found > 0) {
    printf("By cause:\n");
    for (int i = 0; i < CAUSE_COUNT; i++)
      if (sum->by_cause[i] > 0)
        printf("  %6llu  %s\n", (unsigned long long)sum->by_cause[i],
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

static void
on_end(void *arg, const struct scan_summary *sum)
{
  struct out *k = arg;
  start(k);
  if (k->json)
    summary_json(sum);
  else
    summary_text(k, sum);
  fflush(stdout);
}

int
scanlogs_run(const struct app *a, const struct scan_opts *o)
{
  struct out *k = calloc(1, sizeof(*k));
  if (k == NULL)
    return RBL_EXIT_UNKNOWN;
  k->json = o->json;
  struct scan_spec spec = {o->since_ms, o->no_state, o->args,
                           o->nargs > 0 ? (size_t)o->nargs : 0};
  struct scan_summary sum;
  int rc = RBL_EXIT_UNKNOWN;
  struct scan_sink sink = {on_hit, on_end, k};
  if (scan_run(a, &spec, &sink, &sum) == RBL_OK)
    rc = sum.exit;
  fflush(stdout);
  free(k);
  return rc;
}
