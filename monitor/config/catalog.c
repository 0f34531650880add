#include "catalog.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

const char *const severity_names[] = {"good", "notice", "warning", "critical",
                                      NULL};
const char *const list_type_names[] = {"ip4", "ip6", "ip", "domain", "email",
                                       NULL};
const char *const list_hash_names[] = {"md5", "sha1", "sha256", NULL};
const char *const list_hash_enc_names[] = {"hex", "base32", NULL};
const char *const delist_proc_names[] = {
  "self-service", "auto-expire", "isp-only", "paid-express", "contact",
  "none", NULL};
static const char *const status_names[] = {"active", "defunct", NULL};
const char *const scope_names[] = {"address", "range", "provider", "asn",
                                   "domain", "policy", NULL};

#define CATALOG_MAX_RULES 256

void
catalog_init(struct catalog *cat)
{
  memset(cat, 0, sizeof(*cat));
}

void
catalog_free(struct catalog *cat)
{
  if (cat == NULL)
    return;
  free(cat->lists);
  arena_free(&cat->arena);
  memset(cat, 0, sizeof(*cat));
}

bool
catalog_parse_code(const char *s, uint32_t *net, unsigned *prefix)
{
  char tmp[32];
  size_t n = strlen(s);
  if (n >= sizeof(tmp))
    return false;
  memcpy(tmp, s, n + 1);
  unsigned p = 32;
  char *slash = strchr(tmp, '/');
  if (slash != NULL) {
    uint64_t v;
    *slash = '\0';
    if (util_parse_u64(slash + 1, 32, &v) != RBL_OK || v < 8)
      return false;
    p = (unsigned)v;
  }
  struct in_addr in;
  if (inet_pton(AF_INET, tmp, &in) != 1)
    return false;
  uint32_t a = ntohl(in.s_addr);
  if ((a >> 24) != 127)
    return false;
  uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
  if ((a & ~mask) != 0)
    return false;
  *net = a;
  *prefix = p;
  return true;
}

const struct code_rule *
catalog_match(const struct code_rule *rules, size_t n, uint32_t a)
{
  const struct code_rule *best = NULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t mask = rules[i].prefix == 0 ? 0
                                         : 0xffffffffu << (32 - rules[i].prefix);
    if ((a & mask) == rules[i].net &&
        (best == NULL || rules[i].prefix > best->prefix))
      best = &rules[i];
  }
  return best;
}

const struct list_def *
catalog_find_zone(const struct catalog *cat, const char *zone)
{
  for (size_t i = 0; i < cat->n; i++)
    if (cat->lists[i]->zone != NULL && util_strcaseeq(cat->lists[i]->zone, zone))
      return cat->lists[i];
  return NULL;
}

uint64_t
list_daily_limit(const struct list_def *l, bool *published)
{
  if (published != NULL)
    *published = l->queries_per_day > 0;
  if (l->queries_per_day > 0)
    return l->queries_per_day;
  if (l->custom || l->key_name != NULL || !list_is_dnsbl(l))
    return 0;
  return LIST_FAIR_USE_PER_DAY;
}

const char *
list_limit_why(const struct list_def *l)
{
  return l->queries_per_day > 0 ? "its terms allow"
                                : "rblmon allows a list that publishes no "
                                  "limit";
}

bool
list_has_tag(const struct list_def *l, const char *tag)
{
  for (size_t i = 0; i < l->ntags; i++)
    if (strcmp(l->tags[i], tag) == 0)
      return true;
  return false;
}

bool
list_takes_ip4(const struct list_def *l)
{
  return l->type == LIST_IP4 || l->type == LIST_IP;
}

bool
list_takes_ip6(const struct list_def *l)
{
  return l->type == LIST_IP6 || l->type == LIST_IP;
}

bool
list_has_good(const struct list_def *l)
{
  for (size_t i = 0; i < l->ncodes; i++)
    if (l->codes[i].sev == SEV_GOOD)
      return true;
  return false;
}

/* ---- entry parser ------------------------------------------------------ */
struct entry {
  struct list_def *def;
  struct ynode *node;
  struct ynode *test_node, *status_node, *defunct_node, *delist_node;
  struct ynode *scope_node, *hash_node;
  struct ynode *code_scope[CATALOG_MAX_RULES]; /* by index in def->codes */
  bool has_status_defunct;
  unsigned errors_before;
  bool has_codes, has_sources, has_delist_url, has_feed;
  struct feed_def *feed;
};

static bool
valid_name(const char *s)
{
  if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
          *s == '.'))
      return false;
  return true;
}

static bool
valid_url(const char *s)
{
  return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static void
f_name(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!ydoc_str(c, v, &e->def->name, "name"))
    return;
  if (!valid_name(v->str) || v->len > 64)
    yerror(c, v, "list name '%.64s' must be lower case letters, digits, '-' "
           "and '.', starting with a letter or digit", v->str);
}

static void
f_title(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->title, "title");
}

