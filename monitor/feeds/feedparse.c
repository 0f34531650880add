/* feedparse.c - rbldnsd's data formats, and plain lists (feedparse.h). */
#include "feedparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define A_DEFAULT 0x7f000002u     /* 127.0.0.2: rbldnsd's, and RFC 5782's */

static bool
is_space(char c)
{
  return c == ' ' || c == '\t';
}

static bool
is_comment(char c)
{
  return c == '#' || c == ';';
}

static char *
skip_space(char *s)
{
  while (is_space(*s))
    s++;
  return s;
}

static const char *
skip_cspace(const char *s)
{
  while (is_space(*s))
    s++;
  return s;
}

static void
bad(struct feedparse *p, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

static void
bad(struct feedparse *p, const char *fmt, ...)
{
  p->bad++;
  if (p->nwarn >= FEEDPARSE_WARN_MAX)
    return;
  char what[120];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  /* it may quote the file: escaped here, as it goes into messages that
   * reach terminals and notifications as composed text */
  struct sbuf e;
  sbuf_init(&e, 512);
  util_escape(&e, what, strlen(what));
  snprintf(p->warn[p->nwarn++], sizeof(p->warn[0]), "%llu: %.100s%s",
           (unsigned long long)p->lines, sbuf_str(&e),
           p->cr ? " (ends in CR: a DOS file? dos2unix)" : "");
  sbuf_free(&e);
}

/* rbldnsd's tries keep the first entry of a prefix; its sets every
 * value. */
static void
set_order(struct feedparse *p)
{
  if (p->format == FEED_FORMAT_PLAIN || p->type == FEED_IP4TRIE)
    p->fd->first_wins4 = true;
  if (p->format == FEED_FORMAT_PLAIN || p->type == FEED_IP6TRIE)
    p->fd->first_wins6 = true;
}

void
feedparse_init(struct feedparse *p, struct feed_data *fd,
               enum feed_format format, enum feed_type type,
               const char *dataset)
{
  memset(p, 0, sizeof(*p));
  p->fd = fd;
  p->format = format;
  p->file_type = p->type = type;
  p->dataset = dataset;
  p->in_dataset = type != FEED_COMBINED;
  p->def_a = A_DEFAULT;
  set_order(p);
}

/* ---- values ---------------------------------------------------------------- */
/* Whose $n and $= the lines now have (an IPv6 file's are its own). */
static unsigned
value_set(const struct feedparse *p)
{
  return p->type == FEED_IP6TRIE || p->type == FEED_IP6TSET ? FEED_SET_6
                                                             : FEED_SET_4;
}

/* An A value as rbldnsd reads it (inet_aton's folding, decimal only):
 * "2" is 127.0.0.2, "a.b" a.0.0.b, "a.b.c" a.b.0.c.  A zero is none, and
 * rbldnsd tests it before it adds 127/8: ":0" is refused, not
 * 127.0.0.0. */
static bool
parse_a(const char *s, size_t n, uint32_t *a)
{
  uint32_t part[4];
  unsigned k = 0;
  size_t i = 0;
  while (k < 4) {
    uint32_t v = 0;
    size_t d = 0;                 /* leading zeros are fine: "0127" */
    for (; i < n && s[i] >= '0' && s[i] <= '9' && v <= 255; i++, d++)
      v = v * 10 + (uint32_t)(s[i] - '0');
    if (d == 0 || v > 255)
      return false;
    part[k++] = v;
    if (i == n)
      break;
    if (s[i++] != '.')
      return false;
  }
  if (i != n)
    return false;
  uint32_t any = 0;
  for (unsigned j = 0; j < k; j++)
    any |= part[j];
  if (any == 0)
    return false;
  switch (k) {
  case 1: *a = 0x7f000000u | part[0]; break;
  case 2: *a = part[0] << 24 | part[1]; break;
  case 3: *a = part[0] << 24 | part[1] << 16 | part[2]; break;
  default: *a = part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3];
  }
  return true;
}

