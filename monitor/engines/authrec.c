#define _GNU_SOURCE /* strcasestr */
#include "authrec.h"

#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ---- generic PTR names ---------------------------------------------------- */
/* Words access providers put in the names of customer addresses. */
static const char *const generic_words[] = {
  "dyn", "dynamic", "dynip", "dhcp", "pool", "dsl", "adsl", "vdsl", "xdsl",
  "cable", "ppp", "pppoe", "dial", "dialup", "dialin", "broadband",
  "residential", "cust", "customer", "cpe", "ftth", "unassigned",
  "noreverse", "reverse", NULL};

static bool
token_is_word(const char *tok, size_t n)
{
  for (size_t i = 0; generic_words[i] != NULL; i++)
    if (strlen(generic_words[i]) == n &&
        strncasecmp(tok, generic_words[i], n) == 0)
      return true;
  return false;
}

/* The labels that are the provider's domain: two, or three under a
 * second level such as co.uk, com.au, ne.jp. */
static size_t
domain_labels(const char *name)
{
  const char *last = strrchr(name, '.');
  if (last == NULL || strlen(last + 1) != 2)
    return 2;
  const char *p = last;
  while (p > name && p[-1] != '.')
    p--;
  size_t sl = (size_t)(last - p);
  static const char *const second[] = {"co", "com", "net", "org", "ac",
                                       "gov", "ne", "or", "edu", NULL};
  for (size_t i = 0; second[i]; i++)
    if (sl == strlen(second[i]) && strncasecmp(p, second[i], sl) == 0)
      return 3;
  return 2;
}

bool
authrec_ptr_generic(const char *name, const struct addr *a)
{
  if (strchr(name, '.') == NULL)
    return true; /* a bare name is no mail server's name */
  /* only the host part: the provider's own domain may say anything */
  char host[256];
  snprintf(host, sizeof(host), "%s", name);
  for (size_t i = domain_labels(name); i > 0; i--) {
    char *dot = strrchr(host, '.');
    if (dot == NULL) {
      host[0] = '\0';
      break;
    }
    *dot = '\0';
  }
  if (strcasestr(host, "in-addr") != NULL)
    return true;
  /* words, as whole tokens or followed by digits (dyn123, pool-...) */
  for (const char *p = host; *p;) {
    size_t n = strcspn(p, ".-_");
    size_t alpha = 0;
    while (alpha < n && isalpha((unsigned char)p[alpha]))
      alpha++;
    if (alpha > 0 && token_is_word(p, alpha) &&
        (alpha == n || isdigit((unsigned char)p[alpha])))
      return true;
    p += n;
    if (*p)
      p++;
  }
  if (a->kind != TARGET_IP4)
    return false;
  /* the address in the name: three octets in a row, in its order or
   * reversed (192-0-2-10, 10.2.0.192, host-0-2-10), or its hex or
   * zero-padded form */
  unsigned nums[32];
  size_t nn = 0;
  for (const char *p = host; *p && nn < 32;) {
    if (!isdigit((unsigned char)*p)) {
      p++;
      continue;
    }
    unsigned v = 0;
    size_t len = 0;
    while (isdigit((unsigned char)p[len]) && len < 4)
      v = v * 10 + (unsigned)(p[len++] - '0');
    if (isdigit((unsigned char)p[len])) { /* a longer run */
      while (isdigit((unsigned char)p[len]))
        len++;
      v = 1000;
    }
    nums[nn++] = v;
    p += len;
  }
  for (size_t i = 0; i + 3 <= nn; i++)
    for (int k = 0; k + 3 <= 4; k++) {
      bool fwd = nums[i] == a->b[k] && nums[i + 1] == a->b[k + 1] &&
                 nums[i + 2] == a->b[k + 2];
      bool rev = nums[i] == a->b[3 - k] && nums[i + 1] == a->b[2 - k] &&
                 nums[i + 2] == a->b[1 - k];
      if (fwd || rev)
        return true;
    }
  char hex[9], pad[13];
  snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", a->b[0], a->b[1], a->b[2],
           a->b[3]);
  snprintf(pad, sizeof(pad), "%03u%03u%03u%03u", a->b[0], a->b[1], a->b[2],
           a->b[3]);
  return strcasestr(host, hex) != NULL || strstr(host, pad) != NULL;
}

/* ---- tag=value lists ---------------------------------------------------------- */
struct tag {
  char name[16];
  char value[2048];
};

/* Splits "a=1; b = 2;" into tags; false on a tag without '=' or a
 * duplicate. */