static void
f_zone(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!ydoc_str(c, v, &e->def->zone, "zone"))
    return;
  char tmp[TARGET_NAME_MAX];
  const char *key = strstr(v->str, "{key}");
  if (key != NULL) {
    /* a whole label: "{key}.zen.dq.spamhaus.net", and for a hash list
     * "_email.{key}.hbl.dq.spamhaus.net" */
    if ((key != v->str && key[-1] != '.') || key[5] != '.' ||
        strstr(key + 5, "{key}") != NULL) {
      yerror(c, v, "zone '%.64s': {key} may appear once, as a whole label",
             v->str);
      return;
    }
    snprintf(tmp, sizeof(tmp), "%.*sk%s", (int)(key - v->str), v->str,
             key + 5);
  } else {
    snprintf(tmp, sizeof(tmp), "%s", v->str);
  }
  if (!target_domain_valid(tmp)) {
    yerror(c, v, "zone '%.64s' is not a valid DNS name", v->str);
    return;
  }
  char *z = arena_strdup(c->arena, v->str);
  for (char *p = z; p && *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p + 32);
  e->def->zone = z;
}

static void
f_type(struct yctx *c, struct ynode *v, void *obj)
{
  int t;
  if (ydoc_enum(c, v, list_type_names, &t, "type"))
    ((struct entry *)obj)->def->type = (enum list_type)t;
}

static bool
parse_scope(struct yctx *c, struct ynode *v, enum list_scope *out,
            const char *what)
{
  int s;
  if (!ydoc_enum(c, v, scope_names, &s, what))
    return false;
  *out = (enum list_scope)(s + 1);
  return true;
}

static void
f_scope(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (parse_scope(c, v, &e->def->scope, "scope"))
    e->scope_node = v;
}

static void
f_status(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  int s;
  e->status_node = v;
  if (ydoc_enum(c, v, status_names, &s, "status"))
    e->def->defunct = s == 1;
}

/* YYYY-MM-DD, the fixed-width date of our own catalog files. */
static bool
is_date(const char *s, size_t len)
{
  if (len != 10)
    return false;
  for (size_t i = 0; i < len; i++)
    if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
      return false;
  unsigned m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
  unsigned d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static void
f_defunct_since(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (v->kind != Y_SCALAR || !is_date(v->str, v->len)) {
    yerror(c, v, "defunct.since must be a date YYYY-MM-DD");
    return;
  }
  e->def->defunct_since = v->str;
}

static void
f_defunct_reason(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->defunct_reason,
           "defunct.reason");
}

static const struct yfield defunct_fields[] = {
  {"since", f_defunct_since, true},
  {"reason", f_defunct_reason, true},
};

static void
f_defunct(struct yctx *c, struct ynode *v, void *obj)
{
  ((struct entry *)obj)->defunct_node = v;
  ydoc_map(c, v, defunct_fields, UTIL_ARRAY_LEN(defunct_fields), obj,
           "defunct");
}

static void
add_tag(struct yctx *c, struct ynode *v, void *obj)
{
  struct list_def *d = ((struct entry *)obj)->def;
  const char *s = v->str;
  bool ok = v->len > 0 && v->len <= 32;
  for (; ok && *s; s++)
    ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-';
  if (!ok) {
    yerror(c, v, "tag '%.64s' must be lower case letters, digits and '-'",
           v->str);
    return;
  }
  const char **tags = arena_alloc(c->arena, (d->ntags + 1) * sizeof(*tags));
  if (tags == NULL)
    return;
  if (d->ntags)
    memcpy(tags, d->tags, d->ntags * sizeof(*tags));
  tags[d->ntags++] = v->str;
  d->tags = tags;
}

static void
f_tags(struct yctx *c, struct ynode *v, void *obj)
{
  if (ydoc_kind(c, v, Y_SEQ, "tags"))
    ydoc_each(c, v, add_tag, obj, "tags");
}

static void
f_txt(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_bool(c, v, &((struct entry *)obj)->def->txt, "txt");
}

static void
f_bitmask(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_bool(c, v, &((struct entry *)obj)->def->bitmask, "bitmask");
}

static void
f_hash_function(struct yctx *c, struct ynode *v, void *obj)
{
  int h;
  if (ydoc_enum(c, v, list_hash_names, &h, "hash.function"))
    ((struct entry *)obj)->def->hash = (enum list_hash)(h + 1);
}

static void
f_hash_encoding(struct yctx *c, struct ynode *v, void *obj)
{
  int enc;
  if (ydoc_enum(c, v, list_hash_enc_names, &enc, "hash.encoding"))
    ((struct entry *)obj)->def->hash_enc = (enum list_hash_enc)enc;
}

static const struct yfield hash_fields[] = {
  {"function", f_hash_function, true},
  {"encoding", f_hash_encoding, false},
};

static void
f_hash(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  e->hash_node = v;
  ydoc_map(c, v, hash_fields, UTIL_ARRAY_LEN(hash_fields), obj, "hash");
}

