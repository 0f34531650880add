/* feeddata.c - a data feed in memory (see feeddata.h). */
#include "feeddata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLEN_SHIFT FEED_VAL_BITS
#define VAL_OF(pv) ((pv) & FEED_VAL_MAX)
#define PLEN_OF(pv) ((unsigned)((pv) >> PLEN_SHIFT))

void
feed_data_init(struct feed_data *fd)
{
  memset(fd, 0, sizeof(*fd));
}

void
feed_data_free(struct feed_data *fd)
{
  if (fd == NULL)
    return;
  arena_free(&fd->arena);
  free(fd->values);
  free(fd->b4);
  free(fd->b6);
  free(fd->names);
  free(fd->text);
  memset(fd, 0, sizeof(*fd));
}

/* Grows *p (of *cap elements of size) to hold one more; false on
 * overflow or out of memory. */
static bool
grow(void *pp, size_t *cap, size_t n, size_t size)
{
  if (n < *cap)
    return true;
  size_t c = *cap ? *cap * 2 : 1024;
  if (c > SIZE_MAX / size)
    return false;
  void *q = realloc(*(void **)pp, c * size);
  if (q == NULL)
    return false;
  *(void **)pp = q;
  *cap = c;
  return true;
}

bool
feed_data_value(struct feed_data *fd, unsigned set, uint32_t a,
                const char *txt, size_t txtlen, uint32_t *index)
{
  *index = 0;
  if (fd->nvalues == 0) { /* [0]: the exclusion */
    if (!grow(&fd->values, &fd->capvalues, 0, sizeof(*fd->values)))
      return false;
    fd->values[fd->nvalues++] = (struct feed_value){0, 0, NULL};
  }
  if (fd->nvalues > FEED_VAL_MAX ||
      !grow(&fd->values, &fd->capvalues, fd->nvalues, sizeof(*fd->values)))
    return false;
  const char *t = NULL;
  if (txt != NULL && (t = arena_strndup(&fd->arena, txt, txtlen)) == NULL)
    return false;
  *index = (uint32_t)fd->nvalues;
  fd->values[fd->nvalues++] =
    (struct feed_value){a, set < FEED_SETS ? set : FEED_SET_4, t};
  return true;
}

bool
feed_data_add4(struct feed_data *fd, uint32_t addr, unsigned plen,
               uint32_t val)
{
  if (plen > 32 || val > FEED_VAL_MAX ||
      !grow(&fd->b4, &fd->cap4, fd->n4, sizeof(*fd->b4)))
    return false;
  uint32_t mask = plen ? ~0u << (32 - plen) : 0;
  fd->b4[fd->n4++] = (struct feed_block4){addr & mask,
                                          (uint32_t)plen << PLEN_SHIFT | val};
  fd->plens4 |= 1ull << plen;
  return true;
}

static feed_u128
mask128(unsigned plen)
{
  return plen == 0 ? 0 : ~(feed_u128)0 << (128 - plen);
}

bool
feed_data_add6(struct feed_data *fd, feed_u128 addr, unsigned plen,
               uint32_t val)
{
  if (plen > 128 || val > FEED_VAL_MAX ||
      !grow(&fd->b6, &fd->cap6, fd->n6, sizeof(*fd->b6)))
    return false;
  fd->b6[fd->n6++] = (struct feed_block6){addr & mask128(plen),
                                          (uint32_t)plen << PLEN_SHIFT | val};
  if (plen < 128)
    fd->plens6_lo |= (feed_u128)1 << plen;
  else
    fd->plens6_hi = 1;
  return true;
}

