/* report_nagios.c - one status line with performance data, as Nagios and
 * Icinga plugins print (exit code = state). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define NAGIOS_NAMES 5

struct nagios {
  FILE *out;
  char first[NAGIOS_NAMES][TARGET_NAME_MAX + 70];
  size_t nfirst;
};

static void *
nagios_begin(const struct report_opts *o)
{
  struct nagios *n = calloc(1, sizeof(*n));
  if (n != NULL)
    n->out = o->out;
  return n;
}

static void
nagios_result(void *st, const struct result *r)
{
  struct nagios *n = st;
  if (r->status == RES_LISTED && n->nfirst < NAGIOS_NAMES)
    snprintf(n->first[n->nfirst++], sizeof(n->first[0]), "%s on %s",
             r->target, r->list->name);
}

static void
nagios_end(void *st, const struct report_summary *s)
{
  struct nagios *n = st;
  const struct tally *t = s->tally;
  fprintf(n->out, "RBLMON %s - ", report_exit_name(s->exit_code));
  if (t->listed > 0) {
    fprintf(n->out, "%llu listed:", (unsigned long long)t->listed);
    for (size_t i = 0; i < n->nfirst; i++)
      fprintf(n->out, "%s %s", i ? "," : "", n->first[i]);
    if (t->listed > n->nfirst)
      fputs(", ...", n->out);
  } else if (t->listed + t->clean == 0) {
    fputs("nothing could be checked", n->out);
  } else {
    fprintf(n->out, "not listed on %zu lists", s->nlists);
  }
  if (t->errors + t->skipped > 0)
    fprintf(n->out, " (%llu checks failed)",
            (unsigned long long)(t->errors + t->skipped));
  fprintf(n->out,
          " | listed=%llu;;;0 critical=%llu;;1;0 clean=%llu;;;0 "
          "errors=%llu;;;0 checks=%llu;;;0 time=%.3fs;;;0\n",
          (unsigned long long)t->listed, (unsigned long long)t->critical,
          (unsigned long long)t->clean,
          (unsigned long long)(t->errors + t->skipped),
          (unsigned long long)t->total, (double)s->elapsed_ms / 1000.0);
  free(n);
}

/* A plugin's answer is a check's: no other view. */
const struct reporter report_nagios = {
  .name = "nagios", .begin = nagios_begin, .result = nagios_result,
  .end = nagios_end};
