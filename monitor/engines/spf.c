#include "spf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "util.h"

const char *const spf_result_names[] = {
  "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
  "need", NULL};

#define SPF_MAX_NAMES 10           /* MX or PTR names looked at */

enum mech { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS };

static const struct {
  const char *name;
  enum mech m;
  bool arg_required, arg_allowed, cidr;
} mechs[] = {
  {"all", M_ALL, false, false, false},
  {"include", M_INCLUDE, true, true, false},
  {"a", M_A, false, true, true},
  {"mx", M_MX, false, true, true},
  {"ptr", M_PTR, false, true, false},
  {"ip4", M_IP4, true, true, true},
  {"ip6", M_IP6, true, true, true},
  {"exists", M_EXISTS, true, true, false},
};

struct term {
  char qual;                      /* + - ~ ? */
  enum mech m;
  char arg[256];                  /* domain-spec or address */
  int cidr4, cidr6;               /* -1: none */
  struct addr ip;                 /* ip4, ip6 */
  char text[300];                 /* as written, for messages */
};

struct ctx {
  const struct addr *ip;
  const char *sender;
  dq_lookup_fn lookup;
  void *arg;
  struct spf_out *out;
  const struct spf_query *q;      /* NULL: from_spf's walk */
  unsigned depth;                 /* include/redirect nesting */
  unsigned includes;              /* of which includes */
  bool explaining;                /* expanding an exp= text: c r t */
  char exp[1024];                 /* exp= of the record that decided */
  char exp_domain[256];
};

/* A record's terms and modifiers. */
struct record {
  struct term *terms;
  size_t nt;
  char redirect[1024];
  char exp[1024];
};

static enum spf_result check_host(struct ctx *c, const char *domain);

static enum spf_result
fail(struct ctx *c, enum spf_result r, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

static enum spf_result
fail(struct ctx *c, enum spf_result r, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->out->why, sizeof(c->out->why), fmt, ap);
  va_end(ap);
  return r;
}

