/* rules.c - reads the rejection rules file (lists/rules/rejections.yaml,
 * format in docs/logscan.md) strictly: receivers, list namers, receiver
 * codes, requirements and the rules in tier order, every problem at
 * file:line:col.  Patterns are compiled under the C locale (they are
 * byte patterns) and carry their literals (prefilter.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"

static const char *const detail_names[] = {
  "spf", "dkim", "dmarc", "arc", "ptr", "helo", "tls", "smtp-auth", "relay",
  "protocol", "size", "format", "greylist", "sender", "unknown-user",
  "mailbox-full", "disabled", NULL};
static const char *const lang_names[] = {"en", "fr", "de", "es", "it", "pt",
                                         "ru", "zh", "ja", NULL};

static const char *const tier_names[] = {
  "query-error", "address", "reason", "code", "receiver", "generic", NULL};

struct rule_parse {
  struct classifier *c;
  struct section *sec;
  struct rule r;
};

static void
r_id(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  if (!ydoc_str(c, v, &p->r.id, "id"))
    return;
  for (size_t i = 0; i < p->sec->n; i++)
    if (strcmp(p->sec->r[i].id, v->str) == 0)
      yerror(c, v, "duplicate id '%.64s'", v->str);
}

static void
r_match(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "match"))
    return;
  p->r.pattern = s;
  int rc = regcomp(&p->r.re, s, REG_EXTENDED | REG_ICASE);
  if (rc != 0) {
    char msg[128];
    regerror(rc, &p->r.re, msg, sizeof(msg));
    yerror(c, v, "match: not a POSIX extended regex: %s", msg);
    return;
  }
  p->r.compiled = true;
}

/* enhanced (rules) / code (requirements): an ERE for the whole enhanced
 * status code, "5\\.7\\.(26|27)". */
