#include "provider.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const rep_format_names[] = {"json", "csv", "regex", NULL};
const char *const rep_not_found_names[] = {"error", "clean", "warning",
                                           "critical", NULL};
static const char *const method_names[] = {"GET", "POST", NULL};
static const char *const targets_names[] = {"ip4", "ip6", "ip", "domain",
                                            NULL}; /* enum list_type order */

/* ---- presets ------------------------------------------------------------ *
 * A preset is the YAML of a custom provider, read by the same parser; the
 * user's entry adds the account (key, name, intervals) and may replace
 * the rules.  Shapes: ../shared/facts/reputation-apis.md and the
 * providers' documentation. */
struct preset {
  const char *name;
  const char *yaml[2];            /* one provider each */
  const char *suffix[2];          /* appended to the user's name */
};

static const struct preset presets[] = {
  {"abuseipdb", {
    "url: https://api.abuseipdb.com/api/v2/check?ipAddress={ip}&maxAgeInDays=90\n"
    "headers: {Key: '{key}', Accept: application/json}\n"
    "format: json\n"
    "pointer: /data/abuseConfidenceScore\n"
    "detail: /data/totalReports\n"
    "error_if: {pointer: /errors, message: /errors/0/detail}\n"
    "rules:\n"
    "  - {critical: '>= 75', reason: 'AbuseIPDB confidence of abuse 75% or more'}\n"
    "  - {warning: '>= 25', reason: 'AbuseIPDB confidence of abuse 25% or more'}\n"
    "  - {ok: 'true', pointer: /data/isWhitelisted, reason: 'whitelisted by AbuseIPDB'}\n"
    "targets: ip\n"
    "min_interval: 6h\n"
    "daily_limit: 1000\n"
    "delist: {note: 'AbuseIPDB has no delisting: stop the abuse; reports "
    "older than 90 days no longer count. A report you dispute can be "
    "flagged on abuseipdb.com.', url: 'https://www.abuseipdb.com/'}\n",
    NULL}, {"", NULL}},
  {"snds", {
    /* ipStatus: the account's IPs that Outlook.com blocks, as ranges:
     * first_ip,last_ip,Yes,reason (CSV without header). */
    "url: https://sendersupport.olc.protection.outlook.com/snds/ipStatus.aspx?key={key}\n"
    "format: csv\n"
    "match: {first: 1, last: 2}\n"
    "column: 3\n"
    "detail: 4\n"
    "not_found: clean\n"
    "rules:\n"
    "  - {critical: 'Yes', reason: 'blocked by Outlook.com (SNDS IP status)'}\n"
    "targets: ip4\n"
    "min_interval: 1h\n"
    "delist: {url: 'https://olcsupport.office.com/', note: 'Outlook.com "
    "sender support form; fix the cause first (SNDS data shows complaints "
    "and trap hits).'}\n",
    /* data.aspx: the last day's traffic per IP: 1 IP, 2-3 period, 4 RCPT,
     * 5 DATA, 6 recipients, 7 filter result, 8 complaint rate, 9-10 trap
     * period, 11 trap hits, 12 HELO, 13 MAIL FROM, 14 comments. */
    "url: https://sendersupport.olc.protection.outlook.com/snds/data.aspx?key={key}\n"
    "format: csv\n"
    "match: {column: 1}\n"
    "column: 7\n"
    "detail: 14\n"
    "not_found: clean\n"
    "rules:\n"
    "  - {critical: RED, reason: 'Outlook.com filter result RED: more than 90% of the mail is spam'}\n"
    "  - {warning: YELLOW, reason: 'Outlook.com filter result YELLOW: 10% to 90% of the mail is spam'}\n"
    "  - {warning: '> 0', column: 11, reason: 'Outlook.com spam trap hits'}\n"
    "  - {warning: '>= 0.3', column: 8, reason: 'Outlook.com complaint rate 0.3% or more'}\n"
    "  - {ok: GREEN, reason: 'Outlook.com filter result GREEN'}\n"
    "targets: ip4\n"
    "min_interval: 6h\n"
    "delist: {url: 'https://olcsupport.office.com/', note: 'Outlook.com "
    "sender support form; lower complaints and trap hits first.'}\n"},
   {"", "-data"}},
};

/* Keys a user's entry may set on top of a preset. */
static const char *const preset_keys[] = {
  "name", "preset", "key", "key_file", "min_interval", "timeout", "ca_file",
  "daily_limit", "max_size", "rules", "connect_to", NULL};

/* ---- parsing ------------------------------------------------------------ */
struct pparse {
  struct provider *p;
  const char *config_file;
  bool has_targets, has_rules, has_errors;
};

static bool
name_ok(const char *s)
{
  if (*s == '\0' || strlen(s) > 63)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
      return false;
  return true;
}

static const char *
path_from(struct yctx *c, const char *config_file, const char *path)
{
  const char *slash = config_file ? strrchr(config_file, '/') : NULL;
  if (path[0] == '/' || slash == NULL)
    return path;
  return arena_printf(c->arena, "%.*s/%s", (int)(slash - config_file),
                      config_file, path);
}

static void
f_name(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  if (!ydoc_str(c, v, &pp->p->def.name, "name"))
    return;
  if (!name_ok(v->str))
    yerror(c, v, "name '%.64s': use letters, digits, '-', '_' and '.' "
           "(at most 63)", v->str);
  pp->p->def.line = v->line;
  pp->p->def.col = v->col;
}

static void
f_preset(struct yctx *c, struct ynode *v, void *obj)
{
  (void)c, (void)v, (void)obj; /* read before the walk */
}