/* ---- the trace ------------------------------------------------------------------ */
static void
trace(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
trace(struct ctx *c, const char *fmt, ...)
{
  if (c->q == NULL || c->q->trace == NULL)
    return;
  char line[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  c->q->trace(c->q->trace_arg, c->depth, line);
}

static const char *
type_name(int type)
{
  static const struct {
    int type;
    const char *name;
  } names[] = {{DQ_A, "A"}, {DQ_AAAA, "AAAA"}, {DQ_MX, "MX"},
               {DQ_PTR, "PTR"}, {DQ_TXT, "TXT"}};
  for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++)
    if (names[i].type == type)
      return names[i].name;
  return "?";
}

/* One DNS answer as the trace shows it: the records (at most 8), or why
 * there are none. */
static void
trace_answer(struct ctx *c, const char *name, int type,
             const struct dq_answer *a)
{
  if (c->q == NULL || c->q->trace == NULL)
    return;
  char buf[600] = "";
  size_t o = 0;
  if (a->status == DQ_NXDOMAIN)
    snprintf(buf, sizeof(buf), "no such name (NXDOMAIN)");
  else if (a->status == DQ_NODATA)
    snprintf(buf, sizeof(buf), "no records of this type");
  else if (a->status == DQ_ERROR)
    snprintf(buf, sizeof(buf), "error: %s", a->error ? a->error : "?");
  for (size_t i = 0; a->status == DQ_OK && i < a->n && i < 8; i++) {
    char addr[TARGET_ADDR_MAX];
    const char *v = a->strs != NULL ? a->strs[i] : addr;
    if (a->strs == NULL)
      target_addr_str(&a->addrs[i], addr, sizeof(addr));
    int w = snprintf(buf + o, sizeof(buf) - o, type == DQ_TXT ? "%s\"%s\""
                     : "%s%s", i ? ", " : "", v[0] ? v : ".");
    if (w < 0 || (size_t)w >= sizeof(buf) - o)
      break;
    o += (size_t)w;
  }
  if (a->status == DQ_OK && a->n > 8)
    snprintf(buf + o, sizeof(buf) - o, ", ... (%zu in all)", a->n);
  trace(c, "DNS %s %s: %s", name, type_name(type), buf);
}

static const struct dq_answer *
get(struct ctx *c, const char *name, int type)
{
  const struct dq_answer *a = c->lookup(c->arg, name, type);
  if (a == NULL) {
    snprintf(c->out->need_name, sizeof(c->out->need_name), "%.255s", name);
    c->out->need_type = type;
  } else {
    trace_answer(c, name, type, a);
  }
  return a;
}

void
spf_reverse_name(const struct addr *a, char *buf, size_t size)
{
  size_t o = 0;
  buf[0] = '\0';
  if (a->kind == TARGET_IP4) {
    snprintf(buf, size, "%u.%u.%u.%u.in-addr.arpa", a->b[3], a->b[2],
             a->b[1], a->b[0]);
    return;
  }
  for (int i = 15; i >= 0 && o + 4 < size; i--)
    o += (size_t)snprintf(buf + o, size - o, "%x.%x.", a->b[i] & 0xf,
                          a->b[i] >> 4);
  snprintf(buf + o, size - o, "ip6.arpa");
}

static bool
in_cidr(const struct addr *ip, const struct addr *net, int bits)
{
  if (ip->kind != net->kind)
    return false;
  int max = ip->kind == TARGET_IP4 ? 32 : 128;
  if (bits < 0 || bits > max)
    bits = max;
  int full = bits / 8, rest = bits % 8;
  if (memcmp(ip->b, net->b, (size_t)full) != 0)
    return false;
  if (rest == 0)
    return true;
  unsigned char m = (unsigned char)(0xff << (8 - rest));
  return (ip->b[full] & m) == (net->b[full] & m);
}

static bool ends_with_domain(const char *name, const char *dom);

/* ---- macros (RFC 7208 section 7) ------------------------------------------ */
static void
ip_macro(const struct addr *ip, char *buf, size_t size)
{
  if (ip->kind == TARGET_IP4) {
    snprintf(buf, size, "%u.%u.%u.%u", ip->b[0], ip->b[1], ip->b[2],
             ip->b[3]);
    return;
  }
  size_t o = 0;
  for (int i = 0; i < 16 && o + 4 < size; i++)
    o += (size_t)snprintf(buf + o, size - o, "%s%X.%X", i ? "." : "",
                          ip->b[i] >> 4, ip->b[i] & 0xf);
}

/* One %{...} value, transformed: split on delimiters, reversed with r,
 * the rightmost N parts, joined with dots; URL-escaped for upper case. */
static bool
transform(const char *value, unsigned digits, bool reverse,
          const char *delims, bool upper, char *out, size_t size)
{
  char parts[64][128];
  size_t n = 0;
  const char *p = value;
  for (;;) {
    size_t len = strcspn(p, delims);
    if (n == 64 || len >= 128)
      return false;
    memcpy(parts[n], p, len);
    parts[n++][len] = '\0';
    if (p[len] == '\0')
      break;
    p += len + 1;
  }
  if (reverse)
    for (size_t i = 0; i < n / 2; i++) {
      char t[128];
      memcpy(t, parts[i], sizeof(t));
      memcpy(parts[i], parts[n - 1 - i], sizeof(t));
      memcpy(parts[n - 1 - i], t, sizeof(t));
    }
  size_t start = digits > 0 && digits < n ? n - digits : 0, o = 0;
  out[0] = '\0';
  for (size_t i = start; i < n; i++) {
    for (const char *q = parts[i]; *q; q++) {
      bool keep = !upper || isalnum((unsigned char)*q) || strchr("-._~", *q);
      int w = keep ? snprintf(out + o, size - o, "%c", *q)
                   : snprintf(out + o, size - o, "%%%02X", (unsigned char)*q);
      if (w < 0 || (size_t)w >= size - o)
        return false;
      o += (size_t)w;
    }
    if (i + 1 < n) {
      if (o + 1 >= size)
        return false;
      out[o++] = '.';
      out[o] = '\0';
    }
  }
  return true;
}

/* %{p} (RFC 7208 section 7.3): a name of the client's PTR records whose
 * addresses include the client; domain itself first, then a name under
 * it, then any other; "unknown" when none validates or DNS fails.  At
 * most SPF_MAX_NAMES PTR names are looked at (section 4.6.4).  false
 * when an answer is not known yet (need_name set). */
static bool
validated_name(struct ctx *c, const char *domain, char *out, size_t size)
{
  char rev[128];
  snprintf(out, size, "unknown");
  spf_reverse_name(c->ip, rev, sizeof(rev));
  const struct dq_answer *ptr = get(c, rev, DQ_PTR);
  if (ptr == NULL)
    return false;
  if (ptr->status != DQ_OK)
    return true;
  size_t n = ptr->n < SPF_MAX_NAMES ? ptr->n : SPF_MAX_NAMES;
  int type = c->ip->kind == TARGET_IP4 ? DQ_A : DQ_AAAA;
  for (int pass = 0; pass < 3; pass++)
    for (size_t i = 0; i < n; i++) {
      const char *name = ptr->strs[i];
      bool same = strcasecmp(name, domain) == 0;
      bool sub = !same && ends_with_domain(name, domain);
      if ((pass == 0 && !same) || (pass == 1 && !sub) ||
          (pass == 2 && (same || sub)))
        continue;
      const struct dq_answer *a = get(c, name, type);
      if (a == NULL)
        return false;
      for (size_t k = 0; a->status == DQ_OK && k < a->n; k++)
        if (in_cidr(c->ip, &a->addrs[k], -1)) {
          snprintf(out, size, "%s", name);
          return true;
        }
    }
  return true;
}

/* The values of the macro letters for one expansion. */
struct macro_values {
  char sender[400], local[128], sdom[256], ip[128], cip[TARGET_ADDR_MAX];
  char now[24];
  char pname[256];
  bool have_p;
};

static void
macro_values(struct ctx *c, struct macro_values *v)
{
  const char *at = strrchr(c->sender, '@');
  /* RFC 7208 section 4.3: no local-part reads as "postmaster" */
  if (at == NULL || at == c->sender)
    snprintf(v->local, sizeof(v->local), "postmaster");
  else
    snprintf(v->local, sizeof(v->local), "%.*s", (int)(at - c->sender),
             c->sender);
  snprintf(v->sdom, sizeof(v->sdom), "%s", at ? at + 1 : c->sender);
  snprintf(v->sender, sizeof(v->sender), "%s@%s", v->local, v->sdom);
  ip_macro(c->ip, v->ip, sizeof(v->ip));
  target_addr_str(c->ip, v->cip, sizeof(v->cip));
  snprintf(v->now, sizeof(v->now), "%lld", (long long)clock_now());
  v->have_p = false;
}

/* The value of macro letter (lower case); NULL for an unknown letter or
 * one an explanation alone may use; *need when %{p} waits for DNS. */
static const char *
macro_value(struct ctx *c, struct macro_values *v, char letter,
            const char *domain, bool *need)
{
  const char *helo = c->q != NULL && c->q->helo != NULL ? c->q->helo
                                                         : v->sdom;
  switch (letter) {
  case 's': return v->sender;
  case 'l': return v->local;
  case 'o': return v->sdom;
  case 'd': return domain;
  case 'i': return v->ip;
  case 'v': return c->ip->kind == TARGET_IP4 ? "in-addr" : "ip6";
  case 'h': return helo;
  case 'p':
    if (!v->have_p && !validated_name(c, domain, v->pname, sizeof(v->pname))) {
      *need = true;
      return NULL;
    }
    v->have_p = true;
    return v->pname;
  default: break;
  }
  if (!c->explaining)
    return NULL;
  switch (letter) {
  case 'c': return v->cip;
  case 'r':
    return c->q != NULL && c->q->receiver != NULL ? c->q->receiver
                                                   : "unknown";
  case 't': return v->now;
  default: return NULL;
  }
}

/* One %{...} at p (p[0] == '%', p[1] == '{') appended at out + *o;
 * returns what follows it, NULL on a syntax error (why set) or when
 * out is full, *need when %{p} waits for DNS. */
static const char *
expand_macro(struct ctx *c, struct macro_values *v, const char *spec,
             const char *p, const char *domain, char *out, size_t size,
             size_t *o, bool *need)
{
  const char *q = p + 2, *end = strchr(q, '}');
  bool upper = isupper((unsigned char)*q);
  const char *value =
    end ? macro_value(c, v, (char)tolower((unsigned char)*q), domain, need)
        : NULL;
  if (value == NULL) {
    if (!*need)
      fail(c, SPF_PERMERROR, "a bad macro in '%s'", spec);
    return NULL;
  }
  q++;
  unsigned digits = 0;
  while (q < end && isdigit((unsigned char)*q) && digits <= 128)
    digits = digits * 10 + (unsigned)(*q++ - '0');
  bool rev = q < end && (*q == 'r' || *q == 'R');
  if (rev)
    q++;
  char delims[16] = "";
  size_t nd = 0;
  while (q < end && strchr(".-+,/_=", *q) && nd + 1 < sizeof(delims))
    delims[nd++] = *q++;
  delims[nd] = '\0';
  if (q != end || digits > 128) {
    fail(c, SPF_PERMERROR, "a bad macro in '%s'", spec);
    return NULL;
  }
  char t[512];
  if (!transform(value, digits, rev, nd ? delims : ".", upper, t,
                 sizeof(t)) ||
      *o + strlen(t) >= size)
    return NULL;
  memcpy(out + *o, t, strlen(t));
  *o += strlen(t);
  return end + 1;
}

/* Expands a domain-spec (or, with c->explaining, an explain-string): 1
 * done, 0 a syntax error or too long (why set for a syntax error), -1 an
 * answer %{p} needs is not known yet. */
static int
expand(struct ctx *c, const char *spec, const char *domain, char *out,
       size_t size)
{
  size_t o = 0;
  struct macro_values v;
  macro_values(c, &v);
  for (const char *p = spec; *p;) {
    static const char *const lits[] = {['%'] = "%", ['_'] = " ",
                                       ['-'] = "%20"};
    unsigned char n1 = (unsigned char)p[1];
    if (*p != '%') {
      if (o + 1 >= size)
        return 0;
      out[o++] = *p++;
    } else if (n1 < UTIL_ARRAY_LEN(lits) && lits[n1] != NULL) {
      size_t n = strlen(lits[n1]);
      if (o + n >= size)
        return 0;
      memcpy(out + o, lits[n1], n);
      o += n;
      p += 2;
    } else if (n1 != '{') {
      fail(c, SPF_PERMERROR, "a '%%' not followed by {, %%, _ or - in '%s'",
           spec);
      return 0;
    } else {
      bool need = false;
      p = expand_macro(c, &v, spec, p, domain, out, size, &o, &need);
      if (p == NULL)
        return need ? -1 : 0;
    }
  }
  out[o] = '\0';
  /* a name longer than 253 loses labels on the left */
  while (!c->explaining && strlen(out) > 253) {
    char *dot = strchr(out, '.');
    if (dot == NULL)
      return 0;
    memmove(out, dot + 1, strlen(dot + 1) + 1);
  }
  return 1;
}

/* ---- parsing ---------------------------------------------------------------- */
static bool
parse_len(const char *s, int max, int *out)
{
  if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 3 ||
      strspn(s, "0123456789") != strlen(s))
    return false;
  *out = (int)strtol(s, NULL, 10); /* at most 3 digits, checked above */
  return *out <= max;
}