/* ":A[ :TXT]" at s: the A value, and the TXT when a second colon gives
 * one (*txt NULL and *has_txt false when it does not: the default's). */
static bool
parse_a_txt(struct feedparse *p, const char *s, uint32_t *a,
            const char **txt, size_t *txtlen, bool *has_txt)
{
  const char *e = s + 1;
  while ((*e >= '0' && *e <= '9') || *e == '.') /* the A */
    e++;
  size_t alen = (size_t)(e - s - 1);
  const char *rest = skip_cspace(e);
  if (!parse_a(s + 1, alen, a)) {
    bad(p, "invalid A value '%.*s'", (int)(alen > 32 ? 32 : alen), s + 1);
    return false;
  }
  *has_txt = *rest == ':';
  if (*rest != ':' && *rest != '\0') {
    bad(p, "unrecognized text after the A value (a TXT follows a second "
        "colon: ':2:text')");
    return false;
  }
  *txt = NULL;
  *txtlen = 0;
  if (*has_txt) {
    *txt = skip_cspace(rest + 1);
    *txtlen = strlen(*txt);
  }
  return true;
}

/* The value of an entry (s at its ':' or at its TXT): its index in
 * p->fd. */
static bool
parse_value(struct feedparse *p, const char *s, uint32_t *val)
{
  uint32_t a = p->def_a;
  const char *txt = p->def_txt;
  size_t txtlen = p->def_txtlen;
  if (*s == ':') {
    const char *t;
    size_t tn;
    bool has;
    if (!parse_a_txt(p, s, &a, &t, &tn, &has))
      return false;
    if (has) {                    /* a second colon: this TXT, maybe none */
      txt = tn ? t : NULL;
      txtlen = tn;
    }
  } else {
    txt = s;
    txtlen = strlen(s);
  }
  if (txtlen > 255)
    txtlen = 255;
  if (!feed_data_value(p->fd, value_set(p), a, txt, txtlen, val)) {
    p->oom = true;
    return false;
  }
  return true;
}

/* The one value of an ip4tset or ip6tset (0: out of memory). */
static uint32_t
tset_value(struct feedparse *p)
{
  if (p->tset_val == 0 &&
      !feed_data_value(p->fd, value_set(p), A_DEFAULT, NULL, 0,
                       &p->tset_val))
    p->oom = true;
  return p->tset_val;
}

/* The value of an entry whose text after the address is s. */
static bool
entry_value(struct feedparse *p, const char *s, bool excluded,
            uint32_t *val)
{
  if (excluded) {
    *val = 0;
    return true;
  }
  s = skip_cspace(s);
  if (p->type == FEED_IP4TSET || p->type == FEED_IP6TSET) {
    *val = tset_value(p);
    return *val != 0;
  }
  if (*s == '\0' || is_comment(*s) || p->format == FEED_FORMAT_PLAIN) {
    if (p->def_val == 0 &&
        !feed_data_value(p->fd, value_set(p), p->def_a, p->def_txt,
                         p->def_txtlen, &p->def_val)) {
      p->oom = true;
      return false;
    }
    *val = p->def_val;
    return true;
  }
  return parse_value(p, s, val);
}

/* A ":A:TXT" line: the default of the entries after it.  An A alone
 * has no TXT: rbldnsd fills a default line's missing TXT from its
 * built-in default (none), not from the default before it, as it does
 * for an entry's ":A".  ip4tset and ip6tset take the first one in the
 * file for every entry, wherever it stands. */
