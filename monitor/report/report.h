/* report.h - output formats for check results: one reporter per format
 * behind a table (report_text.c, report_json.c, report_nagios.c).
 * Results stream in; a reporter keeps only what it needs to print. */
#ifndef RBL_REPORT_H
#define RBL_REPORT_H

#include <stdio.h>
#include "result.h"
#include "store.h"

struct report_opts {
  FILE *out;
  bool color;        /* text: ANSI colour (a terminal, NO_COLOR unset) */
  bool all;          /* text: show clean results too */
  bool changes_only; /* only the changes (and nothing when none) */
};

struct report_summary {
  const struct tally *tally;
  const struct list_state *lists;
  size_t nlists;
  uint64_t elapsed_ms;
  int exit_code;
  const struct change *changes;
  size_t nchanges;
  bool stateful;                  /* changes are known (state committed) */
  bool changes_only;              /* print only the changes */
  struct store *store;            /* for listed-since; may be NULL */
  int64_t now;
};

struct reporter {
  const char *name;
  /* NULL when out of memory. */
  void *(*begin)(const struct report_opts *o);
  void (*result)(void *st, const struct result *r);
  /* Prints the end of the report and frees st. */
  void (*end)(void *st, const struct report_summary *s);
};

extern const struct reporter report_text, report_json, report_nagios,
  report_prometheus;

/* The reporter named name, or NULL (report_names lists them). */
const struct reporter *report_find(const char *name);
extern const char report_names[];

/* Exit code names: OK, WARNING, CRITICAL, UNKNOWN. */
const char *report_exit_name(int code);
/* Untrusted text as a JSON string, escaped like the terminal output
 * (valid UTF-8, no control characters); JSON null for NULL or "".  A new
 * reference. */
struct json_t *report_json_text(const char *s);
/* Text rblmon composed (errors, details, notification bodies) whose
 * untrusted parts were escaped when it was composed: no double escaping,
 * line breaks kept; anything unsafe left is still escaped. */
struct json_t *report_json_composed(const char *s);
/* One change as a JSON object (new reference). */
struct json_t;
struct json_t *report_change_json(const struct change *c);
/* Change lines for people (cron mail): errors grouped per list. */
void report_changes_text(FILE *f, const struct change *c, size_t n);
/* ISO 8601 UTC ("2026-11-27T18:00:00Z") and a short age ("3d 4h"). */
void report_time(int64_t t, char *buf, size_t size);
void report_age(int64_t seconds, char *buf, size_t size);
/* The A value as text. */
void report_code_str(uint32_t code, char *buf, size_t size);
/* A delisting line for a list: URL, procedure, expiry. */
void report_delist_str(const struct list_def *l, char *buf, size_t size);

#endif
