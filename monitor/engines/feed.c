/* feed.c - the feed engine (feed.h).  Every answer is in memory: the
 * whole check runs in start(), before the DNS engines send a query, and
 * the results stream to the cycle's sink as they are found. */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "feedload.h"

/* A run of listed addresses in a range up to this long gets a result an
 * address; a longer one, a result a CIDR block. */
#define FEED_SPAN_ADDRESSES 256

struct feed_run {
  bool finished;
};

bool
feed_fits(const struct list_def *l, const struct target_spec *t)
{
  if (l->feed == NULL)
    return false;
  /* by the list's type, as over DNS: a family the feed has no file for
   * gets an error result, never silence */
  switch (t->kind) {
  case TARGET_IP4:    return list_takes_ip4(l);
  case TARGET_IP6:    return list_takes_ip6(l);
  case TARGET_DOMAIN: return l->type == LIST_DOMAIN;
  case TARGET_EMAIL:  return false;   /* feeds hold no address hashes */
  }
  return false;
}

/* ---- the results ------------------------------------------------------------ */
struct ctx {
  const struct engine_ctx *e;
  const struct list_def *l;
  const struct feed *f;
  struct list_state *st;
  const struct engine_target *t;
  uint64_t listed_in;             /* addresses of a range given their own */
  feed_u128 rfirst, rlast;        /* the range walked */
  bool whole;                     /* one listed stretch covers all of it */
};

static void
emit(struct ctx *c, struct result *r)
{
  switch (r->status) {
  case RES_LISTED: c->st->listed++; break;
  case RES_CLEAN:  c->st->clean++; break;
  default:         c->st->errors++; break;
  }
  c->e->sink(c->e->sink_arg, r);
}

static void
result_init(struct ctx *c, struct result *r, const char *target)
{
  memset(r, 0, sizeof(*r));
  snprintf(r->target, sizeof(r->target), "%s", target);
  r->watchlist = c->t->watchlist;
  r->list = c->l;
}

/* An answer read with the list's codes, as dnsbl.c reads a DNS answer. */
static void
answer_result(struct ctx *c, struct result *r, const struct feed_answer *ans,
              const char *subject)
{
  if (ans->nvalues == 0) {
    r->status = RES_CLEAN;
    return;
  }
  uint32_t a[FEED_VALUES_MAX];
  for (size_t i = 0; i < ans->nvalues; i++)
    a[i] = ans->values[i]->a;
  struct interp in;
  dnsbl_interpret(c->l, a, ans->nvalues, &in);
  switch (in.kind) {
  case INTERP_LISTED:
  case INTERP_GOOD:
    r->status = in.kind == INTERP_LISTED ? RES_LISTED : RES_CLEAN;
    r->has_sev = true;
    r->sev = in.sev;
    memcpy(r->codes, in.codes, sizeof(r->codes));
    memcpy(r->reasons, in.reasons, sizeof(r->reasons));
    r->ncodes = in.ncodes;
    r->nreasons = in.nreasons;
    feed_data_txt(&c->f->data, ans->values[0], subject, r->txt,
                  sizeof(r->txt));
    break;
  case INTERP_ERROR:
  case INTERP_BROKEN:
    r->status = RES_ERROR;
    snprintf(r->error, sizeof(r->error), "the feed (%s) answers %u.%u.%u.%u: "
             "%s", c->l->feed->path, in.bad >> 24, (in.bad >> 16) & 255,
             (in.bad >> 8) & 255, in.bad & 255,
             in.kind == INTERP_ERROR ? in.error
                                     : "outside 127.0.0.0/8, not list data");
    break;
  }
}

/* One listed address, or one listed block (x/prefix), of a range; the
 * range's own result when the block is all of it. */
static void
emit_part(struct ctx *c, feed_u128 x, unsigned prefix,
          const struct feed_answer *ans)
{
  bool whole = x == c->rfirst && prefix == c->t->spec->prefix;
  struct target_spec b;
  memset(&b, 0, sizeof(b));
  b.kind = c->t->spec->kind;
  feed_num_addr(x, b.kind == TARGET_IP6, &b.base);
  b.prefix = prefix;
  char s[TARGET_NAME_MAX];
  target_spec_str(&b, s, sizeof(s));
  struct result r;
  result_init(c, &r, s);
  answer_result(c, &r, ans, s);
  r.part = !whole;
  c->whole = c->whole || whole;
  /* counted up to INT64_MAX (JSON's integers): an IPv6 /64 is 2^64 */
  unsigned host = (b.kind == TARGET_IP6 ? 128 : 32) - prefix;
  uint64_t n = host >= 63 ? INT64_MAX : 1ull << host;
  c->listed_in = c->listed_in > INT64_MAX - n ? INT64_MAX : c->listed_in + n;
  emit(c, &r);
}

/* The largest aligned block at x that ends at or before last: its
 * host bits. */
static unsigned
block_bits(feed_u128 x, feed_u128 last)
{
  unsigned k = 0;
  while (k < 127 && !((x >> k) & 1) &&
         x + (((feed_u128)2 << k) - 1) <= last &&
         x + (((feed_u128)2 << k) - 1) >= x)
    k++;
  return k;
}

