/* correlate.c - listings and rejections joined in SQL (correlate.h): a
 * listing's evidence is one query on rejections(list, time) over the
 * lists of its operator; the blocks no listing explains are one join of
 * the week's rejections with the episodes. */
#include "correlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "store_sql.h"
#include "util.h"

/* The catalog as JSON for the joins: a bound far above any catalog. */
#define CORRELATE_JSON_MAX (4u << 20)

/* The same list, or another list of the same operator: a receiver that
 * says "Spamhaus" may mean ZEN, SBL or XBL.  Two names are the same list
 * when their keys are equal: "o:<operator>\x1f<type>" for a list of the
 * catalog with an operator, "n:<name>" for any other name.  The state
 * joins on these keys, which the catalog gives (fam_json()). */
static rbl_status
list_key(const struct catalog *cat, const char *name, struct sbuf *out)
{
  const struct list_def *l = catalog_find(cat, name);
  sbuf_reset(out);
  if (l != NULL && l->operator_name[0] != '\0')
    return sbuf_addf(out, "o:%s\x1f%d", l->operator_name, (int)l->type);
  return sbuf_addf(out, "n:%s", name);
}

/* Appends s to out as a JSON string. */
static rbl_status
json_str(struct sbuf *out, const char *s)
{
  rbl_status st = sbuf_adds(out, "\"");
  for (; st == RBL_OK && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      st = sbuf_addf(out, "\\%c", c);
    else if (c < 0x20)
      st = sbuf_addf(out, "\\u%04x", c);
    else
      st = sbuf_add(out, s, 1);
  }
  return st == RBL_OK ? sbuf_adds(out, "\"") : st;
}

/* Appends "name":"key" (obj) or "name" (not obj) for every list of the
 * catalog with an operator whose key is want (NULL: every one), each
 * preceded by a comma when *first is false. */
static rbl_status
fam_add(const struct catalog *cat, const char *want, bool obj, bool *first,
        struct sbuf *out)
{
  struct sbuf key;
  rbl_status st = RBL_OK;
  sbuf_init(&key, 1024);
  for (size_t i = 0; st == RBL_OK && i < cat->n; i++) {
    const struct list_def *l = cat->lists[i];
    if (l->operator_name[0] == '\0')
      continue;
    if ((st = list_key(cat, l->name, &key)) != RBL_OK)
      break;
    if (want != NULL && strcmp(sbuf_str(&key), want) != 0)
      continue;
    if (!*first)
      st = sbuf_adds(out, ",");
    *first = false;
    if (st == RBL_OK)
      st = json_str(out, l->name);
    if (st == RBL_OK && obj)
      st = sbuf_adds(out, ":");
    if (st == RBL_OK && obj)
      st = json_str(out, sbuf_str(&key));
  }
  sbuf_free(&key);
  return st;
}

/* The catalog's lists that have an operator, as a JSON object name ->
 * key (list_key()): what the state's joins read through json_each(). */
static rbl_status
fam_json(const struct catalog *cat, struct sbuf *out)
{
  bool first = true;
  rbl_status st = sbuf_adds(out, "{");
  if (st == RBL_OK)
    st = fam_add(cat, NULL, true, &first, out);
  return st == RBL_OK ? sbuf_adds(out, "}") : st;
}

/* The names that are the same list as name (name first), a JSON array. */
static rbl_status
same_lists_json(const struct catalog *cat, const char *name, struct sbuf *out)
{
  struct sbuf key;
  sbuf_init(&key, 1024);
  bool first = false;
  rbl_status st = list_key(cat, name, &key);
  if (st == RBL_OK)
    st = sbuf_adds(out, "[");
  if (st == RBL_OK)
    st = json_str(out, name);
  if (st == RBL_OK && strncmp(sbuf_str(&key), "o:", 2) == 0)
    st = fam_add(cat, sbuf_str(&key), false, &first, out);
  if (st == RBL_OK)
    st = sbuf_adds(out, "]");
  sbuf_free(&key);
  return st;
}

/* Rejections that an authentication finding explains: by the detail of
 * the rule that classified them (lists/rules/rejections.yaml), or a rule
 * about unauthenticated mail, which any of SPF, DKIM and DMARC explains. */
static const struct {
  const char *source, *detail;
} auth_evidence[] = {
  {"auth:ptr", "ptr"}, {"auth:spf", "spf"}, {"auth:dkim", "dkim"},
  {"auth:dmarc", "dmarc"},
};

/* Causes that say nothing of our standing (classify.h cause_is_ours()):
 * the recipient's side, and the receiver's own failed list query. */
#define NOT_OURS \
  "COALESCE(cause, '') NOT IN ('recipient', 'receiver-error')"

