#include "repread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSV_MAX_COLS 256

const char rep_not_found_reason[] = "not found at the provider (not_found)";

void
rep_snippet(const char *s, size_t len, char *out, size_t max)
{
  size_t o = 0;
  bool space = false;
  for (size_t i = 0; i < len && o + 1 < max; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      space = o > 0;
      continue;
    }
    if (space && o + 2 < max)
      out[o++] = ' ';
    space = false;
    out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
  }
  out[o] = '\0';
}

/* ---- parsing -------------------------------------------------------------- */
static bool
looks_html(const char *ctype, const char *body, size_t len)
{
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' ||
                     body[i] == '\t'))
    i++;
  return strncasecmp(ctype, "text/html", 9) == 0 ||
         (i < len && body[i] == '<');
}

static bool
csv_add_row(struct rep_doc *d, char **fields, size_t n, size_t *cap)
{
  if (d->nrows == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    char ***r = arena_alloc(&d->arena, nc * sizeof(*r));
    size_t *c = arena_alloc(&d->arena, nc * sizeof(*c));
    if (r == NULL || c == NULL)
      return false;
    if (d->nrows) {
      memcpy(r, d->rows, d->nrows * sizeof(*r));
      memcpy(c, d->ncols, d->nrows * sizeof(*c));
    }
    d->rows = r;
    d->ncols = c;
    *cap = nc;
  }
  char **row = arena_alloc(&d->arena, (n ? n : 1) * sizeof(*row));
  if (row == NULL)
    return false;
  memcpy(row, fields, n * sizeof(*row));
  d->rows[d->nrows] = row;
  d->ncols[d->nrows++] = n;
  return true;
}

/* RFC 4180: comma separated, "quoted" fields with "" for a quote, CRLF or
 * LF line ends; empty lines are skipped. */
static bool
csv_parse(struct rep_doc *d, const char *b, size_t len)
{
  char *fields[CSV_MAX_COLS];
  size_t nf = 0, cap = 0, line = 1;
  struct sbuf f;
  sbuf_init(&f, len + 1);
  size_t i = 0;
  bool ok = true;
  while (i <= len && ok) {
    bool quoted = i < len && b[i] == '"';
    sbuf_reset(&f);
    sbuf_add(&f, "", 0);
    if (quoted) {
      size_t start_line = line;
      i++;
      for (;;) {
        if (i >= len) {
          snprintf(d->error, sizeof(d->error), "malformed CSV: a quoted "
                   "field from line %zu is not closed", start_line);
          ok = false;
          break;
        }
        if (b[i] == '"' && i + 1 < len && b[i + 1] == '"') {
          sbuf_add(&f, "\"", 1);
          i += 2;
        } else if (b[i] == '"') {
          i++;
          break;
        } else {
          line += b[i] == '\n';
          sbuf_add(&f, &b[i++], 1);
        }
      }
      if (ok && i < len && b[i] != ',' && b[i] != '\n' && b[i] != '\r') {
        snprintf(d->error, sizeof(d->error), "malformed CSV at line %zu: "
                 "text after a closing quote", line);
        ok = false;
      }
    } else {
      size_t s = i;
      while (i < len && b[i] != ',' && b[i] != '\n' && b[i] != '\r')
        i++;
      sbuf_add(&f, b + s, i - s);
    }
    if (!ok)
      break;
    if (nf == CSV_MAX_COLS) {
      snprintf(d->error, sizeof(d->error), "malformed CSV at line %zu: more "
               "than %d columns", line, CSV_MAX_COLS);
      ok = false;
      break;
    }
    fields[nf++] = arena_strndup(&d->arena, sbuf_str(&f), f.len);
    if (i < len && b[i] == ',') {
      i++;
      continue;
    }
    /* end of a row: a line end or the end of the body */
    bool empty = nf == 1 && fields[0][0] == '\0';
    if (!empty && !csv_add_row(d, fields, nf, &cap))
      ok = false;
    nf = 0;
    if (i < len && b[i] == '\r')
      i++;
    if (i < len && b[i] == '\n')
      i++;
    line++;
    if (i >= len)
      break;
  }
  sbuf_free(&f);
  if (!ok && d->error[0] == '\0')
    snprintf(d->error, sizeof(d->error), "out of memory reading CSV");
  return ok;
}

