/* feeddef.c - lists read from files: their configuration (feeddef.h). */
#include "feeddef.h"

#include <string.h>

#include "catalog.h"
#include "target.h"

const char *const feed_format_names[] = {"rbldnsd", "plain", NULL};
const char *const feed_type_names[] = {"ip4set", "ip4tset", "ip4trie",
                                       "ip6trie", "ip6tset", "dnset",
                                       "combined", NULL};

struct parse {
  struct feed_def *f;
  const char *base;
  bool has_type;
};

static const char *
relative(struct yctx *c, const char *base, const char *path)
{
  const char *slash = base ? strrchr(base, '/') : NULL;
  if (path == NULL || path[0] == '/' || slash == NULL)
    return path;
  return arena_printf(c->arena, "%.*s/%s", (int)(slash - base), base, path);
}

static void
f_path(struct yctx *c, struct ynode *v, void *obj)
{
  struct parse *p = obj;
  if (ydoc_str(c, v, &p->f->path, "path"))
    p->f->path = relative(c, p->base, p->f->path);
}

static void
f_path6(struct yctx *c, struct ynode *v, void *obj)
{
  struct parse *p = obj;
  if (ydoc_str(c, v, &p->f->path6, "path6"))
    p->f->path6 = relative(c, p->base, p->f->path6);
}

static void
f_format(struct yctx *c, struct ynode *v, void *obj)
{
  int i;
  if (ydoc_enum(c, v, feed_format_names, &i, "format"))
    ((struct parse *)obj)->f->format = (enum feed_format)i;
}

static void
f_type(struct yctx *c, struct ynode *v, void *obj)
{
  int i;
  if (ydoc_enum(c, v, feed_type_names, &i, "type"))
    ((struct parse *)obj)->f->type = (enum feed_type)i;
  ((struct parse *)obj)->has_type = true;
}

static void
f_type6(struct yctx *c, struct ynode *v, void *obj)
{
  int i;
  if (!ydoc_enum(c, v, feed_type_names, &i, "type6"))
    return;
  if (i != FEED_IP6TRIE && i != FEED_IP6TSET) {
    yerror(c, v, "type6: the IPv6 file is an ip6trie or an ip6tset");
    return;
  }
  ((struct parse *)obj)->f->type6 = (enum feed_type)i;
}

static void
f_dataset(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_str(c, v, &((struct parse *)obj)->f->dataset, "dataset");
}

static void
f_max_age(struct yctx *c, struct ynode *v, void *obj)
{
  struct feed_def *f = ((struct parse *)obj)->f;
  if (v->kind == Y_SCALAR && v->plain && strcmp(v->str, "none") == 0)
    f->max_age_ms = 0;
  else
    ydoc_duration(c, v, 60000, 365 * 86400000ULL, &f->max_age_ms,
                  "max_age (or none)");
}

static void
f_max_bad(struct yctx *c, struct ynode *v, void *obj)
{
  ydoc_u64(c, v, 0, 1000000000, &((struct parse *)obj)->f->max_bad,
           "max_bad");
}

static const struct yfield feed_fields[] = {
  {"path", f_path, true},
  {"format", f_format, false},
  {"type", f_type, false},
  {"dataset", f_dataset, false},
  {"max_age", f_max_age, false},
  {"max_bad", f_max_bad, false},
  {"path6", f_path6, false},
  {"type6", f_type6, false},
};

/* Checks that involve several keys. */
static void
check(struct yctx *c, struct ynode *node, const struct parse *p)
{
  const struct feed_def *f = p->f;
  if (f->format == FEED_FORMAT_PLAIN && (p->has_type || f->dataset))
    yerror(c, node, "feed '%s': a plain file has no type or dataset (they "
           "are rbldnsd's)", f->list);
  if (f->dataset != NULL && f->type != FEED_COMBINED)
    yerror(c, node, "feed '%s': dataset: picks one dataset of a combined "
           "file; add type: combined", f->list);
  if (f->type == FEED_COMBINED && f->dataset == NULL)
    yerror(c, node, "feed '%s': a combined file holds several datasets: "
           "name one with dataset: (its $DATASET name or subzone)", f->list);
  if (f->type6 != FEED_TYPE_DEFAULT && f->path6 == NULL)
    yerror(c, node, "feed '%s': type6: without path6:", f->list);
}

struct feed_def *
feed_def_parse(struct yctx *c, struct ynode *node, const char *list,
               const char *base)
{
  struct feed_def *f = arena_alloc(c->arena, sizeof(*f));
  if (f == NULL)
    return NULL;
  memset(f, 0, sizeof(*f));
  *f = (struct feed_def){.list = list, .format = FEED_FORMAT_RBLDNSD,
                         .type = FEED_TYPE_DEFAULT, .type6 = FEED_TYPE_DEFAULT,
                         .max_age_ms = FEED_DEFAULT_MAX_AGE_MS,
                         .max_bad = FEED_DEFAULT_MAX_BAD, .file = c->file,
                         .line = node->line, .col = node->col};
  struct parse p = {f, base, false};
  unsigned before = c->diag->errors;
  if (!ydoc_map(c, node, feed_fields, UTIL_ARRAY_LEN(feed_fields), &p,
                "a feed"))
    return NULL;
  check(c, node, &p);
  return c->diag->errors == before ? f : NULL;
}

static bool
v4_type(enum feed_type t)
{
  return t == FEED_IP4SET || t == FEED_IP4TSET || t == FEED_IP4TRIE;
}

enum feed_type
feed_def_type(const struct feed_def *f, int list_type, bool second)
{
  if (second)
    return f->type6 != FEED_TYPE_DEFAULT ? f->type6 : FEED_IP6TRIE;
  if (f->type != FEED_TYPE_DEFAULT)
    return f->type;
  switch ((enum list_type)list_type) {
  case LIST_IP6:    return FEED_IP6TRIE;
  case LIST_DOMAIN:
  case LIST_EMAIL:  return FEED_DNSET;   /* an email list has no feed */
  case LIST_IP4:
  case LIST_IP:     return FEED_IP4SET;
  }
  return FEED_IP4SET;
}

bool
feed_def_takes(const struct feed_def *f, int list_type, int kind)
{
  enum list_type lt = (enum list_type)list_type;
  bool fam = kind == TARGET_IP4   ? lt == LIST_IP4 || lt == LIST_IP
             : kind == TARGET_IP6 ? lt == LIST_IP6 || lt == LIST_IP
             : kind == TARGET_DOMAIN && lt == LIST_DOMAIN;
  if (!fam)
    return false;
  if (f->format == FEED_FORMAT_PLAIN)
    return true;   /* one file of either family, or of names */
  enum feed_type t = feed_def_type(f, list_type, false);
  if (t == FEED_COMBINED)
    return true;
  if (kind == TARGET_IP4)
    return v4_type(t);
  if (kind == TARGET_IP6)
    return t == FEED_IP6TRIE || t == FEED_IP6TSET || f->path6 != NULL;
  return t == FEED_DNSET;
}