/* The start of a trailing "/" 1*DIGIT in arg[0..len), or NULL. */
static char *
trailing_len(char *arg, size_t len)
{
  size_t d = len;
  while (d > 0 && arg[d - 1] >= '0' && arg[d - 1] <= '9')
    d--;
  return d < len && d > 0 && arg[d - 1] == '/' ? arg + d - 1 : NULL;
}

/* The dual-cidr-length at the end of arg (RFC 7208 section 5.6), cut off
 * and read: ip4 takes "/N" (to 32), ip6 "/N" (to 128), a and mx
 * [ "/" N4 ] [ "//" N6 ].  Only a trailing slash-and-digits is a length:
 * a domain-spec is a macro-string, so "a:foo:bar/baz.example.com" names
 * the domain "foo:bar/baz.example.com".  false when a length is there
 * but out of range or written with a leading zero. */
static bool
parse_cidr(char *arg, struct term *t)
{
  t->cidr4 = t->cidr6 = -1;
  char *s = trailing_len(arg, strlen(arg));
  if (s == NULL)
    return true;
  if (t->m == M_A || t->m == M_MX) {
    if (s > arg && s[-1] == '/') { /* "//N6", perhaps after "/N4" */
      if (!parse_len(s + 1, 128, &t->cidr6))
        return false;
      *--s = '\0';
      if ((s = trailing_len(arg, strlen(arg))) == NULL)
        return true;
    }
  }
  int *len = t->m == M_IP6 ? &t->cidr6 : &t->cidr4;
  if (!parse_len(s + 1, t->m == M_IP6 ? 128 : 32, len))
    return false;
  *s = '\0';
  return true;
}

/* RFC 7208 section 7.1: macro-literals and macro-expands; an
 * explain-string (explain) also takes spaces and the letters c, r and t.
 * A digit transformer must not be 0. */
static bool
macro_string_ok(const char *s, bool explain)
{
  const char *letters = explain ? "slodiphvcrtSLODIPHVCRT" : "slodiphvSLODIPHV";
  while (*s) {
    unsigned char ch = (unsigned char)*s;
    if ((ch < 0x21 && !(explain && ch == ' ')) || ch > 0x7e)
      return false;
    if (ch != '%') {
      s++;
      continue;
    }
    if (s[1] == '%' || s[1] == '_' || s[1] == '-') {
      s += 2;
      continue;
    }
    if (s[1] != '{' || s[2] == '\0' || strchr(letters, s[2]) == NULL)
      return false;
    const char *q = s + 3;
    if (isdigit((unsigned char)*q)) {
      unsigned v = 0;
      while (isdigit((unsigned char)*q) && v <= 128)
        v = v * 10 + (unsigned)(*q++ - '0');
      if (v == 0 || v > 128)
        return false;
    }
    if (*q == 'r' || *q == 'R')
      q++;
    while (*q && strchr(".-+,/_=", *q))
      q++;
    if (*q != '}')
      return false;
    s = q + 1;
  }
  return true;
}