bool
feed_data_add_name(struct feed_data *fd, const char *name, size_t n,
                   unsigned flags, uint32_t val)
{
  if (val > FEED_VAL_MAX || fd->ntext + n + 1 > UINT32_MAX ||
      !grow(&fd->names, &fd->capnames, fd->nnames, sizeof(*fd->names)))
    return false;
  while (fd->ntext + n + 1 > fd->captext) {
    size_t c = fd->captext ? fd->captext * 2 : 65536;
    char *q = realloc(fd->text, c);
    if (q == NULL)
      return false;
    fd->text = q;
    fd->captext = c;
  }
  uint32_t off = (uint32_t)fd->ntext;
  memcpy(fd->text + off, name, n);
  fd->text[off + n] = '\0';
  fd->ntext += n + 1;
  uint32_t head = 0;
  for (size_t i = 0; i < 4; i++)
    head = head << 8 | (i < n ? (unsigned char)name[i] : 0);
  fd->names[fd->nnames++] = (struct feed_name){off, flags << PLEN_SHIFT | val,
                                               head};
  return true;
}

/* ---- sorting ------------------------------------------------------------ */
typedef int (*cmp_fn)(const void *a, const void *b, const void *ctx);

static int
cmp4(const void *x, const void *y, const void *ctx)
{
  const struct feed_block4 *a = x, *b = y;
  uint32_t m = *(const uint32_t *)ctx; /* what of plen_val counts */
  uint64_t ka = (uint64_t)a->addr << 32 | (a->plen_val & m);
  uint64_t kb = (uint64_t)b->addr << 32 | (b->plen_val & m);
  return ka < kb ? -1 : ka > kb;
}

static int
cmp6(const void *x, const void *y, const void *ctx)
{
  const struct feed_block6 *a = x, *b = y;
  uint32_t m = *(const uint32_t *)ctx;
  if (a->addr != b->addr)
    return a->addr < b->addr ? -1 : 1;
  uint32_t pa = a->plen_val & m, pb = b->plen_val & m;
  return pa < pb ? -1 : pa > pb;
}

static int
cmpname(const void *x, const void *y, const void *ctx)
{
  const struct feed_name *a = x, *b = y;
  const char *text = ctx;
  if (a->head != b->head)
    return a->head < b->head ? -1 : 1;
  int c = strcmp(text + a->name, text + b->name);
  if (c != 0)
    return c;
  return a->flags_val < b->flags_val ? -1 : a->flags_val > b->flags_val;
}

/* A stable merge sort (rbldnsd's tries keep the first of two equal
 * prefixes: file order must survive the sort); false when out of
 * memory. */
static bool
msort(void *base, size_t n, size_t size, cmp_fn cmp, const void *ctx)
{
  char *a = base, *tmp = n > 1 ? malloc(n * size) : NULL;
  if (n > 1 && tmp == NULL)
    return false;
  char *src = a, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        if (cmp(src + j * size, src + i * size, ctx) < 0)
          memcpy(dst + k++ * size, src + j++ * size, size);
        else
          memcpy(dst + k++ * size, src + i++ * size, size);
      memcpy(dst + k * size, src + i * size, (mid - i) * size);
      k += mid - i;
      memcpy(dst + k * size, src + j * size, (hi - j) * size);
    }
    char *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    memcpy(a, src, n * size);
  free(tmp);
  return true;
}

/* Whether base (n of size) is in order already (feeds often are). */
static bool
in_order(const void *base, size_t n, size_t size, cmp_fn cmp,
         const void *ctx)
{
  const char *p = base;
  for (size_t i = 1; i < n; i++)
    if (cmp(p + (i - 1) * size, p + i * size, ctx) > 0)
      return false;
  return true;
}

/* Drops the elements equal to the one before (rbldnsd's REMOVE_DUPS;
 * with the value left out of the comparison, the first of a prefix
 * stays); the new count. */
static size_t
unique(void *base, size_t n, size_t size, cmp_fn cmp, const void *ctx)
{
  char *p = base;
  size_t w = n ? 1 : 0;
  for (size_t i = 1; i < n; i++)
    if (cmp(p + (w - 1) * size, p + i * size, ctx) != 0)
      memmove(p + w++ * size, p + i * size, size);
  return w;
}

