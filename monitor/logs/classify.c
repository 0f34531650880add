#include "classify.h"

#include <arpa/inet.h>
#include <regex.h>
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
  [CAUSE_UNKNOWN] = "unknown",
  [CAUSE_COUNT] = NULL};

const char *
cause_name(enum cause c)
{
  return (unsigned)c < CAUSE_COUNT ? cause_names[c] : cause_names[CAUSE_UNKNOWN];
}
static const char *const detail_names[] = {"spf", "dkim", "dmarc", "ptr",
                                           "helo", "tls", NULL};
static const char *const lang_names[] = {"en", "fr", "de", NULL};

#define CLASSIFY_MAX_RULES 2000

struct rule {
  const char *id;
  regex_t re;
  bool compiled;
  enum cause cause;
  bool has_cause;                 /* cause was read */
  const char *detail, *list, *block, *receiver;
  int block_group;
};

struct receiver {
  const char *suffix, *name;
};

#define CACHE_SLOTS 4096

struct cache_slot {
  uint64_t hash;
  char *text;                     /* malloc'ed; NULL: empty slot */
  const char *receiver;
  struct verdict v;
};

struct classifier {
  struct cache_slot *cache;       /* CACHE_SLOTS, allocated on first use */
  struct arena arena;
  const struct catalog *cat;
  struct rule *rules;
  size_t n;
  struct receiver *recv;
  size_t nrecv;
};

struct rule_parse {
  struct classifier *c;
  struct rule r;
  struct ynode *node;
};

static void
r_id(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  if (!ydoc_str(c, v, &p->r.id, "id"))
    return;
  for (size_t i = 0; i < p->c->n; i++)
    if (strcmp(p->c->rules[i].id, v->str) == 0)
      yerror(c, v, "duplicate rule id '%.64s'", v->str);
}

static void
r_match(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "match"))
    return;
  int rc = regcomp(&p->r.re, s, REG_EXTENDED | REG_ICASE);
  if (rc != 0) {
    char msg[128];
    regerror(rc, &p->r.re, msg, sizeof(msg));
    yerror(c, v, "match: not a POSIX extended regex: %s", msg);
    return;
  }
  p->r.compiled = true;
}

static void
r_enum(struct yctx *c, struct ynode *v, const char *const *names,
       const char **out, const char *what)
{
  int i;
  if (!ydoc_is_null(v) && ydoc_enum(c, v, names, &i, what))
    *out = names[i];
}

static void
r_cause(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule *r = &((struct rule_parse *)obj)->r;
  int i;
  if (!ydoc_is_null(v) && ydoc_enum(c, v, cause_names, &i, "cause")) {
    r->cause = (enum cause)i;
    r->has_cause = true;
  }
}

static void
r_detail(struct yctx *c, struct ynode *v, void *obj)
{
  r_enum(c, v, detail_names, &((struct rule_parse *)obj)->r.detail, "detail");
}

static void
r_lang(struct yctx *c, struct ynode *v, void *obj)
{
  const char *l = NULL;
  (void)obj;
  r_enum(c, v, lang_names, &l, "lang");
}

static void
r_list(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  if (ydoc_is_null(v) || !ydoc_str(c, v, &p->r.list, "list"))
    return;
  if (p->c->cat != NULL && catalog_find(p->c->cat, v->str) == NULL)
    yerror(c, v, "list '%.64s' is not in the catalog", v->str);
}

static void
r_str(struct yctx *c, struct ynode *v, const char **out, const char *what)
{
  if (!ydoc_is_null(v))
    ydoc_str(c, v, out, what);
}

static void
r_block(struct yctx *c, struct ynode *v, void *obj)
{
  r_str(c, v, &((struct rule_parse *)obj)->r.block, "block");
}

static void
r_receiver(struct yctx *c, struct ynode *v, void *obj)
{
  r_str(c, v, &((struct rule_parse *)obj)->r.receiver, "receiver");
}