static bool
default_line(struct feedparse *p, char *s)
{
  uint32_t a;
  const char *t;
  size_t tn;
  bool has;
  if (!parse_a_txt(p, s, &a, &t, &tn, &has))
    return true;
  if (p->type == FEED_IP4TSET || p->type == FEED_IP6TSET) {
    if (p->tset_set)
      return true;
    p->tset_set = true;
    uint32_t i = tset_value(p);   /* first: it may move fd->values */
    if (i == 0)
      return false;
    struct feed_value *v = &p->fd->values[i];
    v->a = a;
    if (has && tn > 0 &&
        (v->txt = arena_strndup(&p->fd->arena, t, tn > 255 ? 255 : tn)) ==
          NULL)
      return !(p->oom = true);
    return true;
  }
  p->def_a = a;
  p->def_txt = NULL;
  p->def_txtlen = 0;
  if (has && tn > 0) {
    p->def_txtlen = tn > 255 ? 255 : tn;
    if ((p->def_txt = arena_strndup(&p->fd->arena, t, p->def_txtlen)) == NULL)
      return !(p->oom = true);
  }
  p->def_val = 0;
  return true;
}

/* ---- addresses --------------------------------------------------------- */
/* The end of an entry's first word: rbldnsd stops at a space, a comment
 * or the ':' of a value. */
static bool
word_end_ok(const char *s)
{
  return *s == '\0' || is_space(*s) || is_comment(*s) || *s == ':';
}

/* Up to four dotted octets; *n: how many. */
static bool
octets(const char **sp, uint32_t *out, unsigned *n)
{
  const char *s = *sp;
  uint32_t a = 0;
  unsigned k = 0;
  for (;;) {
    if (*s < '0' || *s > '9')
      return false;
    unsigned v = 0;               /* any number of digits: "0010" is 10 */
    for (; *s >= '0' && *s <= '9'; s++)
      if ((v = v * 10 + (unsigned)(*s - '0')) > 255)
        return false;
    a = a << 8 | v;
    k++;
    if (*s != '.' || k == 4 || s[1] < '0' || s[1] > '9')
      break;
    s++;
  }
  *out = a << (8 * (4 - k));
  *n = k;
  *sp = s;
  return true;
}

static bool
number(const char **sp, unsigned max, unsigned *out)
{
  const char *s = *sp;
  uint64_t v = 0;
  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++)
    if ((v = v * 10 + (unsigned)(*s - '0')) > max)
      return false;
  *out = (unsigned)v;
  *sp = s;
  return true;
}

static uint32_t
ones(unsigned octets_given)
{
  return octets_given >= 4 ? 0 : (uint32_t)((1ull << (8 * (4 - octets_given))) - 1);
}

/* A CIDR suffix "/len" after the network a: false when the length is
 * bad or the address has host bits set (rbldnsd refuses both). */
static bool
cidr_suffix(const char **sp, uint32_t a, unsigned min, unsigned *len)
{
  (*sp)++;
  if (!number(sp, 32, len) || *len < min)
    return false;
  uint32_t mask = *len ? ~0u << (32 - *len) : 0;
  return (a & ~mask) == 0;
}

/* An IPv4 range as ip4set takes it (ip4parse.c, ip4range): a.b.c.d, a.b.c
 * (a prefix), a/8, a.b.c.d/len, a.b.c.d-a.b.c.e, a.b.c.d-e, a.b-c.  Not a
 * bare number, not /0, no host bits. */
static bool
range4(const char **sp, uint32_t *lo, uint32_t *hi)
{
  uint32_t a, b;
  unsigned n, m, len;
  if (!octets(sp, &a, &n))
    return false;
  if (**sp == '/') {
    if (!cidr_suffix(sp, a, 1, &len))
      return false;
    *lo = a;
    *hi = a | (len == 32 ? 0 : ~0u >> len);
    return true;
  }
  if (**sp != '-') {
    *lo = a;
    *hi = a | ones(n);
    return n > 1;
  }
  (*sp)++;
  if (!octets(sp, &b, &m))
    return false;
  if (m == 1 && n > 1) {          /* a suffix: 127.16-31 */
    unsigned shift = 8 * (4 - n);
    b = (a & ~(uint32_t)((0xffull << shift) | ones(n))) | (b >> 24) << shift;
    m = n;
  }
  if (m != n)
    return false;
  b |= ones(m);
  if (b < a)
    return false;
  *lo = a;
  *hi = b;
  return true;
}