static void
r_ecode(struct yctx *c, struct ynode *v, void *obj)
{
  struct rule_parse *p = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "code"))
    return;
  p->r.req.code = s;
  char *anchored = arena_printf(c->arena, "^(%s)$", s);
  if (anchored == NULL ||
      regcomp(&p->r.code_re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
    yerror(c, v, "not a POSIX extended regex for an enhanced status code");
    return;
  }
  p->r.has_code = true;
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
r_tier(struct yctx *c, struct ynode *v, void *obj)
{
  int i;
  if (ydoc_enum(c, v, tier_names, &i, "tier"))
    ((struct rule_parse *)obj)->r.tier = i;
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

#define R_STR(fn, field, what)                                          \
  static void fn(struct yctx *c, struct ynode *v, void *obj)           \
  {                                                                     \
    r_str(c, v, &((struct rule_parse *)obj)->r.field, what);           \
  }
R_STR(r_block, block, "block")
R_STR(r_receiver, receiver, "receiver")
R_STR(r_zone, zone, "zone")
R_STR(r_operator, operator_name, "operator")
R_STR(r_title, req.title, "title")
R_STR(r_url, req.url, "url")

static void
r_group(struct yctx *c, struct ynode *v, void *obj)
{
  uint64_t g;
  if (ydoc_u64(c, v, 1, 9, &g, "block_group"))
    ((struct rule_parse *)obj)->r.block_group = (int)g;
}

static void
r_zgroup(struct yctx *c, struct ynode *v, void *obj)
{
  uint64_t g;
  if (ydoc_u64(c, v, 1, 9, &g, "zone_group"))
    ((struct rule_parse *)obj)->r.zone_group = (int)g;
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
  {"id", r_id, true}, {"tier", r_tier, true}, {"match", r_match, false},
  {"enhanced", r_ecode, false}, {"cause", r_cause, true}, {"detail", r_detail, false},
  {"list", r_list, false}, {"block", r_block, false},
  {"block_group", r_group, false}, {"receiver", r_receiver, false},
  {"lang", r_lang, false}, {"note", r_text, false},
  {"sources", r_sources, false},
};

static const struct yfield list_fields[] = {
  {"id", r_id, true}, {"match", r_match, true}, {"zone", r_zone, false},
  {"zone_group", r_zgroup, false}, {"operator", r_operator, false},
  {"list", r_list, false}, {"lang", r_lang, false}, {"note", r_text, false},
  {"sources", r_sources, false},
};

static const struct yfield code_fields[] = {
  {"id", r_id, true}, {"match", r_match, true},
  {"block_group", r_group, true}, {"receiver", r_receiver, false},
  {"note", r_text, false}, {"sources", r_sources, false},
};

static const struct yfield req_fields[] = {
  {"id", r_id, true}, {"receiver", r_receiver, true},
  {"code", r_ecode, false}, {"match", r_match, false},
  {"cause", r_cause, true}, {"detail", r_detail, false},
  {"title", r_title, true}, {"url", r_url, true},
  {"note", r_text, false}, {"sources", r_sources, false},
};

/* What a section's entry must hold beyond its keys; an error names it. */
static void
check_rule(struct yctx *c, struct ynode *node, struct rule_parse *p,
           int last_tier)
{
  struct rule *r = &p->r;
  const char *id = r->id ? r->id : "?";
  if (p->sec == &p->c->rules && r->tier < last_tier)
    yerror(c, node, "rule '%s' (tier %s) comes after a rule of tier %s: "
           "rules are read in tier order (%s, %s, %s, %s, %s, %s)", id,
           tier_names[r->tier], tier_names[last_tier], tier_names[0],
           tier_names[1], tier_names[2], tier_names[3], tier_names[4],
           tier_names[5]);
  if (r->block_group > 0 && r->compiled &&
      (size_t)r->block_group > r->re.re_nsub)
    yerror(c, node, "'%s': block_group %d but the regex has %zu groups", id,
           r->block_group, r->re.re_nsub);
  if (r->zone_group > 0 && r->compiled &&
      (size_t)r->zone_group > r->re.re_nsub)
    yerror(c, node, "'%s': zone_group %d but the regex has %zu groups", id,
           r->zone_group, r->re.re_nsub);
  if (p->sec == &p->c->lists && !r->zone && !r->zone_group &&
      !r->operator_name && !r->list)
    yerror(c, node, "list namer '%s' names nothing: give zone, zone_group, "
           "operator or list", id);
  if ((p->sec == &p->c->reqs || p->sec == &p->c->rules) && !r->compiled &&
      !r->has_code)
    yerror(c, node, "'%s' needs a match or a code (enhanced)", id);
}

/* The prefilter of a rule (classify_literals()), kept in the arena. */
static void
rule_literals(struct arena *a, struct rule *r)
{
  char lits[RULE_LITERALS][CLASSIFY_LITERAL_MAX];
  r->nlits = classify_literals(r->pattern, lits, RULE_LITERALS);
  for (size_t i = 0; i < r->nlits; i++)
    r->lits[i] = arena_strdup(a, lits[i]);
}

static void
rule_free(struct rule *r)
{
  if (r->compiled)
    regfree(&r->re);
  if (r->has_code)
    regfree(&r->code_re);
}

/* Reads one section (rules, lists or requirements) into sec. */
static void
read_section(struct yctx *c, struct ynode *v, struct classifier *cl,
             struct section *sec, const struct yfield *f, size_t nf,
             const char *what)
{
  if (!ydoc_kind(c, v, Y_SEQ, what))
    return;
  if (v->n > CLASSIFY_MAX_RULES) {
    yerror(c, v, "more than %d %s", CLASSIFY_MAX_RULES, what);
    return;
  }
  sec->r = calloc(v->n ? v->n : 1, sizeof(*sec->r));
  if (sec->r == NULL)
    return;
  int last_tier = 0;
  for (size_t i = 0; i < v->n; i++) {
    struct rule_parse p = {cl, sec, {0}};
    p.r.has_cause = sec == &cl->lists || sec == &cl->codes;
    unsigned before = c->diag->errors;
    ydoc_map(c, v->items[i], f, nf, &p, what);
    check_rule(c, v->items[i], &p, last_tier);
    if (c->diag->errors == before && p.r.compiled && !p.r.block_group &&
        !p.r.zone_group) { /* no group is read: the much faster matcher */
      regfree(&p.r.re);
      p.r.compiled = regcomp(&p.r.re, p.r.pattern,
                             REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
    }
    if (c->diag->errors == before && p.r.compiled)
      rule_literals(c->arena, &p.r);
    if (c->diag->errors == before && p.r.id && p.r.has_cause) {
      p.r.req.id = p.r.id;
      p.r.req.receiver = p.r.receiver;
      last_tier = p.r.tier;
      sec->r[sec->n++] = p.r;
    } else {
      rule_free(&p.r);
    }
  }
}

static void
f_rules(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  read_section(c, v, cl, &cl->rules, rule_fields,
               UTIL_ARRAY_LEN(rule_fields), "rules");
}

static void
f_lists(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  read_section(c, v, cl, &cl->lists, list_fields,
               UTIL_ARRAY_LEN(list_fields), "lists");
}

static void
f_codes(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  read_section(c, v, cl, &cl->codes, code_fields,
               UTIL_ARRAY_LEN(code_fields), "codes");
}

static void
f_reqs(struct yctx *c, struct ynode *v, void *obj)
{
  struct classifier *cl = obj;
  read_section(c, v, cl, &cl->reqs, req_fields, UTIL_ARRAY_LEN(req_fields),
               "requirements");
}

static void
rv_suffix(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct receiver *)obj)->suffix, "suffix");
}