static bool
tags(const char *txt, struct tag *out, size_t max, size_t *n, bool strict,
     char *err, size_t errlen)
{
  *n = 0;
  const char *p = txt;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ';')
      p++;
    if (!*p)
      break;
    size_t len = strcspn(p, ";");
    const char *eq = memchr(p, '=', len);
    if (eq == NULL) { /* a broken tag is ignored (RFC 7489 6.3) */
      p += len;
      continue;
    }
    if (*n == max) {
      snprintf(err, errlen, "too many tags");
      return false;
    }
    struct tag *t = &out[*n];
    size_t nl = (size_t)(eq - p);
    while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
      nl--;
    snprintf(t->name, sizeof(t->name), "%.*s", (int)nl, p);
    const char *v = eq + 1;
    size_t vl = len - (size_t)(v - p);
    while (vl > 0 && (*v == ' ' || *v == '\t'))
      v++, vl--;
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
      vl--;
    snprintf(t->value, sizeof(t->value), "%.*s", (int)vl, v);
    bool dup = false;
    for (size_t i = 0; i < *n; i++)
      dup = dup || strcasecmp(out[i].name, t->name) == 0;
    if (dup && strict) {
      snprintf(err, errlen, "tag %s appears twice", t->name);
      return false;
    }
    if (!dup) /* DMARC: the first one counts */
      (*n)++;
    p += len;
  }
  return true;
}

static const char *
tag_value(const struct tag *t, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(t[i].name, name) == 0)
      return t[i].value;
  return NULL;
}

/* ---- DMARC ------------------------------------------------------------------- */
static bool
policy_ok(const char *v)
{
  return strcasecmp(v, "none") == 0 || strcasecmp(v, "quarantine") == 0 ||
         strcasecmp(v, "reject") == 0;
}

/* Whether a rua= list holds at least one syntactically valid URI (RFC 7489
 * 6.6.3 step 6 asks no more): a scheme (RFC 3986 3.1) and something after
 * its ':'.  Whether a receiver would send there is another question. */
static bool
rua_has_uri(const char *uris)
{
  for (const char *u = uris; *u;) {
    while (*u == ' ' || *u == '\t' || *u == ',')
      u++;
    size_t len = strcspn(u, ",");
    size_t s = 0;
    if (len > 0 && isalpha((unsigned char)u[0]))
      while (s < len && (isalnum((unsigned char)u[s]) || u[s] == '+' ||
                         u[s] == '-' || u[s] == '.'))
        s++;
    if (s > 0 && s + 1 < len && u[s] == ':' && u[s + 1] != ' ' &&
        u[s + 1] != '\t')
      return true;
    u += len;
  }
  return false;
}

/* Notes a tag whose value was discarded for its default (RFC 7489 6.3). */
static void
discard(struct dmarc_rec *o, const char *name, const char *v, const char *def)
{
  size_t n = strlen(o->ignored);
  snprintf(o->ignored + n, sizeof(o->ignored) - n, "%s%s=%.20s (taken as %s)",
           n ? ", " : "", name, v, def);
}