static void
f_key_name(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!ydoc_str(c, v, &e->def->key_name, "key.name"))
    return;
  for (const char *p = v->str; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-')) {
      yerror(c, v, "key.name '%.64s' must be lower case letters, digits, "
             "'_' and '-'", v->str);
      return;
    }
}

static void
f_key_env(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!ydoc_str(c, v, &e->def->key_env, "key.env"))
    return;
  for (const char *p = v->str; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) {
      yerror(c, v, "key.env '%.64s' must be an environment variable name "
             "(A-Z, 0-9, _)", v->str);
      return;
    }
}

static const struct yfield key_fields[] = {
  {"name", f_key_name, true},
  {"env", f_key_env, false},
};

static void
f_key(struct yctx *c, struct ynode *v, void *obj)
{
  if (!ydoc_is_null(v))
    ydoc_map(c, v, key_fields, UTIL_ARRAY_LEN(key_fields), obj, "key");
}

/* codes and errors: map of A value or CIDR -> meaning */
static bool
parse_rule_key(struct yctx *c, struct ynode *k, struct code_rule *r,
               const char *what)
{
  if (!catalog_parse_code(k->str, &r->net, &r->prefix)) {
    yerror(c, k, "%s key '%.64s' must be an address or CIDR inside "
           "127.0.0.0/8 with no host bits set", what, k->str);
    return false;
  }
  return true;
}

static bool
rule_dup(struct yctx *c, struct ynode *k, const struct code_rule *rules,
         size_t n, const struct code_rule *r, const char *what)
{
  for (size_t i = 0; i < n; i++)
    if (rules[i].net == r->net && rules[i].prefix == r->prefix) {
      yerror(c, k, "duplicate %s entry '%.64s'", what, k->str);
      return true;
    }
  return false;
}

struct code_parse {
  struct code_rule *r;
  struct code_fix *fx;
  bool has_meaning, has_sev;
  struct ynode *scope_node, *fix_node;
};

static void
f_code_meaning(struct yctx *c, struct ynode *v, void *obj)
{
  struct code_parse *cp = obj;
  cp->has_meaning = ydoc_str(c, v, &cp->r->meaning, "meaning");
}

static void
f_code_sev(struct yctx *c, struct ynode *v, void *obj)
{
  struct code_parse *cp = obj;
  int s;
  if ((cp->has_sev = ydoc_enum(c, v, severity_names, &s, "severity")))
    cp->r->sev = (enum severity)s;
}

static void
f_code_scope(struct yctx *c, struct ynode *v, void *obj)
{
  struct code_parse *cp = obj;
  if (parse_scope(c, v, &cp->fx->scope, "a code's scope"))
    cp->scope_node = v;
}

static void
f_code_fix(struct yctx *c, struct ynode *v, void *obj)
{
  struct code_parse *cp = obj;
  if (ydoc_str(c, v, &cp->fx->fix, "a code's fix"))
    cp->fix_node = v;
}

static const struct yfield code_fields[] = {
  {"meaning", f_code_meaning, true},
  {"severity", f_code_sev, true},
  {"scope", f_code_scope, false},
  {"fix", f_code_fix, false},
};

/* A good code is never a listing: nothing to fix, nobody to ask. */
static void
check_code_advice(struct yctx *c, const struct code_parse *cp,
                  struct ynode *k)
{
  if (cp->r->sev != SEV_GOOD)
    return;
  if (cp->scope_node != NULL)
    yerror(c, cp->scope_node, "code '%.64s' is good (never a listing): it "
           "has no scope", k->str);
  if (cp->fix_node != NULL)
    yerror(c, cp->fix_node, "code '%.64s' is good (never a listing): it "
           "has no fix", k->str);
}

static void
f_codes(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  struct list_def *d = e->def;
  e->has_codes = true;
  if (!ydoc_kind(c, v, Y_MAP, "codes"))
    return;
  if (v->n > CATALOG_MAX_RULES) {
    yerror(c, v, "more than %d codes", CATALOG_MAX_RULES);
    return;
  }
  size_t room = v->n ? v->n : 1;
  d->codes = arena_alloc(c->arena, room * sizeof(*d->codes));
  d->code_fixes = arena_alloc(c->arena, room * sizeof(*d->code_fixes));
  if (d->codes == NULL || d->code_fixes == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    struct code_rule r = {0};
    struct code_fix fx = {SCOPE_UNSPECIFIED, NULL};
    if (!parse_rule_key(c, k, &r, "codes") ||
        rule_dup(c, k, d->codes, d->ncodes, &r, "codes"))
      continue;
    struct code_parse cp = {&r, &fx, false, false, NULL, NULL};
    ydoc_map(c, val, code_fields, UTIL_ARRAY_LEN(code_fields), &cp,
             "a code");
    if (!cp.has_meaning || !cp.has_sev)
      continue;
    check_code_advice(c, &cp, k);
    e->code_scope[d->ncodes] = cp.scope_node;
    d->code_fixes[d->ncodes] = fx;
    d->codes[d->ncodes++] = r;
  }
}

