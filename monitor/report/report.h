/* report.h - the output formats: one reporter per format behind a table
 * (report_text.c, report_json.c, report_nagios.c, report_prometheus.c),
 * each holding its printer of every view it serves: check, status,
 * history, lists, remind, scan-logs.  A reporter receives data the
 * command gathered, never the state: a check's results and a log pass's
 * rejections stream in, the other views come whole. */
#ifndef RBL_REPORT_H
#define RBL_REPORT_H

#include <stdio.h>
#include "correlate.h"
#include "feedload.h"
#include "result.h"
#include "store.h"

struct json_t;
struct provider;

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
  /* The open listings once the cycle was recorded, with when each began
   * (listed-since), for a reporter that needs_open; open_known false
   * when the state was not written or they were not read. */
  const struct episode *open;
  size_t nopen;
  bool open_known;
  int64_t now;
};

/* ---- the views other than check: what a command gathered ---------------- */
/* A listing episode and what goes with it. */
struct listing_view {
  const struct episode *e;
  const struct list_def *list;    /* NULL: it left the catalog */
  const struct evidence *ev;      /* status: rejections that go with it */
  const struct reminder *rem;     /* status: its reminder, or NULL */
  const char *watchlist;          /* status: the configuration's watchlist
                                     holding the target; "" or NULL: none */
};

/* rblmon status: listings, list health, blocks no listing explains. */
struct status_view {
  int64_t now, last_check;        /* last_check 0: never */
  const struct listing_view *listings;
  size_t nlistings;
  const struct health_row *health;
  size_t nhealth;
  const struct finding *unexplained; /* NULL: not known (a failed read) */
  size_t nunexplained;
  int exit_code;
  int last_exit;                  /* the last check's exit code */
  int64_t stale_after;            /* seconds: an older last check is */
  bool stale;                     /* stale (then at least WARNING) */
};

/* rblmon history [TARGET]: episodes, newest first. */
struct history_view {
  int64_t now;
  const char *target;             /* NULL: every target */
  const struct listing_view *episodes;
  size_t n;
};

/* rblmon lists: one DNSBL of the table. */
struct lists_row {
  const struct list_def *list;
  const char *use;                /* "selected", why not, or "-" */
  uint64_t limit;                 /* queries a day, 0: none */
  bool published;                 /* the limit is the list's own */
  const struct list_state *probed; /* --probe: its health now, or NULL */
  const struct health_row *known; /* last health in the state, or NULL */
  const struct feed *feed;        /* read now (a list with a feed), or NULL */
};
struct lists_provider {
  const struct provider *p;
  const struct health_row *known;
};
struct lists_view {
  const struct lists_row *rows;
  size_t n;
  const struct lists_provider *providers;
  size_t nproviders;
  bool probe, all, show_known;    /* the columns: HEALTH probed or known,
                                     USE (--all) */
  size_t nselected, ncatalog;     /* DNSBLs selected, in the catalog */
  const char *catalog_dir;
  int exit_code;                  /* --probe: from the lists' health */
  int64_t now;                    /* for the feeds' ages */
};

/* rblmon remind: the due reminders as remind_compose() worded them. */
struct remind_item {
  const char *text;               /* lines, the first the summary */
  struct json_t *json;            /* borrowed: the view's owner frees it */
};
struct remind_view {
  const struct remind_item *items;
  size_t n;
  int exit_code;
};

/* rblmon scan-logs: what a log pass found (logs/scanresult.h). */
struct scan_hit;
struct scan_summary;

/* One format.  A view the format does not serve is NULL (the command
 * table in cli/main.c refuses the format for that command).  The views'
 * printers only read what they are given; they write to f. */