static void
f_url(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  if (!ydoc_str(c, v, &pp->p->url, "url"))
    return;
  if (strncmp(v->str, "https://", 8) != 0 && strncmp(v->str, "http://", 7))
    yerror(c, v, "url '%.64s' must start with https:// (or http://)", v->str);
}

static void
f_method(struct yctx *c, struct ynode *v, void *obj)
{
  int m;
  if (ydoc_enum(c, v, method_names, &m, "method"))
    ((struct pparse *)obj)->p->method = method_names[m];
}

static bool
header_name_ok(const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
      return false;
  return true;
}

static void
f_headers(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  if (!ydoc_kind(c, v, Y_MAP, "headers"))
    return;
  if (v->n > REP_MAX_HEADERS) {
    yerror(c, v, "headers: at most %d", REP_MAX_HEADERS);
    return;
  }
  p->headers = arena_alloc(c->arena, (v->n + 1) * sizeof(*p->headers));
  p->nheaders = 0;
  if (p->headers == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    const char *s;
    if (!header_name_ok(k->str)) {
      yerror(c, k, "header name '%.64s' is not a valid HTTP field name",
             k->str);
      continue;
    }
    if (!ydoc_str(c, val, &s, "a header value"))
      continue;
    if (strpbrk(s, "\r\n") != NULL) {
      yerror(c, val, "header %s: a value must not contain a line break",
             k->str);
      continue;
    }
    p->headers[p->nheaders++] = arena_printf(c->arena, "%s: %s", k->str, s);
  }
}

/* "${VAR}" -> VAR; NULL otherwise. */
static const char *
env_ref(struct yctx *c, const char *s)
{
  size_t n = strlen(s);
  if (n < 4 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}')
    return NULL;
  for (size_t i = 2; i < n - 1; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return NULL;
  return arena_strndup(c->arena, s + 2, n - 3);
}

static void
f_key(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  const char *s;
  if (!ydoc_str(c, v, &s, "key"))
    return;
  if ((p->key_env = env_ref(c, s)) == NULL)
    yerror(c, v, "key must name an environment variable, as ${ABUSEIPDB_KEY}, "
           "or use key_file: a key written in the configuration would be "
           "readable by everyone who can read the file");
}

static void
f_key_file(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "key_file"))
    return;
  pp->p->key_file = path_from(c, pp->config_file, s);
  struct stat st;
  if (stat(pp->p->key_file, &st) != 0)
    yerror(c, v, "key_file %s: %s", pp->p->key_file, strerror(errno));
  else if (!S_ISREG(st.st_mode))
    yerror(c, v, "key_file %s is not a regular file", pp->p->key_file);
  else if (st.st_mode & 077)
    yerror(c, v, "key_file %s can be read by group or others (mode %04o); "
           "run chmod 600 %s", pp->p->key_file, st.st_mode & 07777,
           pp->p->key_file);
}

static void
f_format(struct yctx *c, struct ynode *v, void *obj)
{
  int f;
  if (ydoc_enum(c, v, rep_format_names, &f, "format"))
    ((struct pparse *)obj)->p->format = (enum rep_format)f;
}

static bool
pointer_ok(struct yctx *c, struct ynode *v, const char *what)
{
  if (v->kind != Y_SCALAR || (v->len > 0 && v->str[0] != '/')) {
    yerror(c, v, "%s must be a JSON pointer (RFC 6901) such as "
           "/data/score", what);
    return false;
  }
  return true;
}

static void
f_pointer(struct yctx *c, struct ynode *v, void *obj)
{
  if (pointer_ok(c, v, "pointer"))
    ((struct pparse *)obj)->p->value.pointer = v->str;
}

static bool
column(struct yctx *c, struct ynode *v, unsigned *out, const char *what)
{
  uint64_t n;
  if (!ydoc_u64(c, v, 1, 256, &n, what))
    return false;
  *out = (unsigned)n;
  return true;
}

static void
f_column(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct pparse *)obj)->p->value.column, "column");
}

/* A pointer ("/x") or a column number. */
static void
where(struct yctx *c, struct ynode *v, struct rep_where *w, const char *what)
{
  memset(w, 0, sizeof(*w));
  if (v->kind == Y_SCALAR && v->str[0] == '/')
    w->pointer = v->str;
  else if (v->kind == Y_SCALAR && v->str[0] >= '0' && v->str[0] <= '9')
    column(c, v, &w->column, what);
  else
    yerror(c, v, "%s must be a JSON pointer (/data/x) or a CSV column "
           "number", what);
}

static void
f_detail(struct yctx *c, struct ynode *v, void *obj)
{
  where(c, v, &((struct pparse *)obj)->p->detail, "detail");
}

static void
m_column(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct pparse *)obj)->p->match_col, "match.column");
}

static void
m_first(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct pparse *)obj)->p->first_col, "match.first");
}

static void
m_last(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct pparse *)obj)->p->last_col, "match.last");
}

static const struct yfield match_fields[] = {
  {"column", m_column, false},
  {"first", m_first, false},
  {"last", m_last, false},
};

static void
f_match(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  p->match_col = p->first_col = p->last_col = 0;
  if (!ydoc_map(c, v, match_fields, UTIL_ARRAY_LEN(match_fields), obj,
                "match"))
    return;
  if ((p->first_col != 0) != (p->last_col != 0) ||
      (p->match_col != 0) == (p->first_col != 0))
    yerror(c, v, "match takes either column (the row whose column equals "
           "the target) or first and last (the row whose address range "
           "holds it)");
}