static void
f_errors(struct yctx *c, struct ynode *v, void *obj)
{
  struct list_def *d = ((struct entry *)obj)->def;
  if (!ydoc_kind(c, v, Y_MAP, "errors"))
    return;
  if (v->n > CATALOG_MAX_RULES) {
    yerror(c, v, "more than %d error codes", CATALOG_MAX_RULES);
    return;
  }
  d->errors = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(*d->errors));
  if (d->errors == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    struct code_rule r = {0};
    if (!parse_rule_key(c, k, &r, "errors") ||
        rule_dup(c, k, d->errors, d->nerrors, &r, "errors"))
      continue;
    if (ydoc_str(c, val, &r.meaning, "an error's meaning"))
      d->errors[d->nerrors++] = r;
  }
}

static void
f_test_listed(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->test_listed, "test.listed");
}

static void
f_test_unlisted(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->test_unlisted,
           "test.unlisted");
}

static const struct yfield test_fields[] = {
  {"listed", f_test_listed, false},
  {"unlisted", f_test_unlisted, false},
};

static void
f_test(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  e->test_node = v;
  if (v->kind == Y_SCALAR) {
    bool b;
    if (ydoc_bool(c, v, &b, "test") && b)
      yerror(c, v, "test: true is the default; write test: false or a "
             "mapping {listed: ..., unlisted: ...}");
    else
      e->def->probe = false;
    return;
  }
  ydoc_map(c, v, test_fields, UTIL_ARRAY_LEN(test_fields), obj, "test");
}

static void
f_limits_qpd(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1, UINT64_C(1) << 40,
           &((struct entry *)obj)->def->queries_per_day,
           "limits.queries_per_day");
}

static void
f_limits_note(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->limits_note, "limits.note");
}

static const struct yfield limits_fields[] = {
  {"queries_per_day", f_limits_qpd, false},
  {"note", f_limits_note, false},
};

static void
f_limits(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, limits_fields, UTIL_ARRAY_LEN(limits_fields), obj,
           "limits");
}

static void
f_delist_url(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!ydoc_str(c, v, &e->def->delist_url, "delist.url"))
    return;
  if (!valid_url(v->str))
    yerror(c, v, "delist.url '%.64s' must start with https:// or http://",
           v->str);
  else
    e->has_delist_url = true;
}

static void
f_delist_proc(struct yctx *c, struct ynode *v, void *obj)
{
  int p;
  if (ydoc_enum(c, v, delist_proc_names, &p, "delist.procedure"))
    ((struct entry *)obj)->def->delist_proc = (enum delist_proc)p;
}

static void
f_delist_expires(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 60000, UINT64_C(366) * 86400000,
                &((struct entry *)obj)->def->delist_expires_ms,
                "delist.expires");
}

static void
f_delist_fix(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->fix_first, "delist.fix_first");
}

static void
f_delist_note(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->delist_note, "delist.note");
}

static const struct yfield delist_fields[] = {
  {"url", f_delist_url, false},
  {"procedure", f_delist_proc, false},
  {"expires", f_delist_expires, false},
  {"fix_first", f_delist_fix, false},
  {"note", f_delist_note, false},
};

static void
f_delist(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  e->delist_node = v;
  if (v->kind == Y_SCALAR) { /* shorthand: just the URL */
    f_delist_url(c, v, obj);
    return;
  }
  ydoc_map(c, v, delist_fields, UTIL_ARRAY_LEN(delist_fields), obj,
           "delist");
}

static void
check_source(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!valid_url(v->str))
    yerror(c, v, "source '%.64s' must be a URL", v->str);
  else
    e->def->nsources++;
}

static void
f_sources(struct yctx *c, struct ynode *v, void *obj)
{
  ((struct entry *)obj)->has_sources = true;
  ydoc_each(c, v, check_source, obj, "sources");
}

static void
f_note(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct entry *)obj)->def->note, "note");
}

static void
f_feed(struct yctx *c, struct ynode *v, void *obj)
{
  struct entry *e = obj;
  if (!e->def->custom) {
    yerror(c, v, "feed: belongs in the configuration (lists.feeds), not "
           "in the catalog");
    return;
  }
  e->has_feed = true;
  e->feed = feed_def_parse(c, v, e->def->name ? e->def->name : "", c->file);
  e->def->feed = e->feed;
}

static const struct yfield entry_fields[] = {
  {"name", f_name, true},
  {"title", f_title, false},
  {"zone", f_zone, false},
  {"type", f_type, true},
  {"scope", f_scope, false},
  {"status", f_status, false},
  {"defunct", f_defunct, false},
  {"tags", f_tags, false},
  {"txt", f_txt, false},
  {"bitmask", f_bitmask, false},
  {"hash", f_hash, false},
  {"key", f_key, false},
  {"codes", f_codes, false},
  {"errors", f_errors, false},
  {"test", f_test, false},
  {"limits", f_limits, false},
  {"delist", f_delist, false},
  {"sources", f_sources, false},
  {"note", f_note, false},
  {"feed", f_feed, false},
};

