#include "report.h"

#include <string.h>

static const struct reporter *const reporters[] = {
  &report_text, &report_json, &report_nagios,
};

const char report_names[] = "text|json|nagios";

const struct reporter *
report_find(const char *name)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(reporters); i++)
    if (strcmp(reporters[i]->name, name) == 0)
      return reporters[i];
  return NULL;
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