bool
authrec_dmarc(const char *txt, struct dmarc_rec *o)
{
  struct tag *t = calloc(32, sizeof(*t));
  size_t n;
  bool ok = false;
  memset(o, 0, sizeof(*o));
  o->adkim = o->aspf = 'r';
  o->pct = 100;
  if (t == NULL) {
    snprintf(o->error, sizeof(o->error), "out of memory");
    return false;
  }
  /* RFC 7489 6.3: DMARC uses DKIM's tag-value syntax, where a duplicated
   * tag makes the whole list invalid (RFC 6376 3.2) */
  if (!authrec_is_dmarc(txt) ||
      !tags(txt, t, 32, &n, true, o->error, sizeof(o->error)) ||
      n == 0 || strcasecmp(t[0].name, "v") != 0 ||
      strcmp(t[0].value, "DMARC1") != 0) {
    if (o->error[0] == '\0')
      snprintf(o->error, sizeof(o->error), "the record must start with "
               "v=DMARC1");
    goto done;
  }
  const char *p = tag_value(t, n, "p");
  const char *sp = tag_value(t, n, "sp");
  bool p_bad = p == NULL || !policy_ok(p), sp_bad = sp != NULL && !policy_ok(sp);
  if (p_bad || sp_bad) {
    /* RFC 7489 6.6.3 step 6: no valid p=, or an sp= that is not valid:
     * with a valid rua= URI, act as if the record were "v=DMARC1; p=none"
     * (so sp is none too); without one, no DMARC processing at all */
    const char *rua = tag_value(t, n, "rua");
    if (rua == NULL || !rua_has_uri(rua)) {
      if (sp_bad && !p_bad)
        snprintf(o->error, sizeof(o->error), "sp=%.20s is not none, "
                 "quarantine or reject, and no rua= to fall back on", sp);
      else if (p != NULL)
        snprintf(o->error, sizeof(o->error), "p=%.20s is not none, "
                 "quarantine or reject, and no rua= to fall back on", p);
      else
        snprintf(o->error, sizeof(o->error), "p= (the policy) is missing, "
                 "and no rua= to fall back on");
      goto done;
    }
    o->p_defaulted = true;
    snprintf(o->p, sizeof(o->p), "none");
    snprintf(o->sp, sizeof(o->sp), "none");
  } else {
    snprintf(o->p, sizeof(o->p), "%.15s", p);
    snprintf(o->sp, sizeof(o->sp), "%.15s", sp ? sp : p);
    for (char *c = o->p; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    for (char *c = o->sp; *c; c++)
      *c = (char)tolower((unsigned char)*c);
  }
  /* RFC 7489 6.3: "Syntax errors in the remainder of the record SHOULD be
   * discarded in favor of default values": a broken adkim, aspf or pct
   * leaves the record valid with r, r, 100, and is noted in ignored */
  static const struct {
    const char *name;
    size_t off;
  } align[] = {{"adkim", offsetof(struct dmarc_rec, adkim)},
               {"aspf", offsetof(struct dmarc_rec, aspf)}};
  for (size_t i = 0; i < UTIL_ARRAY_LEN(align); i++) {
    const char *v = tag_value(t, n, align[i].name);
    if (v == NULL)
      continue;
    if (strcasecmp(v, "r") != 0 && strcasecmp(v, "s") != 0)
      discard(o, align[i].name, v, "r");
    else
      *((char *)o + align[i].off) = (char)tolower((unsigned char)v[0]);
  }
  const char *pct = tag_value(t, n, "pct");
  if (pct != NULL) {
    uint64_t v;
    if (util_parse_u64(pct, 100, &v) != RBL_OK)
      discard(o, "pct", pct, "100");
    else
      o->pct = (unsigned)v;
  }
  static const struct {
    const char *name;
    size_t off;
  } uris[] = {{"rua", offsetof(struct dmarc_rec, rua)},
              {"ruf", offsetof(struct dmarc_rec, ruf)}};
  for (size_t i = 0; i < UTIL_ARRAY_LEN(uris); i++) {
    const char *v = tag_value(t, n, uris[i].name);
    if (v == NULL)
      continue;
    snprintf((char *)o + uris[i].off, 512, "%.511s", v);
  }
  ok = true;
done:
  free(t);
  return ok;
}

int
authrec_dmarc_domains(const char *uris, char doms[][256], size_t max)
{
  int n = 0;
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", uris);
  for (char *save = NULL, *u = strtok_r(buf, ",", &save); u != NULL;
       u = strtok_r(NULL, ",", &save)) {
    while (*u == ' ')
      u++;
    const char *at = strchr(u, '@');
    if (strncasecmp(u, "mailto:", 7) != 0 || at == NULL)
      continue; /* receivers send to mailto: only; others are ignored */
    size_t len = strcspn(at + 1, "! ");
    if ((size_t)n < max)
      snprintf(doms[n++], 256, "%.*s", (int)len, at + 1);
  }
  return n;
}

bool
authrec_is_dmarc(const char *txt)
{
  while (*txt == ' ' || *txt == '\t')
    txt++;
  /* RFC 7489 6.4: "v" is an ABNF string, case-insensitive (RFC 5234
   * 2.3; 6.3's DKIM syntax would make it case-sensitive: we follow the
   * grammar, as RFC 9989 does); "DMARC1" is written in %x codes,
   * case-sensitive */
  if (*txt != 'v' && *txt != 'V')
    return false;
  txt++;
  while (*txt == ' ' || *txt == '\t')
    txt++;
  if (*txt++ != '=')
    return false;
  while (*txt == ' ' || *txt == '\t')
    txt++;
  if (strncmp(txt, "DMARC1", 6) != 0)
    return false;
  txt += 6;
  while (*txt == ' ' || *txt == '\t')
    txt++;
  return *txt == ';' || *txt == '\0';
}

/* ---- DKIM ---------------------------------------------------------------------- */
/* One DER element: tag, content start and length; false when malformed. */
static bool
der(const unsigned char *p, size_t len, size_t *off, unsigned char *tag,
    const unsigned char **content, size_t *clen)
{
  if (*off + 2 > len)
    return false;
  *tag = p[(*off)++];
  size_t l = p[(*off)++];
  if (l & 0x80) {
    size_t nb = l & 0x7f;
    if (nb == 0 || nb > 4 || *off + nb > len)
      return false;
    l = 0;
    while (nb--)
      l = (l << 8) | p[(*off)++];
  }
  if (l > len - *off)
    return false;
  *content = p + *off;
  *clen = l;
  *off += l;
  return true;
}

static unsigned
integer_bits(const unsigned char *p, size_t n)
{
  while (n > 0 && *p == 0)
    p++, n--;
  if (n == 0)
    return 0;
  unsigned bits = (unsigned)(n * 8), top = *p;
  while (!(top & 0x80)) {
    top <<= 1;
    bits--;
  }
  return bits;
}

/* The modulus size of an RSA key: SubjectPublicKeyInfo (as RFC 6376
 * says) or a bare RSAPublicKey (as some publish). 0 when malformed. */
static unsigned
rsa_bits(const unsigned char *key, size_t len)
{
  size_t off = 0, o2 = 0;
  unsigned char tag;
  const unsigned char *c, *c2;
  size_t cl, cl2;
  if (!der(key, len, &off, &tag, &c, &cl) || tag != 0x30)
    return 0;
  if (!der(c, cl, &o2, &tag, &c2, &cl2))
    return 0;
  if (tag == 0x02) /* RSAPublicKey: the first integer is the modulus */
    return integer_bits(c2, cl2);
  if (tag != 0x30)
    return 0;
  /* AlgorithmIdentifier, then BIT STRING { 0 unused bits, RSAPublicKey } */
  static const unsigned char rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                          0x01, 0x01, 0x01};
  size_t o3 = 0;
  const unsigned char *oid;
  size_t oidl;
  if (!der(c2, cl2, &o3, &tag, &oid, &oidl) || tag != 0x06 ||
      oidl != sizeof(rsa_oid) || memcmp(oid, rsa_oid, oidl) != 0)
    return 0;
  if (!der(c, cl, &o2, &tag, &c2, &cl2) || tag != 0x03 || cl2 < 1 ||
      c2[0] != 0)
    return 0;
  size_t o4 = 0;
  const unsigned char *seq;
  size_t seql;
  if (!der(c2 + 1, cl2 - 1, &o4, &tag, &seq, &seql) || tag != 0x30)
    return 0;
  size_t o5 = 0;
  const unsigned char *mod;
  size_t modl;
  if (!der(seq, seql, &o5, &tag, &mod, &modl) || tag != 0x02)
    return 0;
  return integer_bits(mod, modl);
}