static int
addr_cmp(const struct addr *a, const struct addr *b)
{
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  return memcmp(a->b, b->b, a->kind == TARGET_IP4 ? 4 : 16);
}

static const struct rep_doc *sort_doc; /* for qsort's comparison only */

static int
cmp_rows(const void *x, const void *y)
{
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  int c = addr_cmp(&sort_doc->addr[i].a, &sort_doc->addr[j].a);
  return c ? c : (i < j ? -1 : i > j);
}

/* The addresses in the match columns, read once: an answer for a whole
 * account is matched against every address of the watchlists. */
static void
index_rows(const struct provider *p, struct rep_doc *d)
{
  unsigned ca = p->match_col ? p->match_col : p->first_col;
  unsigned cb = p->match_col ? p->match_col : p->last_col;
  if (ca == 0 || d->nrows == 0)
    return;
  d->addr = arena_alloc(&d->arena, d->nrows * sizeof(*d->addr));
  if (d->addr == NULL)
    return; /* matched as text, slower */
  for (size_t i = 0; i < d->nrows; i++) {
    struct rep_rowaddr *r = &d->addr[i];
    const char *x = ca <= d->ncols[i] ? d->rows[i][ca - 1] : "";
    const char *y = cb <= d->ncols[i] ? d->rows[i][cb - 1] : "";
    while (*x == ' ')
      x++;
    while (*y == ' ')
      y++;
    r->ok = target_addr_parse(x, &r->a) && target_addr_parse(y, &r->b) &&
            r->a.kind == r->b.kind;
    d->naddr += r->ok;
  }
  /* exact matches: sorted, for a binary search per target */
  if (p->match_col != 0 && d->naddr > 0) {
    d->order = arena_alloc(&d->arena, d->nrows * sizeof(*d->order));
    if (d->order != NULL) {
      size_t n = 0;
      for (size_t i = 0; i < d->nrows; i++)
        if (d->addr[i].ok)
          d->order[n++] = i;
      sort_doc = d;
      qsort(d->order, n, sizeof(*d->order), cmp_rows);
      sort_doc = NULL;
    }
  }
}

bool
rep_doc_parse(const struct provider *p, const char *ctype, const char *body,
              size_t len, struct rep_doc *d)
{
  memset(d, 0, sizeof(*d));
  d->format = p->format;
  if (p->format != REP_REGEX && looks_html(ctype ? ctype : "", body, len)) {
    char snip[80];
    rep_snippet(body, len, snip, sizeof(snip));
    snprintf(d->error, sizeof(d->error), "the answer is an HTML page, not "
             "%s: \"%s\"", rep_format_names[p->format], snip);
    return false;
  }
  if (memchr(body, '\0', len) != NULL) {
    snprintf(d->error, sizeof(d->error), "the answer holds NUL bytes: not "
             "%s", rep_format_names[p->format]);
    return false;
  }
  switch (p->format) {
  case REP_JSON: {
    json_error_t je;
    d->json = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                         &je);
    if (d->json == NULL) {
      char snip[64];
      rep_snippet(je.text, strlen(je.text), snip, sizeof(snip));
      snprintf(d->error, sizeof(d->error), "malformed JSON at line %d column "
               "%d: %s", je.line, je.column, snip);
      return false;
    }
    return true;
  }
  case REP_CSV:
    if (!csv_parse(d, body, len))
      return false;
    index_rows(p, d);
    if (p->def.type != LIST_DOMAIN && (p->match_col || p->first_col) &&
        d->nrows > 0 && d->naddr == 0) {
      char snip[80];
      rep_snippet(body, len, snip, sizeof(snip));
      snprintf(d->error, sizeof(d->error), "the answer is not the expected "
               "CSV: no row has addresses in column %u: \"%s\"",
               p->match_col ? p->match_col : p->first_col, snip);
      return false;
    }
    return true;
  case REP_REGEX:
    d->text = body;
    return true;
  }
  return false;
}