static void
rule_str(const struct code_rule *r, char *buf, size_t size)
{
  uint32_t a = r->net;
  int n = snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
                   (a >> 8) & 0xff, a & 0xff);
  if (r->prefix != 32 && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, "/%u", r->prefix);
}

/* A scope must fit the list's type: a domain list's listings are about
 * domains (or policy); an IP list's never are. */
static bool
scope_fits(enum list_type t, enum list_scope s)
{
  if (s == SCOPE_UNSPECIFIED || s == SCOPE_POLICY)
    return true;
  return (t == LIST_DOMAIN) == (s == SCOPE_DOMAIN);
}

static void
scope_misfit(struct yctx *c, struct ynode *n, const struct list_def *d,
             enum list_scope s, const char *code)
{
  yerror(c, n, "list '%s': %s%s%sscope %s does not fit type %s (%s)",
         d->name, code ? "code '" : "", code ? code : "", code ? "': " : "",
         scope_names[s - 1], list_type_names[d->type],
         d->type == LIST_DOMAIN ? "a domain list's scope is domain or policy"
                                : "domain is for domain lists");
}

/* Scopes against the type; a domain list's default scope. */
static void
check_scopes(struct yctx *c, struct entry *e)
{
  struct list_def *d = e->def;
  if (!scope_fits(d->type, d->scope))
    scope_misfit(c, e->scope_node, d, d->scope, NULL);
  for (size_t i = 0; d->code_fixes != NULL && i < d->ncodes; i++)
    if (!scope_fits(d->type, d->code_fixes[i].scope)) {
      char code[24];
      rule_str(&d->codes[i], code, sizeof(code));
      scope_misfit(c, e->code_scope[i], d, d->code_fixes[i].scope, code);
    }
  if (d->scope == SCOPE_UNSPECIFIED && d->type == LIST_DOMAIN)
    d->scope = SCOPE_DOMAIN;
}

/* An e-mail list's hash: present exactly on type email, and short enough
 * for one DNS label (RFC 1035: 63 octets; SHA-256 in hex is 64). */
static void
check_hash(struct yctx *c, struct entry *e)
{
  struct list_def *d = e->def;
  if (d->type == LIST_EMAIL && d->hash == LIST_HASH_NONE &&
      e->hash_node == NULL)
    yerror(c, e->node, "list '%s': type email needs hash: {function: "
           "md5|sha1|sha256, encoding: hex|base32}", d->name);
  if (d->type != LIST_EMAIL && e->hash_node != NULL)
    yerror(c, e->hash_node, "list '%s': hash: is for type email only",
           d->name);
  if (d->hash == LIST_HASH_SHA256 && d->hash_enc == LIST_ENC_HEX)
    yerror(c, e->hash_node, "list '%s': sha256 in hex is 64 characters, "
           "longer than a DNS label (63): use encoding: base32", d->name);
  /* RFC 5782 defines no test point for a hash list: without test:, none */
  if (d->type == LIST_EMAIL && e->test_node == NULL)
    d->probe = false;
  if (d->type == LIST_EMAIL && e->feed != NULL)
    yerror(c, e->node, "list '%s': a list read from a file cannot be of "
           "type email", d->name);
}

/* Checks that involve several keys of one entry. */
static void
check_entry(struct yctx *c, struct entry *e)
{
  struct list_def *d = e->def;
  struct ynode *n = e->node;
  if (e->feed != NULL && d->name != NULL)
    e->feed->list = d->name;
  if (d->zone == NULL && d->name != NULL && !e->has_feed)
    yerror(c, n, "a list entry is missing the required key 'zone'%s",
           d->custom ? " (or feed:, for a list read from a file)" : "");
  if (d->name == NULL)
    return;
  /* a list read only from a file has no zone, and nothing keyed */
  bool keyed = d->zone != NULL && strstr(d->zone, "{key}") != NULL;
  if (keyed && d->key_name == NULL)
    yerror(c, n, "list '%s': zone has {key} but the entry has no key: "
           "{name: ..., env: ...}", d->name);
  if (!keyed && d->key_name != NULL)
    yerror(c, n, "list '%s': key given but %s", d->name,
           d->zone ? "the zone has no {key}" : "there is no zone");
  if (d->defunct && e->defunct_node == NULL)
    yerror(c, e->status_node, "list '%s': status defunct needs "
           "defunct: {since: YYYY-MM-DD, reason: ...}", d->name);
  if (!d->defunct && e->defunct_node != NULL)
    yerror(c, e->defunct_node, "list '%s': defunct: given but status is "
           "not defunct", d->name);
  if (!d->defunct) {
    if (!e->has_codes || d->ncodes == 0)
      yerror(c, n, "list '%s': an active list needs codes (what each answer "
             "means)", d->name);
    bool none_ok = d->delist_proc == DELIST_NONE && d->delist_note != NULL;
    if (!e->has_delist_url && !none_ok && !d->custom)
      yerror(c, e->delist_node ? e->delist_node : n,
             "list '%s': delist needs a url (or procedure: none with a note "
             "saying why)", d->name);
    if (d->delist_proc == DELIST_AUTO_EXPIRE && d->delist_expires_ms == 0 &&
        d->delist_note == NULL)
      ywarn(c, e->delist_node, "list '%s': auto-expire without expires:",
            d->name);
  }
  check_scopes(c, e);
  if (!d->custom && (!e->has_sources || d->nsources == 0))
    yerror(c, n, "list '%s': sources: (the pages its facts came from) is "
           "required", d->name);
  if (d->bitmask) {
    for (size_t i = 0; i < d->ncodes; i++) {
      uint32_t bit = d->codes[i].net & 0xff;
      if (d->codes[i].prefix != 32 || (d->codes[i].net & 0xffffff00u) !=
          0x7f000000u || bit == 0 || (bit & (bit - 1)) != 0)
        yerror(c, n, "list '%s': a bitmask list's codes must be single bits "
               "127.0.0.1/2/4/.../128", d->name);
    }
  }
  /* Test points must fit the list's type. */
  const char *pts[2] = {d->test_listed, d->test_unlisted};
  for (int i = 0; i < 2; i++) {
    if (pts[i] == NULL)
      continue;
    struct addr a;
    bool is_addr = target_addr_parse(pts[i], &a);
    bool fits = d->type == LIST_EMAIL ? target_email_valid(pts[i])
                : d->type == LIST_DOMAIN
                  ? !is_addr && target_domain_valid(pts[i])
                  : is_addr && (a.kind == TARGET_IP4 ? list_takes_ip4(d)
                                                     : list_takes_ip6(d));
    if (!fits)
      yerror(c, e->test_node, "list '%s': test point '%.64s' does not fit "
             "type %s", d->name, pts[i], list_type_names[d->type]);
  }
}