bool
authrec_dkim(const char *txt, struct dkim_rec *o)
{
  struct tag *t = calloc(32, sizeof(*t));
  size_t n;
  bool ok = false;
  memset(o, 0, sizeof(*o));
  snprintf(o->k, sizeof(o->k), "rsa");
  if (t == NULL) {
    snprintf(o->error, sizeof(o->error), "out of memory");
    return false;
  }
  if (!tags(txt, t, 32, &n, true, o->error, sizeof(o->error)))
    goto done;
  const char *v = tag_value(t, n, "v");
  if (v != NULL && (strcmp(t[0].name, "v") != 0 || strcmp(v, "DKIM1") != 0)) {
    snprintf(o->error, sizeof(o->error), "v= must be DKIM1 and come first");
    goto done;
  }
  /* k=: rsa (RFC 6376 3.6.1) and ed25519 (RFC 8463) are the key types
   * receivers verify with; any other is read, and judged, not refused */
  const char *k = tag_value(t, n, "k");
  if (k != NULL) {
    o->k_unknown = strcasecmp(k, "rsa") != 0 && strcasecmp(k, "ed25519") != 0;
    snprintf(o->k, sizeof(o->k), "%.15s", k);
  }
  /* h=: a colon-separated list of hashes; without sha256 only sha1 is
   * left, which verifiers must not accept (RFC 8301 3.1) */
  const char *h = tag_value(t, n, "h");
  if (h != NULL) {
    snprintf(o->h, sizeof(o->h), "%.31s", h);
    bool sha256 = false;
    for (const char *q = h; *q;) {
      while (*q == ' ' || *q == '\t' || *q == ':')
        q++;
      size_t len = strcspn(q, ": \t");
      sha256 = sha256 || (len == 6 && strncasecmp(q, "sha256", 6) == 0);
      q += len;
    }
    o->sha1_only = !sha256;
  }
  const char *fl = tag_value(t, n, "t");
  if (fl != NULL)
    for (const char *q = fl; *q; q++)
      if ((*q == 'y' || *q == 'Y') && (q == fl || q[-1] == ':' || q[-1] == ' ') &&
          (q[1] == '\0' || q[1] == ':' || q[1] == ' '))
        o->testing = true;
  const char *p = tag_value(t, n, "p");
  if (p == NULL) {
    snprintf(o->error, sizeof(o->error), "p= (the public key) is missing");
    goto done;
  }
  char b64[2048];
  size_t bl = 0;
  for (const char *q = p; *q && bl + 1 < sizeof(b64); q++)
    if (!isspace((unsigned char)*q))
      b64[bl++] = *q;
  b64[bl] = '\0';
  if (bl == 0) {
    o->revoked = true;
    ok = true;
    goto done;
  }
  if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789+/=") != bl || bl % 4 != 0) {
    snprintf(o->error, sizeof(o->error), "p= is not base64");
    goto done;
  }
  if (o->k_unknown) { /* a key of a type we cannot measure either */
    ok = true;
    goto done;
  }
  gsize klen = 0;
  guchar *key = g_base64_decode(b64, &klen);
  if (strcasecmp(o->k, "ed25519") == 0) {
    o->bits = klen == 32 ? 256 : 0;
    if (o->bits == 0)
      snprintf(o->error, sizeof(o->error), "an ed25519 key is 32 bytes, not "
               "%zu", (size_t)klen);
  } else {
    o->bits = key != NULL ? rsa_bits(key, klen) : 0;
    if (o->bits == 0)
      snprintf(o->error, sizeof(o->error), "p= is not an RSA public key");
  }
  g_free(key);
  ok = o->bits > 0;