static void
f_regex(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  const char *s;
  if (!ydoc_str(c, v, &s, "regex"))
    return;
  if (p->has_re)
    regfree(&p->re);
  p->has_re = false;
  int rc = regcomp(&p->re, s, REG_EXTENDED);
  if (rc != 0) {
    char msg[128];
    regerror(rc, &p->re, msg, sizeof(msg));
    yerror(c, v, "regex: %s", msg);
    return;
  }
  p->has_re = true;
}

/* ---- conditions ---------------------------------------------------------- */
/* Decimal numbers only (no hex, inf or nan), "%" allowed after. */
static bool
parse_number(const char *s, double *out)
{
  char *end;
  if (*s == '\0' || s[strspn(s, "0123456789+-.eE %")] != '\0')
    return false;
  errno = 0;
  double d = strtod(s, &end);
  while (*end == ' ' || *end == '%')
    end++;
  if (errno != 0 || *end != '\0' || end == s || !isfinite(d))
    return false;
  *out = d;
  return true;
}

static const struct {
  const char *text;
  enum cond_op op;
} ops[] = {  /* longest first */
  {">=", COND_GE}, {"<=", COND_LE}, {"==", COND_EQ}, {"!=", COND_NE},
  {">", COND_GT}, {"<", COND_LT},
};

static bool
parse_cond(struct yctx *c, struct ynode *v, struct rep_cond *out)
{
  memset(out, 0, sizeof(*out));
  if (v->kind == Y_SEQ) {
    out->op = COND_IN;
    out->set = arena_alloc(c->arena, (v->n ? v->n : 1) * sizeof(char *));
    if (out->set == NULL)
      return false;
    for (size_t i = 0; i < v->n; i++)
      if (ydoc_str(c, v->items[i], &out->set[out->nset], "a value"))
        out->nset++;
    if (v->n == 0)
      yerror(c, v, "an empty list of values never matches");
    return v->n > 0;
  }
  if (!ydoc_kind(c, v, Y_SCALAR, "a condition"))
    return false;
  const char *s = v->str;
  out->op = COND_EQ;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(ops); i++)
    if (strncmp(s, ops[i].text, strlen(ops[i].text)) == 0) {
      out->op = ops[i].op;
      s += strlen(ops[i].text);
      break;
    }
  while (*s == ' ')
    s++;
  out->str = s;
  out->numeric = parse_number(s, &out->num);
  if (!out->numeric && out->op != COND_EQ && out->op != COND_NE) {
    yerror(c, v, "'%.64s': a comparison needs a number, as '>= 75'", v->str);
    return false;
  }
  if (*s == '\0') {
    yerror(c, v, "an empty condition: write a value, as 'RED' or '>= 75'");
    return false;
  }
  return true;
}

static const char *
where_text(struct yctx *c, const struct rep_where *w)
{
  if (w->pointer != NULL)
    return w->pointer[0] ? w->pointer : "the answer";
  if (w->column)
    return arena_printf(c->arena, "column %u", w->column);
  return "the value";
}

static const char *
cond_text(struct yctx *c, const struct rep_cond *k)
{
  static const char *const words[] = {
    [COND_EQ] = "is", [COND_NE] = "is not", [COND_LT] = "<",
    [COND_LE] = "<=", [COND_GT] = ">", [COND_GE] = ">=",
  };
  if (k->op == COND_IN) {
    struct sbuf b;
    sbuf_init(&b, 1024);
    sbuf_adds(&b, "is one of ");
    for (size_t i = 0; i < k->nset; i++)
      sbuf_addf(&b, "%s%s", i ? ", " : "", k->set[i]);
    const char *r = arena_strdup(c->arena, sbuf_str(&b));
    sbuf_free(&b);
    return r;
  }
  if (k->op == COND_PRESENT)
    return "is present";
  return arena_printf(c->arena, "%s %s", words[k->op], k->str);
}

/* ---- rules ---------------------------------------------------------------- */
struct rparse {
  struct rep_rule *r;
  int nsev;
};

static void
rule_sev(struct yctx *c, struct ynode *v, struct rparse *rp, enum severity s)
{
  rp->nsev++;
  rp->r->sev = s;
  parse_cond(c, v, &rp->r->cond);
}

static void
r_ok(struct yctx *c, struct ynode *v, void *obj)
{
  rule_sev(c, v, obj, SEV_GOOD);
}

static void
r_warning(struct yctx *c, struct ynode *v, void *obj)
{
  rule_sev(c, v, obj, SEV_WARNING);
}

static void
r_critical(struct yctx *c, struct ynode *v, void *obj)
{
  rule_sev(c, v, obj, SEV_CRITICAL);
}

static void
r_pointer(struct yctx *c, struct ynode *v, void *obj)
{
  if (pointer_ok(c, v, "pointer"))
    ((struct rparse *)obj)->r->where.pointer = v->str;
}

static void
r_column(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct rparse *)obj)->r->where.column, "column");
}

static void
r_reason(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct rparse *)obj)->r->reason, "reason");
}

static const struct yfield rule_fields[] = {
  {"ok", r_ok, false},
  {"warning", r_warning, false},
  {"critical", r_critical, false},
  {"pointer", r_pointer, false},
  {"column", r_column, false},
  {"reason", r_reason, false},
};

