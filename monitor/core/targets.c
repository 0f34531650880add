/* targets.c - the target set of one cycle (see targets.h). */
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void
targets_init(struct target_set *s)
{
  memset(s, 0, sizeof(*s));
}

void
targets_free(struct target_set *s)
{
  free(s->t);
  arena_free(&s->arena);
  memset(s, 0, sizeof(*s));
}

static rbl_status
append(struct target_set *s, const struct target_spec *spec, const char *wl)
{
  uint64_t n = target_dns_checkable(spec) ? target_count(spec) : 0;
  if (s->n >= CFG_MAX_TARGETS || s->naddresses + n > CFG_MAX_ADDRESSES)
    return RBL_ETOOBIG;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct engine_target *p = realloc(s->t, cap * sizeof(*p));
    if (p == NULL)
      return RBL_ENOMEM;
    s->t = p;
    s->cap = cap;
  }
  s->t[s->n++] = (struct engine_target){spec, wl};
  s->naddresses += n;
  return RBL_OK;
}

static rbl_status
append_copy(struct target_set *s, const struct target_spec *spec,
            const char *wl)
{
  struct target_spec *own = arena_alloc(&s->arena, sizeof(*own));
  if (own == NULL)
    return RBL_ENOMEM;
  *own = *spec;
  return append(s, own, wl);
}

bool
targets_from_args(struct target_set *s, char *const *args, int nargs)
{
  for (int i = 0; i < nargs; i++) {
    char err[256];
    struct target_spec spec;
    if (target_parse(args[i], &spec, err, sizeof(err)) != RBL_OK) {
      fprintf(stderr, "rblmon: argument %d: %s\n", i + 1, err);
      return false;
    }
    rbl_status st = append_copy(s, &spec, "");
    if (st == RBL_ETOOBIG) {
      fprintf(stderr, "rblmon: argument %d: with %s the arguments hold more "
              "than %u addresses; check fewer at a time\n", i + 1, args[i],
              CFG_MAX_ADDRESSES);
      return false;
    }
    if (st != RBL_OK) {
      fprintf(stderr, "rblmon: out of memory\n");
      return false;
    }
  }
  return true;
}

rbl_status
targets_from_config(struct target_set *s, const struct config *cfg)
{
  for (size_t i = 0; i < cfg->nitems; i++) {
    rbl_status st = append(s, &cfg->items[i].spec, cfg->items[i].watchlist);
    if (st != RBL_OK)
      return st;
  }
  return RBL_OK;
}

static bool
covered(const struct target_set *s, const struct addr *a)
{
  for (size_t i = 0; i < s->n; i++)
    if (target_spec_contains(s->t[i].spec, a))
      return true;
  return false;
}

rbl_status
targets_add_uncovered(struct target_set *s, const struct target_spec *spec,
                      const char *wl)
{
  bool overlap = false;
  for (size_t i = 0; i < s->n && !overlap; i++) {
    const struct target_spec *o = s->t[i].spec;
    if (o->kind != spec->kind)
      continue;
    if (target_spec_contains(o, &spec->base) && o->prefix <= spec->prefix)
      return RBL_OK; /* all of it is watched already */
    overlap = target_spec_contains(spec, &o->base);
  }
  if (!overlap)
    return append_copy(s, spec, wl);
  struct target_iter it;
  struct addr a;
  target_iter_init(&it, spec);
  while (target_iter_next(&it, &a)) {
    if (covered(s, &a))
      continue;
    struct target_spec one = *spec;
    one.base = a;
    one.prefix = a.kind == TARGET_IP4 ? 32 : 128;
    rbl_status st = append_copy(s, &one, wl);
    if (st != RBL_OK)
      return st;
  }
  return RBL_OK;
}
