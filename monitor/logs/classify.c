#include "classify.h"

#include <arpa/inet.h>
#include <locale.h>
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

static const char *const detail_names[] = {
  "spf", "dkim", "dmarc", "arc", "ptr", "helo", "tls", "smtp-auth", "relay",
  "protocol", "size", "format", "greylist", "sender", "unknown-user",
  "mailbox-full", "disabled", NULL};
static const char *const lang_names[] = {"en", "fr", "de", "es", "it", "pt",
                                         "ru", "zh", "ja", NULL};

/* The order rules are read in (docs/logscan.md): what the reply itself
 * states comes before what a receiver's rule or a generic word guesses. */
enum tier {
  TIER_QUERY_ERROR,               /* the receiver's own list query failed */
  TIER_ADDRESS,                   /* an address: the sender's or the recipient's */
  TIER_REASON,                    /* a stated reason */
  TIER_CODE,                      /* an enhanced status code alone */
  TIER_RECEIVER,                  /* a receiver's generic texts */
  TIER_GENERIC,                   /* generic words */
  TIER_COUNT
};
static const char *const tier_names[] = {
  "query-error", "address", "reason", "code", "receiver", "generic", NULL};

#define CLASSIFY_MAX_RULES 2000

/* One entry of rules, lists or requirements (each reads its own keys). */
#define RULE_LITERALS 32

struct rule {
  const char *id;
  const char *pattern;            /* match, as written */
  /* Prefilter: the text (lower-cased) can only match when it holds one of
   * these; nlits 0: no prefilter (a branch without a literal to require). */
  const char *lits[RULE_LITERALS];
  size_t nlits;
  regex_t re;
  bool compiled;
  regex_t code_re;                /* the enhanced code, anchored */
  bool has_code;
  int tier;
  enum cause cause;
  bool has_cause;                 /* cause was read */
  const char *detail, *list, *block, *receiver;
  int block_group;
  const char *zone, *operator_name; /* lists: what the text names */
  int zone_group;
  struct requirement req;         /* requirements */
};

struct receiver {
  const char *suffix, *name, *postmaster;
  regex_t re;                     /* a signature in the text, or none */
  bool has_re;
};

#define CACHE_SLOTS 4096

struct cache_slot {
  uint64_t hash;
  char *text;                     /* malloc'ed; NULL: empty slot */
  const char *host;               /* receiver found from the host name */
  char enhanced[16];
  struct verdict v;
};

struct section {
  struct rule *r;
  size_t n;
};

/* The rules are byte patterns (docs/logscan.md): they are compiled and
 * run under the C locale whatever the user's, which is also several times
 * faster than multibyte matching. */
struct classifier {
  locale_t bytes;                 /* the C locale, or (locale_t)0 */
  struct cache_slot *cache;       /* CACHE_SLOTS, allocated on first use */
  struct arena arena;
  const struct catalog *cat;
  struct section rules, lists, codes, reqs;
  struct receiver *recv;
  size_t nrecv;
};

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

/* ---- the literal prefilter ---------------------------------------------- */
/* Where the group or bracket expression at p (one of "([") ends, or
 * NULL when it does not. */
static const char *
skip_group(const char *p, const char *end)
{
  if (*p == '[') {
    const char *q = p + 1;
    if (q < end && *q == '^')
      q++;
    if (q < end && *q == ']')
      q++;
    while (q < end && *q != ']') {
      if (*q == '[' && q + 1 < end && strchr(":=.", q[1]) != NULL) {
        char close[3] = {q[1], ']', '\0'}; /* [:alpha:], [=a=], [.-.] */
        const char *e = q + 2 < end ? strstr(q + 2, close) : NULL;
        if (e == NULL || e >= end)
          return NULL;
        q = e + 2;
        continue;
      }
      q++;
    }
    return q < end ? q + 1 : NULL;
  }
  int depth = 0;
  const char *q = p;
  while (q < end) {
    if (*q == '\\' && q + 1 < end) {
      q += 2;
      continue;
    }
    if (*q == '[') {
      if ((q = skip_group(q, end)) == NULL)
        return NULL;
      continue;
    }
    if (*q == '(')
      depth++;
    else if (*q == ')' && --depth == 0)
      return q + 1;
    q++;
  }
  return NULL;
}