static void
f_rules(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  struct provider *p = pp->p;
  pp->has_rules = true;
  p->nrules = 0;
  if (!ydoc_kind(c, v, Y_SEQ, "rules"))
    return;
  if (v->n == 0) {
    yerror(c, v, "rules: give at least one rule, as {critical: '>= 75'}");
    return;
  }
  p->rules = arena_alloc(c->arena, v->n * sizeof(*p->rules));
  if (p->rules == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct rep_rule *r = &p->rules[p->nrules];
    struct rparse rp = {r, 0};
    if (!ydoc_map(c, v->items[i], rule_fields, UTIL_ARRAY_LEN(rule_fields),
                  &rp, "a rule"))
      continue;
    if (rp.nsev != 1) {
      yerror(c, v->items[i], "a rule takes exactly one of ok, warning, "
             "critical, with its condition");
      continue;
    }
    if (r->where.pointer != NULL && r->where.column != 0) {
      yerror(c, v->items[i], "a rule takes pointer or column, not both");
      continue;
    }
    p->nrules++;
  }
}

/* ---- error_if ------------------------------------------------------------- */
static void
e_pointer(struct yctx *c, struct ynode *v, void *obj)
{
  if (pointer_ok(c, v, "error_if.pointer"))
    ((struct rep_error *)obj)->where.pointer = v->str;
}

static void
e_column(struct yctx *c, struct ynode *v, void *obj)
{
  column(c, v, &((struct rep_error *)obj)->where.column, "error_if.column");
}

static void
e_is(struct yctx *c, struct ynode *v, void *obj)
{
  struct rep_error *e = obj;
  e->has_cond = parse_cond(c, v, &e->cond);
}

static void
e_message(struct yctx *c, struct ynode *v, void *obj)
{
  if (pointer_ok(c, v, "error_if.message"))
    ((struct rep_error *)obj)->message = v->str;
}

static const struct yfield error_fields[] = {
  {"pointer", e_pointer, false},
  {"column", e_column, false},
  {"is", e_is, false},
  {"message", e_message, false},
};

static void
f_error_if(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  struct provider *p = pp->p;
  size_t n = v->kind == Y_SEQ ? v->n : 1;
  p->nerrors = 0;
  p->errors = arena_alloc(c->arena, (n ? n : 1) * sizeof(*p->errors));
  if (p->errors == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    struct ynode *m = v->kind == Y_SEQ ? v->items[i] : v;
    struct rep_error *e = &p->errors[p->nerrors];
    if (!ydoc_map(c, m, error_fields, UTIL_ARRAY_LEN(error_fields), e,
                  "error_if"))
      continue;
    if ((e->where.pointer != NULL) == (e->where.column != 0)) {
      yerror(c, m, "error_if takes pointer (JSON) or column (CSV): where "
             "the provider reports an error");
      continue;
    }
    p->nerrors++;
  }
}

static void
f_not_found(struct yctx *c, struct ynode *v, void *obj)
{
  int n;
  if (ydoc_enum(c, v, rep_not_found_names, &n, "not_found"))
    ((struct pparse *)obj)->p->not_found = (enum rep_not_found)n;
}

static void
f_min_interval(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 0, 30 * 86400000ULL,
                &((struct pparse *)obj)->p->min_interval_ms, "min_interval");
}

static void
add_limit_status(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  uint64_t s;
  if (!ydoc_u64(c, v, 400, 599, &s, "rate_limit_status"))
    return;
  if (p->nlimit == REP_MAX_LIMIT_STATUS) {
    yerror(c, v, "rate_limit_status: at most %d statuses",
           REP_MAX_LIMIT_STATUS);
    return;
  }
  p->limit_status[p->nlimit++] = (long)s;
}

static void
f_rate_limit_status(struct yctx *c, struct ynode *v, void *obj)
{
  ((struct pparse *)obj)->p->nlimit = 0;
  ydoc_each(c, v, add_limit_status, obj, "rate_limit_status");
}

static void
f_targets(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  int t;
  if (ydoc_enum(c, v, targets_names, &t, "targets")) {
    pp->p->def.type = (enum list_type)t;
    pp->has_targets = true;
  }
}

static void
f_ca_file(struct yctx *c, struct ynode *v, void *obj)
{
  struct pparse *pp = obj;
  const char *s;
  if (!ydoc_str(c, v, &s, "ca_file"))
    return;
  pp->p->ca_file = path_from(c, pp->config_file, s);
  if (access(pp->p->ca_file, R_OK) != 0)
    yerror(c, v, "ca_file %s: %s", pp->p->ca_file, strerror(errno));
}

/* curl's --connect-to: HOST:PORT:CONNECT-HOST:CONNECT-PORT (either host
 * or port may be empty), for split horizons, pinned addresses, tests. */
static void
add_connect_to(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  size_t n = 0, colons = 0;
  while (p->connect_to != NULL && p->connect_to[n] != NULL)
    n++;
  for (const char *s = v->str; *s; s++)
    colons += *s == ':';
  if (colons != 3 || strpbrk(v->str, " \r\n") != NULL || n >= 8) {
    yerror(c, v, "connect_to '%.64s': write HOST:PORT:CONNECT-HOST:"
           "CONNECT-PORT, as api.example.net:443:10.0.0.5:443 (at most 8)",
           v->str);
    return;
  }
  const char **a = arena_alloc(c->arena, (n + 2) * sizeof(*a));
  if (a == NULL)
    return;
  if (n > 0)
    memcpy(a, p->connect_to, n * sizeof(*a));
  a[n] = v->str;
  p->connect_to = a;
}

