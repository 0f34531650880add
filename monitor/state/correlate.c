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
  "SELECT time, receiver, loghost FROM rejections WHERE list IN (SELECT value FROM "
  "json_each(?6)) AND time BETWEEN ?1 AND ?2 AND (?4 IS NULL OR named_ip IS "
  "NULL OR named_ip = ?4) AND " NOT_OURS " ORDER BY time, id";
static const char listing_auth_sql[] =
  "SELECT time, receiver, loghost FROM rejections WHERE time BETWEEN ?1 AND ?2 "
  "AND (?4 IS NULL OR named_ip IS NULL OR named_ip = ?4) "
  "AND (list IS NOT NULL OR cause IN ('authentication', 'configuration')) "
  "AND ((?5 <> 'auth:ptr' AND instr(rule, 'unauthenticated') > 0) OR "
  "detail = ?7) AND " NOT_OURS " ORDER BY time, id";

/* One more rejection from the mail server host (NULL or "": not known). */
static void
add_server(struct evidence *ev, const char *host)
{
  if (host == NULL || *host == '\0')
    return;
  size_t i = 0;
  while (i < ev->nservers && strcmp(ev->servers[i], host) != 0)
    i++;
  if (i == ev->nservers) {
    if (ev->nservers == CORRELATE_RECEIVERS)
      return;
    snprintf(ev->servers[ev->nservers++], sizeof(ev->servers[0]), "%s", host);
  }
  ev->per_server[i]++;
}