/* A domain-spec: a macro-string that ends in a macro or in a top label
 * (not all digits): "a:museum" and "a:1.2.3.4" are errors. */
static bool
domain_spec_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || !macro_string_ok(s, false))
    return false;
  if (s[n - 1] == '}')
    return true;
  while (n > 0 && s[n - 1] == '.')
    n--;
  size_t start = n;
  while (start > 0 && s[start - 1] != '.')
    start--;
  if (start == 0 || start == n)
    return false; /* no dot, or an empty top label */
  bool alpha = false;
  for (size_t i = start; i < n; i++) {
    if (!isalnum((unsigned char)s[i]) && s[i] != '-')
      return false;
    alpha = alpha || isalpha((unsigned char)s[i]) || s[i] == '-';
  }
  return alpha && s[start] != '-' && s[n - 1] != '-';
}

static bool parse_terms(struct ctx *c, char *buf, struct record *rec,
                        const char *domain);
static size_t count_terms(const char *rec);

/* The record's terms; false (why set) on any syntax error. */
static bool
parse_record(struct ctx *c, const char *text, struct record *rec,
             const char *domain)
{
  char *buf = strdup(text + 6); /* after "v=spf1" */
  bool ok = buf != NULL && parse_terms(c, buf, rec, domain);
  free(buf);
  return ok;
}

/* The number of terms of a record (an upper bound). */
static size_t
count_terms(const char *rec)
{
  size_t n = 1;
  for (; *rec; rec++)
    n += *rec == ' ';
  return n;
}

/* A modifier (tok, its '=' at eq): redirect= and exp= kept in rec, at
 * most one of each; unknown ones are checked and ignored. */
static bool
parse_modifier(struct ctx *c, const char *tok, const char *eq,
               struct record *rec, const char *domain, bool *seen_exp)
{
  bool redirect = strncasecmp(tok, "redirect=", 9) == 0;
  bool exp = strncasecmp(tok, "exp=", 4) == 0;
  if ((redirect || exp) ? !domain_spec_ok(eq + 1)
                        : !macro_string_ok(eq + 1, false))
    return fail(c, SPF_PERMERROR, "syntax error in '%s' (%s)", tok, domain),
           false;
  if ((redirect || exp) && strlen(eq + 1) >= sizeof(rec->exp))
    return fail(c, SPF_PERMERROR, "'%.40s...' in %s: a domain-spec longer "
                "than %zu characters", tok, domain, sizeof(rec->exp) - 1),
           false;
  if (redirect) {
    if (rec->redirect[0] != '\0')
      return fail(c, SPF_PERMERROR, "a second redirect= in %s", domain),
             false;
    snprintf(rec->redirect, sizeof(rec->redirect), "%s", eq + 1);
  } else if (exp) {
    if (*seen_exp)
      return fail(c, SPF_PERMERROR, "a second exp= in %s", domain), false;
    *seen_exp = true;
    snprintf(rec->exp, sizeof(rec->exp), "%s", eq + 1);
  }
  return true;
}

static bool
parse_terms(struct ctx *c, char *buf, struct record *rec, const char *domain)
{
  bool seen_exp = false;
  struct term *terms = rec->terms;
  size_t *nt = &rec->nt;
  *nt = 0;
  rec->redirect[0] = rec->exp[0] = '\0';
  for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok != NULL;
       tok = strtok_r(NULL, " ", &save)) {
    char *eq = strchr(tok, '='), *colon = strchr(tok, ':');
    size_t nlen = strspn(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                              "QRSTUVWXYZ0123456789-_.");
    if (eq != NULL && (colon == NULL || eq < colon) && tok + nlen == eq &&
        isalpha((unsigned char)tok[0])) {
      if (!parse_modifier(c, tok, eq, rec, domain, &seen_exp))
        return false;
      continue;
    }
    struct term *t = &terms[*nt];
    memset(t, 0, sizeof(*t));
    snprintf(t->text, sizeof(t->text), "%s", tok);
    t->qual = '+';
    if (strchr("+-~?", tok[0])) {
      t->qual = tok[0];
      tok++;
    }
    char name[16];
    size_t mlen = strcspn(tok, ":/");
    if (mlen == 0 || mlen >= sizeof(name))
      return fail(c, SPF_PERMERROR, "unknown mechanism '%s' in %s", t->text,
                  domain), false;
    memcpy(name, tok, mlen);
    name[mlen] = '\0';
    size_t k;
    for (k = 0; k < UTIL_ARRAY_LEN(mechs); k++)
      if (strcasecmp(mechs[k].name, name) == 0)
        break;
    if (k == UTIL_ARRAY_LEN(mechs))
      return fail(c, SPF_PERMERROR, "unknown mechanism '%s' in %s", t->text,
                  domain), false;
    t->m = mechs[k].m;
    char arg[256];
    snprintf(arg, sizeof(arg), "%s", tok + mlen);
    bool has_colon = arg[0] == ':';
    char *a = has_colon ? arg + 1 : arg;
    t->cidr4 = t->cidr6 = -1;
    if (mechs[k].cidr && !parse_cidr(a, t))
      return fail(c, SPF_PERMERROR, "bad CIDR length in '%s' (%s)", t->text,
                  domain), false;
    if ((!has_colon && arg[0] != '\0') || /* only a length after it */
        (has_colon && (!mechs[k].arg_allowed || *a == '\0')) ||
        (!has_colon && mechs[k].arg_required))
      return fail(c, SPF_PERMERROR, "syntax error in '%s' (%s)", t->text,
                  domain), false;
    snprintf(t->arg, sizeof(t->arg), "%s", a);
    if (t->m == M_IP4 || t->m == M_IP6) {
      if (!target_addr_parse(t->arg, &t->ip) ||
          (t->m == M_IP4) != (t->ip.kind == TARGET_IP4))
        return fail(c, SPF_PERMERROR, "bad address in '%s' (%s)", t->text,
                    domain), false;
    } else if (t->arg[0] != '\0' && !domain_spec_ok(t->arg)) {
      return fail(c, SPF_PERMERROR, "syntax error in '%s' (%s)", t->text,
                  domain), false;
    }
    (*nt)++;
  }
  return true;
}