static void
f_connect_to(struct yctx *c, struct ynode *v, void *obj)
{
  ((struct pparse *)obj)->p->connect_to = NULL;
  ydoc_each(c, v, add_connect_to, obj, "connect_to");
}

static void
f_timeout(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_duration(c, v, 100, 300000, &((struct pparse *)obj)->p->timeout_ms,
                "timeout");
}

static void
f_daily_limit(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1, UINT32_MAX, &((struct pparse *)obj)->p->daily_limit,
           "daily_limit");
}

static void
f_max_size(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 1024, 256ULL << 20, &((struct pparse *)obj)->p->max_size,
           "max_size (bytes)");
}

static void
d_url(struct yctx *c, struct ynode *v, void *obj)
{
  struct provider *p = ((struct pparse *)obj)->p;
  if (ydoc_str(c, v, &p->def.delist_url, "delist.url") &&
      strncmp(v->str, "https://", 8) != 0 && strncmp(v->str, "http://", 7))
    yerror(c, v, "delist.url '%.64s' must start with https:// or http://",
           v->str);
}

static void
d_note(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct pparse *)obj)->p->def.delist_note, "delist.note");
}

static void
d_fix(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct pparse *)obj)->p->def.fix_first,
           "delist.fix_first");
}

static const struct yfield delist_fields[] = {
  {"url", d_url, false},
  {"note", d_note, false},
  {"fix_first", d_fix, false},
};

static void
f_delist(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_map(c, v, delist_fields, UTIL_ARRAY_LEN(delist_fields), obj,
           "delist");
}

static const struct yfield provider_fields[] = {
  {"name", f_name, false},          /* required: checked after presets */
  {"preset", f_preset, false},
  {"url", f_url, false},
  {"method", f_method, false},
  {"headers", f_headers, false},
  {"key", f_key, false},
  {"key_file", f_key_file, false},
  {"format", f_format, false},
  {"pointer", f_pointer, false},
  {"column", f_column, false},
  {"match", f_match, false},
  {"regex", f_regex, false},
  {"detail", f_detail, false},
  {"rules", f_rules, false},
  {"error_if", f_error_if, false},
  {"not_found", f_not_found, false},
  {"min_interval", f_min_interval, false},
  {"rate_limit_status", f_rate_limit_status, false},
  {"targets", f_targets, false},
  {"ca_file", f_ca_file, false},
  {"connect_to", f_connect_to, false},
  {"timeout", f_timeout, false},
  {"daily_limit", f_daily_limit, false},
  {"max_size", f_max_size, false},
  {"delist", f_delist, false},
};

/* ---- after the walk: what the keys mean together ------------------------- */
static bool
uses(const struct provider *p, const char *needle)
{
  if (p->url != NULL && strstr(p->url, needle) != NULL)
    return true;
  for (size_t i = 0; i < p->nheaders; i++)
    if (strstr(p->headers[i], needle) != NULL)
      return true;
  return false;
}

static bool
names_target(const char *ptr)
{
  return ptr != NULL && (strstr(ptr, "{ip}") || strstr(ptr, "{domain}") ||
                         strstr(ptr, "{target}"));
}

static bool
pointers_name_target(const struct provider *p)
{
  if (names_target(p->value.pointer))
    return true;
  for (size_t i = 0; i < p->nrules; i++)
    if (names_target(p->rules[i].where.pointer))
      return true;
  return false;
}

/* Every ${ in the templates opens a valid variable name. */
static bool
env_refs_ok(const struct provider *p)
{
  const char *t[REP_MAX_HEADERS + 1];
  size_t n = 0;
  t[n++] = p->url;
  for (size_t i = 0; i < p->nheaders && n < UTIL_ARRAY_LEN(t); i++)
    t[n++] = p->headers[i];
  for (size_t i = 0; i < n; i++)
    for (const char *q = t[i] ? strstr(t[i], "${") : NULL; q;
         q = strstr(q + 2, "${")) {
      size_t len = strspn(q + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                 "qrstuvwxyz0123456789_");
      if (len == 0 || len > 127 || q[2 + len] != '}')
        return false;
    }
  return true;
}

static void
hash_node(uint64_t *h, const struct ynode *n)
{
  if (n == NULL)
    return;
  if (n->kind == Y_SCALAR) {
    for (size_t i = 0; i <= n->len; i++) /* the NUL separates */
      *h = (*h ^ (unsigned char)n->str[i]) * 1099511628211ULL;
    return;
  }
  *h = (*h ^ (unsigned)n->kind) * 1099511628211ULL;
  for (size_t i = 0; i < (n->kind == Y_MAP ? 2 * n->n : n->n); i++)
    hash_node(h, n->items[i]);
}

