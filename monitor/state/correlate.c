#include "correlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

/* The same list, or another list of the same operator: a receiver that
 * says "Spamhaus" may mean ZEN, SBL or XBL. */
static bool
same_list(const struct catalog *cat, const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return false;
  if (strcmp(a, b) == 0)
    return true;
  const struct list_def *x = catalog_find(cat, a), *y = catalog_find(cat, b);
  return x != NULL && y != NULL && x->operator_name[0] != '\0' &&
         strcmp(x->operator_name, y->operator_name) == 0 &&
         x->type == y->type;
}

struct lctx {
  const struct catalog *cat;
  const struct episode *e;
  int64_t now;
  struct evidence *ev;
};

/* Rejections that an authentication finding explains: by the detail of
 * the rule that classified them (lists/rules/rejections.yaml), or a rule
 * about unauthenticated mail, which any of SPF, DKIM and DMARC explains. */
static const struct {
  const char *source, *detail;
} auth_evidence[] = {
  {"auth:ptr", "ptr"}, {"auth:spf", "spf"}, {"auth:dkim", "dkim"},
  {"auth:dmarc", "dmarc"},
};

static bool
explains(const char *source, const struct rejection_row *r)
{
  if (strcmp(source, "auth:ptr") != 0 && r->rule != NULL &&
      strstr(r->rule, "unauthenticated") != NULL)
    return true;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(auth_evidence); i++)
    if (strcmp(auth_evidence[i].source, source) == 0)
      return r->detail != NULL && strcmp(r->detail, auth_evidence[i].detail)
                                    == 0;
  return false;
}

static void
on_rejection(void *arg, const struct rejection_row *r)
{
  struct lctx *c = arg;
  bool auth = strncmp(c->e->source, "auth:", 5) == 0;
  if (auth ? !explains(c->e->source, r)
           : !same_list(c->cat, r->list, c->e->source))
    return;
  struct addr a;
  bool ip_target = target_addr_parse(c->e->target, &a);
  if (ip_target && r->named_ip != NULL && strcmp(r->named_ip, c->e->target))
    return; /* (a domain's finding: any address may have been refused) */
  struct evidence *ev = c->ev;
  ev->total++;
  ev->day += r->time >= c->now - 86400;
  ev->week += r->time >= c->now - 7 * 86400;
  if (ev->first == 0 || r->time < ev->first)
    ev->first = r->time;
  if (r->time > ev->last)
    ev->last = r->time;
  if (r->receiver != NULL) {
    for (size_t i = 0; i < ev->nreceivers; i++)
      if (strcmp(ev->recv_buf[i], r->receiver) == 0)
        return;
    if (ev->nreceivers < CORRELATE_RECEIVERS) {
      snprintf(ev->recv_buf[ev->nreceivers], sizeof(ev->recv_buf[0]), "%s",
               r->receiver);
      ev->receivers[ev->nreceivers] = ev->recv_buf[ev->nreceivers];
      ev->nreceivers++;
    }
  }
}

rbl_status
correlate_listing(struct store *s, const struct catalog *cat,
                  const struct episode *e, int64_t window_s, int64_t now,
                  struct evidence *ev)
{
  memset(ev, 0, sizeof(*ev));
  struct lctx c = {cat, e, now, ev};
  int64_t to = e->cleared_at ? e->cleared_at + window_s : now;
  return store_rejections(s, e->first_seen - window_s, to, false,
                          on_rejection, &c);
}

/* ---- unexplained -------------------------------------------------------- */
/* Where a receiver's own block is lifted (its postmaster pages). */
static const struct {
  const char *receiver, *advice;
} receiver_advice[] = {
  {"outlook.com", N_("Microsoft's own block list: look at the IP in SNDS "
                     "(https://sendersupport.olc.protection.outlook.com/snds/)"
                     " and ask for delisting at https://sender.office.com/")},
  {"gmail.com", N_("Gmail's own reputation: look at Postmaster Tools "
                   "(https://postmaster.google.com/) and the sender "
                   "guidelines; there is no delisting form")},
  {"yahoo.com", N_("Yahoo's own block (TSS codes): see the Sender Hub "
                   "(https://senders.yahooinc.com/) and its support form")},
  {"aol.com", N_("Yahoo/AOL's own block (TSS codes): see the Sender Hub "
                 "(https://senders.yahooinc.com/)")},
};

struct episode_list {
  struct episode *e;
  char **strs;
  size_t n, cap;
};