/* ---- evaluation --------------------------------------------------------------- */
static bool
count_lookup(struct ctx *c, const char *what)
{
  if (++c->out->lookups > SPF_MAX_LOOKUPS) {
    fail(c, SPF_PERMERROR, "more than %d DNS lookups (at %s): receivers "
         "treat the record as broken", SPF_MAX_LOOKUPS, what);
    trace(c, "%s: DNS lookup %u: over the limit of %d", what,
          c->out->lookups, SPF_MAX_LOOKUPS);
    return false;
  }
  trace(c, "%s: DNS lookup %u of %d", what, c->out->lookups,
        SPF_MAX_LOOKUPS);
  return true;
}

/* A void lookup: NXDOMAIN or no answer.  false past the limit. */
static bool
count_void(struct ctx *c, const struct dq_answer *a, const char *what)
{
  if (a->status != DQ_NXDOMAIN && a->status != DQ_NODATA)
    return true;
  if (++c->out->voids > SPF_MAX_VOIDS) {
    fail(c, SPF_PERMERROR, "more than %d lookups found nothing (the last: "
         "%s)", SPF_MAX_VOIDS, what);
    trace(c, "%s found nothing: over the limit of %d such lookups", what,
          SPF_MAX_VOIDS);
    return false;
  }
  trace(c, "%s found nothing: %u of %d such lookups allowed", what,
        c->out->voids, SPF_MAX_VOIDS);
  return true;
}

/* The answer a term needs, counted as a void lookup when it is empty
 * (count); NULL with *r set when it is not known yet, failed, or is one
 * void lookup too many. */
static const struct dq_answer *
term_answer(struct ctx *c, const char *name, int type, bool count,
            enum spf_result *r)
{
  const struct dq_answer *a = get(c, name, type);
  if (a == NULL) {
    *r = SPF_NEED;
    return NULL;
  }
  if (a->status == DQ_ERROR) {
    *r = fail(c, SPF_TEMPERROR, "DNS error for %s: %s", name,
              a->error ? a->error : "?");
    return NULL;
  }
  if (count && !count_void(c, a, name)) {
    *r = SPF_PERMERROR;
    return NULL;
  }
  return a;
}

/* 1 match, 0 no match, else the result to return (need, errors). */
static int
match_addrs(struct ctx *c, const char *name, const struct term *t,
            bool count_voids, enum spf_result *r)
{
  int type = c->ip->kind == TARGET_IP4 ? DQ_A : DQ_AAAA;
  const struct dq_answer *a = term_answer(c, name, type, count_voids, r);
  if (a == NULL)
    return -1;
  int bits = c->ip->kind == TARGET_IP4 ? t->cidr4 : t->cidr6;
  for (size_t i = 0; i < a->n; i++)
    if (in_cidr(c->ip, &a->addrs[i], bits))
      return 1;
  return 0;
}

static bool
ends_with_domain(const char *name, const char *dom)
{
  size_t n = strlen(name), d = strlen(dom);
  return strcasecmp(name, dom) == 0 ||
         (n > d && name[n - d - 1] == '.' && strcasecmp(name + n - d, dom) == 0);
}

/* Whether name can be sent as a DNS query (RFC 1035 section 2.3.4):
 * labels of 1 to 63 octets, at most 253 octets without the root dot. */
static bool
query_name_ok(const char *name)
{
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.')
    n--;
  if (n == 0 || n > 253)
    return false;
  for (size_t i = 0; i < n;) {
    size_t len = strcspn(name + i, ".");
    if (i + len > n)
      len = n - i;
    if (len == 0 || len > 63)
      return false;
    i += len + 1;
  }
  return true;
}

/* The name a DNS-querying term asks about, into target: 1 ready, 0 no
 * match (a name no query can carry), -1 with *r set. */
static int
term_target(struct ctx *c, const struct term *t, const char *domain,
            char *target, size_t size, enum spf_result *r)
{
  if (!count_lookup(c, t->text)) {
    *r = SPF_PERMERROR;
    return -1;
  }
  int e = expand(c, t->arg[0] ? t->arg : domain, domain, target, size);
  if (e < 0) {
    *r = SPF_NEED;
    return -1;
  }
  if (e == 0) {
    if (c->out->why[0] == '\0')
      fail(c, SPF_PERMERROR, "'%s' expands to a name too long", t->text);
    *r = SPF_PERMERROR;
    return -1;
  }
  /* A domain-spec may name what no DNS query can carry (an empty label,
   * a label over 63 octets).  RFC 7208 leaves the result open (the
   * suite takes fail or permerror); by analogy with sections 4.3 and
   * 4.6.4 such a name does not exist: no match, and one void lookup.
   * Sent anyway it would come back as a resolver error, a temperror
   * that no retry can clear. */
  if ((t->m == M_A || t->m == M_MX || t->m == M_EXISTS) &&
      !query_name_ok(target)) {
    if (++c->out->voids > SPF_MAX_VOIDS) {
      *r = fail(c, SPF_PERMERROR, "more than %d lookups found nothing "
                "(the last: %.100s, not a valid DNS name)", SPF_MAX_VOIDS,
                target);
      return -1;
    }
    trace(c, "%.100s is not a valid DNS name: no match, %u of %d lookups "
          "that find nothing", target, c->out->voids, SPF_MAX_VOIDS);
    return 0;
  }
  return 1;
}

static int
eval_mx(struct ctx *c, const struct term *t, const char *target,
        enum spf_result *r)
{
  const struct dq_answer *a = term_answer(c, target, DQ_MX, true, r);
  if (a == NULL)
    return -1;
  if (a->n > SPF_MAX_NAMES) {
    *r = fail(c, SPF_PERMERROR, "%s has more than %d MX hosts (%s)", target,
              SPF_MAX_NAMES, t->text);
    return -1;
  }
  for (size_t i = 0; i < a->n; i++) {
    if (a->strs[i][0] == '\0')
      continue; /* null MX */
    int m = match_addrs(c, a->strs[i], t, false, r);
    if (m != 0)
      return m;
  }
  return 0;
}