static void
finish_provider(struct yctx *c, struct ynode *entry, struct pparse *pp)
{
  struct provider *p = pp->p;
  const char *nm = p->def.name ? p->def.name : "?";
  if (p->def.name == NULL)
    yerror(c, entry, "a reputation provider needs a name");
  if (p->url == NULL) {
    yerror(c, entry, "provider %s needs a url (or a preset: abuseipdb, "
           "snds)", nm);
    return;
  }
  if (!pp->has_rules)
    yerror(c, entry, "provider %s needs rules: what value is ok, warning "
           "or critical", nm);
  bool ip = uses(p, "{ip}"), dom = uses(p, "{domain}");
  p->per_target = ip || dom || uses(p, "{target}");
  if (!pp->has_targets)
    p->def.type = dom ? LIST_DOMAIN : LIST_IP;
  if (ip && p->def.type == LIST_DOMAIN)
    yerror(c, entry, "provider %s: {ip} in a provider for domains "
           "(targets: domain)", nm);
  if (dom && p->def.type != LIST_DOMAIN)
    yerror(c, entry, "provider %s: {domain} needs targets: domain", nm);
  if (!env_refs_ok(p))
    yerror(c, entry, "provider %s: write a variable as ${NAME}: letters, "
           "digits and _, at most 127", nm);
  if (!p->per_target && p->format == REP_REGEX)
    yerror(c, entry, "provider %s: a regex reads one answer per target: put "
           "{ip} or {domain} in the url", nm);
  if (!p->per_target && p->format == REP_JSON && !pointers_name_target(p))
    yerror(c, entry, "provider %s: its url names no target, so one answer "
           "serves all: a pointer must name the target, as /ips/{ip}/score",
           nm);
  bool secret = uses(p, "{key}") || uses(p, "${");
  if (uses(p, "{key}") && p->key_env == NULL && p->key_file == NULL)
    yerror(c, entry, "provider %s uses {key}: set key: ${VARIABLE} or "
           "key_file", nm);
  if ((p->key_env != NULL || p->key_file != NULL) && !uses(p, "{key}"))
    ywarn(c, entry, "provider %s: the key is never sent: put {key} in the "
          "url or a header", nm);
  if (p->key_env != NULL && p->key_file != NULL)
    yerror(c, entry, "provider %s: key and key_file: give one", nm);
  if (secret && strncmp(p->url, "http://", 7) == 0)
    yerror(c, entry, "provider %s sends a secret: its url must use "
           "https://", nm);
  if (p->format == REP_REGEX && !p->has_re)
    yerror(c, entry, "provider %s: format regex needs a regex", nm);
  if (p->format != REP_REGEX && p->has_re)
    yerror(c, entry, "provider %s: regex is for format regex", nm);
  bool csv = p->format == REP_CSV;
  if (!csv && (p->match_col || p->first_col || p->value.column ||
               p->detail.column))
    yerror(c, entry, "provider %s: match and columns are for format csv",
           nm);
  if (csv && (p->value.pointer || p->detail.pointer))
    yerror(c, entry, "provider %s: pointers are for format json; csv uses "
           "column", nm);
  if (csv && !p->per_target && p->match_col == 0 && p->first_col == 0)
    yerror(c, entry, "provider %s: one answer for all targets needs match: "
           "which row belongs to a target", nm);
  for (size_t i = 0; i < p->nrules; i++) {
    struct rep_rule *r = &p->rules[i];
    bool has = r->where.pointer || r->where.column;
    if ((csv && r->where.pointer) || (!csv && r->where.column))
      yerror(c, entry, "provider %s: rule %zu: use %s with format %s", nm,
             i + 1, csv ? "column" : "pointer", rep_format_names[p->format]);
    if (!has && p->format == REP_JSON && p->value.pointer == NULL)
      yerror(c, entry, "provider %s: rule %zu has no pointer and the "
             "provider has none", nm, i + 1);
    if (!has && csv && p->value.column == 0)
      yerror(c, entry, "provider %s: rule %zu has no column and the "
             "provider has none", nm, i + 1);
    if (r->reason == NULL)
      r->reason = arena_printf(c->arena, "%s %s",
                               where_text(c, has ? &r->where : &p->value),
                               cond_text(c, &r->cond));
  }
}

static void
provider_defaults(struct provider *p, const char *file)
{
  memset(p, 0, sizeof(*p));
  p->def.file = file;
  p->def.provider = p;
  p->def.custom = true;
  p->def.delist_proc = DELIST_UNSPECIFIED;
  p->def.operator_name = "reputation";
  p->method = "GET";
  p->min_interval_ms = 3600000;
  p->timeout_ms = 20000;
  p->max_size = 2u << 20;
}

static const struct preset *
preset_of(struct yctx *c, struct ynode *entry, bool *bad)
{
  *bad = false;
  if (entry->kind != Y_MAP)
    return NULL;
  for (size_t i = 0; i < entry->n; i++) {
    struct ynode *k = entry->items[2 * i], *v = entry->items[2 * i + 1];
    if (strcmp(k->str, "preset") != 0)
      continue;
    for (size_t j = 0; j < UTIL_ARRAY_LEN(presets); j++)
      if (v->kind == Y_SCALAR && strcmp(v->str, presets[j].name) == 0)
        return &presets[j];
    yerror(c, v, "preset '%.64s' is unknown (one of abuseipdb, snds)",
           v->kind == Y_SCALAR ? v->str : "");
    *bad = true;
  }
  return NULL;
}

static void
check_preset_keys(struct yctx *c, struct ynode *entry,
                  const struct preset *pr)
{
  for (size_t i = 0; i < entry->n; i++) {
    struct ynode *k = entry->items[2 * i];
    bool ok = false;
    for (size_t j = 0; preset_keys[j] != NULL && !ok; j++)
      ok = strcmp(k->str, preset_keys[j]) == 0;
    if (ok && strcmp(k->str, "rules") == 0 && pr->yaml[1] != NULL) {
      yerror(c, k, "preset %s asks two endpoints; to change its rules, "
             "define them as custom providers (rblmon.yaml(5) shows both)",
             pr->name);
    } else if (!ok) {
      yerror(c, k, "'%s' cannot be changed on preset %s (it takes: name, "
             "key, key_file, min_interval, timeout, ca_file, connect_to, "
             "daily_limit, max_size, rules); define a custom provider "
             "instead", k->str,
             pr->name);
    }
  }
}