static void
add_evidence(struct evidence *ev, int64_t now, int64_t t, const char *recv,
             const char *host)
{
  add_server(ev, host);
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
      add_evidence(ev, now, sqlite3_column_int64(q, 0), sq_col_text(q, 1),
                   sq_col_text(q, 2));
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

/* Room for findings, by side: ours, the receivers', the receivers'
 * requirements, so that many of one never crowd out another; what does
 * not fit is counted in a last finding "more". */
enum { SIDE_OURS, SIDE_THEIRS, SIDE_REQUIREMENT, SIDES };
static const size_t side_room[SIDES] = {56, 24, 16};
#define MAX_FINDINGS (56 + 24 + 16 + 1)

struct uctx {
  const struct correlate_scope *sc;
  struct finding f[MAX_FINDINGS];
  size_t nf;
  size_t used[SIDES];
  uint64_t dropped;               /* rejections of groups that did not fit */
};

static int
side_of(const char *kind)
{
  return strcmp(kind, "requirement") == 0  ? SIDE_REQUIREMENT
         : strcmp(kind, "not-listed") == 0 ||
               strcmp(kind, "receiver-error") == 0
           ? SIDE_THEIRS
           : SIDE_OURS;
}

/* One block of the week, as unexplained_sql reads it. */
struct block_row {
  int64_t time;
  int64_t clean_at;               /* 0: no healthy clean check to cite */
  const char *list, *block, *zone, *receiver, *domain; /* may be NULL */
  bool receiver_error, cleared_before, monitored;
};

/* The blocks of the last 7 days (naming a list, or the receiver's own),
 * and the receivers' failed queries, oldest first.  Each block with
 * whether a listing explains it (an episode of the same list, of the
 * address it names or of any when it names none, within the episode
 * widened by the window), whether such a listing had cleared before it,
 * and whether its list is monitored (?5: the keys of the lists in use).
 * Lists are joined by their keys (list_key()): ?3 maps the catalog's
 * names to them.
 *
 * clean_at, for a block citing a list (cause blocklist): the time of the
 * state's last result of that very list (not another of its operator: a
 * clean SBL says nothing of ZEN) for the address the block names, or for
 * every target checked on it when it names none, when each is clean,
 * within the window of the block, and the list's health at that check
 * was ok: the health since list_health.since, or before it the last
 * health_history change (a first health is not in the history: unknown,
 * so not ok).  The state keeps one last result per pair, so an older
 * block has no such evidence. */
static const char unexplained_sql[] =
  "WITH fam(name, key) AS MATERIALIZED "
  " (SELECT key, value FROM json_each(?3)),"
  " r AS MATERIALIZED (SELECT id, time, cause, list, block, zone, named_ip,"
  "  receiver, domain,"
  "  COALESCE((SELECT key FROM fam WHERE name = list), 'n:' || list) AS k"
  "  FROM rejections WHERE time BETWEEN ?1 AND ?2"
  "  AND cause IN ('blocklist', 'reputation', 'receiver-error')),"
  " e AS MATERIALIZED (SELECT target, first_seen,"
  "  COALESCE(cleared_at, 0) AS cl,"
  "  COALESCE((SELECT key FROM fam WHERE name = source), 'n:' || source)"
  "  AS k FROM episodes),"
  " c AS MATERIALIZED (SELECT l.target, l.source, l.checked_at AS at,"
  "  l.status = 'clean' AND COALESCE((SELECT CASE WHEN h.since <="
  "  l.checked_at THEN h.health ELSE (SELECT g.health FROM health_history g"
  "  WHERE g.source = l.source AND g.at <= l.checked_at ORDER BY g.at DESC,"
  "  g.id DESC LIMIT 1) END FROM list_health h WHERE h.source = l.source),"
  "  '') = 'ok' AS healthy FROM last_check l"
  "  WHERE l.source IN (SELECT list FROM r WHERE cause = 'blocklist')) "
  "SELECT time, list, block, zone, receiver, domain,"
  " cause = 'receiver-error',"
  " cause <> 'receiver-error' AND EXISTS (SELECT 1 FROM e WHERE e.k = r.k"
  "  AND (r.named_ip IS NULL OR e.target = r.named_ip)"
  "  AND r.time >= e.first_seen - ?4 AND (e.cl = 0 OR r.time <= e.cl + ?4)),"
  " EXISTS (SELECT 1 FROM e WHERE e.k = r.k"
  "  AND (r.named_ip IS NULL OR e.target = r.named_ip)"
  "  AND e.cl <> 0 AND r.time > e.cl + ?4),"
  " r.k IN (SELECT value FROM json_each(?5)),"
  " CASE WHEN cause = 'blocklist' THEN (SELECT CASE WHEN count(*) > 0 AND"
  "  min(c.healthy AND c.at BETWEEN r.time - ?4 AND r.time + ?4)"
  "  THEN max(c.at) END FROM c WHERE c.source = r.list"
  "  AND (r.named_ip IS NULL OR c.target = r.named_ip)) END "
  "FROM r ORDER BY time, id";

static struct finding *
finding_for(struct uctx *c, const char *kind, const char *what,
            const char *receiver)
{
  for (size_t i = 0; i < c->nf; i++)
    if (strcmp(c->f[i].kind, kind) == 0 && strcmp(c->f[i].what, what) == 0 &&
        strcmp(c->f[i].receiver, receiver) == 0)
      return &c->f[i];
  int side = side_of(kind);
  if (c->used[side] == side_room[side]) {
    c->dropped++;
    return NULL;
  }
  c->used[side]++;
  struct finding *f = &c->f[c->nf++];
  memset(f, 0, sizeof(*f));
  f->kind = kind;
  snprintf(f->what, sizeof(f->what), "%s", what);
  snprintf(f->receiver, sizeof(f->receiver), "%s", receiver);
  return f;
}

/* A block counted into f; the first one gives the advice. */
static void
count_block(struct finding *f, int64_t time, const char *advice)
{
  if (f->count++ == 0) {
    f->first = time;
    snprintf(f->advice, sizeof(f->advice), "%s", advice);
  }
  f->last = time;
}

/* Text from a log (a zone captured from a reply, a recipient's domain),
 * escaped for a composed message, into out. */
static void
escaped(const char *s, char *out, size_t size)
{
  struct sbuf e;
  sbuf_init(&e, 4 * size); /* \xHH for each byte at worst: cut below */
  util_escape(&e, s, strlen(s));
  snprintf(out, size, "%s", sbuf_str(&e));
  sbuf_free(&e);
}

/* The receiver's finding of kind about what: who the receiver is (its name
 * by the rules, else the recipient's domain) and its postmaster, the
 * rules' page or else postmaster@ the recipient's domain (RFC 5321 4.5.1
 * makes every mail domain have one).  *contact: escaped, for the advice. */
static struct finding *
theirs_for(struct uctx *c, const char *kind, const char *what,
           const struct block_row *b, char *contact, size_t size)
{
  const char *who = b->receiver ? b->receiver : b->domain ? b->domain : "?";
  struct finding *f = finding_for(c, kind, what, who);
  if (f == NULL)
    return NULL;
  f->theirs = true;
  if (f->count == 0) {
    const struct correlate_scope *sc = c->sc;
    const char *page = b->receiver && sc->postmaster
                         ? sc->postmaster(sc->postmaster_arg, b->receiver)
                         : NULL;
    if (page != NULL)
      snprintf(f->contact, sizeof(f->contact), "%s", page);
    else if (b->domain != NULL)
      snprintf(f->contact, sizeof(f->contact), "postmaster@%s", b->domain);
  }
  if (f->contact[0] != '\0')
    escaped(f->contact, contact, size);
  else
    snprintf(contact, size, "%s", _("no contact known: see the rejection "
                                    "text"));
  return f;
}

/* A block citing a list that a healthy check found us clean on. */
static void
on_not_listed(struct uctx *c, const struct block_row *b)
{
  char contact[512], advice[640];
  struct finding *f = theirs_for(c, "not-listed", b->list, b, contact,
                                 sizeof(contact));
  if (f == NULL)
    return;
  snprintf(advice, sizeof(advice), _("rejected citing %s, but %s does not "
           "list us (a healthy check found us clean): the receiver's copy "
           "of the list is wrong or stale; report it to the receiver's "
           "postmaster (%s)"), b->list, b->list, contact);
  count_block(f, b->time, advice);
  if (b->clean_at > f->checked)
    f->checked = b->clean_at;
}

/* A receiver whose own query of a list failed: every sender is
 * rejected. */
static void
on_receiver_error(struct uctx *c, const struct block_row *b)
{
  const char *zone = b->zone ? b->zone : b->list ? b->list
                     : b->block ? b->block : "?";
  char contact[512], who[256], z[256], advice[640];
  struct finding *f = theirs_for(c, "receiver-error", zone, b, contact,
                                 sizeof(contact));
  if (f == NULL)
    return;
  escaped(f->receiver, who, sizeof(who));
  escaped(zone, z, sizeof(z));
  snprintf(advice, sizeof(advice), _("%s rejects every sender citing %s: "
           "its resolver's queries are refused by the list (open resolver / "
           "query error): report it to the receiver's postmaster (%s)"), who,
           z, contact);
  count_block(f, b->time, advice);
}

/* A block citing a list that no listing explains: ours to look at. */
static void
on_list_block(struct uctx *c, const struct block_row *b)
{
  char advice[640];
  const char *kind = !b->monitored        ? "unmonitored-list"
                     : b->cleared_before ? "cleared-listing"
                                          : "not-seen-listed";
  if (!b->monitored)
    snprintf(advice, sizeof(advice), _("a list you do not monitor: add %s "
             "to lists.use, then check it"), b->list);
  else if (b->cleared_before)
    snprintf(advice, sizeof(advice), _("the listing on %s has cleared "
             "since; if rejections go on, the receiver may cache it"),
             b->list);
  else
    snprintf(advice, sizeof(advice), _("%s never showed a listing when "
             "checked: check more often, or the receiver uses a local "
             "copy"), b->list);
  struct finding *f = finding_for(c, kind, b->list, "");
  if (f != NULL)
    count_block(f, b->time, advice);
}

/* The receiver's own block (no list named). */
static void
on_receiver_block(struct uctx *c, const struct block_row *b)
{
  const char *who = b->receiver ? b->receiver : "?";
  char what[128], advice[640];
  snprintf(what, sizeof(what), "%s%s%s", who, b->block ? " " : "",
           b->block ? b->block : "");
  snprintf(advice, sizeof(advice), "%s",
           _("the receiver's own block: contact its postmaster with the "
             "rejection text"));
  for (size_t i = 0; i < UTIL_ARRAY_LEN(receiver_advice); i++)
    if (b->receiver && strcmp(b->receiver, receiver_advice[i].receiver) == 0)
      snprintf(advice, sizeof(advice), "%s", _(receiver_advice[i].advice));
  struct finding *f = finding_for(c, "receiver-block", what, "");
  if (f != NULL)
    count_block(f, b->time, advice);
}

/* One block no listing explains, into its finding. */
static void
on_block(struct uctx *c, const struct block_row *b)
{
  if (b->receiver_error)
    on_receiver_error(c, b);
  else if (b->list != NULL && b->monitored && b->clean_at != 0)
    on_not_listed(c, b);
  else if (b->list != NULL)
    on_list_block(c, b);
  else
    on_receiver_block(c, b);
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
                 const char *sel)
{
  sqlite3_stmt *q = sq_prepare(s, unexplained_sql);
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, c->sc->now - 7 * 86400);
  sqlite3_bind_int64(q, 2, c->sc->now);
  sqlite3_bind_text(q, 3, fam, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 4, c->sc->window_s);
  sqlite3_bind_text(q, 5, sel, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sq_step(s, q)) == SQLITE_ROW) {
    if (sqlite3_column_int(q, 7) != 0)
      continue;                   /* a listing explains it */
    struct block_row b = {
      sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 10),
      sq_col_text(q, 1), sq_col_text(q, 2), sq_col_text(q, 3),
      sq_col_text(q, 4), sq_col_text(q, 5), sqlite3_column_int(q, 6) != 0,
      sqlite3_column_int(q, 8) != 0, sqlite3_column_int(q, 9) != 0};
    on_block(c, &b);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RBL_OK : RBL_EIO;
}