void
rep_doc_free(struct rep_doc *d)
{
  if (d->json != NULL)
    json_decref(d->json);
  arena_free(&d->arena);
  memset(d, 0, sizeof(*d));
}

/* ---- values ----------------------------------------------------------------- */
struct value {
  bool present, null, numeric;
  bool compound;                  /* an object or a list: not a value */
  double num;
  char str[256];
};

/* "87", "< 0.1%", " 12 ": the number a person would read.  Decimal only:
 * no hex, no inf, no nan (every comparison with NaN is false). */
static bool
lenient_number(const char *s, double *out)
{
  while (*s == ' ' || *s == '<' || *s == '>' || *s == '=' || *s == '~')
    s++;
  if (*s == '\0' || s[strspn(s, "0123456789+-.eE %")] != '\0')
    return false;
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (end == s || errno != 0 || !isfinite(d))
    return false;
  while (*end == ' ' || *end == '%')
    end++;
  if (*end != '\0')
    return false;
  *out = d;
  return true;
}

static void
value_str(struct value *v, const char *s)
{
  v->present = true;
  snprintf(v->str, sizeof(v->str), "%s", s);
  v->numeric = lenient_number(v->str, &v->num);
}

/* RFC 6901, with {ip} {domain} {target} standing for the target. */
static json_t *
pointer_get(json_t *root, const char *ptr, const char *target)
{
  json_t *cur = root;
  const char *p = ptr;
  if (*p == '\0')
    return root;
  while (cur != NULL && *p == '/') {
    char tok[256];
    size_t o = 0;
    p++;
    while (*p && *p != '/' && o + 1 < sizeof(tok)) {
      if (p[0] == '~' && p[1] == '0') {
        tok[o++] = '~';
        p += 2;
      } else if (p[0] == '~' && p[1] == '1') {
        tok[o++] = '/';
        p += 2;
      } else if (*p == '{' && (strncmp(p, "{ip}", 4) == 0 ||
                               strncmp(p, "{domain}", 8) == 0 ||
                               strncmp(p, "{target}", 8) == 0)) {
        size_t tl = strlen(target);
        if (o + tl + 1 >= sizeof(tok))
          return NULL;
        memcpy(tok + o, target, tl);
        o += tl;
        p = strchr(p, '}') + 1;
      } else {
        tok[o++] = *p++;
      }
    }
    tok[o] = '\0';
    if (json_is_object(cur)) {
      cur = json_object_get(cur, tok);
    } else if (json_is_array(cur)) {
      char *end;
      if (tok[0] < '0' || tok[0] > '9' || (tok[0] == '0' && tok[1]))
        return NULL;
      unsigned long ix = strtoul(tok, &end, 10);
      cur = *end == '\0' ? json_array_get(cur, ix) : NULL;
    } else {
      return NULL;
    }
  }
  return *p == '\0' ? cur : NULL;
}