static struct provider *
parse_one(struct yctx *c, struct ynode *entry, const struct preset *pr,
          int part)
{
  struct provider *p = arena_alloc(c->arena, sizeof(*p));
  if (p == NULL)
    return NULL;
  provider_defaults(p, c->file);
  struct pparse pp = {p, c->file, false, false, false};
  uint64_t h = 14695981039346656037ULL;
  if (pr != NULL) {
    struct ydoc doc;
    char name[64];
    snprintf(name, sizeof(name), "(preset %s)", pr->name);
    struct yctx pc = {arena_strdup(c->arena, name), c->diag, c->arena};
    if (ydoc_load_string(&doc, pc.file, pr->yaml[part],
                         strlen(pr->yaml[part]), c->diag) == RBL_OK) {
      ydoc_map(&pc, doc.root, provider_fields,
               UTIL_ARRAY_LEN(provider_fields), &pp, "a preset");
      hash_node(&h, doc.root);
    }
    arena_merge(c->arena, &doc.arena);
    ydoc_free(&doc);
    p->preset = pr->name;
  }
  if (!ydoc_map(c, entry, provider_fields, UTIL_ARRAY_LEN(provider_fields),
                &pp, "a reputation provider"))
    return NULL;
  hash_node(&h, entry);
  p->fingerprint = h;
  if (pr != NULL && pr->suffix[part][0] != '\0' && p->def.name != NULL)
    p->def.name = arena_printf(c->arena, "%s%s", p->def.name,
                               pr->suffix[part]);
  p->def.title = p->def.name;
  p->def.zone = p->url;
  if (p->def.line == 0) {
    p->def.line = entry->line;
    p->def.col = entry->col;
  }
  finish_provider(c, entry, &pp);
  return p;
}

void
provider_parse_all(struct yctx *c, struct ynode *v, struct provider ***out,
                   size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!ydoc_kind(c, v, Y_SEQ, "reputation"))
    return;
  struct provider **all = arena_alloc(c->arena,
                                      (2 * v->n + 1) * sizeof(*all));
  if (all == NULL)
    return;
  for (size_t i = 0; i < v->n; i++) {
    struct ynode *e = v->items[i];
    bool bad;
    const struct preset *pr = preset_of(c, e, &bad);
    if (bad)
      continue;
    if (pr != NULL)
      check_preset_keys(c, e, pr);
    for (int part = 0; part < (pr && pr->yaml[1] ? 2 : 1); part++) {
      struct provider *p = parse_one(c, e, pr, part);
      if (p == NULL)
        continue;
      for (size_t k = 0; k < *n && p->def.name; k++)
        if (all[k]->def.name && strcmp(all[k]->def.name, p->def.name) == 0)
          yerror(c, e, "provider name '%s' is used twice", p->def.name);
      all[(*n)++] = p;
    }
  }
  *out = all;
}

void
provider_free(struct provider *p)
{
  if (p != NULL && p->has_re) {
    regfree(&p->re);
    p->has_re = false;
  }
}

/* ---- secrets and templates ---------------------------------------------- */
static bool
read_key_file(const char *path, char *buf, size_t size, char *err,
              size_t errlen)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat st;
  errno = 0;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (errno == 0)
      errno = EINVAL; /* not a regular file: a FIFO would block */
    snprintf(err, errlen, "cannot read key_file %s: %s", path,
             strerror(errno));
    if (fd >= 0)
      close(fd);
    return false;
  }
  if (st.st_mode & 077) {
    snprintf(err, errlen, "key_file %s can be read by group or others (mode "
             "%04o); run chmod 600 %s", path, st.st_mode & 07777, path);
    close(fd);
    return false;
  }
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) {
    snprintf(err, errlen, "cannot read key_file %s: %s", path,
             strerror(errno));
    return false;
  }
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
                   buf[n - 1] == ' '))
    buf[--n] = '\0';
  if (n == 0 || (size_t)n == size - 1 || strpbrk(buf, "\r\n") != NULL) {
    snprintf(err, errlen, "key_file %s must hold the key on one line (at "
             "most %zu bytes)", path, size - 2);
    return false;
  }
  return true;
}

/* Keeps v for redaction, longest first; false when there are too many. */
static bool
add_redact(struct rep_secrets *s, const char *v)
{
  if (strlen(v) < REP_KEY_MIN)
    return true; /* "90", "v2": not secrets, and hiding them garbles text */
  for (size_t i = 0; i < s->nredact; i++)
    if (strcmp(s->redact[i], v) == 0)
      return true;
  if (s->nredact == REP_MAX_SECRETS)
    return false;
  char *slot = s->store[s->nredact];
  snprintf(slot, REP_SECRET_MAX, "%s", v);
  size_t i = s->nredact++;
  while (i > 0 && strlen(s->redact[i - 1]) < strlen(slot)) {
    s->redact[i] = s->redact[i - 1];
    i--;
  }
  s->redact[i] = slot;
  return true;
}

/* Reads each ${VAR} of t: present, one line, not too long. */
static bool
each_env(const char *t, struct rep_secrets *s, const char *pname, char *err,
         size_t errlen)
{
  for (const char *p = t ? strstr(t, "${") : NULL; p; p = strstr(p + 2, "${")) {
    const char *e = strchr(p, '}');
    char var[128];
    if (e == NULL || (size_t)(e - p - 2) >= sizeof(var))
      continue; /* refused when the configuration was read */
    snprintf(var, sizeof(var), "%.*s", (int)(e - p - 2), p + 2);
    const char *v = getenv(var);
    if (v == NULL || *v == '\0') {
      snprintf(err, errlen, "provider %s needs $%s: set it in the "
               "environment of rblmon", pname, var);
      return false;
    }
    if (strlen(v) >= REP_SECRET_MAX || strpbrk(v, "\r\n") != NULL) {
      snprintf(err, errlen, "provider %s: $%s must be one line of at most %d "
               "bytes", pname, var, REP_SECRET_MAX - 1);
      return false;
    }
    if (!add_redact(s, v)) {
      snprintf(err, errlen, "provider %s uses more than %d secrets", pname,
               REP_MAX_SECRETS);
      return false;
    }
  }
  return true;
}