static int
eval_ptr(struct ctx *c, const struct term *t, const char *target,
         enum spf_result *r)
{
  char rev[128];
  spf_reverse_name(c->ip, rev, sizeof(rev));
  const struct dq_answer *a = get(c, rev, DQ_PTR);
  if (a == NULL) {
    *r = SPF_NEED;
    return -1;
  }
  if (!count_void(c, a, rev)) {
    *r = SPF_PERMERROR;
    return -1;
  }
  if (a->status != DQ_OK)
    return 0; /* errors in ptr are no match (RFC 7208 5.5) */
  struct term any = *t;
  any.cidr4 = any.cidr6 = -1;
  for (size_t i = 0; i < a->n && i < SPF_MAX_NAMES; i++) {
    if (!ends_with_domain(a->strs[i], target))
      continue;
    int m = match_addrs(c, a->strs[i], &any, false, r);
    if (m < 0 && *r == SPF_TEMPERROR)
      continue; /* an unvalidated name */
    if (m != 0)
      return m;
  }
  return 0;
}

static int
eval_include(struct ctx *c, const char *target, enum spf_result *r)
{
  c->depth++;
  c->includes++;
  enum spf_result ir = check_host(c, target);
  c->depth--;
  c->includes--;
  switch (ir) {
  case SPF_PASS: return 1;
  case SPF_FAIL: case SPF_SOFTFAIL: case SPF_NEUTRAL: return 0;
  case SPF_NEED: *r = SPF_NEED; return -1;
  case SPF_TEMPERROR: *r = SPF_TEMPERROR; return -1;
  case SPF_NONE:
    *r = fail(c, SPF_PERMERROR, "include:%s has no SPF record", target);
    return -1;
  default:
    *r = SPF_PERMERROR;
    return -1;
  }
}

/* Does term t match: 1 yes, 0 no, -1 with *r set. */
static int
eval_term(struct ctx *c, const struct term *t, const char *domain,
          enum spf_result *r)
{
  char target[1024];
  if (t->m != M_IP4 && t->m != M_IP6 && t->m != M_ALL) {
    int ready = term_target(c, t, domain, target, sizeof(target), r);
    if (ready <= 0)
      return ready;
  }
  switch (t->m) {
  case M_ALL:
    return 1;
  case M_IP4:
  case M_IP6:
    return in_cidr(c->ip, &t->ip, c->ip->kind == TARGET_IP4 ? t->cidr4
                                                           : t->cidr6);
  case M_A:
    return match_addrs(c, target, t, true, r);
  case M_EXISTS: {
    const struct dq_answer *a = term_answer(c, target, DQ_A, true, r);
    if (a == NULL)
      return -1;
    return a->status == DQ_OK && a->n > 0;
  }
  case M_MX:
    return eval_mx(c, t, target, r);
  case M_PTR:
    return eval_ptr(c, t, target, r);
  case M_INCLUDE:
    return eval_include(c, target, r);
  }
  return 0;
}

static bool
domain_ok(const char *d)
{
  size_t n = strlen(d);
  if (n == 0 || n > 253 || strchr(d, '.') == NULL || d[0] == '.')
    return false;
  for (const char *l = d; *l;) {
    size_t len = strcspn(l, ".");
    if (len == 0 || len > 63)
      return false;
    l += len;
    if (*l == '.')
      l++;
  }
  return true;
}

/* The one SPF record of domain, parsed: SPF_PASS with rec->terms (the
 * caller frees), or what check_host() returns without one (need, DNS
 * error, none, several, a syntax error). */
static enum spf_result
read_record(struct ctx *c, const char *domain, struct record *rec)
{
  rec->terms = NULL;
  const struct dq_answer *a = get(c, domain, DQ_TXT);
  if (a == NULL)
    return SPF_NEED;
  if (a->status == DQ_ERROR)
    return fail(c, SPF_TEMPERROR, "DNS error for %s TXT: %s", domain,
                a->error ? a->error : "?");
  const char *text = NULL;
  size_t nrec = 0;
  for (size_t i = 0; a->status == DQ_OK && i < a->n; i++) {
    const char *s = a->strs[i];
    if (strncasecmp(s, "v=spf1", 6) == 0 && (s[6] == ' ' || s[6] == '\0')) {
      text = s;
      nrec++;
    }
  }
  if (nrec == 0)
    return fail(c, SPF_NONE, "%s has no SPF record", domain);
  if (nrec > 1)
    return fail(c, SPF_PERMERROR, "%s has %zu SPF records (one is allowed)",
                domain, nrec);
  trace(c, "record of %s: %s", domain, text);
  if ((rec->terms = malloc(count_terms(text) * sizeof(*rec->terms))) == NULL)
    return fail(c, SPF_TEMPERROR, "out of memory");
  if (!parse_record(c, text, rec, domain)) {
    free(rec->terms);
    rec->terms = NULL;
    return SPF_PERMERROR;
  }
  return SPF_PASS;
}

/* redirect= of domain's record, after no term matched. */
static enum spf_result
follow_redirect(struct ctx *c, const struct record *rec, const char *domain)
{
  char target[1024];
  if (!count_lookup(c, "redirect"))
    return SPF_PERMERROR;
  int e = expand(c, rec->redirect, domain, target, sizeof(target));
  if (e < 0)
    return SPF_NEED;
  if (e == 0)
    return fail(c, SPF_PERMERROR, "redirect=%s cannot be expanded",
                rec->redirect);
  trace(c, "no term matched: redirect=%s", target);
  c->depth++;
  enum spf_result r = check_host(c, target);
  c->depth--;
  if (r == SPF_NONE)
    return fail(c, SPF_PERMERROR, "redirect=%s: it has no SPF record",
                target);
  return r;
}

/* Term i of rec matched: its qualifier's result.  Outside includes the
 * record's exp= is the one a fail explains itself with (RFC 7208 section
 * 6.2: an include's and a redirecting record's do not count). */