/* Keeps run as best when longer; empties run. */
static void
flush_run(char *run, size_t *rl, char *best, size_t *bl)
{
  if (*rl > *bl) {
    memcpy(best, run, *rl);
    *bl = *rl;
  }
  *rl = 0;
}

/* The longest run of characters that every match of the branch [p, end)
 * of an ERE holds, lower-cased, into best (size LOG_FIELD_MAX); its
 * length, 0 when the branch has none it can name. */
static size_t
branch_literal(const char *p, const char *end, char *best)
{
  char run[LOG_FIELD_MAX];
  size_t rl = 0, bl = 0;
  while (p < end) {
    char ch = *p;
    if (ch == '(' || ch == '[') {
      flush_run(run, &rl, best, &bl);
      if ((p = skip_group(p, end)) == NULL)
        return 0;
      if (p < end && strchr("*?+{", *p) != NULL && *p != '{')
        p++;
      continue;
    }
    if (strchr(".^$*?+{}", ch) != NULL) { /* quantifiers after a group */
      flush_run(run, &rl, best, &bl);
      p = ch == '{' ? memchr(p, '}', (size_t)(end - p)) : p;
      if (p == NULL)
        return 0;
      p++;
      continue;
    }
    if (ch == '\\' && p + 1 < end) {
      ch = *++p;
      /* GNU's \b \w \< \` ... and back-references: no character of
       * their own to require */
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || strchr("<>`'", ch) != NULL) {
        flush_run(run, &rl, best, &bl);
        p++;
        continue;
      }
    }
    p++;
    size_t nq = strspn(p, "*?+{"); /* the quantifiers after it, stacked */
    if (nq > (size_t)(end - p))
      nq = (size_t)(end - p);
    bool optional = memchr(p, '*', nq) || memchr(p, '?', nq) ||
                    memchr(p, '{', nq);
    if (optional) {               /* the character may be absent */
      flush_run(run, &rl, best, &bl);
      continue;                   /* the quantifiers: next round */
    }
    if (rl + 1 < sizeof(run))
      run[rl++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    if (nq > 0) {                 /* once or more: the run stops here */
      char last = run[rl - 1];
      flush_run(run, &rl, best, &bl);
      run[rl++] = last;
      p += nq;
    }
  }
  flush_run(run, &rl, best, &bl);
  return bl;
}

size_t
classify_literals(const char *pattern, char out[][CLASSIFY_LITERAL_MAX],
                  size_t max)
{
  const char *p = pattern, *end = p + strlen(p), *b = p;
  size_t n = 0;
  while (b <= end) {
    const char *q = b;
    while (q < end && *q != '|') {
      if (*q == '\\' && q + 1 < end)
        q += 2;
      else if (*q == '(' || *q == '[') {
        if ((q = skip_group(q, end)) == NULL)
          return 0;
      } else
        q++;
    }
    char lit[LOG_FIELD_MAX];
    size_t len = branch_literal(b, q, lit);
    if (len < 3 || n == max)
      return 0;                   /* a branch with nothing to require */
    if (len >= CLASSIFY_LITERAL_MAX)
      len = CLASSIFY_LITERAL_MAX - 1; /* a prefix is required too */
    memcpy(out[n], lit, len);
    out[n++][len] = '\0';
    b = q + 1;
  }
  return n;
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

/* Can ru's pattern match the text (lower: it lower-cased)? */
static bool
may_match(const struct rule *ru, const char *lower)
{
  for (size_t i = 0; i < ru->nlits; i++)
    if (strstr(lower, ru->lits[i]) != NULL)
      return true;
  return ru->nlits == 0;
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
  if (!may_match(ru, lower))
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
    if (!may_match(ru, lower) || regexec(&ru->re, text, ru->zone_group ? 10 : 0, m, 0) != 0)
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
    if (!may_match(ru, lower) || regexec(&ru->re, text, 10, m, 0) != 0 ||
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
