#include "remind.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "report.h"

static int64_t
days(int64_t s)
{
  return s / 86400;
}

/* The advice for the listing's codes (a provider's or an authentication
 * check's finding, which has none: the list's own); how many. */
static size_t
episode_advice(const struct list_def *l, const struct episode *e,
               struct code_advice *adv, size_t max)
{
  uint32_t codes[RESULT_MAX_CODES];
  size_t n = catalog_parse_codes(e->codes, codes, RESULT_MAX_CODES);
  return l != NULL ? catalog_advise(l, codes, n, adv, max) : 0;
}

/* Who can fix it and what to fix first, for the codes returned: each
 * component of a combined list (Spamhaus ZEN: SBL, XBL, PBL...) has its
 * own. */
static void
compose_advice(const struct list_def *l, const struct episode *e,
               struct sbuf *t)
{
  struct code_advice adv[RESULT_MAX_CODES * 8];
  size_t k = episode_advice(l, e, adv, UTIL_ARRAY_LEN(adv));
  for (size_t i = 0; i < k; i++) {
    char c[24] = "";
    if (k > 1) {
      char code[20];
      report_code_str(adv[i].code, code, sizeof(code));
      snprintf(c, sizeof(c), "%s: ", code);
    }
    const char *who = catalog_scope_who(adv[i].scope);
    if (who != NULL) {
      sbuf_addf(t, _("  Who can fix: %s%s [%s]"), c, who,
                catalog_scope_name(adv[i].scope));
      sbuf_adds(t, "\n");
    }
    if (adv[i].fix != NULL) {
      char fx[1024];
      snprintf(fx, sizeof(fx), "%s%s", c, adv[i].fix);
      sbuf_addf(t, _("  Fix first: %s"), fx);
      sbuf_adds(t, "\n");
    }
  }
}

/* The reminder for machines: its listing's fields as status and history
 * show them (report_episode_json), then the reminder's own. */
static json_t *
reminder_json(const struct reminder *r, const struct list_def *l,
              const struct evidence *ev, bool urgent, int64_t now)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(r->id));
  report_episode_json(o, &r->e, l, now);
  json_object_set_new(o, "state", json_string(reminder_state_names[r->state]));
  json_object_set_new(o, "urgent", json_boolean(urgent));
  json_object_set_new(o, "relisting", json_boolean(r->relisting));
  json_object_set_new(o, "fix_first", l && l->fix_first
                                        ? json_string(l->fix_first)
                                        : json_null());
  json_object_set_new(o, "evidence", report_evidence_json(ev));
  return o;
}

static void
compose_evidence(const struct evidence *ev, struct sbuf *t)
{
  if (ev->total > 0) {
    sbuf_addf(t, _("  Evidence: %llu rejections in the last 24 hours, %llu "
                   "in 7 days"), (unsigned long long)ev->day,
              (unsigned long long)ev->week);
    for (size_t i = 0; i < ev->nreceivers; i++)
      sbuf_addf(t, "%s%s", i ? ", " : _(", at "), ev->receivers[i]);
    for (size_t i = 0; ev->nservers > 1 && i < ev->nservers; i++) {
      sbuf_adds(t, i ? ", " : _("; logged by "));
      util_escape(t, ev->servers[i], strlen(ev->servers[i])); /* a log's */
      sbuf_addf(t, " %llu", (unsigned long long)ev->per_server[i]);
    }
    sbuf_adds(t, ".\n");
  } else {
    sbuf_adds(t, _("  Evidence: no rejection in the mail logs names this "
                   "listing yet."));
    sbuf_adds(t, "\n");
  }
}