static void
r_group(struct yctx *c, struct ynode *v, void *obj)
{
  uint64_t g;
  if (ydoc_u64(c, v, 1, 9, &g, "block_group"))
    ((struct rule_parse *)obj)->r.block_group = (int)g;
}

static void
r_text(struct yctx *c, struct ynode *v, void *obj)
{
  const char *s;
  (void)obj;
  if (!ydoc_is_null(v) && v->kind == Y_SCALAR)
    ydoc_str(c, v, &s, "note");
}

static void
r_sources(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  if (v->kind != Y_SEQ && v->kind != Y_SCALAR)
    yerror(c, v, "sources must be a URL or a list of URLs");
}

static const struct yfield rule_fields[] = {
  {"id", r_id, true}, {"match", r_match, true}, {"cause", r_cause, true},
  {"detail", r_detail, false}, {"list", r_list, false},
  {"block", r_block, false}, {"block_group", r_group, false},
  {"receiver", r_receiver, false}, {"lang", r_lang, false},
  {"note", r_text, false}, {"sources", r_sources, false},
};

static void
f_rules(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  if (!ydoc_kind(c, v, Y_SEQ, "rules"))
    return;
  if (v->n > CLASSIFY_MAX_RULES) {
    yerror(c, v, "more than %d rules", CLASSIFY_MAX_RULES);
    return;
  }
  cl->rules = calloc(v->n ? v->n : 1, sizeof(*cl->rules));
  if (cl->rules == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct rule_parse p = {cl, {0}, v->items[i]};
    unsigned before = c->diag->errors;
    ydoc_map(c, v->items[i], rule_fields, UTIL_ARRAY_LEN(rule_fields), &p,
             "a rule");
    if (p.r.block_group > 0 && p.r.compiled &&
        (size_t)p.r.block_group > p.r.re.re_nsub)
      yerror(c, v->items[i], "rule '%s': block_group %d but the regex has "
             "%zu groups", p.r.id ? p.r.id : "?", p.r.block_group,
             p.r.re.re_nsub);
    if (c->diag->errors == before && p.r.compiled && p.r.id &&
        p.r.has_cause) {
      cl->rules[cl->n++] = p.r;
    } else if (p.r.compiled) {
      regfree(&p.r.re);
    }
  }
}

struct recv_parse {
  struct receiver r;
};

static void
rv_suffix(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct recv_parse *)obj)->r.suffix, "suffix");
}

static void
rv_name(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct recv_parse *)obj)->r.name, "name");
}

static const struct yfield recv_fields[] = {
  {"suffix", rv_suffix, true}, {"name", rv_name, true},
};

static void
f_receivers(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  if (!ydoc_kind(c, v, Y_SEQ, "receivers"))
    return;
  cl->recv = calloc(v->n ? v->n : 1, sizeof(*cl->recv));
  if (cl->recv == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct recv_parse p = {{0}};
    ydoc_map(c, v->items[i], recv_fields, UTIL_ARRAY_LEN(recv_fields), &p,
             "a receiver");
    if (p.r.suffix && p.r.name)
      cl->recv[cl->nrecv++] = p.r;
  }
}

static const struct yfield top_fields[] = {
  {"receivers", f_receivers, false},
  {"rules", f_rules, true},
};

rbl_status
classify_load(const char *path, const struct catalog *cat,
              struct classifier **out, struct diag *d)
{
  *out = NULL;
  struct classifier *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return RBL_ENOMEM;
  c->cat = cat;
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_file(&doc, path, d);
  if (st == RBL_OK) {
    struct yctx y = {arena_strdup(&c->arena, path), d, &c->arena};
    if (doc.root == NULL)
      diag_error(d, path, 1, 1, "empty rules file");
    else
      ydoc_map(&y, doc.root, top_fields, UTIL_ARRAY_LEN(top_fields), c,
               "the rules file");
  }
  arena_merge(&c->arena, &doc.arena);
  if (d->errors != before) {
    classify_free(c);
    return st == RBL_OK ? RBL_ECONFIG : st;
  }
  *out = c;
  return RBL_OK;
}