/* An IPv4 CIDR (ip4trie, plain; ip4parse.c, ip4cidr): a.b.c.d/len,
 * a.b.c/len, a.b.c (a /24), an address (/32); 0/0 is everything. */
static bool
cidr4(const char **sp, uint32_t *addr, unsigned *plen)
{
  unsigned n;
  if (!octets(sp, addr, &n))
    return false;
  if (**sp == '/')
    return cidr_suffix(sp, *addr, 0, plen);
  *plen = 8 * n;
  return n > 1;
}

static int
hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* An IPv6 address or prefix as rbldnsd's ip6prefix reads it: up to
 * eight groups, 16 bits a group ("2001:db8:1:2" is a /64); a "::" makes
 * it a whole address (/128), the zeros where the "::" is.  It stops after
 * the eighth group, so "a:b:c:d:e:f:g:h:7" is an address and the rest
 * (":7") a value; with a "::", where a group fails (a second "::", a
 * ":::1"). */
static bool
prefix6(const char **sp, feed_u128 *addr, unsigned *plen)
{
  const char *s = *sp;
  uint16_t g[8];
  unsigned n = 0;
  int zstart = -1;                /* the group where the "::" is */
  bool whole = false;
  if (s[0] == ':' && s[1] == ':') {
    zstart = 0;
    s += 2;
  }
  for (;;) {
    const char *start = s;
    unsigned v = 0;
    int h;
    while ((h = hex_digit(*s)) >= 0 && (v = v << 4 | (unsigned)h) <= 0xffff)
      s++;
    if (s == start || v > 0xffff)
      break;                      /* no group here */
    g[n++] = (uint16_t)v;
    if (*s != ':' || n == 8) {
      whole = true;
      break;
    }
    s++;
    if (zstart < 0 && *s == ':') {
      zstart = (int)n;
      s++;
    }
  }
  if (zstart >= 0 ? n == 8 : !whole)
    return false;                 /* no room for the "::", or no group */
  /* the groups after a "::" go to the end; without one, the zeros */
  unsigned head = zstart >= 0 ? (unsigned)zstart : n;
  uint16_t out[8] = {0};
  memcpy(out, g, head * sizeof(g[0]));
  memcpy(out + 8 - (n - head), g + head, (n - head) * sizeof(g[0]));
  feed_u128 x = 0;
  for (unsigned i = 0; i < 8; i++)
    x = x << 16 | out[i];
  *addr = x;
  *plen = zstart >= 0 ? 128 : 16 * n;
  *sp = s;
  return true;
}

/* An IPv6 CIDR (ip6trie, plain; rbldnsd's ip6cidr): a prefix as above
 * and "/len"; a single group needs the length ("2001/16"), and the host
 * bits must be zero. */
static bool
cidr6(const char **sp, feed_u128 *addr, unsigned *plen)
{
  const char *s = *sp;
  if (!prefix6(&s, addr, plen))
    return false;
  if (*s == '/') {
    s++;
    if (!number(&s, 128, plen))
      return false;
  } else if (*plen == 16) {
    return false;
  }
  feed_u128 host = *plen == 0 ? ~(feed_u128)0
                   : *plen >= 128 ? 0 : ~(feed_u128)0 >> *plen;
  if ((*addr & host) != 0)
    return false;                 /* host bits set */
  *sp = s;
  return true;
}

/* ip4set's expansion of a range into /32, /24, /16 and /8 blocks, each
 * octet class its own (rbldnsd_ip4set.c, ip4range_expand). */
static bool
blocks4(struct feed_data *fd, unsigned idx, uint32_t start, uint32_t count,
        uint32_t val)
{
  uint32_t step = 1u << (8 * idx);
  for (uint32_t i = 0; i < count; i++, start += step)
    if (!feed_data_add4(fd, start, 32 - 8 * idx, val))
      return false;
  return true;
}

