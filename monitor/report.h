/* report.h - output formats for check results: one reporter per format
 * behind a table (report_text.c, report_json.c, report_nagios.c).
 * Results stream in; a reporter keeps only what it needs to print. */
#ifndef RBL_REPORT_H
#define RBL_REPORT_H

#include <stdio.h>
#include "result.h"

struct report_opts {
  FILE *out;
  bool color;        /* text: ANSI colour (a terminal, NO_COLOR unset) */
  bool all;          /* text: show clean results too */
};

struct report_summary {
  const struct tally *tally;
  const struct list_state *lists;
  size_t nlists;
  uint64_t elapsed_ms;
  int exit_code;
};

struct reporter {
  const char *name;
  /* NULL when out of memory. */
  void *(*begin)(const struct report_opts *o);
  void (*result)(void *st, const struct result *r);
  /* Prints the end of the report and frees st. */
  void (*end)(void *st, const struct report_summary *s);
};

extern const struct reporter report_text, report_json, report_nagios;

/* The reporter named name, or NULL.  names: "text|json|nagios". */
const struct reporter *report_find(const char *name);
extern const char report_names[];

/* Exit code names: OK, WARNING, CRITICAL, UNKNOWN. */
const char *report_exit_name(int code);
/* The A value as text. */
void report_code_str(uint32_t code, char *buf, size_t size);
/* A delisting line for a list: URL, procedure, expiry. */
void report_delist_str(const struct list_def *l, char *buf, size_t size);

#endif