/* A stretch of one listed block in a range: a result an address when it
 * is short; else one for each aligned block of it (a listed /16 in an
 * owned /8 is one result, a listed IPv6 /64 too).  What a result stands
 * for follows the file's blocks, so a neighbour listed later does not
 * turn these results into others (a false "delisted"). */
static bool
on_span(void *arg, feed_u128 first, feed_u128 last,
        const struct feed_answer *ans)
{
  struct ctx *c = arg;
  unsigned bits = c->t->spec->kind == TARGET_IP6 ? 128 : 32;
  bool each = last - first < FEED_SPAN_ADDRESSES;
  for (feed_u128 x = first;;) {
    unsigned k = each ? 0 : block_bits(x, last);
    emit_part(c, x, bits - k, ans);
    feed_u128 end = x + (((feed_u128)1 << k) - 1);
    if (end >= last)
      return true;
    x = end + 1;
  }
}

/* The pair (target, list): the feed's answer, or why there is none. */
static void
check_pair(struct ctx *c)
{
  const struct target_spec *spec = c->t->spec;
  char name[TARGET_NAME_MAX];
  target_spec_str(spec, name, sizeof(name));
  struct result r;
  result_init(c, &r, name);
  if (c->f->health != HEALTH_OK) {
    r.status = RES_ERROR;
    snprintf(r.error, sizeof(r.error), "not checked: the feed is %s: %.280s",
             health_names[c->f->health], c->f->detail);
    emit(c, &r);
    return;
  }
  if (!feed_def_takes(c->l->feed, (int)c->l->type, (int)spec->kind)) {
    r.status = RES_ERROR;
    snprintf(r.error, sizeof(r.error), "not checked: the feed has no %s "
             "file; add path6: (and type6:) to its feed in rblmon.yaml",
             spec->kind == TARGET_IP6 ? "IPv6" : "IPv4");
    emit(c, &r);
    return;
  }
  struct feed_answer ans;
  if (spec->kind == TARGET_DOMAIN) {
    feed_data_lookup_name(&c->f->data, spec->domain, &ans);
    answer_result(c, &r, &ans, ans.name ? ans.name : spec->domain);
    emit(c, &r);
    return;
  }
  unsigned bits = spec->kind == TARGET_IP4 ? 32 : 128;
  if (spec->prefix == bits) {
    feed_data_lookup(&c->f->data, &spec->base, &ans);
    answer_result(c, &r, &ans, name);
    emit(c, &r);
    return;
  }
  c->listed_in = 0;
  c->whole = false;
  c->rfirst = feed_addr_num(&spec->base);
  c->rlast = c->rfirst | ((((feed_u128)1 << (bits - spec->prefix - 1)) << 1) - 1);
  feed_data_spans(&c->f->data, spec, on_span, c);
  if (c->whole)
    return;   /* listed whole: that was the range's result */
  /* the rest of the range: one result (its listed addresses had theirs) */
  r.status = RES_CLEAN;
  r.range_except = c->listed_in;
  emit(c, &r);
}

/* ---- the engine ------------------------------------------------------------- */
static size_t
eng_nsources(const struct engine_ctx *ctx)
{
  return ctx->nfeed_lists;
}

static uint64_t
eng_count(const struct engine_ctx *ctx)
{
  uint64_t n = 0;
  for (size_t i = 0; i < ctx->nfeed_lists; i++) {
    for (size_t k = 0; k < ctx->ntargets; k++)
      n += feed_fits(ctx->feed_lists[i], ctx->targets[k].spec);
    for (size_t k = 0; k < ctx->nwide; k++)
      n += feed_fits(ctx->feed_lists[i], ctx->wide[k].spec);
  }
  return n;
}

static void
check_list(const struct engine_ctx *e, const struct list_def *l,
           const struct feed *f, struct list_state *st)
{
  st->list = l;
  snprintf(st->zone, sizeof(st->zone), "%s", l->feed->path);
  st->health = f->health;
  snprintf(st->detail, sizeof(st->detail), "%s", f->detail);
  struct ctx c = {.e = e, .l = l, .f = f, .st = st};
  for (size_t k = 0; k < e->ntargets; k++)
    if (feed_fits(l, e->targets[k].spec)) {
      c.t = &e->targets[k];
      check_pair(&c);
    }
  for (size_t k = 0; k < e->nwide; k++)
    if (feed_fits(l, e->wide[k].spec)) {
      c.t = &e->wide[k];
      check_pair(&c);
    }
}

static void *
eng_start(const struct engine_ctx *ctx, struct list_state *states)
{
  struct feed_run *run = calloc(1, sizeof(*run));
  if (run == NULL)
    return NULL;
  for (size_t i = 0; i < ctx->nfeed_lists; i++) {
    const struct list_def *l = ctx->feed_lists[i];
    struct feed *f = feed_cache_get(ctx->feeds, l, ctx->now);
    if (f == NULL) {
      free(run);
      return NULL;
    }
    check_list(ctx, l, f, &states[i]);
  }
  run->finished = true;
  return run;
}

static bool
eng_finished(const void *run)
{
  return ((const struct feed_run *)run)->finished;
}

static void
eng_cancel(void *run)
{
  (void)run; /* it finished in start() */
}

static void
eng_end(void *run)
{
  free(run);
}

const struct engine engine_feed = {
  "feed", CHECK_FEED, false, eng_nsources, eng_count, eng_start,
  eng_finished, eng_cancel, eng_end,
};