/* The next step and when to remind again. */
static void
compose_next(const struct config *cfg, const struct reminder *r,
             const struct list_def *l, int64_t now, struct sbuf *t,
             struct remind_out *out)
{
  const struct episode *e = &r->e;
  bool auth = l != NULL && l->auth;
  int64_t expiry = l && l->delist_expires_ms
                     ? e->first_seen + (int64_t)(l->delist_expires_ms / 1000)
                     : 0;
  if (r->state == REM_REQUESTED) {
    char ago[32];
    report_age(now - r->requested_at, ago, sizeof(ago));
    sbuf_addf(t, _("  Removal was requested %s ago%s%s and the listing is "
                   "still there."), ago, r->note ? ": " : "",
              r->note ? r->note : "");
    sbuf_adds(t, "\n");
    out->next_due = now + (int64_t)(cfg->remind_after_request_ms / 1000);
  } else if (expiry > now) {
    char when[32];
    report_time(expiry, when, sizeof(when));
    sbuf_addf(t, _("  This list expires listings on its own: expected off "
                   "the list by %s; you will be reminded only if it is not."),
              when);
    sbuf_adds(t, "\n");
    out->next_due = expiry;
  } else if (auth) {
    sbuf_addf(t, "%s\n", _("  When you have fixed it: rblmon ack ID --note "
                           "TEXT; the next check confirms it."));
    out->next_due = now + (int64_t)(cfg->remind_every_ms / 1000);
  } else {
    sbuf_addf(t, "%s\n", _("  When you have asked for removal: rblmon ack "
                           "ID --note TEXT."));
    out->next_due = now + (int64_t)(cfg->remind_every_ms / 1000);
  }
}

void
remind_compose(const struct config *cfg, const struct catalog *cat,
               const struct reminder *r, const struct evidence *ev,
               int64_t now, struct sbuf *t, json_t **j, struct remind_out *out)
{
  const struct episode *e = &r->e;
  const struct list_def *l = catalog_find(cat, e->source);
  char since[32], age[32], d[512] = "";
  report_time(e->first_seen, since, sizeof(since));
  report_age((e->cleared_at ? e->cleared_at : now) - e->first_seen, age,
             sizeof(age));
  if (l != NULL)
    report_delist_str(l, d, sizeof(d));
  bool closing = r->state == REM_CLOSING;
  memset(out, 0, sizeof(*out));
  out->next_state = REM_KEEP;
  out->urgent = !closing && report_urgent(e, ev);
  *j = reminder_json(r, l, ev, out->urgent, now);
  bool auth = l != NULL && l->auth; /* fixed in DNS, not delisted */
  if (closing) {
    sbuf_addf(t, auth ? _("FIXED: %s passes %s again, after %lld days (%s); "
                          "%llu rejections were seen meanwhile.")
                      : _("DELISTED: %s is no longer listed on %s, after "
                          "%lld days (%s); %llu rejections were seen while "
                          "it was."),
              e->target, e->source, (long long)days(e->cleared_at -
                                                   e->first_seen),
              age, (unsigned long long)ev->total);
    sbuf_adds(t, "\n");
    out->next_state = REM_CLOSED;
    out->next_due = now;
    json_object_set_new(*j, "message", json_string("delisted"));
    return;
  }
  if (out->urgent)
    sbuf_adds(t, _("URGENT: "));
  sbuf_addf(t, auth ? _("%s fails %s (%s) since %s, %s ago.")
              : r->relisting ? _("%s is listed AGAIN on %s (%s) since %s, "
                                 "%s ago.")
                             : _("%s is listed on %s (%s) since %s, %s ago."),
            e->target, e->source, l && l->title ? l->title : e->source,
            since, age);
  sbuf_adds(t, "\n");
  sbuf_addf(t, _("  Codes: %s: %s (%s)"), e->codes, e->reasons,
            severity_names[e->sev]);
  sbuf_adds(t, "\n");
  if (e->txt != NULL) {
    sbuf_adds(t, auth ? _("  Found: ") : _("  The list says: "));
    util_escape(t, e->txt, strlen(e->txt));
    sbuf_adds(t, "\n");
  }
  compose_evidence(ev, t);
  if (l != NULL)
    compose_advice(l, e, t);
  if (d[0]) {
    sbuf_addf(t, _("  Then ask for removal: %s"), d);
    sbuf_adds(t, "\n");
  }
  compose_next(cfg, r, l, now, t, out);
  char idl[48];
  snprintf(idl, sizeof(idl), "  [reminder %lld]\n", (long long)r->id);
  sbuf_adds(t, idl);
  json_object_set_new(*j, "message", json_string(r->relisting ? "relisted"
                                                              : "listed"));
}