static void
keep_episode(void *arg, const struct episode *e)
{
  struct episode_list *l = arg;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 32;
    struct episode *p = realloc(l->e, cap * sizeof(*p));
    if (p == NULL)
      return;
    l->e = p; /* each array is kept as soon as it has grown */
    char **q = realloc(l->strs, cap * 2 * sizeof(*q));
    if (q == NULL)
      return;
    l->strs = q;
    l->cap = cap;
  }
  char *t = strdup(e->target ? e->target : "");
  char *src = strdup(e->source ? e->source : "");
  if (t == NULL || src == NULL) {
    free(t);
    free(src);
    return;
  }
  struct episode *c = &l->e[l->n];
  *c = *e;
  l->strs[2 * l->n] = t;
  l->strs[2 * l->n + 1] = src;
  c->target = l->strs[2 * l->n];
  c->source = l->strs[2 * l->n + 1];
  c->codes = c->reasons = c->txt = NULL;
  l->n++;
}

#define MAX_FINDINGS 64

struct uctx {
  const struct catalog *cat;
  const struct list_def *const *sel;
  size_t nsel;
  struct episode_list eps;
  int64_t window;
  struct finding f[MAX_FINDINGS];
  size_t nf;
};

static struct finding *
finding_for(struct uctx *c, const char *kind, const char *what)
{
  for (size_t i = 0; i < c->nf; i++)
    if (strcmp(c->f[i].kind, kind) == 0 && strcmp(c->f[i].what, what) == 0)
      return &c->f[i];
  if (c->nf == MAX_FINDINGS)
    return NULL;
  struct finding *f = &c->f[c->nf++];
  memset(f, 0, sizeof(*f));
  f->kind = kind;
  snprintf(f->what, sizeof(f->what), "%s", what);
  return f;
}

static void
on_block(void *arg, const struct rejection_row *r)
{
  struct uctx *c = arg;
  bool cleared_before = false;
  for (size_t i = 0; i < c->eps.n; i++) {
    const struct episode *e = &c->eps.e[i];
    if (r->list == NULL || !same_list(c->cat, r->list, e->source) ||
        (r->named_ip != NULL && strcmp(r->named_ip, e->target) != 0))
      continue;
    int64_t end = e->cleared_at ? e->cleared_at + c->window : INT64_MAX;
    if (r->time >= e->first_seen - c->window && r->time <= end)
      return; /* explained */
    if (e->cleared_at && r->time > end)
      cleared_before = true;
  }
  struct finding *f;
  char advice[320] = "";
  if (r->list != NULL) {
    bool monitored = false;
    for (size_t i = 0; i < c->nsel && !monitored; i++)
      monitored = same_list(c->cat, r->list, c->sel[i]->name);
    const char *kind = !monitored        ? "unmonitored-list"
                       : cleared_before ? "cleared-listing"
                                         : "not-seen-listed";
    f = finding_for(c, kind, r->list);
    if (!monitored)
      snprintf(advice, sizeof(advice), _("a list you do not monitor: add %s "
               "to lists.use, then check it"), r->list);
    else if (cleared_before)
      snprintf(advice, sizeof(advice), _("the listing on %s has cleared "
               "since; if rejections go on, the receiver may cache it"),
               r->list);
    else
      snprintf(advice, sizeof(advice), _("%s never showed a listing when "
               "checked: check more often, or the receiver uses a local "
               "copy"), r->list);
  } else {
    const char *who = r->receiver ? r->receiver : "?";
    char what[128];
    snprintf(what, sizeof(what), "%s%s%s", who, r->block ? " " : "",
             r->block ? r->block : "");
    f = finding_for(c, "receiver-block", what);
    snprintf(advice, sizeof(advice), "%s",
             _("the receiver's own block: contact its postmaster with the "
               "rejection text"));
    for (size_t i = 0; i < sizeof(receiver_advice) / sizeof(receiver_advice[0]);
         i++)
      if (r->receiver && strcmp(r->receiver, receiver_advice[i].receiver) == 0)
        snprintf(advice, sizeof(advice), "%s", _(receiver_advice[i].advice));
  }
  if (f == NULL)
    return;
  if (f->count++ == 0) {
    f->first = r->time;
    snprintf(f->advice, sizeof(f->advice), "%s", advice);
  }
  f->last = r->time;
}

rbl_status
correlate_unexplained(struct store *s, const struct catalog *cat,
                      const struct list_def *const *selected,
                      size_t nselected, int64_t window_s, int64_t now,
                      finding_fn fn, void *arg)
{
  struct uctx *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return RBL_ENOMEM;
  c->cat = cat;
  c->sel = selected;
  c->nsel = nselected;
  c->window = window_s;
  rbl_status st = store_history(s, NULL, keep_episode, &c->eps);
  if (st == RBL_OK)
    st = store_rejections(s, now - 7 * 86400, now, true, on_block, c);
  for (size_t i = 0; st == RBL_OK && i < c->nf; i++)
    fn(arg, &c->f[i]);
  for (size_t i = 0; i < 2 * c->eps.n; i++)
    free(c->eps.strs[i]);
  free(c->eps.strs);
  free(c->eps.e);
  free(c);
  return st;
}