static void
json_value(json_t *j, struct value *v)
{
  memset(v, 0, sizeof(*v));
  if (j == NULL)
    return;
  v->present = true;
  switch (json_typeof(j)) {
  case JSON_STRING:
    value_str(v, json_string_value(j));
    break;
  case JSON_INTEGER: {
    json_int_t iv = json_integer_value(j);
    v->numeric = true;
    v->num = (double)iv;
    snprintf(v->str, sizeof(v->str), "%lld", (long long)iv);
    break;
  }
  case JSON_REAL:
    v->numeric = true;
    v->num = json_real_value(j);
    snprintf(v->str, sizeof(v->str), "%g", v->num);
    break;
  case JSON_TRUE:
    snprintf(v->str, sizeof(v->str), "true");
    break;
  case JSON_FALSE:
    snprintf(v->str, sizeof(v->str), "false");
    break;
  case JSON_NULL:
    v->null = true;
    snprintf(v->str, sizeof(v->str), "null");
    break;
  case JSON_OBJECT:
    snprintf(v->str, sizeof(v->str), "(an object of %zu)", json_object_size(j));
    v->compound = true;
    break;
  case JSON_ARRAY:
    snprintf(v->str, sizeof(v->str), "(a list of %zu)", json_array_size(j));
    v->null = json_array_size(j) == 0;
    v->compound = true;
    break;
  }
}

/* Where the row or the regex match of one target is. */
struct scope {
  const struct rep_doc *d;
  const char *target;
  char *const *row;
  size_t ncols;
  regmatch_t m[10];
  bool matched;
};

static void
get_value(const struct provider *p, const struct scope *s,
          const struct rep_where *w, struct value *v)
{
  memset(v, 0, sizeof(*v));
  switch (s->d->format) {
  case REP_JSON:
    if (w->pointer != NULL)
      json_value(pointer_get(s->d->json, w->pointer, s->target), v);
    break;
  case REP_CSV:
    if (w->column != 0 && s->row != NULL && w->column <= s->ncols)
      value_str(v, s->row[w->column - 1]);
    break;
  case REP_REGEX: {
    size_t g = p->re.re_nsub >= 1 ? 1 : 0;
    if (s->matched && s->m[g].rm_so >= 0) {
      char buf[256];
      size_t n = (size_t)(s->m[g].rm_eo - s->m[g].rm_so);
      snprintf(buf, sizeof(buf), "%.*s", (int)(n < 255 ? n : 255),
               s->d->text + s->m[g].rm_so);
      value_str(v, buf);
    }
    break;
  }
  }
}

static bool
where_set(const struct rep_where *w)
{
  return w->pointer != NULL || w->column != 0;
}

static bool
same_where(const struct rep_where *a, const struct rep_where *b)
{
  if (a->pointer != NULL || b->pointer != NULL)
    return a->pointer != NULL && b->pointer != NULL &&
           strcmp(a->pointer, b->pointer) == 0;
  return a->column == b->column;
}

static const char *
where_label(const struct rep_where *w, char *buf, size_t size)
{
  if (w->pointer != NULL) {
    const char *slash = strrchr(w->pointer, '/');
    snprintf(buf, size, "%s", slash && slash[1] ? slash + 1 : w->pointer);
  } else if (w->column != 0) {
    snprintf(buf, size, "column %u", w->column);
  } else {
    snprintf(buf, size, "value");
  }
  return buf;
}

/* 1 match, 0 no match, -1 the value is not a number for a comparison. */
static int
cond_eval(const struct rep_cond *c, const struct value *v)
{
  if (!v->present)
    return 0;
  switch (c->op) {
  case COND_PRESENT:
    return !v->null && strcmp(v->str, "false") != 0 && v->str[0] != '\0';
  case COND_IN:
    for (size_t i = 0; i < c->nset; i++)
      if (strcasecmp(c->set[i], v->str) == 0)
        return 1;
    return 0;
  case COND_EQ:
  case COND_NE: {
    /* numbers compare exactly, as the operator wrote them: 1 == 1.0 */
    bool eq = c->numeric && v->numeric ? v->num <= c->num && v->num >= c->num
                                       : strcasecmp(c->str, v->str) == 0;
    return eq == (c->op == COND_EQ);
  }
  default:
    break;
  }
  if (!v->numeric)
    return -1;
  switch (c->op) {
  case COND_LT: return v->num < c->num;
  case COND_LE: return v->num <= c->num;
  case COND_GT: return v->num > c->num;
  case COND_GE: return v->num >= c->num;
  default: return 0;
  }
}

