#include "target.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

bool
target_addr_parse(const char *s, struct addr *out)
{
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, s, out->b) == 1) {
    out->kind = TARGET_IP4;
    return true;
  }
  if (strchr(s, ':') != NULL && inet_pton(AF_INET6, s, out->b) == 1) {
    out->kind = TARGET_IP6;
    return true;
  }
  return false;
}

void
target_addr_str(const struct addr *a, char *buf, size_t size)
{
  if (inet_ntop(a->kind == TARGET_IP4 ? AF_INET : AF_INET6, a->b, buf,
                (socklen_t)size) == NULL && size > 0)
    buf[0] = '\0';
}

bool
target_domain_valid(const char *s)
{
  size_t total = strlen(s), label = 0;
  if (total == 0 || total > 253)
    return false;
  for (const char *p = s;; p++) {
    char c = *p;
    if (c == '.' || c == '\0') {
      if (label == 0 || label > 63)
        return false;
      if (c == '\0')
        return true;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok)
      return false;
    label++;
  }
}

static bool
host_bits_zero(const struct addr *a, unsigned prefix)
{
  unsigned bits = a->kind == TARGET_IP4 ? 32 : 128;
  for (unsigned i = prefix; i < bits; i++)
    if (a->b[i / 8] & (0x80 >> (i % 8)))
      return false;
  return true;
}

/* RFC 5322 atext: what a dot-atom local part is made of. */
static bool
atext(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-",
                                                     c) != NULL);
}

/* A host name (RFC 1123): a DNS name whose labels neither start nor end
 * with a hyphen. */
static bool
hostname_valid(const char *s)
{
  if (!target_domain_valid(s))
    return false;
  for (const char *p = s; *p; p++) {
    bool edge = p == s || p[-1] == '.' || p[1] == '.' || p[1] == '\0';
    if (*p == '-' && edge)
      return false;
  }
  return true;
}

bool
target_email_valid(const char *s)
{
  const char *at = strrchr(s, '@');
  if (at == NULL || at == s || at - s > 64 || strlen(s) >= TARGET_NAME_MAX)
    return false;
  /* dot-atom: atext runs joined by single dots (RFC 5322 3.2.3); quoted
   * local parts are not taken */
  for (const char *p = s; p < at; p++) {
    bool dot_ok = *p == '.' && p > s && p + 1 < at && p[1] != '.';
    if (!atext(*p) && !dot_ok)
      return false;
  }
  return strchr(at + 1, '.') != NULL && hostname_valid(at + 1);
}

