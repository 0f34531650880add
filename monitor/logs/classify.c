/* classify.c - the cause of a rejection: a reply read with the rules
 * (rules.c) in tier order, the list, code and requirement it names, the
 * receiver, the IP it names; verdicts cached by reply. */
#include "classify_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

const char *const cause_names[CAUSE_COUNT + 1] = {
  [CAUSE_BLOCKLIST] = "blocklist",
  [CAUSE_REPUTATION] = "reputation",
  [CAUSE_CONTENT] = "content",
  [CAUSE_AUTHENTICATION] = "authentication",
  [CAUSE_POLICY] = "policy",
  [CAUSE_RATE_LIMIT] = "rate-limit",
  [CAUSE_CONFIGURATION] = "configuration",
  [CAUSE_RECIPIENT] = "recipient",
  [CAUSE_RECEIVER_ERROR] = "receiver-error",
  [CAUSE_UNKNOWN] = "unknown",
  [CAUSE_COUNT] = NULL};

const char *
cause_name(enum cause c)
{
  return (unsigned)c < CAUSE_COUNT ? cause_names[c] : cause_names[CAUSE_UNKNOWN];
}

bool
cause_is_ours(enum cause c)
{
  return c != CAUSE_RECIPIENT && c != CAUSE_RECEIVER_ERROR;
}

/* An IPv4 address in the text (inside [..] or standing alone), or an IPv6
 * address inside [..]. */