/* Sorts base unless it is in order, then unique(); SIZE_MAX when out of
 * memory. */
static size_t
sort_unique(void *base, size_t n, size_t size, cmp_fn cmp, const void *ctx)
{
  if (!in_order(base, n, size, cmp, ctx) &&
      !msort(base, n, size, cmp, ctx))
    return SIZE_MAX;
  return unique(base, n, size, cmp, ctx);
}

#define RADIX 65536

static uint64_t
key4(const struct feed_block4 *b, uint32_t mask)
{
  return (uint64_t)b->addr << 32 | (b->plen_val & mask);
}

/* An LSD radix sort of IPv4 blocks on (address, prefix[, value]), 16
 * bits a pass: millions of blocks in a few passes, where a comparison
 * sort spent most of a feed's load; stable, so a trie's first entry of a
 * prefix stays first.  A pass where every key has the same digit (the
 * value, left out) is skipped.  false when out of memory. */
static bool
radix4(struct feed_block4 *b, size_t n, uint32_t mask)
{
  struct feed_block4 *tmp = malloc(n * sizeof(*tmp));
  size_t *count = malloc(RADIX * sizeof(*count));
  bool ok = tmp != NULL && count != NULL;
  struct feed_block4 *src = b, *dst = tmp;
  for (unsigned shift = 0; ok && shift < 64; shift += 16) {
    memset(count, 0, RADIX * sizeof(*count));
    for (size_t i = 0; i < n; i++)
      count[(key4(&src[i], mask) >> shift) & (RADIX - 1)]++;
    if (count[(key4(&src[0], mask) >> shift) & (RADIX - 1)] == n)
      continue;
    size_t at = 0;
    for (size_t d = 0; d < RADIX; d++) {
      size_t c = count[d];
      count[d] = at;
      at += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[count[(key4(&src[i], mask) >> shift) & (RADIX - 1)]++] = src[i];
    struct feed_block4 *t = src;
    src = dst;
    dst = t;
  }
  if (ok && src != b)
    memcpy(b, src, n * sizeof(*b));
  free(tmp);
  free(count);
  return ok;
}

/* Gives back what the doubling left unused. */
static void
shrink(void *pp, size_t *cap, size_t n, size_t size)
{
  if (n == 0 || n >= *cap)
    return;
  void *q = realloc(*(void **)pp, n * size);
  if (q != NULL) {
    *(void **)pp = q;
    *cap = n;
  }
}

bool
feed_data_finish(struct feed_data *fd)
{
  static const uint32_t all = ~0u, plen_only = ~(uint32_t)FEED_VAL_MAX;
  const uint32_t *m4 = fd->first_wins4 ? &plen_only : &all;
  /* the doubling's slack goes before the sort's buffer comes */
  shrink(&fd->b4, &fd->cap4, fd->n4, sizeof(*fd->b4));
  shrink(&fd->b6, &fd->cap6, fd->n6, sizeof(*fd->b6));
  shrink(&fd->names, &fd->capnames, fd->nnames, sizeof(*fd->names));
  /* the blocks the trie rule keeps (or every value), sorted */
  bool ok4 = in_order(fd->b4, fd->n4, sizeof(*fd->b4), cmp4, m4) ||
             radix4(fd->b4, fd->n4, *m4);
  size_t n4 = ok4 ? unique(fd->b4, fd->n4, sizeof(*fd->b4), cmp4, m4)
                  : SIZE_MAX;
  size_t n6 = sort_unique(fd->b6, fd->n6, sizeof(*fd->b6), cmp6,
                          fd->first_wins6 ? &plen_only : &all);
  size_t nn = sort_unique(fd->names, fd->nnames, sizeof(*fd->names),
                          cmpname, fd->text);
  if (n4 == SIZE_MAX || n6 == SIZE_MAX || nn == SIZE_MAX)
    return false;
  fd->n4 = n4;
  fd->n6 = n6;
  fd->nnames = nn;
  shrink(&fd->b4, &fd->cap4, fd->n4, sizeof(*fd->b4));
  shrink(&fd->b6, &fd->cap6, fd->n6, sizeof(*fd->b6));
  shrink(&fd->names, &fd->capnames, fd->nnames, sizeof(*fd->names));
  return true;
}

uint64_t
feed_data_entries(const struct feed_data *fd)
{
  return (uint64_t)fd->n4 + fd->n6 + fd->nnames;
}

/* ---- blocks of either family, as 128-bit numbers ------------------------ */
/* A view of one family's sorted blocks: IPv4 in the low 32 bits. */
struct view {
  const struct feed_data *fd;
  bool v6;
  size_t n;
  unsigned width;                 /* 32 or 128 */
};

static feed_u128
blk_addr(const struct view *v, size_t i)
{
  return v->v6 ? v->fd->b6[i].addr : v->fd->b4[i].addr;
}

static uint32_t
blk_pv(const struct view *v, size_t i)
{
  return v->v6 ? v->fd->b6[i].plen_val : v->fd->b4[i].plen_val;
}

static feed_u128
host_mask(const struct view *v, unsigned plen)
{
  unsigned host = v->width - plen;
  return host >= 128 ? ~(feed_u128)0 : ((feed_u128)1 << host) - 1;
}

static feed_u128
blk_end(const struct view *v, size_t i)
{
  return blk_addr(v, i) | host_mask(v, PLEN_OF(blk_pv(v, i)));
}

static bool
has_plen(const struct view *v, unsigned p)
{
  if (!v->v6)
    return (v->fd->plens4 >> p) & 1;
  return p == 128 ? v->fd->plens6_hi != 0 : ((v->fd->plens6_lo >> p) & 1);
}

/* The first block at or after (addr, plen) in sort order. */
static size_t
lower_bound(const struct view *v, feed_u128 addr, unsigned plen)
{
  size_t lo = 0, hi = v->n;
  uint32_t pv = (uint32_t)plen << PLEN_SHIFT;
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    feed_u128 a = blk_addr(v, m);
    if (a < addr || (a == addr && blk_pv(v, m) < pv))
      lo = m + 1;
    else
      hi = m;
  }
  return lo;
}