struct list_def *
catalog_parse_entry(struct yctx *c, struct ynode *node,
                    const char *operator_name, bool custom)
{
  struct list_def *d = arena_alloc(c->arena, sizeof(*d));
  if (d == NULL)
    return NULL;
  d->operator_name = operator_name;
  d->file = c->file;
  d->line = node->line;
  d->col = node->col;
  d->probe = true;
  d->custom = custom;
  d->delist_proc = DELIST_UNSPECIFIED;
  struct entry e = {0};
  e.def = d;
  e.node = node;
  unsigned before = c->diag->errors;
  if (!ydoc_map(c, node, entry_fields, UTIL_ARRAY_LEN(entry_fields), &e,
                "a list entry"))
    return NULL;
  check_entry(c, &e);
  if (d->name != NULL)
    check_hash(c, &e);
  return c->diag->errors == before ? d : NULL;
}

bool
catalog_add(struct catalog *cat, struct yctx *c, struct list_def *def)
{
  for (size_t i = 0; i < cat->n; i++) {
    const struct list_def *o = cat->lists[i];
    const char *what = NULL;
    if (strcmp(o->name, def->name) == 0)
      what = "name";
    else if (list_is_dnsbl(o) && list_is_dnsbl(def) &&
             o->zone != NULL && def->zone != NULL &&
             strcmp(o->zone, def->zone) == 0)
      what = "zone";
    if (what != NULL) {
      diag_error(c->diag, def->file, def->line, def->col,
                 "%s '%s': duplicate %s '%s' (already defined at %s:%u:%u)",
                 def->provider ? "provider" : "list", def->name, what,
                 strcmp(what, "name") ? def->zone : def->name,
                 o->file, o->line, o->col);
      return false;
    }
  }
  if (cat->n == cat->cap) {
    size_t cap = cat->cap ? cat->cap * 2 : 64;
    struct list_def **p = realloc(cat->lists, cap * sizeof(*p));
    if (p == NULL)
      return false;
    cat->lists = p;
    cat->cap = cap;
  }
  cat->lists[cat->n++] = def;
  return true;
}

const struct list_def *
catalog_find(const struct catalog *cat, const char *name)
{
  for (size_t i = 0; i < cat->n; i++)
    if (strcmp(cat->lists[i]->name, name) == 0)
      return cat->lists[i];
  return NULL;
}

/* ---- files ------------------------------------------------------------- */
struct file_parse {
  struct catalog *cat;
  const char *operator_name;
  struct ynode *lists;
};

static void
ff_operator(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct file_parse *)obj)->operator_name, "operator");
}

static void
ff_url(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  const char *s;
  if (ydoc_str(c, v, &s, "url") && !valid_url(s))
    yerror(c, v, "url '%.64s' must start with https:// or http://", s);
}

static void
ff_terms(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  const char *s;
  ydoc_str(c, v, &s, "terms");
}

static void
ff_sources(struct yctx *c, struct ynode *v, void *obj)
{
  (void)obj;
  struct entry dummy = {0};
  struct list_def d = {0};
  dummy.def = &d;
  ydoc_each(c, v, check_source, &dummy, "sources");
}

static void
ff_lists(struct yctx *c, struct ynode *v, void *obj)
{
  if (ydoc_kind(c, v, Y_SEQ, "lists"))
    ((struct file_parse *)obj)->lists = v;
}