/* The receivers' sender requirements the week's rejections name, one
 * finding each (ours to fix: the receiver says which rule we broke). */
static const char requirements_sql[] =
  "SELECT requirement, MIN(receiver), COUNT(*), MIN(time), MAX(time)"
  " FROM rejections WHERE time BETWEEN ?1 AND ?2 AND requirement IS NOT NULL"
  " GROUP BY requirement ORDER BY MIN(time), requirement";

static rbl_status
find_requirements(struct store *s, struct uctx *c)
{
  sqlite3_stmt *q = sq_prepare(s, requirements_sql);
  if (q == NULL)
    return RBL_EIO;
  sqlite3_bind_int64(q, 1, c->sc->now - 7 * 86400);
  sqlite3_bind_int64(q, 2, c->sc->now);
  int rc;
  while ((rc = sq_step(s, q)) == SQLITE_ROW) {
    const char *id = sq_col_text(q, 0), *recv = sq_col_text(q, 1);
    struct finding *f = finding_for(c, "requirement", id ? id : "?",
                                    recv ? recv : "");
    if (f == NULL) {              /* counted one: the rest of its group */
      c->dropped += (uint64_t)sqlite3_column_int64(q, 2) - 1;
      continue;
    }
    const char *title = c->sc->requirement
                        ? c->sc->requirement(c->sc->postmaster_arg, id)
                        : NULL;
    char e[320];
    escaped(title ? title : id ? id : "?", e, sizeof(e));
    snprintf(f->advice, sizeof(f->advice), "%s", e);
    f->count = (uint64_t)sqlite3_column_int64(q, 2);
    f->first = sqlite3_column_int64(q, 3);
    f->last = sqlite3_column_int64(q, 4);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? RBL_OK : RBL_EIO;
}

rbl_status
correlate_unexplained(struct store *s, const struct correlate_scope *sc,
                      finding_fn fn, void *arg)
{
  struct uctx *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return RBL_ENOMEM;
  c->sc = sc;
  struct sbuf fam, sel;
  sbuf_init(&fam, CORRELATE_JSON_MAX);
  sbuf_init(&sel, CORRELATE_JSON_MAX);
  rbl_status st = fam_json(sc->cat, &fam);
  if (st == RBL_OK)
    st = selected_json(sc->cat, sc->selected, sc->nselected, &sel);
  if (st == RBL_OK)
    st = find_unexplained(s, c, sbuf_str(&fam), sbuf_str(&sel));
  if (st == RBL_OK)
    st = find_requirements(s, c);
  if (st == RBL_OK && c->dropped > 0) { /* say that some are not shown */
    struct finding *f = &c->f[c->nf++];
    memset(f, 0, sizeof(*f));
    f->kind = "more";
    f->count = c->dropped;
    snprintf(f->advice, sizeof(f->advice), _("%llu more rejections in "
             "groups not shown here: rblmon scan-logs --since 7d lists them"),
             (unsigned long long)c->dropped);
  }
  for (size_t i = 0; st == RBL_OK && i < c->nf; i++)
    fn(arg, &c->f[i]);
  sbuf_free(&fam);
  sbuf_free(&sel);
  free(c);
  return st;
}
