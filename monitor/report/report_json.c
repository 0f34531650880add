/* report_json.c - one JSON object (DESIGN.md contract), streamed: results
 * are written as they arrive, lists and status at the end. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct json_rep {
  FILE *out;
  size_t n;
  bool changes_only;
};

static void *
json_begin(const struct report_opts *o)
{
  struct json_rep *j = calloc(1, sizeof(*j));
  if (j == NULL)
    return NULL;
  j->out = o->out;
  j->changes_only = o->changes_only;
  if (!j->changes_only)
    fputs("{\"results\":[", j->out);
  return j;
}

json_t *
report_change_json(const struct change *c)
{
  json_t *o = json_object();
  json_object_set_new(o, "change", json_string(change_names[c->kind]));
  json_object_set_new(o, "target", c->target[0] ? json_string(c->target)
                                                : json_null());
  json_object_set_new(o, "source", json_string(c->list->name));
  json_object_set_new(o, "before", c->before[0] ? json_string(c->before)
                                                : json_null());
  json_object_set_new(o, "after", c->after[0] ? json_string(c->after)
                                              : json_null());
  json_object_set_new(o, "detail", report_json_composed(c->detail));
  char t[32];
  report_time(c->at, t, sizeof(t));
  json_object_set_new(o, "at", json_string(t));
  if (c->since > 0) {
    report_time(c->since, t, sizeof(t));
    json_object_set_new(o, "since", json_string(t));
  }
  if (c->kind == CHANGE_LISTED || c->kind == CHANGE_RELISTED ||
      c->kind == CHANGE_CODES)
    json_object_set_new(o, "severity", json_string(severity_names[c->sev]));
  return o;
}

json_t *
report_json_text(const char *s)
{
  if (s == NULL || *s == '\0')
    return json_null();
  struct sbuf e;
  sbuf_init(&e, 8192);
  util_escape(&e, s, strlen(s));
  json_t *v = json_stringn(sbuf_str(&e), e.len);
  sbuf_free(&e);
  return v ? v : json_null();
}

json_t *
report_json_composed(const char *s)
{
  if (s == NULL || *s == '\0')
    return json_null();
  struct sbuf e;
  sbuf_init(&e, 65536);
  util_escape_composed(&e, s, strlen(s), true);
  json_t *v = json_stringn(sbuf_str(&e), e.len);
  sbuf_free(&e);
  return v ? v : json_null();
}

static json_t *
delist_obj(const struct list_def *l)
{
  if (l->delist_url == NULL && l->delist_proc == DELIST_UNSPECIFIED)
    return json_null();
  json_t *d = json_object();
  json_object_set_new(d, "url", l->delist_url ? json_string(l->delist_url)
                                              : json_null());
  json_object_set_new(d, "procedure",
                      l->delist_proc != DELIST_UNSPECIFIED
                        ? json_string(delist_proc_names[l->delist_proc])
                        : json_null());
  if (l->delist_expires_ms > 0)
    json_object_set_new(d, "expires_seconds",
                        json_integer((json_int_t)(l->delist_expires_ms /
                                                  1000)));
  if (l->fix_first)
    json_object_set_new(d, "fix_first", json_string(l->fix_first));
  return d;
}

static void
json_result(void *st, const struct result *r)
{
  struct json_rep *j = st;
  if (j->changes_only)
    return;
  json_t *o = json_object();
  json_object_set_new(o, "target", json_string(r->target));
  json_object_set_new(o, "watchlist", r->watchlist && *r->watchlist
                                          ? json_string(r->watchlist)
                                          : json_null());
  json_object_set_new(o, "source", json_string(r->list->name));
  json_object_set_new(o, "status",
                      json_string(result_status_names[r->status]));
  json_t *codes = json_array(), *reasons = json_array();
  for (size_t i = 0; i < r->ncodes; i++) {
    char c[20];
    report_code_str(r->codes[i], c, sizeof(c));
    json_array_append_new(codes, json_string(c));
  }
  for (size_t i = 0; i < r->nreasons; i++)
    json_array_append_new(reasons, json_string(r->reasons[i]));
  json_object_set_new(o, "codes", codes);
  json_object_set_new(o, "reasons", reasons);
  json_object_set_new(o, "severity", r->has_sev
                                         ? json_string(severity_names[r->sev])
                                         : json_null());
  json_object_set_new(o, "txt", report_json_text(r->txt));
  json_object_set_new(o, "error", report_json_composed(r->error));
  json_object_set_new(o, "delist", r->status == RES_LISTED
                                       ? delist_obj(r->list)
                                       : json_null());
  if (j->n++ > 0)
    fputc(',', j->out);
  fputc('\n', j->out);
  json_dumpf(o, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
}

static void
json_end(void *st, const struct report_summary *s)
{
  struct json_rep *j = st;
  json_t *changes = json_array();
  for (size_t i = 0; i < s->nchanges; i++)
    json_array_append_new(changes, report_change_json(&s->changes[i]));
  if (j->changes_only) {
    if (s->nchanges > 0) {
      json_t *top = json_pack("{sosssi}", "changes", changes, "status",
                              report_exit_name(s->exit_code), "exit",
                              s->exit_code);
      json_dumpf(top, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
      fputc('\n', j->out);
      json_decref(top);
    } else {
      json_decref(changes);
    }
    free(j);
    return;
  }
  json_t *lists = json_array();
  for (size_t i = 0; i < s->nlists; i++) {
    const struct list_state *ls = &s->lists[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(ls->list->name));
    /* The template, never the key-bearing zone. */
    json_object_set_new(o, "zone", json_string(ls->list->zone));
    json_object_set_new(o, "health", json_string(health_names[ls->health]));
    json_object_set_new(o, "detail", report_json_composed(ls->detail));
    json_object_set_new(o, "queries", json_integer((json_int_t)ls->queries));
    json_object_set_new(o, "listed", json_integer((json_int_t)ls->listed));
    json_object_set_new(o, "errors", json_integer((json_int_t)ls->errors));
    json_array_append_new(lists, o);
  }
  const struct tally *t = s->tally;
  json_t *sum = json_pack("{sIsIsIsIsIsIsIsIsf}", "checks", (json_int_t)t->total,
                          "listed", (json_int_t)t->listed, "critical",
                          (json_int_t)t->critical, "warning",
                          (json_int_t)t->warning, "notice",
                          (json_int_t)t->notice, "clean", (json_int_t)t->clean,
                          "good", (json_int_t)t->good, "errors",
                          (json_int_t)(t->errors + t->skipped), "seconds",
                          (double)s->elapsed_ms / 1000.0);
  fputs("\n],\"lists\":", j->out);
  json_dumpf(lists, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  fputs(",\"summary\":", j->out);
  json_dumpf(sum, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s->stateful) {
    fputs(",\"changes\":", j->out);
    json_dumpf(changes, j->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  }
  json_decref(changes);
  fprintf(j->out, ",\"status\":\"%s\",\"exit\":%d}\n",
          report_exit_name(s->exit_code), s->exit_code);
  json_decref(lists);
  json_decref(sum);
  free(j);
}

const struct reporter report_json = {"json", json_begin, json_result,
                                     json_end};