static const struct yfield file_fields[] = {
  {"operator", ff_operator, true},
  {"url", ff_url, false},
  {"terms", ff_terms, false},
  {"sources", ff_sources, false},
  {"lists", ff_lists, true},
};

/* Reads a loaded catalog file (doc) into cat and frees doc. */
static rbl_status
load_doc(struct catalog *cat, struct ydoc *doc, const char *path,
         unsigned before, struct diag *d)
{
  struct yctx c = {arena_strdup(&cat->arena, path), d, &cat->arena};
  struct file_parse fp = {cat, NULL, NULL};
  if (doc->root == NULL) {
    diag_error(d, path, 1, 1, "empty catalog file");
  } else if (ydoc_map(&c, doc->root, file_fields, UTIL_ARRAY_LEN(file_fields),
                      &fp, "a catalog file") && fp.lists != NULL) {
    const char *op = fp.operator_name
                         ? arena_strdup(&cat->arena, fp.operator_name)
                         : "";
    for (size_t i = 0; i < fp.lists->n; i++) {
      struct list_def *def = catalog_parse_entry(&c, fp.lists->items[i], op, false);
      if (def != NULL)
        catalog_add(cat, &c, def);
    }
  }
  /* Definitions point at node strings: the catalog takes the document's
   * memory over. */
  arena_merge(&cat->arena, &doc->arena);
  ydoc_free(doc);
  return d->errors == before ? RBL_OK : RBL_ECONFIG;
}

rbl_status
catalog_load_file(struct catalog *cat, const char *path, struct diag *d)
{
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_file(&doc, path, d);
  if (st != RBL_OK) {
    ydoc_free(&doc);
    return st;
  }
  return load_doc(cat, &doc, path, before, d);
}

rbl_status
catalog_load_string(struct catalog *cat, const char *name, const char *text,
                    size_t len, struct diag *d)
{
  struct ydoc doc;
  unsigned before = d->errors;
  rbl_status st = ydoc_load_string(&doc, name, text, len, d);
  if (st != RBL_OK) {
    ydoc_free(&doc);
    return st;
  }
  return load_doc(cat, &doc, name, before, d);
}

static int
cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

rbl_status
catalog_load_dir(struct catalog *cat, const char *dir, struct diag *d)
{
  DIR *dh = opendir(dir);
  if (dh == NULL) {
    diag_error(d, dir, 0, 0, "cannot open the catalog directory: %m; set "
               "catalog: in the configuration or RBLMON_CATALOG");
    return RBL_EIO;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  rbl_status st = RBL_OK;
  struct dirent *de;
  while ((de = readdir(dh)) != NULL) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len < 6 ||
        strcmp(de->d_name + len - 5, ".yaml") != 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **p = realloc(names, cap * sizeof(*p));
      if (p == NULL) {
        st = RBL_ENOMEM;
        break;
      }
      names = p;
    }
    names[n] = malloc(strlen(dir) + len + 2);
    if (names[n] == NULL) {
      st = RBL_ENOMEM;
      break;
    }
    snprintf(names[n], strlen(dir) + len + 2, "%s/%s", dir, de->d_name);
    n++;
  }
  closedir(dh);
  if (n > 0)
    qsort(names, n, sizeof(*names), cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (st == RBL_OK || st == RBL_ECONFIG || st == RBL_ESYNTAX) {
      rbl_status fst = catalog_load_file(cat, names[i], d);
      if (fst != RBL_OK && st == RBL_OK)
        st = fst;
    }
    free(names[i]);
  }
  free(names);
  if (st == RBL_OK && n == 0) {
    diag_error(d, dir, 0, 0, "the catalog directory has no .yaml files");
    st = RBL_ENOTFOUND;
  }
  return st;
}

/* ---- scope and fix ------------------------------------------------------ */
const char *
catalog_scope_name(enum list_scope s)
{
  return s > SCOPE_UNSPECIFIED && s <= SCOPE_POLICY ? scope_names[s - 1]
                                                    : NULL;
}

const char *
catalog_scope_who(enum list_scope s)
{
  switch (s) {
  case SCOPE_UNSPECIFIED:
    return NULL;
  case SCOPE_ADDRESS:
    return "whoever runs this address (the listing is about the address "
           "itself)";
  case SCOPE_RANGE:
    return "the owner of the range, usually your provider (the listing "
           "covers the range or allocation around the address, neighbours "
           "too)";
  case SCOPE_PROVIDER:
    return "your provider or the network's owner (the listing is about the "
           "provider's network, not one host)";
  case SCOPE_ASN:
    return "the network operator of the whole ASN (no single host can fix "
           "it; or move to a provider that is not listed)";
  case SCOPE_DOMAIN:
    return "the domain's owner (the listing is about the domain)";
  case SCOPE_POLICY:
    return "the range owner (a policy listing of end-user space, not a "
           "record of abuse: send through your provider's smarthost or ask "
           "the range owner to remove it)";
  }
  return NULL;
}