done:
  free(t);
  return ok;
}

/* RFC 8301 3.2: verifiers must not accept signatures by RSA keys under
 * 1024 bits; 3.1: nor rsa-sha1 signatures. */
static bool
key_usable(const struct dkim_rec *k)
{
  return !k->revoked && !k->sha1_only && !k->k_unknown &&
         (strcasecmp(k->k, "rsa") != 0 || k->bits >= 1024);
}

/* The finding of one valid key record, worst first. */
static enum dkim_finding
key_finding(const struct dkim_rec *k)
{
  bool rsa = strcasecmp(k->k, "rsa") == 0;
  return k->revoked ? DKIM_REVOKED
         : k->k_unknown ? DKIM_KEYTYPE
         : rsa && k->bits < 1024 ? DKIM_WEAK
         : k->sha1_only ? DKIM_SHA1
         : rsa && k->bits < 2048 ? DKIM_SHORT
         : k->testing ? DKIM_TESTING : DKIM_FINE;
}

void
authrec_dkim_judge(const char *const *strs, size_t n,
                   struct dkim_judgement *out)
{
  memset(out, 0, sizeof(*out));
  const char *rec = NULL;
  size_t nrec = 0;
  struct dkim_rec k;
  for (size_t j = 0; j < n; j++) {
    if (strstr(strs[j], "p=") != NULL || strstr(strs[j], "v=DKIM1")) {
      rec = strs[j];
      nrec++;
    }
    out->usable = out->usable || (authrec_dkim(strs[j], &k) &&
                                  key_usable(&k));
  }
  if (rec == NULL) {
    out->finding = DKIM_MISSING;
    snprintf(out->what, sizeof(out->what), "no key record");
  } else if (nrec > 1) {
    out->finding = DKIM_MULTIPLE;
    snprintf(out->what, sizeof(out->what), "more than one key record");
  } else if (!authrec_dkim(rec, &k)) {
    out->finding = DKIM_INVALID;
    snprintf(out->what, sizeof(out->what), "invalid: %.140s", k.error);
  } else if (k.revoked) {
    out->finding = DKIM_REVOKED;
    snprintf(out->what, sizeof(out->what), "revoked%s",
             k.testing ? ", t=y" : "");
  } else if (k.k_unknown) {
    out->finding = DKIM_KEYTYPE;
    snprintf(out->what, sizeof(out->what), "k=%s, a key type receivers do "
             "not know%s", k.k, k.testing ? ", t=y" : "");
  } else {
    out->finding = key_finding(&k);
    snprintf(out->what, sizeof(out->what), "%s %u bits%s%s%s", k.k, k.bits,
             k.sha1_only ? ", h=" : "", k.sha1_only ? k.h : "",
             k.testing ? ", t=y" : "");
  }
}