/* The block group (addr, plen), or SIZE_MAX. */
static size_t
find_group(const struct view *v, feed_u128 addr, unsigned plen)
{
  size_t i = lower_bound(v, addr, plen);
  if (i < v->n && blk_addr(v, i) == addr && PLEN_OF(blk_pv(v, i)) == plen)
    return i;
  return SIZE_MAX;
}

/* ---- answers ---------------------------------------------------------------- */
/* Whether value v answers a TXT at all (rbldnsd leaves an empty one
 * out: "=" alone). */
static bool
has_txt(const struct feed_data *fd, const struct feed_value *v)
{
  char buf[4];
  feed_data_txt(fd, v, "0", buf, sizeof(buf));
  return buf[0] != '\0';
}

/* Adds v to an answer as rbldnsd's answer holds it: its A records are a
 * set (it drops an RR already in the answer), so a repeated A is one
 * code, and a value with a TXT is kept over one without. */
static void
answer_add(const struct feed_data *fd, struct feed_answer *out,
           const struct feed_value *v)
{
  for (size_t k = 0; k < out->nvalues; k++) {
    if (out->values[k]->a != v->a)
      continue;
    if (!has_txt(fd, out->values[k]) && has_txt(fd, v))
      out->values[k] = v;
    return;
  }
  if (out->nvalues < FEED_VALUES_MAX)
    out->values[out->nvalues++] = v;
}

/* values[0] gives the answer's TXT: the first value that has one, when
 * any has (rbldnsd answers the TXTs of all). */