/* The scope and fix rule r (one of l's codes) gives of its own. */
static const struct code_fix *
rule_fix(const struct list_def *l, const struct code_rule *r)
{
  static const struct code_fix none = {SCOPE_UNSPECIFIED, NULL};
  if (l->code_fixes == NULL || r < l->codes || r >= l->codes + l->ncodes)
    return &none;
  return &l->code_fixes[r - l->codes];
}

/* What rule r (NULL: no rule) of l says about answer code. */
static struct code_advice
advice_of(const struct list_def *l, const struct code_rule *r, uint32_t code)
{
  struct code_advice a = {code, l->scope, l->fix_first, SEV_WARNING};
  if (r == NULL)
    return a;
  a.sev = r->sev;
  const struct code_fix *fx = rule_fix(l, r);
  if (fx->scope != SCOPE_UNSPECIFIED)
    a.scope = fx->scope;
  if (fx->fix != NULL)
    a.fix = fx->fix;
  return a;
}

/* A bitmask list's rule for one bit (exact rules only, as dnsbl.c reads
 * them), or NULL. */
static const struct code_rule *
bit_rule(const struct list_def *l, uint32_t bitcode)
{
  const struct code_rule *r = catalog_match(l->codes, l->ncodes, bitcode);
  return r != NULL && r->prefix == 32 ? r : NULL;
}

struct code_advice
catalog_advice(const struct list_def *l, uint32_t a)
{
  if (!l->bitmask)
    return advice_of(l, catalog_match(l->codes, l->ncodes, a), a);
  const struct code_rule *first = NULL;
  uint32_t first_code = a;
  for (unsigned b = 0; b < 8; b++) {
    uint32_t bitcode = 0x7f000000u | (1u << b);
    const struct code_rule *r = (a & (1u << b)) ? bit_rule(l, bitcode) : NULL;
    if (r == NULL)
      continue;
    if (rule_fix(l, r)->scope != SCOPE_UNSPECIFIED || rule_fix(l, r)->fix)
      return advice_of(l, r, bitcode);
    if (first == NULL) {
      first = r;
      first_code = bitcode;
    }
  }
  return advice_of(l, first, first_code);
}

static bool
same_str(const char *a, const char *b)
{
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Adds x to out unless a piece with the same scope and fix is there (it
 * then keeps the worse severity); keeps out worst first. */
static size_t
advice_add(struct code_advice *out, size_t n, size_t max,
           struct code_advice x)
{
  if (x.scope == SCOPE_UNSPECIFIED && x.fix == NULL)
    return n;
  for (size_t i = 0; i < n; i++)
    if (out[i].scope == x.scope && same_str(out[i].fix, x.fix)) {
      if (x.sev <= out[i].sev)
        return n;
      x.code = out[i].code; /* the first code that asked for it stays */
      memmove(&out[i], &out[i + 1], (n - i - 1) * sizeof(*out));
      n--;
      break;
    }
  if (n == max)
    return n;
  size_t at = n;
  while (at > 0 && out[at - 1].sev < x.sev)
    at--;
  memmove(&out[at + 1], &out[at], (n - at) * sizeof(*out));
  out[at] = x;
  return n + 1;
}

size_t
catalog_advise(const struct list_def *l, const uint32_t *codes, size_t n,
               struct code_advice *out, size_t max)
{
  size_t k = 0;
  if (n == 0) /* a provider's or an authentication check's finding */
    return advice_add(out, 0, max, advice_of(l, NULL, 0));
  for (size_t i = 0; i < n; i++) {
    if (!l->bitmask || (codes[i] & 0xff) == 0) {
      k = advice_add(out, k, max, catalog_advice(l, codes[i]));
      continue;
    }
    for (unsigned b = 0; b < 8; b++) {
      uint32_t bitcode = 0x7f000000u | (1u << b);
      if (codes[i] & (1u << b))
        k = advice_add(out, k, max, advice_of(l, bit_rule(l, bitcode),
                                              bitcode));
    }
  }
  return k;
}

size_t
catalog_parse_codes(const char *s, uint32_t *out, size_t max)
{
  size_t n = 0;
  while (s != NULL && *s != '\0' && n < max) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char tmp[32];
    uint32_t a;
    unsigned prefix;
    if (len < sizeof(tmp)) {
      memcpy(tmp, s, len);
      tmp[len] = '\0';
      if (catalog_parse_code(tmp, &a, &prefix) && prefix == 32)
        out[n++] = a;
    }
    s = e ? e + 1 : NULL;
  }
  return n;
}

static struct code_advice
advice_for_text(const struct list_def *l, const char *code)
{
  uint32_t a;
  unsigned prefix;
  if (code == NULL || !catalog_parse_code(code, &a, &prefix) || prefix != 32)
    return advice_of(l, NULL, 0);
  return catalog_advice(l, a);
}

const char *
catalog_scope(const struct list_def *l, const char *code)
{
  return catalog_scope_name(advice_for_text(l, code).scope);
}

const char *
catalog_fix(const struct list_def *l, const char *code)
{
  return advice_for_text(l, code).fix;
}
