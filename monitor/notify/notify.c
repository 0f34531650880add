#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "scanresult.h"

static const struct notifier *const channels[] = {
  &notify_desktop, &notify_command,
};

static struct notify_event *
grow(struct notify_event **ev, size_t *n)
{
  struct notify_event *p = realloc(*ev, (*n + 1) * sizeof(*p));
  if (p == NULL)
    return NULL;
  *ev = p;
  memset(&p[*n], 0, sizeof(p[0]));
  return &p[(*n)++];
}

size_t
notify_from_changes(const struct change *c, size_t n,
                    struct notify_event **ev, size_t *nev)
{
  size_t added = 0;
  for (size_t i = 0; i < n; i++) {
    const struct change *x = &c[i];
    enum notify_kind kind;
    switch (x->kind) {
    case CHANGE_LISTED:
    case CHANGE_RELISTED:
    case CHANGE_CODES:    kind = NOTIFY_EV_LISTED; break;
    case CHANGE_DELISTED: kind = NOTIFY_EV_DELISTED; break;
    case CHANGE_HEALTH:   kind = NOTIFY_EV_HEALTH; break;
    default:              continue; /* errors and recoveries: the report */
    }
    struct notify_event *e = grow(ev, nev);
    if (e == NULL)
      break;
    e->kind = kind;
    char d[512] = "";
    report_delist_str(x->list, d, sizeof(d));
    if (x->list->delist_url)
      snprintf(e->url, sizeof(e->url), "%s", x->list->delist_url);
    if (kind == NOTIFY_EV_LISTED) {
      e->has_sev = true;
      e->sev = x->sev;
      snprintf(e->summary, sizeof(e->summary), "%.120s %s on %.80s",
               x->target,
               x->kind == CHANGE_RELISTED ? "listed again"
               : x->kind == CHANGE_CODES  ? "listing changed"
                                          : "listed",
               x->list->title ? x->list->title : x->list->name);
      snprintf(e->body, sizeof(e->body), "%.128s: %.320s%s%.500s", x->after,
               x->detail, d[0] ? "\nDelisting: " : "", d);
    } else if (kind == NOTIFY_EV_DELISTED) {
      char age[32];
      report_age(x->at - x->since, age, sizeof(age));
      snprintf(e->summary, sizeof(e->summary), "%.120s delisted from %.80s",
               x->target, x->list->name);
      snprintf(e->body, sizeof(e->body), "after %s", age);
    } else {
      snprintf(e->summary, sizeof(e->summary), "list %.64s: %.64s -> %.64s",
               x->list->name, x->before, x->after);
      snprintf(e->body, sizeof(e->body), "%s", x->detail);
    }
    e->json = report_change_json(x);
    added++;
  }
  return added;
}

void
notify_from_reminder(struct notify_event *ev, const char *text,
                     bool has_sev, enum severity sev, const json_t *j)
{
  const char *nl = strchr(text, '\n');
  ev->kind = NOTIFY_EV_REMINDER;
  ev->has_sev = has_sev;
  ev->sev = sev;
  snprintf(ev->summary, sizeof(ev->summary), "%.*s",
           (int)(nl ? nl - text : (ptrdiff_t)strlen(text)), text);
  snprintf(ev->body, sizeof(ev->body), "%s", nl ? nl + 1 : "");
  ev->json = json_deep_copy(j);
}

void
notify_spike(const struct config *cfg, const struct scan_summary *sum)
{
  struct notify_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.kind = NOTIFY_EV_SPIKE;
  ev.has_sev = true;
  ev.sev = SEV_WARNING;
  snprintf(ev.summary, sizeof(ev.summary), "%llu new rejections of "
           "outgoing mail", (unsigned long long)sum->stored_new);
  size_t w = 0;
  for (int i = 0; i < CAUSE_COUNT && w < sizeof(ev.body); i++)
    if (sum->by_cause[i] > 0)
      w += (size_t)snprintf(ev.body + w, sizeof(ev.body) - w, "%s%s: %llu",
                            w ? ", " : "", cause_names[i],
                            (unsigned long long)sum->by_cause[i]);
  ev.json = json_pack("{sIsI}", "new", (json_int_t)sum->stored_new,
                      "permanent", (json_int_t)sum->permanent);
  notify_send(cfg, &ev, 1, false);
  json_decref(ev.json);
}

size_t
notify_test(const struct config *cfg)
{
  struct notify_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.kind = NOTIFY_EV_TEST;
  ev.has_sev = true;
  ev.sev = SEV_NOTICE;
  snprintf(ev.summary, sizeof(ev.summary), "rblmon test notification");
  snprintf(ev.body, sizeof(ev.body), "If you can read this, rblmon can "
           "reach you here.");
  ev.json = json_pack("{ss}", "message", "test");
  size_t failed = notify_send(cfg, &ev, 1, true);
  json_decref(ev.json);
  return failed;
}

void
notify_free(struct notify_event *ev, size_t n)
{
  for (size_t i = 0; i < n; i++)
    json_decref(ev[i].json);
  free(ev);
}

size_t
notify_send(const struct config *cfg, const struct notify_event *ev,
            size_t n, bool verbose)
{
  size_t failed = 0;
  struct notify_event *sel = calloc(n ? n : 1, sizeof(*sel));
  if (sel == NULL)
    return 1;
  for (size_t k = 0; k < sizeof(channels) / sizeof(channels[0]); k++) {
    unsigned want;
    if (!channels[k]->on(cfg, &want))
      continue;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (ev[i].kind == NOTIFY_EV_TEST || (want & (1u << ev[i].kind)))
        sel[m++] = ev[i];
    if (m == 0)
      continue;
    char err[512];
    if (!channels[k]->send(cfg, sel, m, err, sizeof(err))) {
      fprintf(stderr, "rblmon: notify %s: %s\n", channels[k]->name, err);
      failed++;
    } else if (verbose) {
      printf("%s: sent %zu event%s\n", channels[k]->name, m,
             m == 1 ? "" : "s");
    }
  }
  free(sel);
  return failed;
}