static void
txt_add(struct rep_verdict *v, const char *label, const char *val)
{
  size_t o = strlen(v->txt);
  snprintf(v->txt + o, sizeof(v->txt) - o, "%s%s=%s", o ? " " : "", label,
           val);
}

static void
not_found(const struct provider *p, struct rep_verdict *v, const char *what)
{
  static const enum severity sev[] = {[NF_WARNING] = SEV_WARNING,
                                      [NF_CRITICAL] = SEV_CRITICAL};
  switch (p->not_found) {
  case NF_ERROR:
    v->status = RES_ERROR;
    snprintf(v->error, sizeof(v->error), "%s (not_found: error)", what);
    return;
  case NF_CLEAN:
    v->status = RES_CLEAN;
    snprintf(v->txt, sizeof(v->txt), "%s", what);
    return;
  case NF_WARNING:
  case NF_CRITICAL:
    v->status = RES_LISTED;
    v->has_sev = true;
    v->sev = sev[p->not_found];
    v->reasons[v->nreasons++] = rep_not_found_reason;
    snprintf(v->txt, sizeof(v->txt), "%s", what);
    return;
  }
}

bool
rep_read_status(const struct provider *p, long status, const char *body,
                size_t len, struct rep_verdict *v)
{
  memset(v, 0, sizeof(*v));
  if (status >= 200 && status <= 299)
    return false;
  v->status = RES_ERROR;
  bool limited = status == 429;
  for (size_t i = 0; i < p->nlimit; i++)
    limited = limited || p->limit_status[i] == status;
  char snip[100];
  rep_snippet(body, len, snip, sizeof(snip));
  if (limited) {
    v->rate_limited = true;
    snprintf(v->error, sizeof(v->error), "rate limited (HTTP %ld)%s%s",
             status, snip[0] ? ": " : "", snip);
  } else if (status == 404) {
    not_found(p, v, "HTTP 404: the provider has nothing for it");
  } else if (status >= 300 && status <= 399) {
    snprintf(v->error, sizeof(v->error), "HTTP %ld: a redirect; rblmon does "
             "not follow redirects: put the final address in url", status);
  } else if (status == 401 || status == 403) {
    v->refused = true;
    snprintf(v->error, sizeof(v->error), "HTTP %ld: the provider refused "
             "the request: check the key%s%s", status, snip[0] ? ": " : "",
             snip);
  } else {
    snprintf(v->error, sizeof(v->error), "HTTP %ld%s%s", status,
             snip[0] ? ": " : "", snip);
  }
  return true;
}

static bool
same_target(const char *field, const char *target)
{
  struct addr a, b;
  while (*field == ' ')
    field++;
  if (target_addr_parse(field, &a) && target_addr_parse(target, &b))
    return a.kind == b.kind && memcmp(a.b, b.b, 16) == 0;
  return strcasecmp(field, target) == 0;
}


static bool
in_range(const char *first, const char *last, const char *target)
{
  struct addr f, l, t;
  if (!target_addr_parse(first, &f) || !target_addr_parse(last, &l) ||
      !target_addr_parse(target, &t) || f.kind != t.kind || l.kind != t.kind)
    return false;
  return addr_cmp(&f, &t) <= 0 && addr_cmp(&t, &l) <= 0;
}

/* The target's row: by match, or the only/first row of a per-target
 * answer.  false: none. */