static void
answer_done(const struct feed_data *fd, struct feed_answer *out)
{
  for (size_t k = 1; k < out->nvalues; k++) {
    if (has_txt(fd, out->values[0]))
      return;
    if (has_txt(fd, out->values[k])) {
      const struct feed_value *t = out->values[k];
      memmove(&out->values[1], &out->values[0], k * sizeof(out->values[0]));
      out->values[0] = t;
      return;
    }
  }
}

/* The end of the group (the blocks of one prefix) starting at i. */
static size_t
group_end(const struct view *v, size_t i)
{
  feed_u128 a = blk_addr(v, i);
  unsigned p = PLEN_OF(blk_pv(v, i));
  size_t j = i;
  while (j < v->n && blk_addr(v, j) == a && PLEN_OF(blk_pv(v, j)) == p)
    j++;
  return j;
}

/* The answer of the group starting at i: its values, none when one of
 * them is the exclusion (value 0 sorts first). */
static void
group_answer(const struct view *v, size_t i, struct feed_answer *out)
{
  size_t end = group_end(v, i);
  out->nvalues = 0;
  if (VAL_OF(blk_pv(v, i)) == 0)
    return;
  for (size_t j = i; j < end; j++)
    answer_add(v->fd, out, &v->fd->values[VAL_OF(blk_pv(v, j))]);
  answer_done(v->fd, out);
}

static struct view
view_of(const struct feed_data *fd, bool v6)
{
  return (struct view){fd, v6, v6 ? fd->n6 : fd->n4, v6 ? 128 : 32};
}

feed_u128
feed_addr_num(const struct addr *a)
{
  feed_u128 x = 0;
  for (unsigned i = 0; i < (a->kind == TARGET_IP4 ? 4u : 16u); i++)
    x = x << 8 | a->b[i];
  return x;
}

void
feed_num_addr(feed_u128 x, bool v6, struct addr *a)
{
  memset(a, 0, sizeof(*a));
  a->kind = v6 ? TARGET_IP6 : TARGET_IP4;
  for (int i = v6 ? 15 : 3; i >= 0; i--, x >>= 8)
    a->b[i] = (uint8_t)(x & 0xff);
}

void
feed_data_lookup(const struct feed_data *fd, const struct addr *a,
                 struct feed_answer *out)
{
  struct view v = view_of(fd, a->kind == TARGET_IP6);
  feed_u128 q = feed_addr_num(a);
  out->nvalues = 0;
  for (int p = (int)v.width; p >= 0; p--) {
    if (!has_plen(&v, (unsigned)p))
      continue;
    size_t i = find_group(&v, q & ~host_mask(&v, (unsigned)p), (unsigned)p);
    if (i != SIZE_MAX) { /* the most specific block decides */
      group_answer(&v, i, out);
      return;
    }
  }
}

/* ---- walking a range ----------------------------------------------------- */
struct walk {
  const struct view *v;
  feed_u128 pos, last;            /* next address to settle; the range's end */
  bool done;                      /* pos went past last */
  size_t stack[130];              /* groups holding pos, outermost first */
  size_t depth;
  feed_span_fn fn;
  void *arg;
  bool stopped;
};

/* Settles [pos, end] (end <= last) under the innermost open group. */
static void
settle(struct walk *w, feed_u128 end)
{
  if (w->done || w->stopped || end < w->pos)
    return;
  if (w->depth > 0) {
    struct feed_answer ans;
    group_answer(w->v, w->stack[w->depth - 1], &ans);
    /* one call a block's stretch: what a result stands for follows
     * the file's own blocks, not their neighbours */
    if (ans.nvalues > 0)
      w->stopped = !w->fn(w->arg, w->pos, end, &ans);
  }
  if (end == w->last)
    w->done = true;
  else
    w->pos = end + 1;
}

/* Closes the open groups that end before s. */
static void
close_before(struct walk *w, feed_u128 s)
{
  while (w->depth > 0 && !w->stopped) {
    feed_u128 e = blk_end(w->v, w->stack[w->depth - 1]);
    if (e >= s)
      break;
    settle(w, e);
    w->depth--;
  }
}