static bool
expand4(struct feed_data *fd, uint32_t a, uint32_t b, uint32_t val)
{
  for (unsigned idx = 0; idx < 3; idx++) {
    unsigned bits = 8 * idx;
    if ((a | 255u) >= b) {
      if (b - a == 255u)
        return blocks4(fd, idx + 1, a << bits, 1, val);
      return blocks4(fd, idx, a << bits, b - a + 1, val);
    }
    if (a & 255u) {
      if (!blocks4(fd, idx, a << bits, 256u - (a & 255u), val))
        return false;
      a = (a >> 8) + 1;
    } else {
      a >>= 8;
    }
    if ((b & 255u) != 255u) {
      if (!blocks4(fd, idx, (b & ~255u) << bits, (b & 255u) + 1, val))
        return false;
      b = (b >> 8) - 1;
    } else {
      b >>= 8;
    }
  }
  return blocks4(fd, 3, a << 24, b - a + 1, val);
}

/* ---- entries, by dataset type ---------------------------------------------- */
static void
note_oom(struct feedparse *p, bool ok)
{
  if (!ok)
    p->oom = true;
}

/* $MAXRANGE4: an entry of more addresses is skipped, exclusions too
 * (said). */
static bool
over_maxrange4(struct feedparse *p, uint64_t addresses)
{
  if (p->maxrange4 == 0 || addresses <= p->maxrange4)
    return false;
  bad(p, "range larger than $MAXRANGE4");
  return true;
}

static void
line_ip4set(struct feedparse *p, char *s, bool excluded)
{
  const char *e = s;
  uint32_t lo, hi, val;
  if (!range4(&e, &lo, &hi) || !word_end_ok(e)) {
    bad(p, "invalid address or range");
    return;
  }
  if (over_maxrange4(p, (uint64_t)hi - lo + 1))
    return;
  if (entry_value(p, e, excluded, &val))
    note_oom(p, expand4(p->fd, lo, hi, val));
}

static void
line_ip4trie(struct feedparse *p, char *s, bool excluded)
{
  const char *e = s;
  uint32_t addr, val;
  unsigned plen;
  if (!cidr4(&e, &addr, &plen) || !word_end_ok(e)) {
    bad(p, "invalid address or CIDR range");
    return;
  }
  if (over_maxrange4(p, 1ull << (32 - plen)))
    return;
  if (entry_value(p, e, excluded, &val))
    note_oom(p, feed_data_add4(p->fd, addr, plen, val));
}

static void
line_ip4tset(struct feedparse *p, char *s, bool excluded)
{
  const char *e = s;
  uint32_t addr, val;
  unsigned n;
  /* rbldnsd's ip4tset has no exclusions: "!a.b.c.d" is a bad line */
  if (excluded || !octets(&e, &addr, &n) || n != 4 || !word_end_ok(e)) {
    bad(p, "invalid address (an ip4tset holds single addresses, and no "
        "exclusions)");
    return;
  }
  if (entry_value(p, e, excluded, &val))
    note_oom(p, feed_data_add4(p->fd, addr, 32, val));
}

static void
line_ip6(struct feedparse *p, char *s, bool excluded)
{
  const char *e = s;
  feed_u128 addr;
  unsigned plen;
  uint32_t val;
  /* an ip6tset takes no "/len" (rbldnsd's ip6prefix) */
  bool ok = p->type == FEED_IP6TSET ? prefix6(&e, &addr, &plen)
                                    : cidr6(&e, &addr, &plen);
  if (!ok || !word_end_ok(e)) {
    bad(p, "invalid IPv6 address or prefix");
    return;
  }
  if (p->type == FEED_IP6TSET && !(excluded ? plen == 128 : plen == 64)) {
    bad(p, excluded ? "an ip6tset excludes single addresses"
                    : "an ip6tset lists /64s, as four groups");
    return;
  }
  if (entry_value(p, e, excluded, &val))
    note_oom(p, feed_data_add6(p->fd, addr, plen, val));
}

