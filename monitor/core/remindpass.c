/* remindpass.c - the delisting reminders' passes (remindpass.h). */
#include "remindpass.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "i18n.h"
#include "notify.h"
#include "remind.h"
#include "store.h"

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
  notify_from_reminder(ne, sbuf_str(&t), r->state != REM_CLOSING, r->e.sev,
                       o);
  sbuf_free(&t);
  *urgent += ro.urgent;
  return item->text != NULL &&
         store_reminder_set(s, r->id, ro.next_state, ro.next_due, true, 0,
                            NULL) == RBL_OK;
}

int
remindpass_run(const struct app *a, const struct reporter *rep, FILE *out)
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
  rep->remind(out, &v);
  /* out before the state is closed: what was committed is announced
   * whatever happens next */
  fflush(out);
out:
  for (size_t i = 0; i < done; i++)
    json_decref(items[i].json);
  notify_free(nev, nev ? done : 0);
  arena_free(&ar);
  store_close(s);
  return rc;
}

/* Reminder id, if open, changed (state, due, requested_at, note) in one
 * transaction, then confirmed on out. */
static rbl_status
answer(const struct app *a, int64_t id, enum reminder_state state,
       int64_t due, int64_t requested_at, const char *note, FILE *out)
{
  struct arena ar = ARENA_INIT;
  struct reminder one;
  char err[512];
  rbl_status st = RBL_EIO;
  struct store *s = app_store(a, false);
  if (s == NULL)
    goto out;
  if (store_begin(s, clock_now(), err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    goto out;
  }
  st = store_reminder_get(s, id, &ar, &one);
  if (st != RBL_OK || one.state == REM_CLOSED || one.state == REM_CLOSING) {
    fprintf(stderr, "rblmon: no open reminder %lld (rblmon status lists "
            "them)\n", (long long)id);
    store_cycle_rollback(s);
    st = RBL_ENOTFOUND;
    goto out;
  }
  st = store_reminder_set(s, id, state, due, false, requested_at, note);
  if (st != RBL_OK || store_commit(s, err, sizeof(err)) != RBL_OK) {
    if (st != RBL_OK)
      store_failure(s, "the change was not saved", err, sizeof(err));
    fprintf(stderr, "rblmon: %s\n", err);
    store_cycle_rollback(s);
    st = RBL_EIO;
    goto out;
  }
  char when[32];
  report_time(due, when, sizeof(when));
  if (state == REM_REQUESTED)
    fprintf(out, _("Removal request for %s on %s recorded; next reminder %s "
                   "if it is still listed.\n"), one.e.target, one.e.source,
            when);
  else
    fprintf(out, _("Reminder for %s on %s snoozed until %s.\n"),
            one.e.target, one.e.source, when);
  fflush(out); /* before the state is let go */
out:
  arena_free(&ar);
  store_close(s);
  return st;
}

rbl_status
remindpass_ack(const struct app *a, int64_t id, const char *note,
               FILE *out)
{
  int64_t now = clock_now();
  return answer(a, id, REM_REQUESTED,
                now + (int64_t)(a->cfg.remind_after_request_ms / 1000), now,
                note, out);
}

rbl_status
remindpass_snooze(const struct app *a, int64_t id, int64_t until,
                  FILE *out)
{
  return answer(a, id, REM_KEEP, until, 0, NULL, out);
}