bool
provider_secrets(const struct provider *p, struct rep_secrets *s, char *err,
                 size_t errlen)
{
  memset(s, 0, sizeof(*s));
  if (p->key_env != NULL) {
    const char *v = getenv(p->key_env);
    if (v == NULL || *v == '\0') {
      snprintf(err, errlen, "provider %s needs a key: set $%s (or use "
               "key_file)", p->def.name, p->key_env);
      return false;
    }
    if (strlen(v) >= sizeof(s->key) || strlen(v) < REP_KEY_MIN ||
        strpbrk(v, "\r\n") != NULL) {
      snprintf(err, errlen, "provider %s: $%s is not a usable key (one line, "
               "%d to %zu bytes)", p->def.name, p->key_env, REP_KEY_MIN,
               sizeof(s->key) - 1);
      return false;
    }
    snprintf(s->key, sizeof(s->key), "%s", v);
  } else if (p->key_file != NULL) {
    if (!read_key_file(p->key_file, s->key, sizeof(s->key), err, errlen))
      return false;
    if (strlen(s->key) < REP_KEY_MIN) {
      snprintf(err, errlen, "provider %s: the key in %s is too short (%d "
               "characters at least)", p->def.name, p->key_file,
               REP_KEY_MIN);
      return false;
    }
  }
  add_redact(s, s->key);
  if (!each_env(p->url, s, p->def.name, err, errlen))
    return false;
  for (size_t i = 0; i < p->nheaders; i++)
    if (!each_env(p->headers[i], s, p->def.name, err, errlen))
      return false;
  return true;
}

static bool
put(char *out, size_t size, size_t *o, const char *v, size_t n, bool url)
{
  if (url && n > 0) {
    char *e = curl_easy_escape(NULL, v, (int)n);
    if (e == NULL)
      return false;
    bool ok = put(out, size, o, e, strlen(e), false);
    curl_free(e);
    return ok;
  }
  if (*o + n >= size)
    return false;
  memcpy(out + *o, v, n);
  *o += n;
  out[*o] = '\0';
  return true;
}

bool
provider_expand(const char *t, const char *target,
                const struct rep_secrets *s, int64_t now, bool url,
                char *out, size_t size)
{
  size_t o = 0;
  out[0] = '\0';
  while (*t) {
    const char *v = NULL;
    char buf[256];
    size_t skip = 0;
    if (t[0] == '{' && (strncmp(t, "{ip}", 4) == 0 ||
                        strncmp(t, "{domain}", 8) == 0 ||
                        strncmp(t, "{target}", 8) == 0)) {
      skip = (size_t)(strchr(t, '}') - t) + 1;
      v = target;
    } else if (strncmp(t, "{key}", 5) == 0) {
      skip = 5;
      v = s->key;
    } else if (strncmp(t, "{date:", 6) == 0 && strchr(t, '}') != NULL) {
      const char *e = strchr(t, '}');
      char fmt[64];
      snprintf(fmt, sizeof(fmt), "%.*s", (int)(e - t - 6), t + 6);
      time_t tt = (time_t)now;
      struct tm tm;
      gmtime_r(&tt, &tm);
      /* the format is the configuration's own {date:...} */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      if (strftime(buf, sizeof(buf), fmt, &tm) == 0)
        buf[0] = '\0';
#pragma GCC diagnostic pop
      v = buf;
      skip = (size_t)(e - t) + 1;
    } else if (strncmp(t, "${", 2) == 0 && strchr(t, '}') != NULL) {
      const char *e = strchr(t, '}');
      snprintf(buf, sizeof(buf), "%.*s", (int)(e - t - 2), t + 2);
      v = getenv(buf);
      skip = (size_t)(e - t) + 1;
    }
    if (skip == 0) {
      if (!put(out, size, &o, t, 1, false))
        return false;
      t++;
      continue;
    }
    if (v == NULL)
      v = "";
    if (!url && strpbrk(v, "\r\n") != NULL)
      return false;
    if (!put(out, size, &o, v, strlen(v), url))
      return false;
    t += skip;
  }
  return true;
}

void
provider_redact(const struct rep_secrets *s, char *text, size_t size)
{
  (void)size; /* the text only shrinks: secrets are longer than "****" */
  for (size_t i = 0; i < s->nredact; i++) {
    const char *sec = s->redact[i];
    /* the URL-encoded form first (it is the longer), as curl and servers
     * echo URLs */
    char *enc = curl_easy_escape(NULL, sec, 0);
    const char *forms[2] = {enc, sec};
    for (int f = 0; f < 2; f++) {
      if (forms[f] == NULL)
        continue;
      size_t fn = strlen(forms[f]);
      char *p;
      while (fn > 4 && (p = strstr(text, forms[f])) != NULL) {
        memcpy(p, "****", 4);
        memmove(p + 4, p + fn, strlen(p + fn) + 1);
      }
    }
    curl_free(enc);
  }
}