/* Byte c of a name as rbldnsd's dns_dntop prints it (the '$' of a
 * dnset's TXT): zone-file specials escaped, other bytes outside the
 * printable ones as \DDD. */
static size_t
name_byte(unsigned c, char *out)
{
  if (c != 0 && strchr("\".;\\@$", (int)c) != NULL) {
    out[0] = '\\';
    out[1] = (char)c;
    return 2;
  }
  if (c <= 0x20 || c >= 0x7f)
    return (size_t)snprintf(out, 5, "\\%03u", c);
  out[0] = (char)c;
  return 1;
}

/* The name s (n bytes) as rbldnsd's dns_ptodn and dns_dntol read it:
 * empty labels skipped ("a..b" is a.b, a trailing dot goes), \c and
 * \DDD escapes, labels of at most 63 bytes and 255 in the wire form;
 * lowercased.  Written to out (NAME_OUT_MAX) as dns_dntop prints it:
 * a byte no query holds (an escaped dot) stays escaped there, so it
 * never matches, as in rbldnsd. */
#define NAME_OUT_MAX (255 * 4 + 1)
static bool
parse_name(const char *s, size_t n, char *out, size_t *outlen)
{
  size_t w = 0, pos = 1, label = 0;  /* pos: in the wire form */
  for (size_t i = 0; i < n; i++) {
    unsigned c = (unsigned char)s[i];
    if (c == '.') {
      if (label > 63)
        return false;
      pos += label > 0;           /* the next label's length byte */
      label = 0;
      continue;
    }
    if (c == '\\') {
      if (++i == n)
        break;                    /* a backslash at the end is dropped */
      c = (unsigned char)s[i];
      if (c >= '0' && c <= '9') {
        c -= '0';
        for (int d = 0; d < 2 && i + 1 < n && s[i + 1] >= '0' &&
                        s[i + 1] <= '9'; d++)
          c = c * 10 + (unsigned)(s[++i] - '0');
        if (c > 255)
          return false;
      }
    }
    if (pos >= 254)
      return false;               /* longer than 255 bytes */
    pos++;
    if (label++ == 0 && w > 0)
      out[w++] = '.';
    if (c >= 'A' && c <= 'Z')
      c += 'a' - 'A';
    w += name_byte(c, out + w);
  }
  out[w] = '\0';
  *outlen = w;
  return label <= 63 && w > 0;
}

static void
line_dnset(struct feedparse *p, char *s, bool excluded)
{
  unsigned flags = FEED_NAME_EXACT;
  if (s[0] == '*' && s[1] == '.') {
    flags = FEED_NAME_WILD;
    s += 2;
  } else if (s[0] == '.') {
    flags = FEED_NAME_EXACT | FEED_NAME_WILD;
    s++;
  }
  /* rbldnsd's name runs to the first blank ("a.example:2:x" is one
   * name); a plain list's stops at its comment too */
  char *e = s;
  while (*e != '\0' && !is_space(*e) &&
         !(p->format == FEED_FORMAT_PLAIN && is_comment(*e)))
    e++;
  char name[NAME_OUT_MAX];
  size_t n;
  if (!parse_name(s, (size_t)(e - s), name, &n)) {
    bad(p, "invalid domain name");
    return;
  }
  uint32_t val;
  if (!entry_value(p, e, excluded, &val))
    return;
  for (unsigned f = FEED_NAME_EXACT; f <= FEED_NAME_WILD; f <<= 1)
    if (flags & f)
      note_oom(p, feed_data_add_name(p->fd, name, n, f, val));
}

/* A plain list: an address, a CIDR range (or, for a domain list, a
 * name), and a comment. */
