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
  const char *fmt = c->format ? c->format : "text";
  bool json = strcmp(fmt, "json") == 0;
  if ((!json && strcmp(fmt, "text") != 0) || c->nargs > 0) {
    fprintf(stderr, "rblmon: usage: rblmon remind [--format text|json]\n");
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, false) == RBL_EXIT_OK)
    rc = remind_run(&a, json);
  app_free(&a);
  return rc;
}

int
remind_run(const struct app *a, bool json)
{
  struct store *s = NULL;
  struct arena ar = ARENA_INIT;
  struct reminder *due = NULL;
  size_t ndue = 0;
  int rc = RBL_EXIT_UNKNOWN;
  char err[512];
  int64_t now = clock_now();
  if ((s = app_store(a, false)) == NULL)
    goto done;
  if (store_begin(s, now, err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    goto done;
  }
  if (store_reminders(s, now, false, &ar, &due, &ndue) != RBL_OK) {
    fprintf(stderr, "rblmon: cannot read the reminders\n");
    goto done;
  }
  json_t *arr = json_array();
  struct sbuf t;
  sbuf_init(&t, (size_t)1 << 28); /* bounded, far beyond any real run */
  size_t urgent = 0;
  bool ok = true;
  struct notify_event *nev = calloc(ndue ? ndue : 1, sizeof(*nev));
  if (nev == NULL)
    ok = false;
  for (size_t i = 0; i < ndue && ok; i++) {
    struct evidence ev;
    json_t *o;
    struct remind_out ro;
    correlate_listing(s, &a->cat, &due[i].e,
                      (int64_t)(a->cfg.remind_window_ms / 1000), now, &ev);
    size_t mark = t.len;
    remind_compose(&a->cfg, &a->cat, &due[i], &ev, now, &t, &o, &ro);
    /* the same words for the notifiers: first line summary, rest body */
    const char *msg = sbuf_str(&t) + mark;
    const char *nl = strchr(msg, '\n');
    struct notify_event *ne = &nev[i];
    ne->kind = NOTIFY_EV_REMINDER;
    ne->has_sev = due[i].state != REM_CLOSING;
    ne->sev = due[i].e.sev;
    snprintf(ne->summary, sizeof(ne->summary), "%.*s",
             (int)(nl ? nl - msg : (ptrdiff_t)strlen(msg)), msg);
    snprintf(ne->body, sizeof(ne->body), "%s", nl ? nl + 1 : "");
    ne->json = json_deep_copy(o);
    sbuf_adds(&t, "\n");
    urgent += ro.urgent;
    json_array_append_new(arr, o);
    ok = store_reminder_set(s, due[i].id, ro.next_state, ro.next_due,
                            true, 0, NULL) == RBL_OK;
  }
  if (!ok || store_commit(s, err, sizeof(err)) != RBL_OK) {
    if (!ok)
      store_failure(s, "the reminders were not recorded as sent", err,
                    sizeof(err));
    fprintf(stderr, "rblmon: %s\n", err);
    store_cycle_rollback(s);
    sbuf_free(&t);
    json_decref(arr);
    notify_free(nev, nev ? ndue : 0);
    goto done;
  }
  if (ndue > 0)
    notify_send(&a->cfg, nev, ndue, false);
  notify_free(nev, ndue);
  rc = urgent ? RBL_EXIT_CRITICAL : ndue ? RBL_EXIT_WARNING : RBL_EXIT_OK;
  if (json) {
    json_t *top = json_pack("{sosssi}", "reminders", arr, "status",
                            report_exit_name(rc), "exit", rc);
    json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(top);
  } else {
    json_decref(arr);
    fputs(sbuf_str(&t), stdout);
  }
  /* out before the state is closed: what was committed is announced
   * whatever happens next */
  fflush(stdout);
  sbuf_free(&t);
done:
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
  if (c->nargs != (ack ? 1 : 2) || !parse_id(c->args[0], &id) ||
      (!ack && util_parse_duration(c->args[1], &ms) != RBL_OK)) {
    fprintf(stderr, ack ? "rblmon: usage: rblmon ack ID [--note TEXT] "
                          "(ID from rblmon remind or status)\n"
                        : "rblmon: usage: rblmon snooze ID DURATION "
                          "(such as 12h or 3d)\n");
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
  if (!c->test || c->nargs > 0) {
    fprintf(stderr, "rblmon: usage: rblmon notify --test\n");
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