static void
named_ip(const char *t, char *out, size_t size)
{
  out[0] = '\0';
  for (const char *p = t; *p; p++) {
    if (*p == '[') {
      const char *e = strchr(p, ']');
      if (e != NULL && e - p - 1 < 64 && e - p > 2) {
        char tmp[64];
        memcpy(tmp, p + 1, (size_t)(e - p - 1));
        tmp[e - p - 1] = '\0';
        const char *a = strncmp(tmp, "IPv6:", 5) == 0 ? tmp + 5 : tmp;
        struct addr ad;
        if (target_addr_parse(a, &ad) && strncmp(a, "127.", 4) != 0) {
          target_addr_str(&ad, out, size);
          return;
        }
      }
    }
    bool start = (*p >= '0' && *p <= '9') &&
                 (p == t || !((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.'));
    if (!start)
      continue;
    size_t len = strspn(p, "0123456789.");
    while (len > 0 && p[len - 1] == '.')
      len--;
    if (len >= 7 && len < 16) {
      char tmp[16];
      memcpy(tmp, p, len);
      tmp[len] = '\0';
      struct addr ad; /* a list's answer (127.0.0.2) is not an address */
      if (target_addr_parse(tmp, &ad) && strncmp(tmp, "127.", 4) != 0) {
        target_addr_str(&ad, out, size);
        return;
      }
    }
    p += len ? len - 1 : 0;
  }
}

/* The receiver by the MX host name's suffix. */
static const struct receiver *
receiver_by_host(const struct classifier *c, const char *host)
{
  size_t hl = strlen(host);
  for (size_t i = 0; hl > 0 && i < c->nrecv; i++) {
    size_t sl = strlen(c->recv[i].suffix);
    if (sl <= hl && util_strcaseeq(host + hl - sl, c->recv[i].suffix) &&
        (sl == hl || host[hl - sl - 1] == '.'))
      return &c->recv[i];
  }
  return NULL;
}

/* ... or, when the host says nothing (a relay, an unknown MX name), by a
 * signature the receiver leaves in its replies ("- gsmtp"). */
static const struct receiver *
receiver_of(const struct classifier *c, const char *host, const char *text)
{
  const struct receiver *r = receiver_by_host(c, host);
  for (size_t i = 0; r == NULL && i < c->nrecv; i++)
    if (c->recv[i].has_re && regexec(&c->recv[i].re, text, 0, NULL, 0) == 0)
      r = &c->recv[i];
  return r;
}

const struct requirement *
classify_requirement(const struct classifier *c, const char *id)
{
  for (size_t i = 0; id != NULL && i < c->reqs.n; i++)
    if (strcmp(c->reqs.r[i].id, id) == 0)
      return &c->reqs.r[i].req;
  return NULL;
}

const char *
classify_postmaster(const struct classifier *c, const char *receiver)
{
  for (size_t i = 0; receiver != NULL && i < c->nrecv; i++)
    if (strcmp(c->recv[i].name, receiver) == 0 && c->recv[i].postmaster)
      return c->recv[i].postmaster;
  return NULL;
}

static void classify_uncached(const struct classifier *c,
                              const struct rejection *r, struct verdict *v);

static uint64_t
fnv(uint64_t h, const char *s)
{
  for (const char *p = s; p && *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL;
}

void
classify(struct classifier *c, const struct rejection *r, struct verdict *v)
{
  const struct receiver *rv = receiver_by_host(c, r->host);
  const char *host = rv ? rv->name : NULL;
  uint64_t h = fnv(fnv(fnv(1469598103934665603ULL, r->text), host),
                   r->enhanced);
  if (c->cache == NULL)
    c->cache = calloc(CACHE_SLOTS, sizeof(*c->cache));
  struct cache_slot *slot = c->cache ? &c->cache[h % CACHE_SLOTS] : NULL;
  if (slot != NULL && slot->text != NULL && slot->hash == h &&
      slot->host == host && strcmp(slot->enhanced, r->enhanced) == 0 &&
      strcmp(slot->text, r->text) == 0) {
    *v = slot->v;
    return;
  }
  locale_t user = c->bytes ? uselocale(c->bytes) : (locale_t)0;
  classify_uncached(c, r, v);
  if (c->bytes)
    uselocale(user);
  if (v->block[0] == '\0') /* no code of the receiver's: what it names */
    snprintf(v->block, sizeof(v->block), "%s",
             v->zone[0] ? v->zone : v->operator_name ? v->operator_name : "");
  if (slot != NULL) {
    char *t = strdup(r->text);
    if (t != NULL) {
      free(slot->text);
      slot->text = t;
      slot->hash = h;
      slot->host = host;
      snprintf(slot->enhanced, sizeof(slot->enhanced), "%s", r->enhanced);
      slot->v = *v;
    }
  }
}

/* Group g of a match, into out (size). */
static void
group(const char *text, const regmatch_t *m, int g, char *out, size_t size)
{
  if (g <= 0 || m[g].rm_so < 0)
    return;
  size_t len = (size_t)(m[g].rm_eo - m[g].rm_so);
  if (len >= size)
    len = size - 1;
  for (size_t i = 0; i < len; i++) {
    char ch = text[m[g].rm_so + (regoff_t)i];
    out[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
  }
  out[len] = '\0';
}

/* Does entry ru match the reply (its text and its enhanced code)?  m:
 * the text's groups. */
static bool
matches(const struct rule *ru, const struct rejection *r, const char *lower,
        regmatch_t *m)
{
  if (ru->has_code && regexec(&ru->code_re, r->enhanced, 0, NULL, 0) != 0)
    return false;
  m[0].rm_so = -1;
  if (!ru->compiled)
    return true;
  if (!rule_may_match(ru, lower))
    return false;
  if (!ru->block_group)
    return regexec(&ru->re, r->text, 0, NULL, 0) == 0;
  return regexec(&ru->re, r->text, 10, m, 0) == 0;
}

/* Who can fix the listing the text names, and how: by the answer it
 * quotes (127.0.0.10: PBL), else the list's own. */
static void
name_scope(const struct list_def *l, const char *text, struct verdict *v)
{
  char code[16] = "";
  const char *q = l ? strstr(text, "127.0.0.") : NULL;
  if (q != NULL) {
    size_t n = 8 + strspn(q + 8, "0123456789");
    if (n < sizeof(code) && n > 8)
      memcpy(code, q, n), code[n] = '\0';
  }
  v->scope = l ? catalog_scope(l, code[0] ? code : NULL) : NULL;
  v->fix = l ? catalog_fix(l, code[0] ? code : NULL) : NULL;
}

/* The list the text names (the first namer that matches): its zone, its
 * operator and, when the catalog knows the zone, its list. */
static const struct rule *
name_list(const struct classifier *c, const char *text, const char *lower,
          struct verdict *v)
{
  for (size_t i = 0; i < c->lists.n; i++) {
    const struct rule *ru = &c->lists.r[i];
    regmatch_t m[10];
    if (!rule_may_match(ru, lower) || regexec(&ru->re, text, ru->zone_group ? 10 : 0, m, 0) != 0)
      continue;
    if (ru->zone != NULL)
      snprintf(v->zone, sizeof(v->zone), "%s", ru->zone);
    group(text, m, ru->zone_group, v->zone, sizeof(v->zone));
    const struct list_def *l = ru->list && c->cat ? catalog_find(c->cat, ru->list)
                               : v->zone[0] && c->cat
                                 ? catalog_find_zone(c->cat, v->zone)
                                 : NULL;
    v->list = l ? l->name : ru->list;
    if (v->zone[0] == '\0' && l != NULL && l->zone != NULL &&
        strchr(l->zone, '{') == NULL)
      snprintf(v->zone, sizeof(v->zone), "%s", l->zone);
    v->operator_name = ru->operator_name ? ru->operator_name
                       : l                ? l->operator_name
                                          : NULL;
    name_scope(l, text, v);
    return ru;
  }
  return NULL;
}

/* The receiver's own code in the reply (Orange OFR006_102, Yahoo TSS04,
 * Microsoft S3150), whatever gives the cause. */
static void
own_code(const struct classifier *c, const char *text, const char *lower,
         const char *receiver, struct verdict *v)
{
  for (size_t i = 0; i < c->codes.n; i++) {
    const struct rule *ru = &c->codes.r[i];
    regmatch_t m[10];
    if (ru->receiver != NULL &&
        (receiver == NULL || strcmp(ru->receiver, receiver) != 0))
      continue;
    if (!rule_may_match(ru, lower) || regexec(&ru->re, text, 10, m, 0) != 0 ||
        m[ru->block_group].rm_so < 0)
      continue;
    size_t len = (size_t)(m[ru->block_group].rm_eo - m[ru->block_group].rm_so);
    if (len >= sizeof(v->block))
      len = sizeof(v->block) - 1;
    memcpy(v->block, text + m[ru->block_group].rm_so, len);
    v->block[len] = '\0';
    return;
  }
}

/* The receiver requirement the reply names: its enhanced code and/or its
 * text, from that receiver. */
static const struct rule *
requirement_of(const struct classifier *c, const struct rejection *r,
               const char *lower, const char *receiver)
{
  for (size_t i = 0; receiver != NULL && i < c->reqs.n; i++) {
    const struct rule *q = &c->reqs.r[i];
    regmatch_t m[10];
    if (strcmp(q->receiver, receiver) == 0 && matches(q, r, lower, m))
      return q;
  }
  return NULL;
}

/* A rule's verdict. */
static void
apply(const struct classifier *c, const struct rule *ru, const char *text,
      const regmatch_t *m, struct verdict *v)
{
  v->cause = ru->cause;
  v->detail = ru->detail;
  v->rule = ru->id;
  if (ru->list != NULL && v->list == NULL) { /* a receiver's code for it */
    const struct list_def *l = c->cat ? catalog_find(c->cat, ru->list) : NULL;
    v->list = ru->list;
    if (l != NULL && l->zone != NULL && strchr(l->zone, '{') == NULL)
      snprintf(v->zone, sizeof(v->zone), "%s", l->zone);
    v->operator_name = l ? l->operator_name : NULL;
    name_scope(l, text, v);
  }
  if (ru->block != NULL)
    snprintf(v->block, sizeof(v->block), "%s", ru->block);
  if (ru->block_group > 0 && ru->compiled &&
      m[ru->block_group].rm_so >= 0) {
    size_t len = (size_t)(m[ru->block_group].rm_eo - m[ru->block_group].rm_so);
    if (len >= sizeof(v->block))
      len = sizeof(v->block) - 1;
    memcpy(v->block, text + m[ru->block_group].rm_so, len);
    v->block[len] = '\0';
  }
}

/* What the reply says when no stated reason matched: a requirement it
 * names, else the list it names.  False: neither. */
static bool
settle(const struct rule *req, const struct rule *namer, struct verdict *v)
{
  if (req != NULL) {
    v->cause = req->cause;
    v->detail = req->detail;
    v->rule = req->id;
    return true;
  }
  if (namer != NULL) {
    v->cause = CAUSE_BLOCKLIST;
    v->rule = namer->id;
    return true;
  }
  return false;
}

static void
classify_uncached(const struct classifier *c, const struct rejection *r,
                  struct verdict *v)
{
  memset(v, 0, sizeof(*v));
  v->cause = CAUSE_UNKNOWN;
  const struct receiver *rv = receiver_of(c, r->host, r->text);
  v->receiver = rv ? rv->name : NULL;
  v->postmaster = rv ? rv->postmaster : NULL;
  named_ip(r->text, v->named_ip, sizeof(v->named_ip));
  char lower[LOG_TEXT_MAX];       /* for the literal prefilters */
  size_t i = 0;
  for (; r->text[i] && i + 1 < sizeof(lower); i++)
    lower[i] = r->text[i] >= 'A' && r->text[i] <= 'Z'
               ? (char)(r->text[i] - 'A' + 'a') : r->text[i];
  lower[i] = '\0';
  const struct rule *namer = name_list(c, r->text, lower, v);
  own_code(c, r->text, lower, v->receiver, v);
  const struct rule *req = requirement_of(c, r, lower, v->receiver);
  v->req = req ? &req->req : NULL;
  bool settled = false;
  for (i = 0; i < c->rules.n; i++) {
    const struct rule *ru = &c->rules.r[i];
    if (!settled && ru->tier >= TIER_CODE) {
      if (settle(req, namer, v))
        return;
      settled = true;
    }
    if (ru->receiver != NULL &&
        (v->receiver == NULL || strcmp(ru->receiver, v->receiver) != 0))
      continue;
    regmatch_t m[10];
    if (!matches(ru, r, lower, m))
      continue;
    apply(c, ru, r->text, m, v);
    return;
  }
  if (!settled)
    settle(req, namer, v);
}