static void
line_plain(struct feedparse *p, char *s, bool excluded)
{
  const char *e = s;
  uint32_t a4, val = 0;
  unsigned plen;
  feed_u128 a6;
  if (cidr4(&e, &a4, &plen) && word_end_ok(e)) {
    if (entry_value(p, e, excluded, &val))
      note_oom(p, feed_data_add4(p->fd, a4, plen, val));
    return;
  }
  e = s;
  if (strchr(s, ':') != NULL && cidr6(&e, &a6, &plen) && word_end_ok(e)) {
    if (entry_value(p, e, excluded, &val))
      note_oom(p, feed_data_add6(p->fd, a6, plen, val));
    return;
  }
  /* names only for a domain list: on an IP list a line that is no
   * address is a bad line, not a name that lists nothing */
  if (p->type == FEED_DNSET)
    line_dnset(p, s, excluded);
  else
    bad(p, "invalid address or CIDR range");
}

typedef void (*line_fn)(struct feedparse *p, char *s, bool excluded);

static const line_fn line_fns[FEED_TYPE_N] = {
  [FEED_IP4SET] = line_ip4set,   [FEED_IP4TSET] = line_ip4tset,
  [FEED_IP4TRIE] = line_ip4trie, [FEED_IP6TRIE] = line_ip6,
  [FEED_IP6TSET] = line_ip6,     [FEED_DNSET] = line_dnset,
  [FEED_COMBINED] = NULL,
};

/* ---- specials ------------------------------------------------------------ */
static bool
set_text(struct feedparse *p, const char **slot, const char *s)
{
  if ((*slot = arena_strdup(&p->fd->arena, s)) == NULL)
    p->oom = true;
  return *slot != NULL;
}

/* Whether the subzone z (n bytes) of a $DATASET line is the dataset
 * wanted: a DNS name, so as rbldnsd reads it (any case, a trailing dot,
 * escapes), or written the same. */
static bool
subzone_is(const struct feedparse *p, const char *z, size_t n)
{
  if (strlen(p->dataset) == n && strncmp(z, p->dataset, n) == 0)
    return true;
  char a[NAME_OUT_MAX], b[NAME_OUT_MAX];
  size_t an, bn;
  return parse_name(z, n, a, &an) &&
         parse_name(p->dataset, strlen(p->dataset), b, &bn) &&
         strcmp(a, b) == 0;
}

/* $DATASET type[:name] subzone...: the section of a combined file. */
static void
dataset_line(struct feedparse *p, char *s)
{
  /* a comment starts at a '#' or ';' after a blank (rbldnsd's
   * ds_combined_newset): "s4#x" is a subzone */
  for (char *c = s; *c; c++)
    if (is_comment(*c) && (c == s || is_space(c[-1]))) {
      *c = '\0';
      break;
    }
  char *e = s;
  while (*e && !is_space(*e) && *e != ':')
    e++;
  size_t tn = (size_t)(e - s);
  char *name = NULL, *nend = e;
  if (*e == ':') {
    name = e + 1;
    for (nend = name; *nend && !is_space(*nend); nend++)
      ;
  }
  int t = -1;
  for (int i = 0; i < FEED_COMBINED; i++)
    if (strlen(feed_type_names[i]) == tn &&
        strncmp(feed_type_names[i], s, tn) == 0)
      t = i;
  bool want = name != NULL && strlen(p->dataset) == (size_t)(nend - name) &&
              strncmp(name, p->dataset, (size_t)(nend - name)) == 0;
  for (char *z = skip_space(nend); *z && !want; z = skip_space(z)) {
    char *ze = z;
    while (*ze && !is_space(*ze))
      ze++;
    want = subzone_is(p, z, (size_t)(ze - z));
    z = ze;
  }
  p->in_dataset = false;
  p->seen_section = true;
  if (!want)
    return;
  if (t < 0) {
    bad(p, "dataset '%s' is of a type rblmon does not read (%.*s)",
        p->dataset, (int)(tn > 16 ? 16 : tn), s);
    return;
  }
  p->in_dataset = p->saw_dataset = true;
  p->type = (enum feed_type)t;
  set_order(p);
  p->def_a = A_DEFAULT;
  p->def_txt = NULL;
  p->def_txtlen = 0;
  p->def_val = 0;
}

/* Whether the n-byte keyword kw is word, any case (rbldnsd's
 * firstword_lc). */