void
classify_free(struct classifier *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; c->cache != NULL && i < CACHE_SLOTS; i++)
    free(c->cache[i].text);
  free(c->cache);
  for (size_t i = 0; i < c->n; i++)
    regfree(&c->rules[i].re);
  free(c->rules);
  free(c->recv);
  arena_free(&c->arena);
  free(c);
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
        if (target_addr_parse(a, &ad)) {
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
      struct addr ad;
      if (target_addr_parse(tmp, &ad)) {
        target_addr_str(&ad, out, size);
        return;
      }
    }
    p += len ? len - 1 : 0;
  }
}

static const char *
receiver_of(const struct classifier *c, const char *host)
{
  size_t hl = strlen(host);
  for (size_t i = 0; i < c->nrecv; i++) {
    size_t sl = strlen(c->recv[i].suffix);
    if (sl <= hl && util_strcaseeq(host + hl - sl, c->recv[i].suffix) &&
        (sl == hl || host[hl - sl - 1] == '.'))
      return c->recv[i].name;
  }
  return NULL;
}

static void classify_uncached(const struct classifier *c,
                              const struct rejection *r, struct verdict *v);

void
classify(struct classifier *c, const struct rejection *r, struct verdict *v)
{
  const char *recv = r->host[0] ? receiver_of(c, r->host) : NULL;
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = r->text; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  for (const char *p = recv; p && *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  if (c->cache == NULL)
    c->cache = calloc(CACHE_SLOTS, sizeof(*c->cache));
  struct cache_slot *slot = c->cache ? &c->cache[h % CACHE_SLOTS] : NULL;
  if (slot != NULL && slot->text != NULL && slot->hash == h &&
      slot->receiver == recv && strcmp(slot->text, r->text) == 0) {
    *v = slot->v;
    return;
  }
  classify_uncached(c, r, v);
  if (slot != NULL) {
    char *t = strdup(r->text);
    if (t != NULL) {
      free(slot->text);
      slot->text = t;
      slot->hash = h;
      slot->receiver = recv;
      slot->v = *v;
    }
  }
}

static void
classify_uncached(const struct classifier *c, const struct rejection *r,
                  struct verdict *v)
{
  memset(v, 0, sizeof(*v));
  v->cause = CAUSE_UNKNOWN;
  v->receiver = r->host[0] ? receiver_of(c, r->host) : NULL;
  named_ip(r->text, v->named_ip, sizeof(v->named_ip));
  for (size_t i = 0; i < c->n; i++) {
    const struct rule *ru = &c->rules[i];
    if (ru->receiver != NULL &&
        (v->receiver == NULL || strcmp(ru->receiver, v->receiver) != 0))
      continue;
    regmatch_t m[10];
    if (regexec(&ru->re, r->text, 10, m, 0) != 0)
      continue;
    v->cause = ru->cause;
    v->detail = ru->detail;
    v->list = ru->list;
    v->rule = ru->id;
    if (ru->block != NULL)
      snprintf(v->block, sizeof(v->block), "%s", ru->block);
    int g = ru->block_group;
    if (g > 0 && m[g].rm_so >= 0) {
      size_t len = (size_t)(m[g].rm_eo - m[g].rm_so);
      if (len >= sizeof(v->block))
        len = sizeof(v->block) - 1;
      memcpy(v->block, r->text + m[g].rm_so, len);
      v->block[len] = '\0';
      /* a zone the catalog knows names its list */
      const struct list_def *l =
        c->cat ? catalog_find_zone(c->cat, v->block) : NULL;
      if (l != NULL && v->list == NULL)
        v->list = l->name;
    }
    return;
  }
}