static void
rv_name(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct receiver *)obj)->name, "name");
}

static void
rv_postmaster(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct receiver *)obj)->postmaster, "postmaster");
}

static void
rv_text(struct yctx *c, struct ynode *v, void *obj)
{
  struct receiver *r = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "text"))
    return;
  if (regcomp(&r->re, s, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
    yerror(c, v, "text: not a POSIX extended regex");
    return;
  }
  r->has_re = true;
}

static const struct yfield recv_fields[] = {
  {"suffix", rv_suffix, true}, {"name", rv_name, true},
  {"text", rv_text, false}, {"postmaster", rv_postmaster, false},
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
    struct receiver r = {0};
    ydoc_map(c, v->items[i], recv_fields, UTIL_ARRAY_LEN(recv_fields), &r,
             "a receiver");
    if (r.suffix && r.name)
      cl->recv[cl->nrecv++] = r;
    else if (r.has_re)
      regfree(&r.re);
  }
}

static const struct yfield top_fields[] = {
  {"receivers", f_receivers, false},
  {"lists", f_lists, false},
  {"codes", f_codes, false},
  {"requirements", f_reqs, false},
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
  c->bytes = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_file(&doc, path, d);
  if (st == RBL_OK) {
    struct yctx y = {arena_strdup(&c->arena, path), d, &c->arena};
    locale_t user = c->bytes ? uselocale(c->bytes) : (locale_t)0;
    if (doc.root == NULL)
      diag_error(d, path, 1, 1, "empty rules file");
    else
      ydoc_map(&y, doc.root, top_fields, UTIL_ARRAY_LEN(top_fields), c,
               "the rules file");
    if (c->bytes)
      uselocale(user);
  }
  arena_merge(&c->arena, &doc.arena);
  if (d->errors != before) {
    classify_free(c);
    return st == RBL_OK ? RBL_ECONFIG : st;
  }
  *out = c;
  return RBL_OK;
}

static void
section_free(struct section *s)
{
  for (size_t i = 0; i < s->n; i++)
    rule_free(&s->r[i]);
  free(s->r);
}

void
classify_free(struct classifier *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; c->cache != NULL && i < CACHE_SLOTS; i++)
    free(c->cache[i].text);
  free(c->cache);
  section_free(&c->rules);
  section_free(&c->lists);
  section_free(&c->codes);
  section_free(&c->reqs);
  for (size_t i = 0; i < c->nrecv; i++)
    if (c->recv[i].has_re)
      regfree(&c->recv[i].re);
  free(c->recv);
  arena_free(&c->arena);
  if (c->bytes)
    freelocale(c->bytes);
  free(c);
}