/* The rejections of a listing, oldest first: those naming its list (or
 * one of the same operator: the index rejections(list, time)), or for an
 * authentication finding those it explains; of an address, only those
 * naming it or no address. */
static const char listing_sql[] =
  "SELECT time, receiver FROM rejections WHERE list IN (SELECT value FROM "
  "json_each(?6)) AND time BETWEEN ?1 AND ?2 AND (?4 IS NULL OR named_ip IS "
  "NULL OR named_ip = ?4) AND " NOT_OURS " ORDER BY time, id";
static const char listing_auth_sql[] =
  "SELECT time, receiver FROM rejections WHERE time BETWEEN ?1 AND ?2 "
  "AND (?4 IS NULL OR named_ip IS NULL OR named_ip = ?4) "
  "AND (list IS NOT NULL OR cause IN ('authentication', 'configuration')) "
  "AND ((?5 <> 'auth:ptr' AND instr(rule, 'unauthenticated') > 0) OR "
  "detail = ?7) AND " NOT_OURS " ORDER BY time, id";

static void
add_evidence(struct evidence *ev, int64_t now, int64_t t, const char *recv)
{
  ev->total++;
  ev->day += t >= now - 86400;
  ev->week += t >= now - 7 * 86400;
  if (ev->first == 0 || t < ev->first)
    ev->first = t;
  if (t > ev->last)
    ev->last = t;
  if (recv == NULL)
    return;
  for (size_t i = 0; i < ev->nreceivers; i++)
    if (strcmp(ev->recv_buf[i], recv) == 0)
      return;
  if (ev->nreceivers < CORRELATE_RECEIVERS) {
    snprintf(ev->recv_buf[ev->nreceivers], sizeof(ev->recv_buf[0]), "%s",
             recv);
    ev->receivers[ev->nreceivers] = ev->recv_buf[ev->nreceivers];
    ev->nreceivers++;
  }
}

rbl_status
correlate_listing(struct store *s, const struct catalog *cat,
                  const struct episode *e, int64_t window_s, int64_t now,
                  struct evidence *ev)
{
  memset(ev, 0, sizeof(*ev));
  bool auth = strncmp(e->source, "auth:", 5) == 0;
  const char *detail = NULL;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(auth_evidence); i++)
    if (strcmp(auth_evidence[i].source, e->source) == 0)
      detail = auth_evidence[i].detail;
  struct addr a;
  bool ip_target = target_addr_parse(e->target, &a);
  struct sbuf same;
  sbuf_init(&same, CORRELATE_JSON_MAX);
  rbl_status st = same_lists_json(cat, e->source, &same);
  sqlite3_stmt *q = st == RBL_OK ? sq_prepare(s, auth ? listing_auth_sql
                                                   : listing_sql) : NULL;
  if (q == NULL && st == RBL_OK)
    st = RBL_EIO;
  if (q != NULL) {
    sqlite3_bind_int64(q, 1, e->first_seen - window_s);
    sqlite3_bind_int64(q, 2, e->cleared_at ? e->cleared_at + window_s : now);
    if (ip_target)
      sqlite3_bind_text(q, 4, e->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, e->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, sbuf_str(&same), -1, SQLITE_STATIC);
    if (detail != NULL)
      sqlite3_bind_text(q, 7, detail, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sq_step(s, q)) == SQLITE_ROW)
      add_evidence(ev, now, sqlite3_column_int64(q, 0), sq_col_text(q, 1));
    st = rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
  }
  sqlite3_finalize(q);
  sbuf_free(&same);
  return st;
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

#define MAX_FINDINGS 64

struct uctx {
  struct finding f[MAX_FINDINGS];
  size_t nf;
};

/* The blocks of the last 7 days (naming a list, or the receiver's own),
 * oldest first, each with whether a listing explains it (an episode of
 * the same list, of the address it names or of any when it names none,
 * within the episode widened by the window), whether such a listing had
 * cleared before it, and whether its list is monitored (?5: the keys of
 * the lists in use).  Lists are joined by their keys (list_key()): ?3 maps
 * the catalog's names to them. */
static const char unexplained_sql[] =
  "WITH fam(name, key) AS MATERIALIZED "
  " (SELECT key, value FROM json_each(?3)),"
  " r AS MATERIALIZED (SELECT id, time, list, block, named_ip, receiver,"
  "  COALESCE((SELECT key FROM fam WHERE name = list), 'n:' || list) AS k"
  "  FROM rejections WHERE time BETWEEN ?1 AND ?2"
  "  AND cause IN ('blocklist', 'reputation')),"
  " e AS MATERIALIZED (SELECT target, first_seen,"
  "  COALESCE(cleared_at, 0) AS cl,"
  "  COALESCE((SELECT key FROM fam WHERE name = source), 'n:' || source)"
  "  AS k FROM episodes) "
  "SELECT time, list, block, receiver,"
  " EXISTS (SELECT 1 FROM e WHERE e.k = r.k"
  "  AND (r.named_ip IS NULL OR e.target = r.named_ip)"
  "  AND r.time >= e.first_seen - ?4 AND (e.cl = 0 OR r.time <= e.cl + ?4)),"
  " EXISTS (SELECT 1 FROM e WHERE e.k = r.k"
  "  AND (r.named_ip IS NULL OR e.target = r.named_ip)"
  "  AND e.cl <> 0 AND r.time > e.cl + ?4),"
  " r.k IN (SELECT value FROM json_each(?5)) "
  "FROM r ORDER BY time, id";

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

