/* cmd_remind.c - rblmon remind, ack, snooze: the delisting reminders. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "i18n.h"
#include "notify.h"
#include "remind.h"
#include "report.h"
#include "store.h"

/* Configuration, catalog and the state opened for writing, inside a
 * transaction; prints why not and returns false. */
static bool
begin_write(struct app *a, const struct cli *c, struct store **s,
            int64_t now)
{
  char err[512];
  if (cmd_app_load(a, c, false) != RBL_EXIT_OK ||
      (*s = app_store(a, false)) == NULL)
    return false;
  if (store_begin(*s, now, err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    return false;
  }
  return true;
}

int
cmd_remind(struct cli *c)
{
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, false) == RBL_EXIT_OK)
    rc = remind_report(&a, c->rep);
  app_free(&a);
  return rc;
}

/* One due reminder worded (remind_compose) into item (its text and JSON
 * object), its notification into ne, and marked sent; false when the
 * state or memory failed. */
static bool
remind_one(const struct app *a, struct store *s, const struct reminder *r,
           int64_t now, struct arena *ar, struct remind_item *item,
           struct notify_event *ne, size_t *urgent)
{
  struct evidence ev;
  struct remind_out ro;
  struct sbuf t;
  json_t *o = NULL;
  correlate_listing(s, &a->cat, &r->e,
                    (int64_t)(a->cfg.remind_window_ms / 1000), now, &ev);
  sbuf_init(&t, (size_t)1 << 24); /* bounded, far beyond any reminder */
  remind_compose(&a->cfg, &a->cat, r, &ev, now, &t, &o, &ro);
  item->json = o;
  item->text = arena_strdup(ar, sbuf_str(&t));
  /* the same words for the notifiers: first line summary, rest body */
  const char *msg = sbuf_str(&t);
  const char *nl = strchr(msg, '\n');
  ne->kind = NOTIFY_EV_REMINDER;
  ne->has_sev = r->state != REM_CLOSING;
  ne->sev = r->e.sev;
  snprintf(ne->summary, sizeof(ne->summary), "%.*s",
           (int)(nl ? nl - msg : (ptrdiff_t)strlen(msg)), msg);
  snprintf(ne->body, sizeof(ne->body), "%s", nl ? nl + 1 : "");
  ne->json = json_deep_copy(o);
  sbuf_free(&t);
  *urgent += ro.urgent;
  return item->text != NULL &&
         store_reminder_set(s, r->id, ro.next_state, ro.next_due, true, 0,
                            NULL) == RBL_OK;
}