static enum spf_result
matched(struct ctx *c, const struct record *rec, size_t i, const char *domain)
{
  static const struct {
    char q;
    enum spf_result r;
  } quals[] = {{'+', SPF_PASS}, {'-', SPF_FAIL}, {'~', SPF_SOFTFAIL},
               {'?', SPF_NEUTRAL}};
  const struct term *t = &rec->terms[i];
  enum spf_result r = SPF_NEUTRAL;
  for (size_t k = 0; k < UTIL_ARRAY_LEN(quals); k++)
    if (quals[k].q == t->qual)
      r = quals[k].r;
  trace(c, "%s matches: %s", t->text, spf_result_names[r]);
  /* a passing include keeps the why of the term that passed inside it */
  if (t->m != M_INCLUDE || t->qual != '+')
    fail(c, r, "%s in %s", t->text, domain);
  if (c->includes == 0) {
    snprintf(c->exp, sizeof(c->exp), "%s", rec->exp);
    snprintf(c->exp_domain, sizeof(c->exp_domain), "%s", domain);
  }
  return r;
}

static enum spf_result
check_host(struct ctx *c, const char *domain)
{
  trace(c, "check_host(%s)", domain);
  if (!domain_ok(domain))
    return fail(c, SPF_NONE, "'%.100s' is not a domain name", domain);
  struct record rec;
  enum spf_result r = read_record(c, domain, &rec);
  if (r != SPF_PASS)
    return r;
  for (size_t i = 0; i < rec.nt; i++) {
    enum spf_result er = SPF_NEUTRAL;
    int m = eval_term(c, &rec.terms[i], domain, &er);
    if (m < 0) {
      free(rec.terms);
      return er;
    }
    if (m == 1) {
      r = matched(c, &rec, i, domain);
      free(rec.terms);
      return r;
    }
    trace(c, "%s does not match", rec.terms[i].text);
  }
  free(rec.terms);
  if (rec.redirect[0] != '\0')
    return follow_redirect(c, &rec, domain);
  if (c->includes == 0)
    c->exp[0] = '\0';
  return fail(c, SPF_NEUTRAL, "nothing matched in %s (no -all or ~all)",
              domain);
}

/* The explanation of a fail (RFC 7208 section 6.2) into out->exp: the
 * one TXT record of the exp= name, its macros expanded; empty (the
 * receiver's default) when there is no exp=, no such record or more than
 * one, or it is not an explain-string.  false when an answer is not
 * known yet. */
static bool
explain(struct ctx *c)
{
  char name[1024];
  c->out->exp[0] = '\0';
  if (c->exp[0] == '\0')
    return true;
  int e = expand(c, c->exp, c->exp_domain, name, sizeof(name));
  if (e < 0)
    return false;
  if (e == 0 || !query_name_ok(name)) {
    trace(c, "exp=%s names no valid DNS name: the receiver's default "
          "explanation", c->exp);
    return true;
  }
  const struct dq_answer *a = get(c, name, DQ_TXT);
  if (a == NULL)
    return false;
  if (a->status != DQ_OK || a->n != 1 || !macro_string_ok(a->strs[0], true)) {
    trace(c, "exp=%s: %s: the receiver's default explanation", name,
          a->status != DQ_OK ? "no text" : a->n != 1 ? "more than one text"
                                                     : "not an explain-string");
    return true;
  }
  c->explaining = true;
  e = expand(c, a->strs[0], c->exp_domain, c->out->exp, sizeof(c->out->exp));
  c->explaining = false;
  if (e < 0)
    return false;
  if (e == 0) {
    c->out->exp[0] = '\0';
    trace(c, "exp=%s: the text expands to more than %zu characters (or "
          "has a bad macro): the receiver's default explanation", name,
          sizeof(c->out->exp) - 1);
  }
  return true;
}

enum spf_result
spf_eval(const struct spf_query *q, dq_lookup_fn lookup, void *arg,
         struct spf_out *out)
{
  memset(out, 0, sizeof(*out));
  /* RFC 7208 section 5: an IPv4-mapped IPv6 client (::ffff:a.b.c.d) is
   * an IPv4 client: ip4 and A records match it, ip6 and AAAA do not, and
   * %{i}, %{v} and ptr use its IPv4 form. */
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const struct addr *ip = q->ip;
  struct addr v4;
  if (ip->kind == TARGET_IP6 && memcmp(ip->b, mapped, sizeof(mapped)) == 0) {
    memset(&v4, 0, sizeof(v4));
    v4.kind = TARGET_IP4;
    memcpy(v4.b, ip->b + 12, 4);
    ip = &v4;
  }
  struct ctx c = {ip, q->sender, lookup, arg, out, q, 0, 0, false, "", ""};
  if (ip != q->ip)
    trace(&c, "an IPv4-mapped IPv6 address: evaluated as IPv4");
  out->result = check_host(&c, q->domain);
  if (out->result == SPF_FAIL && q->explain) {
    char why[sizeof(out->why)];
    memcpy(why, out->why, sizeof(why));
    if (!explain(&c))
      out->result = SPF_NEED;
    memcpy(out->why, why, sizeof(why));
  }
  return out->result;
}

enum spf_result
spf_check(const struct addr *ip, const char *domain, const char *sender,
          dq_lookup_fn lookup, void *arg, struct spf_out *out)
{
  struct spf_query q = {ip, domain, sender, NULL, NULL, false, NULL, NULL};
  return spf_eval(&q, lookup, arg, out);
}

/* ---- the networks a record authorises (from_spf) ------------------------------ */
struct walk {
  struct ctx c;
  const char *top;                /* the domain asked about */
  struct spf_net *nets;
  size_t max, *n;
  char *notes;
  size_t notes_size;
};

static void
note(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct walk *w, const char *fmt, ...)
{
  size_t o = strlen(w->notes);
  if (o + 8 >= w->notes_size)
    return;
  if (o > 0) {
    snprintf(w->notes + o, w->notes_size - o, "; ");
    o += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->notes + o, w->notes_size - o, fmt, ap);
  va_end(ap);
}