/* One block no listing explains, into its finding. */
static void
on_block(struct uctx *c, int64_t time, const char *list, const char *block,
         const char *receiver, bool cleared_before, bool monitored)
{
  struct finding *f;
  char advice[320] = "";
  if (list != NULL) {
    const char *kind = !monitored        ? "unmonitored-list"
                       : cleared_before ? "cleared-listing"
                                         : "not-seen-listed";
    f = finding_for(c, kind, list);
    if (!monitored)
      snprintf(advice, sizeof(advice), _("a list you do not monitor: add %s "
               "to lists.use, then check it"), list);
    else if (cleared_before)
      snprintf(advice, sizeof(advice), _("the listing on %s has cleared "
               "since; if rejections go on, the receiver may cache it"),
               list);
    else
      snprintf(advice, sizeof(advice), _("%s never showed a listing when "
               "checked: check more often, or the receiver uses a local "
               "copy"), list);
  } else {
    const char *who = receiver ? receiver : "?";
    char what[128];
    snprintf(what, sizeof(what), "%s%s%s", who, block ? " " : "",
             block ? block : "");
    f = finding_for(c, "receiver-block", what);
    snprintf(advice, sizeof(advice), "%s",
             _("the receiver's own block: contact its postmaster with the "
               "rejection text"));
    for (size_t i = 0; i < UTIL_ARRAY_LEN(receiver_advice); i++)
      if (receiver && strcmp(receiver, receiver_advice[i].receiver) == 0)
        snprintf(advice, sizeof(advice), "%s", _(receiver_advice[i].advice));
  }
  if (f == NULL)
    return;
  if (f->count++ == 0) {
    f->first = time;
    snprintf(f->advice, sizeof(f->advice), "%s", advice);
  }
  f->last = time;
}

/* The keys (list_key()) of the lists in use, a JSON array. */
static rbl_status
selected_json(const struct catalog *cat, const struct list_def *const *sel,
              size_t nsel, struct sbuf *out)
{
  struct sbuf key;
  sbuf_init(&key, 1024);
  rbl_status st = sbuf_adds(out, "[");
  for (size_t i = 0; st == RBL_OK && i < nsel; i++) {
    st = list_key(cat, sel[i]->name, &key);
    if (st == RBL_OK && i > 0)
      st = sbuf_adds(out, ",");
    if (st == RBL_OK)
      st = json_str(out, sbuf_str(&key));
  }
  if (st == RBL_OK)
    st = sbuf_adds(out, "]");
  sbuf_free(&key);
  return st;
}

/* Runs unexplained_sql into c. */
static rbl_status
find_unexplained(struct store *s, struct uctx *c, const char *fam,
                 const char *sel, int64_t window_s, int64_t now)
{
  sqlite3_stmt *q = sq_prepare(s, unexplained_sql);
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, now - 7 * 86400);
  sqlite3_bind_int64(q, 2, now);
  sqlite3_bind_text(q, 3, fam, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 4, window_s);
  sqlite3_bind_text(q, 5, sel, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sq_step(s, q)) == SQLITE_ROW)
    if (sqlite3_column_int(q, 4) == 0)
      on_block(c, sqlite3_column_int64(q, 0), sq_col_text(q, 1),
               sq_col_text(q, 2), sq_col_text(q, 3),
               sqlite3_column_int(q, 5) != 0, sqlite3_column_int(q, 6) != 0);
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
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
  struct sbuf fam, sel;
  sbuf_init(&fam, CORRELATE_JSON_MAX);
  sbuf_init(&sel, CORRELATE_JSON_MAX);
  rbl_status st = fam_json(cat, &fam);
  if (st == RBL_OK)
    st = selected_json(cat, selected, nselected, &sel);
  if (st == RBL_OK)
    st = find_unexplained(s, c, sbuf_str(&fam), sbuf_str(&sel), window_s,
                          now);
  for (size_t i = 0; st == RBL_OK && i < c->nf; i++)
    fn(arg, &c->f[i]);
  sbuf_free(&fam);
  sbuf_free(&sel);
  free(c);
  return st;
}