bool
feed_data_spans(const struct feed_data *fd, const struct target_spec *range,
                feed_span_fn fn, void *arg)
{
  if (!target_is_ip(range))
    return true;
  struct view v = view_of(fd, range->kind == TARGET_IP6);
  struct walk w = {.v = &v, .pos = feed_addr_num(&range->base), .fn = fn,
                   .arg = arg};
  w.last = w.pos | host_mask(&v, range->prefix);
  /* the groups that hold the range's first address, outermost first */
  for (unsigned p = 0; p <= v.width; p++) {
    size_t g = has_plen(&v, p)
      ? find_group(&v, w.pos & ~host_mask(&v, p), p) : SIZE_MAX;
    if (g != SIZE_MAX)
      w.stack[w.depth++] = g;
  }
  /* then every group that starts inside it */
  size_t i = lower_bound(&v, w.pos, 129);
  while (i < v.n && blk_addr(&v, i) <= w.last && !w.stopped) {
    feed_u128 s = blk_addr(&v, i);
    close_before(&w, s);
    if (s > 0)
      settle(&w, s - 1);
    size_t next = group_end(&v, i);
    if (w.depth < sizeof(w.stack) / sizeof(w.stack[0]))
      w.stack[w.depth++] = i;
    i = next;
  }
  close_before(&w, w.last);
  if (!w.done)
    settle(&w, w.last);
  return !w.stopped;
}

/* The per-address walk: each address of each span. */
struct each {
  bool v6;
  feed_walk_fn fn;
  void *arg;
};

static bool
each_address(void *arg, feed_u128 first, feed_u128 last,
             const struct feed_answer *ans)
{
  const struct each *e = arg;
  for (feed_u128 x = first;; x++) {
    struct addr a;
    feed_num_addr(x, e->v6, &a);
    if (!e->fn(e->arg, &a, ans))
      return false;
    if (x == last)
      return true;
  }
}

bool
feed_data_walk(const struct feed_data *fd, const struct target_spec *range,
               feed_walk_fn fn, void *arg)
{
  struct each e = {range->kind == TARGET_IP6, fn, arg};
  return feed_data_spans(fd, range, each_address, &e);
}

/* ---- names ---------------------------------------------------------------- */
/* The first entry for (name, flags), or SIZE_MAX. */
static size_t
find_name(const struct feed_data *fd, const char *name, unsigned flags)
{
  size_t lo = 0, hi = fd->nnames;
  uint32_t key = flags << PLEN_SHIFT;
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    int c = strcmp(fd->text + fd->names[m].name, name);
    if (c < 0 || (c == 0 && fd->names[m].flags_val < key))
      lo = m + 1;
    else
      hi = m;
  }
  if (lo < fd->nnames && strcmp(fd->text + fd->names[lo].name, name) == 0 &&
      (fd->names[lo].flags_val >> PLEN_SHIFT) == flags)
    return lo;
  return SIZE_MAX;
}

static void
name_answer(const struct feed_data *fd, size_t i, struct feed_answer *out)
{
  uint32_t f = fd->names[i].flags_val >> PLEN_SHIFT;
  const char *n = fd->text + fd->names[i].name;
  bool excluded = VAL_OF(fd->names[i].flags_val) == 0;
  out->nvalues = 0;
  out->name = n;
  for (; i < fd->nnames && strcmp(fd->text + fd->names[i].name, n) == 0 &&
         (fd->names[i].flags_val >> PLEN_SHIFT) == f; i++)
    if (!excluded)
      answer_add(fd, out, &fd->values[VAL_OF(fd->names[i].flags_val)]);
  answer_done(fd, out);
}