int
remind_report(const struct app *a, const struct reporter *rep)
{
  struct store *s = NULL;
  struct arena ar = ARENA_INIT;
  struct reminder *due = NULL;
  struct remind_item *items = NULL;
  struct notify_event *nev = NULL;
  size_t n = 0, done = 0, urgent = 0;
  int rc = RBL_EXIT_UNKNOWN;
  char err[512];
  int64_t now = clock_now();
  if ((s = app_store(a, false)) == NULL)
    goto out;
  if (store_begin(s, now, err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    goto out;
  }
  if (store_reminders(s, now, false, &ar, &due, &n) != RBL_OK) {
    fprintf(stderr, "rblmon: cannot read the reminders\n");
    goto out;
  }
  bool ok = (items = arena_alloc(&ar, (n ? n : 1) * sizeof(*items))) != NULL &&
            (nev = calloc(n ? n : 1, sizeof(*nev))) != NULL;
  for (; done < n && ok; done++)
    ok = remind_one(a, s, &due[done], now, &ar, &items[done], &nev[done], &urgent);
  if (!ok || store_commit(s, err, sizeof(err)) != RBL_OK) {
    if (!ok)
      store_failure(s, "the reminders were not recorded as sent", err,
                    sizeof(err));
    fprintf(stderr, "rblmon: %s\n", err);
    store_cycle_rollback(s);
    goto out;
  }
  if (n > 0)
    notify_send(&a->cfg, nev, n, false);
  rc = urgent ? RBL_EXIT_CRITICAL : n ? RBL_EXIT_WARNING : RBL_EXIT_OK;
  struct remind_view v = {items, n, rc};
  rep->remind(stdout, &v);
  /* out before the state is closed: what was committed is announced
   * whatever happens next */
  fflush(stdout);
out:
  for (size_t i = 0; i < done; i++)
    json_decref(items[i].json);
  notify_free(nev, nev ? done : 0);
  arena_free(&ar);
  store_close(s);
  return rc;
}

static bool
parse_id(const char *s, int64_t *id)
{
  uint64_t v;
  if (util_parse_u64(s, INT64_MAX, &v) != RBL_OK || v == 0)
    return false;
  *id = (int64_t)v;
  return true;
}

/* ack ID [--note TEXT] and snooze ID DURATION share everything else. */
static int
change_reminder(struct cli *c, bool ack)
{
  int64_t id;
  uint64_t ms = 0;
  if (!parse_id(c->args[0], &id) ||
      (!ack && util_parse_duration(c->args[1], &ms) != RBL_OK)) {
    fputs(c->misuse, stderr); /* their number: main */
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  struct store *s = NULL;
  struct arena ar = ARENA_INIT;
  struct reminder one;
  int rc = RBL_EXIT_UNKNOWN;
  char err[512];
  int64_t now = clock_now();
  if (!begin_write(&a, c, &s, now))
    goto done;
  if (store_reminder_get(s, id, &ar, &one) != RBL_OK ||
      one.state == REM_CLOSED || one.state == REM_CLOSING) {
    fprintf(stderr, "rblmon: no open reminder %lld (rblmon status lists "
            "them)\n", (long long)id);
    store_cycle_rollback(s);
    goto done;
  }
  rbl_status st;
  char when[32];
  if (ack) {
    int64_t due = now + (int64_t)(a.cfg.remind_after_request_ms / 1000);
    st = store_reminder_set(s, id, REM_REQUESTED, due, false, now, c->note);
    report_time(due, when, sizeof(when));
    if (st == RBL_OK)
      printf(_("Removal request for %s on %s recorded; next reminder %s if "
               "it is still listed.\n"), one.e.target,
             one.e.source, when);
  } else {
    int64_t due = now + (int64_t)(ms / 1000);
    st = store_reminder_set(s, id, REM_KEEP, due, false, 0, NULL);
    report_time(due, when, sizeof(when));
    if (st == RBL_OK)
      printf(_("Reminder for %s on %s snoozed until %s.\n"),
             one.e.target, one.e.source, when);
  }
  if (st != RBL_OK || store_commit(s, err, sizeof(err)) != RBL_OK) {
    if (st != RBL_OK)
      store_failure(s, "the change was not saved", err, sizeof(err));
    fprintf(stderr, "rblmon: %s\n", err);
    store_cycle_rollback(s);
    goto done;
  }
  rc = RBL_EXIT_OK;
done:
  arena_free(&ar);
  store_close(s);
  app_free(&a);
  return rc;
}

int
cmd_ack(struct cli *c)
{
  return change_reminder(c, true);
}

int
cmd_snooze(struct cli *c)
{
  return change_reminder(c, false);
}

int
cmd_notify(struct cli *c)
{
  if (!c->test) { /* no argument: main */
    fputs(c->misuse, stderr);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, true) != RBL_EXIT_OK)
    goto done;
  if (!a.cfg.desktop.on && !a.cfg.command.on) {
    fprintf(stderr, "rblmon: no notification channel in %s: add notify: "
            "desktop: {} or command: {argv: [...]}\n", a.config_path);
    goto done;
  }
  struct notify_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.kind = NOTIFY_EV_TEST;
  ev.has_sev = true;
  ev.sev = SEV_NOTICE;
  snprintf(ev.summary, sizeof(ev.summary), "rblmon test notification");
  snprintf(ev.body, sizeof(ev.body), "If you can read this, rblmon can "
           "reach you here.");
  ev.json = json_pack("{ss}", "message", "test");
  size_t failed = notify_send(&a.cfg, &ev, 1, true);
  json_decref(ev.json);
  rc = failed ? RBL_EXIT_WARNING : RBL_EXIT_OK;
done:
  app_free(&a);
  return rc;
}