static rbl_status
parse_email(const char *s, struct target_spec *out, char *err, size_t errlen)
{
  if (!target_email_valid(s)) {
    snprintf(err, errlen, "'%.64s' is not an e-mail address this can "
             "watch: user@host.example, a local part of at most 64 letters, "
             "digits, dots (not leading, trailing or doubled) and "
             "!#$%%&'*+/=?^_`{|}~-", s);
    return RBL_ESYNTAX;
  }
  /* Hash lists lower-case the whole address before hashing (rspamd's
   * selectors .lower, SpamAssassin HashBL's default): so does the
   * target, which is how it is shown too. */
  out->kind = TARGET_EMAIL;
  for (size_t i = 0; s[i] != '\0'; i++)
    out->domain[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
  return RBL_OK;
}

rbl_status
target_parse(const char *s, struct target_spec *out, char *err, size_t errlen)
{
  memset(out, 0, sizeof(*out));
  char tmp[TARGET_NAME_MAX + 8];
  size_t n = strlen(s);
  if (n == 0 || n >= sizeof(tmp)) {
    snprintf(err, errlen, "'%.64s' is not an IP address, range or domain", s);
    return RBL_ESYNTAX;
  }
  memcpy(tmp, s, n + 1);
  if (strchr(tmp, '@') != NULL)
    return parse_email(tmp, out, err, errlen);

  char *slash = strchr(tmp, '/');
  if (slash != NULL)
    *slash = '\0';
  if (target_addr_parse(tmp, &out->base)) {
    unsigned bits = out->base.kind == TARGET_IP4 ? 32 : 128;
    out->kind = out->base.kind;
    out->prefix = bits;
    if (slash == NULL)
      return RBL_OK;
    uint64_t p;
    if (util_parse_u64(slash + 1, bits, &p) != RBL_OK) {
      snprintf(err, errlen, "'%s': prefix length must be 0-%u", s, bits);
      return RBL_ESYNTAX;
    }
    unsigned min = bits == 32 ? TARGET_IP4_FEED_MIN_PREFIX
                              : TARGET_IP6_FEED_MIN_PREFIX;
    if (p < min) {
      snprintf(err, errlen, "'%s': ranges larger than /%u are not checked "
               "(not even against a data feed); split it into /%u%s", s,
               min, min, bits == 32 ? "s" : "s, or list the networks you "
               "send from");
      return RBL_ECONFIG;
    }
    out->prefix = (unsigned)p;
    if (!host_bits_zero(&out->base, out->prefix)) {
      struct addr net = out->base;
      for (unsigned i = out->prefix; i < bits; i++)
        net.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
      char nb[TARGET_ADDR_MAX];
      target_addr_str(&net, nb, sizeof(nb));
      snprintf(err, errlen, "'%s' has host bits set; did you mean %s/%u?", s,
               nb, out->prefix);
      return RBL_ECONFIG;
    }
    return RBL_OK;
  }
  if (slash != NULL) {
    snprintf(err, errlen, "'%.64s' is not a CIDR range", s);
    return RBL_ESYNTAX;
  }
  if (n > 1 && tmp[n - 1] == '.')
    tmp[--n] = '\0';
  if (!target_domain_valid(tmp)) {
    snprintf(err, errlen, "'%.64s' is not an IP address, range or domain", s);
    return RBL_ESYNTAX;
  }
  /* Host names (RFC 1123): no label starts or ends with a hyphen. */
  if (!hostname_valid(tmp)) {
    snprintf(err, errlen, "'%.64s' is not a valid domain: a label starts "
             "or ends with '-'", s);
    return RBL_ESYNTAX;
  }
  /* All digits and dots but not an address: a typo, not a domain. */
  if (strspn(tmp, "0123456789.") == n) {
    snprintf(err, errlen, "'%.64s' is not a valid IPv4 address", s);
    return RBL_ESYNTAX;
  }
  out->kind = TARGET_DOMAIN;
  for (size_t i = 0; i <= n; i++) {
    char c = tmp[i];
    out->domain[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  return RBL_OK;
}

bool
target_spec_contains(const struct target_spec *t, const struct addr *a)
{
  if (!target_is_ip(t) || t->kind != a->kind)
    return false;
  for (unsigned i = 0; i < t->prefix; i++) {
    uint8_t m = (uint8_t)(0x80 >> (i % 8));
    if ((t->base.b[i / 8] & m) != (a->b[i / 8] & m))
      return false;
  }
  return true;
}

const char *
target_wide_why(enum target_kind kind)
{
  return kind == TARGET_IP4
    ? "ranges larger than /16 (65,536 addresses) are not checked address "
      "by address over DNS (public lists allow about 100,000 queries a "
      "day), and no list read from a data feed takes IPv4: configure one "
      "under lists.feeds (rblmon.yaml(5)), or list the /16s you send from"
    : "ranges larger than /112 (65,536 addresses) are not checked address "
      "by address over DNS, and no list read from a data feed takes IPv6: "
      "configure one under lists.feeds (rblmon.yaml(5)), or list the IPv6 "
      "addresses you send from";
}

bool
target_dns_checkable(const struct target_spec *t)
{
  if (!target_is_ip(t))
    return true;
  return t->prefix >= (t->kind == TARGET_IP4 ? TARGET_IP4_MIN_PREFIX
                                             : TARGET_IP6_MIN_PREFIX);
}

uint64_t
target_count(const struct target_spec *t)
{
  if (!target_is_ip(t))
    return 1;
  unsigned bits = t->kind == TARGET_IP4 ? 32 : 128;
  unsigned host = bits - t->prefix;
  return host >= 63 ? UINT64_MAX : (uint64_t)1 << host;
}

void
target_iter_init(struct target_iter *it, const struct target_spec *t)
{
  it->spec = t;
  it->next = 0;
  it->count = target_count(t);
}

bool
target_iter_next(struct target_iter *it, struct addr *out)
{
  if (!target_is_ip(it->spec) || it->next >= it->count)
    return false;
  *out = it->spec->base;
  /* Add the offset to the low bytes (host part); prefixes are bounded so
   * the offset fits in the last 8 bytes. */
  unsigned len = out->kind == TARGET_IP4 ? 4 : 16;
  uint64_t carry = it->next;
  for (unsigned i = len; i-- > 0 && carry != 0;) {
    uint64_t v = out->b[i] + (carry & 0xff);
    out->b[i] = (uint8_t)v;
    carry = (carry >> 8) + (v >> 8);
  }
  it->next++;
  return true;
}

void
target_spec_str(const struct target_spec *t, char *buf, size_t size)
{
  if (!target_is_ip(t)) {
    snprintf(buf, size, "%s", t->domain);
    return;
  }
  char a[TARGET_ADDR_MAX];
  target_addr_str(&t->base, a, sizeof(a));
  unsigned bits = t->kind == TARGET_IP4 ? 32 : 128;
  if (t->prefix == bits)
    snprintf(buf, size, "%s", a);
  else
    snprintf(buf, size, "%s/%u", a, t->prefix);
}

rbl_status
target_qname_addr(const struct addr *a, const char *zone, char *buf,
                  size_t size)
{
  static const char hex[] = "0123456789abcdef";
  char tmp[80];
  size_t o = 0;
  if (a->kind == TARGET_IP4) {
    o = (size_t)snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", a->b[3], a->b[2],
                         a->b[1], a->b[0]);
  } else {
    for (int i = 15; i >= 0; i--) {
      tmp[o++] = hex[a->b[i] & 0xf];
      tmp[o++] = '.';
      tmp[o++] = hex[a->b[i] >> 4];
      tmp[o++] = i ? '.' : '\0';
    }
    o--;
  }
  size_t zl = strlen(zone);
  if (o + 1 + zl > 253 || o + 1 + zl + 1 > size)
    return RBL_ETOOBIG;
  memcpy(buf, tmp, o);
  buf[o] = '.';
  memcpy(buf + o + 1, zone, zl + 1);
  return RBL_OK;
}

rbl_status
target_qname_domain(const char *domain, const char *zone, char *buf,
                    size_t size)
{
  size_t dl = strlen(domain), zl = strlen(zone);
  if (dl + 1 + zl > 253 || dl + 1 + zl + 1 > size)
    return RBL_ETOOBIG;
  memcpy(buf, domain, dl);
  buf[dl] = '.';
  memcpy(buf + dl + 1, zone, zl + 1);
  return RBL_OK;
}