void
feed_data_lookup_name(const struct feed_data *fd, const char *name,
                      struct feed_answer *out)
{
  out->nvalues = 0;
  out->name = NULL;
  size_t i = find_name(fd, name, FEED_NAME_EXACT);
  if (i != SIZE_MAX) {
    name_answer(fd, i, out);
    return;
  }
  /* the nearest wildcard above it: *.example.com holds a.example.com */
  for (const char *p = strchr(name, '.'); p != NULL; p = strchr(p + 1, '.')) {
    if ((i = find_name(fd, p + 1, FEED_NAME_WILD)) != SIZE_MAX) {
      name_answer(fd, i, out);
      return;
    }
  }
}

/* ---- TXT -------------------------------------------------------------------- */
static void
put(char *buf, size_t size, size_t *w, const char *s, size_t n)
{
  for (size_t i = 0; i < n && *w + 1 < size; i++)
    buf[(*w)++] = s[i];
}

/* Expands t into buf at *w (rbldnsd's txtsubst): $$ is $, $0-$9 a
 * substitution (itself when not set), $= the entry's own text raw (in
 * the base template and in the entry's text alike: "a $= b" answers
 * "a a $= b b"), or the subject when the entry has none, any other $ the
 * subject. */
static void
expand(const char *const subst[10], const char *t, const char *subject,
       const char *inner, char *buf, size_t size, size_t *w)
{
  for (const char *p = t; *p != '\0'; p++) {
    if (*p != '$') {
      put(buf, size, w, p, 1);
      continue;
    }
    char c = p[1];
    const char *s = subject;
    if (c == '$') {
      s = "$";
      p++;
    } else if (c >= '0' && c <= '9') {
      s = subst[c - '0'];
      if (s == NULL)
        put(buf, size, w, p, 2);
      p++;
    } else if (c == '=') {
      s = inner != NULL ? inner : subject;
      p++;
    }
    if (s != NULL)
      put(buf, size, w, s, strlen(s));
  }
}

/* An IPv6 subject as rbldnsd prints it (ip6atos): groups only, the
 * longest run of two or more zero groups (the first of equals) as "::",
 * never inet_ntop's dotted tail ("::ffff:1.2.3.4" is "::ffff:102:304"). */
static const char *
subject6(const char *subject, char *buf, size_t size)
{
  struct in6_addr in;
  if (strchr(subject, ':') == NULL || strchr(subject, '.') == NULL ||
      inet_pton(AF_INET6, subject, &in) != 1)
    return subject;
  unsigned g[8];
  for (int i = 0; i < 8; i++)
    g[i] = (unsigned)in.s6_addr[2 * i] << 8 | in.s6_addr[2 * i + 1];
  int best = -1, blen = 1;
  for (int i = 0; i < 8; i++) {
    int n = 0;
    while (i + n < 8 && g[i + n] == 0)
      n++;
    if (n > blen) {
      best = i;
      blen = n;
    }
  }
  size_t w = 0;
  for (int i = 0; i < 8 && w < size; i++) {
    if (i == best) {
      w += (size_t)snprintf(buf + w, size - w, "::");
      i += blen - 1;
    } else {
      w += (size_t)snprintf(buf + w, size - w, "%s%x",
                            i > 0 && i != best + blen ? ":" : "", g[i]);
    }
  }
  return buf;
}

void
feed_data_txt(const struct feed_data *fd, const struct feed_value *v,
              const char *subject, char *buf, size_t size)
{
  char s6[48];
  subject = subject6(subject, s6, sizeof(s6));
  size_t w = 0;
  if (size == 0)
    return;
  if (size > FEED_TXT_MAX + 1)
    size = FEED_TXT_MAX + 1;
  const char *t = v != NULL ? v->txt : NULL;
  const char *const *subst = fd->subst[v != NULL ? v->set : 0];
  const char *base = v != NULL ? fd->base[v->set] : NULL;
  if (t != NULL && t[0] == '=')   /* "=text": no base template */
    expand(subst, t + 1, subject, t + 1, buf, size, &w);
  else if (base != NULL)
    expand(subst, base, subject, t, buf, size, &w);
  else if (t != NULL)
    expand(subst, t, subject, t, buf, size, &w);
  buf[w] = '\0';
}