struct reporter {
  const char *name;
  /* check: begin is NULL when out of memory; end prints the end of the
   * report and frees st. */
  void *(*begin)(const struct report_opts *o);
  void (*result)(void *st, const struct result *r);
  void (*end)(void *st, const struct report_summary *s);
  void (*status)(FILE *f, const struct status_view *v);
  void (*history)(FILE *f, const struct history_view *v);
  void (*lists)(FILE *f, const struct lists_view *v);
  void (*remind)(FILE *f, const struct remind_view *v);
  /* scan-logs, as the pass goes: scan_begin (NULL when out of memory)
   * prints nothing, scan_hit gets each rejection as it is read, scan_end
   * the summary: it prints the end and frees st (a NULL summary: the pass
   * did not begin, st is freed and nothing is printed). */
  void *(*scan_begin)(FILE *f);
  void (*scan_hit)(void *st, const struct scan_hit *h);
  void (*scan_end)(void *st, const struct scan_summary *s);
  /* check: the summary carries the open listings after the commit (for
   * listed-since); others are spared the read */
  bool needs_open;
};

/* The formats, as bits for a command's allowed set. */
enum report_format {
  REPORT_TEXT = 1 << 0, REPORT_JSON = 1 << 1, REPORT_NAGIOS = 1 << 2,
  REPORT_PROMETHEUS = 1 << 3
};

extern const struct reporter report_text, report_json, report_nagios,
  report_prometheus;

/* The reporter named name, or NULL (report_names lists them). */
const struct reporter *report_find(const char *name);
/* Its REPORT_* bit. */
unsigned report_bit(const struct reporter *r);
extern const char report_names[];

/* A critical listing with rejections in the last 24 hours. */
bool report_urgent(const struct episode *e, const struct evidence *ev);
/* The exit code open listings give (the worst severity). */
int report_listing_exit(const struct episode *e);

/* The shape of every JSON document rblmon prints (check, status,
 * history, lists, remind, scan-logs, spf, the command hook's events), as
 * its top-level "schema_version"; docs/schema/ holds one JSON Schema per
 * document.  Bumped when a field changes type, meaning or goes away; a
 * new field does not bump it. */
#define REPORT_JSON_SCHEMA_VERSION 1

/* Exit code names: OK, WARNING, CRITICAL, UNKNOWN. */
const char *report_exit_name(int code);
/* Untrusted text (a TXT record, a receiver's words) on one line of a
 * terminal, escaped (util_escape); composed: text rblmon composed whose
 * untrusted parts are escaped already (util_escape_composed).  NULL
 * prints nothing. */
void report_put_escaped(FILE *f, const char *s, bool composed);
/* Untrusted text as a JSON string, escaped like the terminal output
 * (valid UTF-8, no control characters); JSON null for NULL or "".  A new
 * reference. */
struct json_t *report_json_text(const char *s);
/* Who can fix a listing of l with codes[0..n), and how, into the object
 * o: "scope" and "fix" of the worst code, and "fixes", one {code, scope,
 * fix} per distinct piece of advice (null, null, [] when nothing is
 * known). */
struct list_def;
void report_advice_json(struct json_t *o, const struct list_def *l,
                        const uint32_t *codes, size_t n);
/* Text rblmon composed (errors, details, notification bodies) whose
 * untrusted parts were escaped when it was composed: no double escaping,
 * line breaks kept; anything unsafe left is still escaped. */
struct json_t *report_json_composed(const char *s);
/* One change as a JSON object (new reference). */
struct json_t *report_change_json(const struct change *c);
/* A list's delisting as {url, procedure, expires_seconds, fix_first}
 * (each null when not known), or JSON null when the list says nothing
 * of it (or l is NULL).  A new reference. */
struct json_t *report_delist_json(const struct list_def *l);
/* A listing episode's fields, the same wherever one is shown (status,
 * history, remind, the hook): target, watchlist, source, codes, reasons,
 * severity, txt, since, cleared, seconds (its duration at now), delist,
 * scope, fix and fixes, set into o.  l: its list, or NULL when it left
 * the catalog. */
void report_episode_json(struct json_t *o, const struct episode *e,
                         const struct list_def *l, int64_t now);
/* Rejections that go with a listing: {rejections_24h, rejections_7d,
 * rejections, receivers, servers}.  A new reference. */
struct json_t *report_evidence_json(const struct evidence *ev);
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
