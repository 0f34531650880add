/* notify.h - telling people: events (a listing, a delisting, a due
 * reminder, a list's health, a spike of rejections) sent to the channels
 * the configuration names, one channel per file behind a table:
 * notify_desktop.c (libnotify on the session bus), notify_command.c (a
 * program run with execve, the events as JSON on its stdin).  A channel
 * that fails is reported on stderr, never fatal: a missing desktop must
 * not fail a check. */
#ifndef RBL_NOTIFY_H
#define RBL_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>

#include "catalog.h"
#include "config.h"
#include "store.h"

struct notify_event {
  enum notify_kind kind;
  bool has_sev;
  enum severity sev;
  char summary[256];              /* short; may hold untrusted text */
  char body[2048];                /* raw: each channel escapes for itself */
  char url[256];                  /* where to act (delisting page) */
  json_t *json;                   /* owned: the event for machines */
};

/* Events from the changes of a check (listed, relisted, changed codes,
 * delisted, health).  Appends to *ev (realloc'ed); returns the count. */
size_t notify_from_changes(const struct change *c, size_t n,
                           struct notify_event **ev, size_t *nev);
/* A due reminder's event from its text (the first line the summary, the
 * rest the body) and its JSON (copied: j stays the caller's). */
void notify_from_reminder(struct notify_event *ev, const char *text,
                          bool has_sev, enum severity sev, const json_t *j);
/* Sends a log pass's spike: sum->stored_new new rejections by cause. */
struct scan_summary;
void notify_spike(const struct config *cfg, const struct scan_summary *sum);
/* Sends a test event to every channel that is on (rblmon notify --test),
 * saying each one's outcome; returns the number that failed. */
size_t notify_test(const struct config *cfg);
/* Frees the events' JSON and the array. */
void notify_free(struct notify_event *ev, size_t n);

/* Sends the events to every channel that is on and wants them (test
 * events go everywhere).  Failures are printed on stderr; verbose prints
 * successes too.  Returns the number of channels that failed. */
size_t notify_send(const struct config *cfg, const struct notify_event *ev,
                   size_t n, bool verbose);

/* ---- channels ----------------------------------------------------------- */
struct notifier {
  const char *name;
  bool (*on)(const struct config *cfg, unsigned *events);
  /* false with the reason in err */
  bool (*send)(const struct config *cfg, const struct notify_event *ev,
               size_t n, char *err, size_t errlen);
};
extern const struct notifier notify_desktop, notify_command;

#endif