static bool
keyword_is(const char *kw, size_t n, const char *word)
{
  if (strlen(word) != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = kw[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

static void
maxrange4_line(struct feedparse *p, const char *a)
{
  unsigned v;
  bool cidr = *a == '/';
  if (cidr)
    a++;
  if (!number(&a, cidr ? 32 : 0xffffffffu, &v) || (cidr && v == 0)) {
    bad(p, "invalid $MAXRANGE4");
    return;
  }
  uint64_t r = cidr ? 1ull << (32 - v) : v;
  if (p->maxrange4 == 0 || r < p->maxrange4) /* can only shrink */
    p->maxrange4 = r;
}

static void
special_line(struct feedparse *p, char *s)
{
  char *kw = s;
  while (*s && !is_space(*s))
    s++;
  size_t kn = (size_t)(s - kw);
  char *arg = skip_space(s);
  if (kn == 0 || *arg == '\0') { /* rbldnsd wants a blank and a value */
    bad(p, "invalid or unrecognized special entry");
    return;
  }
  if (keyword_is(kw, kn, "dataset")) {
    if (p->file_type == FEED_COMBINED)
      dataset_line(p, arg);
    return;
  }
  /* $MAXRANGE4 lives in rbldnsd's load context: every later section of a
   * combined file, read or not, has it */
  if (keyword_is(kw, kn, "maxrange4")) {
    maxrange4_line(p, arg);
    return;
  }
  /* a combined file's common section gives its $n and $= to every
   * section (copied when the section starts), of either family */
  bool common = p->file_type == FEED_COMBINED && !p->seen_section;
  if (!p->in_dataset && !common)
    return;
  for (unsigned set = 0; set < FEED_SETS; set++) {
    if (!common && set != value_set(p))
      continue;
    /* the first $n and $= of a dataset count */
    const char **slot = NULL;
    if (kn == 1 && kw[0] >= '0' && kw[0] <= '9')
      slot = &p->fd->subst[set][kw[0] - '0'];
    else if (kn == 1 && kw[0] == '=')
      slot = &p->fd->base[set];
    if (slot != NULL && *slot == NULL)
      set_text(p, slot, arg);
  }
  /* $SOA, $NS, $TTL, $TIMESTAMP: the zone's, not the data's */
}

bool
feedparse_line(struct feedparse *p, char *s, size_t n)
{
  p->lines++;
  while (n > 0 && (s[n - 1] == '\n' || is_space(s[n - 1])))
    s[--n] = '\0';
  /* rbldnsd keeps a CR: "1.2.3.4\r" is a bad address, a TXT ends in it */
  p->cr = n > 0 && s[n - 1] == '\r';
  s = skip_space(s);
  if ((s[0] == '#' || s[0] == ';' || s[0] == ':') && s[1] == '$')
    s++;
  if (s[0] == '$' && p->format == FEED_FORMAT_RBLDNSD) {
    special_line(p, s + 1);
    return !p->oom;
  }
  if (*s == '\0' || is_comment(*s))
    return !p->oom;
  if (p->file_type == FEED_COMBINED && !p->seen_section) {
    if (p->fatal == NULL)
      p->fatal = "a line before the first $DATASET line (rbldnsd refuses "
                 "such a file)";
    return !p->oom;
  }
  if (!p->in_dataset)
    return !p->oom;
  /* in an ip6trie, "::1" is an address (rbldnsd's ip6tset and the
   * others read it as a bad default line) */
  if (*s == ':' && p->format == FEED_FORMAT_RBLDNSD &&
      !(p->type == FEED_IP6TRIE && s[1] == ':')) {
    default_line(p, s);
    return !p->oom;
  }
  bool excluded = *s == '!';
  if (excluded)
    s = skip_space(s + 1);
  if (p->format == FEED_FORMAT_PLAIN)
    line_plain(p, s, excluded);
  else
    line_fns[p->type](p, s, excluded);
  return !p->oom;
}