static void
add_net(struct walk *w, const struct addr *a, int bits)
{
  int max = a->kind == TARGET_IP4 ? 32 : 128;
  struct spf_net net = {*a, (unsigned)(bits < 0 || bits > max ? max : bits)};
  for (size_t i = 0; i < *w->n; i++)
    if (w->nets[i].prefix == net.prefix &&
        memcmp(&w->nets[i].a, &net.a, sizeof(net.a)) == 0)
      return;
  if (*w->n < w->max) {
    w->nets[(*w->n)++] = net;
  } else if (!w->c.out->partial || strstr(w->notes, "more than") == NULL) {
    note(w, "more than %zu networks: the rest are not listed", w->max);
    w->c.out->partial = true;
  }
}

static bool
under(const char *name, const char *dom)
{
  return ends_with_domain(name, dom);
}

/* Addresses of name (A and AAAA); -1 with *r set when not known. */
static int
walk_addrs(struct walk *w, const char *name, const struct term *t,
           enum spf_result *r)
{
  static const int types[] = {DQ_A, DQ_AAAA};
  for (size_t k = 0; k < 2; k++) {
    const struct dq_answer *a = get(&w->c, name, types[k]);
    if (a == NULL) {
      *r = SPF_NEED;
      return -1;
    }
    if (a->status == DQ_ERROR) {
      *r = fail(&w->c, SPF_TEMPERROR, "DNS error for %s", name);
      return -1;
    }
    for (size_t i = 0; a->status == DQ_OK && i < a->n; i++)
      add_net(w, &a->addrs[i], types[k] == DQ_A ? t->cidr4 : t->cidr6);
  }
  return 0;
}

/* mx: the addresses of (at most ten) exchangers. */
static enum spf_result
walk_mx(struct walk *w, const char *target, const struct term *t)
{
  struct ctx *c = &w->c;
  enum spf_result r = SPF_PASS;
  if (!count_lookup(c, t->text))
    return SPF_PERMERROR;
  const struct dq_answer *mx = get(c, target, DQ_MX);
  if (mx == NULL)
    return SPF_NEED;
  if (mx->status == DQ_ERROR)
    return fail(c, SPF_TEMPERROR, "DNS error for MX %s: %s", target,
                mx->error ? mx->error : "?");
  for (size_t k = 0; mx->status == DQ_OK && k < mx->n && k < 10 &&
                     r == SPF_PASS; k++)
    if (mx->strs[k][0] != '\0')
      walk_addrs(w, mx->strs[k], t, &r);
  return r;
}

static enum spf_result walk_host(struct walk *w, const char *domain);

/* include: followed under the same organisation only. */
static enum spf_result
walk_include(struct walk *w, const char *target, const struct term *t)
{
  struct ctx *c = &w->c;
  if (!under(target, w->top)) {
    note(w, "include:%s not followed (another organisation's servers)",
         target);
    return SPF_PASS;
  }
  if (!count_lookup(c, t->text))
    return SPF_PERMERROR;
  enum spf_result r = walk_host(w, target);
  if (r == SPF_NONE)
    r = fail(c, SPF_PERMERROR, "include:%s has no SPF record", target);
  return r;
}

static enum spf_result
walk_host(struct walk *w, const char *domain)
{
  struct ctx *c = &w->c;
  struct record rec;
  enum spf_result r = read_record(c, domain, &rec);
  if (r != SPF_PASS)
    return r;
  struct term *terms = rec.terms;
  size_t nt = rec.nt;
  const char *redirect = rec.redirect;
  bool stopped = false;
  for (size_t i = 0; i < nt && r == SPF_PASS; i++) {
    struct term *t = &terms[i];
    if (t->m == M_ALL) { /* nothing after "all" counts, nor redirect */
      if (t->qual == '+') {
        note(w, "+all authorises every address: nothing can be listed");
        c->out->partial = true;
      }
      stopped = true;
      break;
    }
    if (t->qual != '+') {
      if (t->m == M_IP4 || t->m == M_IP6) {
        note(w, "%s is an exception that is not taken out", t->text);
        c->out->partial = true;
      }
      continue; /* only what passes authorises */
    }
    if (strchr(t->arg, '%') != NULL) {
      note(w, "%s (macros) cannot be listed", t->text);
      continue;
    }
    const char *target = t->arg[0] ? t->arg : domain;
    if ((t->m == M_A || t->m == M_MX || t->m == M_INCLUDE) &&
        !query_name_ok(target)) {
      if (t->m == M_INCLUDE) { /* as check_host() would: none, so permerror */
        r = fail(c, SPF_PERMERROR, "include:%.100s is not a domain name",
                 target);
        break;
      }
      note(w, "%s names no valid DNS name: nothing to list", t->text);
      continue;
    }
    switch (t->m) {
    case M_IP4:
    case M_IP6:
      add_net(w, &t->ip, t->m == M_IP4 ? t->cidr4 : t->cidr6);
      break;
    case M_A:
      if (!count_lookup(c, t->text)) {
        r = SPF_PERMERROR;
        break;
      }
      if (walk_addrs(w, target, t, &r) < 0)
        break;
      break;
    case M_MX:
      r = walk_mx(w, target, t);
      break;
    case M_INCLUDE:
      r = walk_include(w, target, t);
      break;
    default:
      note(w, "%s cannot be listed", t->text);
      break;
    }
  }
  free(terms);
  if (r == SPF_PASS && redirect[0] != '\0' && !stopped) {
    if (strchr(redirect, '%') != NULL || !under(redirect, w->top)) {
      note(w, "redirect=%s not followed", redirect);
    } else if (!count_lookup(c, "redirect")) {
      r = SPF_PERMERROR;
    } else {
      r = walk_host(w, redirect);
      if (r == SPF_NONE)
        r = fail(c, SPF_PERMERROR, "redirect=%s has no SPF record", redirect);
    }
  }
  return r;
}

enum spf_result
spf_authorized(const char *domain, dq_lookup_fn lookup, void *arg,
               struct spf_net *nets, size_t max, size_t *n, char *notes,
               size_t notes_size, struct spf_out *out)
{
  static const struct addr none = {TARGET_IP4, {0}};
  memset(out, 0, sizeof(*out));
  *n = 0;
  notes[0] = '\0';
  struct walk w = {{&none, "postmaster", lookup, arg, out, NULL, 0, 0, false,
                    "", ""}, domain, nets, max,
                   n, notes, notes_size};
  out->result = walk_host(&w, domain);
  return out->result;
}