static bool
find_row(const struct provider *p, const struct rep_doc *d,
         struct scope *s)
{
  struct addr t;
  bool is_addr = target_addr_parse(s->target, &t);
  if (is_addr && d->order != NULL) {
    size_t lo = 0, hi = d->naddr;
    while (lo < hi) { /* the first row not below t */
      size_t mid = lo + (hi - lo) / 2;
      if (addr_cmp(&d->addr[d->order[mid]].a, &t) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == d->naddr || addr_cmp(&d->addr[d->order[lo]].a, &t) != 0)
      return false;
    s->row = d->rows[d->order[lo]];
    s->ncols = d->ncols[d->order[lo]];
    return true;
  }
  for (size_t i = 0; i < d->nrows; i++) {
    char **r = d->rows[i];
    size_t n = d->ncols[i];
    const struct rep_rowaddr *ra = d->addr ? &d->addr[i] : NULL;
    bool hit;
    if (ra != NULL && is_addr) /* addresses compared as addresses */
      hit = ra->ok && addr_cmp(&ra->a, &t) <= 0 && addr_cmp(&t, &ra->b) <= 0;
    else if (p->match_col != 0)
      hit = p->match_col <= n && same_target(r[p->match_col - 1], s->target);
    else if (p->first_col != 0)
      hit = p->first_col <= n && p->last_col <= n &&
            in_range(r[p->first_col - 1], r[p->last_col - 1], s->target);
    else
      hit = true;
    if (hit) {
      s->row = r;
      s->ncols = n;
      return true;
    }
  }
  return false;
}

static bool
check_errors(const struct provider *p, const struct scope *s,
             struct rep_verdict *v)
{
  for (size_t i = 0; i < p->nerrors; i++) {
    const struct rep_error *e = &p->errors[i];
    struct value val;
    get_value(p, s, &e->where, &val);
    struct rep_cond any = {.op = COND_PRESENT};
    if (cond_eval(e->has_cond ? &e->cond : &any, &val) != 1)
      continue;
    struct value msg = val;
    if (e->message != NULL && s->d->format == REP_JSON)
      json_value(pointer_get(s->d->json, e->message, s->target), &msg);
    char snip[200];
    rep_snippet(msg.str, strlen(msg.str), snip, sizeof(snip));
    v->status = RES_ERROR;
    snprintf(v->error, sizeof(v->error), "the provider reports an error: %s",
             snip);
    return true;
  }
  return false;
}

struct outcome {
  enum severity worst;
  bool any, good;                 /* a listing rule, a good rule matched */
};

/* Every rule against its value; false (v says why) when a value is
 * missing or not comparable. */
static bool
apply_rules(const struct provider *p, const struct scope *sc,
            const struct value *main, struct rep_verdict *v,
            struct outcome *o)
{
  char label[96];
  for (size_t i = 0; i < p->nrules; i++) {
    const struct rep_rule *r = &p->rules[i];
    struct value own;
    const struct value *val = main;
    if (where_set(&r->where)) {
      get_value(p, sc, &r->where, &own);
      val = &own;
    }
    if (!val->present || val->compound) {
      v->status = RES_ERROR;
      snprintf(v->error, sizeof(v->error), "the answer has %s %s (rule %zu: "
               "%s)", val->present ? "a list or object at" : "no",
               where_set(&r->where)
                 ? where_label(&r->where, label, sizeof(label))
                 : where_label(&p->value, label, sizeof(label)),
               i + 1, r->reason);
      return false;
    }
    int m = cond_eval(&r->cond, val);
    if (m < 0) {
      v->status = RES_ERROR;
      char snip[64];
      rep_snippet(val->str, strlen(val->str), snip, sizeof(snip));
      snprintf(v->error, sizeof(v->error), "%s is \"%s\", not a number "
               "(rule %zu: %s)", where_set(&r->where)
                 ? where_label(&r->where, label, sizeof(label))
                 : where_label(&p->value, label, sizeof(label)),
               snip, i + 1, r->reason);
      return false;
    }
    if (m == 0)
      continue;
    if (val != main)
      txt_add(v, where_label(&r->where, label, sizeof(label)), val->str);
    if (r->sev == SEV_GOOD) {
      o->good = true;
      continue;
    }
    if (!o->any || r->sev > o->worst)
      o->worst = r->sev;
    o->any = true;
  }
  return true;
}

static void
pick_reasons(const struct provider *p, const struct scope *sc,
             const struct value *main, bool any, struct rep_verdict *v)
{
  /* reasons: each matching rule of the verdict's kind (listed: the
   * warning and critical ones; clean: the ok ones), except a threshold
   * that a worse rule on the same value also passed ('>= 25' under
   * '>= 75') */
  bool hit[64] = {false};
  size_t nr = p->nrules < 64 ? p->nrules : 64;
  for (size_t i = 0; i < nr; i++) {
    const struct rep_rule *r = &p->rules[i];
    struct value own;
    const struct value *val = main;
    if (where_set(&r->where)) {
      get_value(p, sc, &r->where, &own);
      val = &own;
    }
    hit[i] = (any ? r->sev != SEV_GOOD : r->sev == SEV_GOOD) &&
             cond_eval(&r->cond, val) == 1;
  }
  for (size_t i = 0; i < nr && v->nreasons < RESULT_MAX_CODES; i++) {
    bool shadowed = false;
    for (size_t k = 0; k < nr && hit[i] && !shadowed; k++)
      shadowed = hit[k] && p->rules[k].sev > p->rules[i].sev &&
                 same_where(&p->rules[k].where, &p->rules[i].where);
    if (hit[i] && !shadowed)
      v->reasons[v->nreasons++] = p->rules[i].reason;
  }
}

void
rep_read_doc(const struct provider *p, const struct rep_doc *d,
             const char *target, struct rep_verdict *v)
{
  memset(v, 0, sizeof(*v));
  struct scope s;
  memset(&s, 0, sizeof(s));
  s.d = d;
  s.target = target;
  char label[96];
  if (d->format == REP_REGEX) {
    s.matched = regexec(&p->re, d->text, 10, s.m, 0) == 0;
    if (!s.matched) {
      v->status = RES_ERROR;
      snprintf(v->error, sizeof(v->error), "the answer does not match the "
               "provider's regex (has its format changed?)");
      return;
    }
  }
  if (d->format == REP_CSV && p->nerrors > 0 && d->nrows > 0) {
    /* an API that fails in CSV says so in its first row */
    struct scope first = s;
    first.row = d->rows[0];
    first.ncols = d->ncols[0];
    if (check_errors(p, &first, v))
      return;
  }
  if (d->format == REP_CSV && !find_row(p, d, &s)) {
    not_found(p, v, "no row for it in the answer");
    return;
  }
  if (check_errors(p, &s, v))
    return;
  struct value main;
  get_value(p, &s, &p->value, &main);
  if (where_set(&p->value) || d->format == REP_REGEX) {
    if (!main.present) {
      v->status = RES_ERROR;
      snprintf(v->error, sizeof(v->error), "the answer has no %s%s",
               p->value.pointer ? "" : "column ",
               p->value.pointer ? p->value.pointer
                                : (snprintf(label, sizeof(label), "%u",
                                            p->value.column), label));
      return;
    }
    txt_add(v, where_label(&p->value, label, sizeof(label)), main.str);
  }
  struct outcome o = {SEV_GOOD, false, false};
  if (!apply_rules(p, &s, &main, v, &o))
    return;
  pick_reasons(p, &s, &main, o.any, v);
  enum severity worst = o.worst;
  bool any = o.any, good = o.good;
  if (where_set(&p->detail)) {
    struct value det;
    get_value(p, &s, &p->detail, &det);
    if (det.present && !det.null)
      txt_add(v, where_label(&p->detail, label, sizeof(label)), det.str);
  }
  if (any) {
    v->status = RES_LISTED;
    v->has_sev = true;
    v->sev = worst;
  } else {
    v->status = RES_CLEAN;
    v->has_sev = good;
    v->sev = SEV_GOOD;
  }
}
