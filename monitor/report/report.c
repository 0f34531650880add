#include "report.h"

#include <stdlib.h>

#include <string.h>
#include <time.h>

static const struct {
  const struct reporter *rep;
  unsigned bit;
} reporters[] = {
  {&report_text, REPORT_TEXT}, {&report_json, REPORT_JSON},
  {&report_nagios, REPORT_NAGIOS}, {&report_prometheus, REPORT_PROMETHEUS},
};

const char report_names[] = "text|json|nagios|prometheus";

const struct reporter *
report_find(const char *name)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(reporters); i++)
    if (strcmp(reporters[i].rep->name, name) == 0)
      return reporters[i].rep;
  return NULL;
}

unsigned
report_bit(const struct reporter *r)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(reporters); i++)
    if (reporters[i].rep == r)
      return reporters[i].bit;
  return 0;
}

bool
report_urgent(const struct episode *e, const struct evidence *ev)
{
  return e->sev == SEV_CRITICAL && ev->day > 0;
}

int
report_listing_exit(const struct episode *e)
{
  return e->sev == SEV_CRITICAL  ? RBL_EXIT_CRITICAL
         : e->sev == SEV_WARNING ? RBL_EXIT_WARNING
                                 : RBL_EXIT_OK;
}

const char *
report_exit_name(int code)
{
  static const char *const names[] = {"OK", "WARNING", "CRITICAL",
                                      "UNKNOWN"};
  return code >= 0 && code <= 3 ? names[code] : "UNKNOWN";
}

void
report_code_str(uint32_t code, char *buf, size_t size)
{
  snprintf(buf, size, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff,
           (code >> 8) & 0xff, code & 0xff);
}

void
report_delist_str(const struct list_def *l, char *buf, size_t size)
{
  char exp[48] = "";
  if (l->delist_expires_ms > 0) {
    char d[24];
    util_format_duration(l->delist_expires_ms, d, sizeof(d));
    snprintf(exp, sizeof(exp), ", expires after %s", d);
  }
  snprintf(buf, size, "%s%s%s%s%s", l->delist_url ? l->delist_url : "",
           l->delist_proc != DELIST_UNSPECIFIED ? " (" : "",
           l->delist_proc != DELIST_UNSPECIFIED
             ? delist_proc_names[l->delist_proc] : "",
           exp, l->delist_proc != DELIST_UNSPECIFIED ? ")" : "");
}

void
report_time(int64_t t, char *buf, size_t size)
{
  struct tm tm;
  time_t tt = (time_t)t;
  if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ",
                                             &tm) == 0)
    snprintf(buf, size, "%lld", (long long)t);
}

void
report_age(int64_t s, char *buf, size_t size)
{
  if (s < 0)
    s = 0;
  if (s < 3600)
    snprintf(buf, size, "%lldm", (long long)(s / 60));
  else if (s < 86400)
    snprintf(buf, size, "%lldh %lldm", (long long)(s / 3600),
             (long long)(s % 3600 / 60));
  else
    snprintf(buf, size, "%lldd %lldh", (long long)(s / 86400),
             (long long)(s % 86400 / 3600));
}

/* Errors and recoveries of many targets on one list make one line. */
static void
grouped(FILE *f, const struct change *c, size_t n, size_t i, bool *done)
{
  size_t count = 0;
  for (size_t k = i; k < n; k++) {
    if (done[k] || c[k].kind != c[i].kind || c[k].list != c[i].list ||
        strcmp(c[k].detail, c[i].detail) != 0)
      continue;
    done[k] = true;
    count++;
  }
  if (c[i].kind == CHANGE_ERROR) {
    if (count == 1)
      fprintf(f, "%-10s %s on %s: not checked: %s\n", "ERROR", c[i].target,
              c[i].list->name, c[i].detail);
    else
      fprintf(f, "%-10s %s: %zu targets not checked (e.g. %s): %s\n",
              "ERROR", c[i].list->name, count, c[i].target, c[i].detail);
  } else if (count == 1) {
    fprintf(f, "%-10s %s on %s: checked again\n", "RECOVERED", c[i].target,
            c[i].list->name);
  } else {
    fprintf(f, "%-10s %s: %zu targets checked again\n", "RECOVERED",
            c[i].list->name, count);
  }
}

void
report_changes_text(FILE *f, const struct change *c, size_t n)
{
  bool *done = calloc(n ? n : 1, sizeof(*done));
  if (done == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    const struct change *x = &c[i];
    char age[32], d[512];
    switch (x->kind) {
    case CHANGE_LISTED:
    case CHANGE_RELISTED:
      report_delist_str(x->list, d, sizeof(d));
      fprintf(f, "%-10s %s on %s%s: %s (%s)%s%s\n",
              x->kind == CHANGE_LISTED ? "LISTED" : "RELISTED", x->target,
              x->list->name, x->kind == CHANGE_RELISTED ? " again" : "",
              x->after, x->detail, d[0] ? "; delist: " : "", d);
      break;
    case CHANGE_DELISTED:
      report_age(x->at - x->since, age, sizeof(age));
      fprintf(f, "%-10s %s from %s after %s\n", "DELISTED", x->target,
              x->list->name, age);
      break;
    case CHANGE_CODES:
      fprintf(f, "%-10s %s on %s: %s -> %s (%s)\n", "CHANGED", x->target,
              x->list->name, x->before, x->after, x->detail);
      break;
    case CHANGE_ERROR:
    case CHANGE_RECOVERED:
      /* A list whose health changed says it once, in its HEALTH line. */
      for (size_t k = 0; k < n; k++)
        if (c[k].kind == CHANGE_HEALTH && c[k].list == x->list)
          goto next;
      grouped(f, c, n, i, done);
      break;
    case CHANGE_HEALTH:
      fprintf(f, "%-10s %s: %s -> %s%s%s\n", "HEALTH", x->list->name,
              x->before, x->after, x->detail[0] ? ": " : "", x->detail);
      break;
    }
  next:
    done[i] = true;
  }
  free(done);
}
