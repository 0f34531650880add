#include "ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_FILE (16u << 20)

struct builder {
  struct ydoc *doc;
  const char *name;
  struct diag *d;
  struct ynode *stack[YDOC_MAX_DEPTH];
  /* growable item arrays for open collections (malloc'ed, copied into the
   * arena when the collection closes) */
  struct ynode **items[YDOC_MAX_DEPTH];
  size_t nitems[YDOC_MAX_DEPTH], capitems[YDOC_MAX_DEPTH];
  int depth;
  bool failed;
};

static struct ynode *
new_node(struct builder *b, enum ykind kind, yaml_mark_t mark)
{
  struct ynode *n = arena_alloc(&b->doc->arena, sizeof(*n));
  if (n == NULL)
    return NULL;
  n->kind = kind;
  n->line = (unsigned)mark.line + 1;
  n->col = (unsigned)mark.column + 1;
  return n;
}

static bool
push_item(struct builder *b, struct ynode *n)
{
  if (b->depth == 0) {
    b->doc->root = n;
    return true;
  }
  int i = b->depth - 1;
  if (b->nitems[i] == b->capitems[i]) {
    size_t cap = b->capitems[i] ? b->capitems[i] * 2 : 8;
    struct ynode **p = realloc(b->items[i], cap * sizeof(*p));
    if (p == NULL)
      return false;
    b->items[i] = p;
    b->capitems[i] = cap;
  }
  b->items[i][b->nitems[i]++] = n;
  return true;
}

struct keyref {
  const struct ynode *key;
  size_t index;
};

static int
keyref_cmp(const void *x, const void *y)
{
  const struct keyref *a = x, *b = y;
  int c = strcmp(a->key->str, b->key->str);
  if (c != 0)
    return c;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Every key of a map is a plain scalar, and none appears twice: sorted
 * once (n log n: a mapping of 100,000 keys is read in a blink), then each
 * repeat reported in the file's order with where the key first was.
 * False when out of memory. */
static bool
check_keys(struct builder *b, struct ynode *n)
{
  struct keyref *refs = calloc(n->n ? n->n : 1, sizeof(*refs));
  const struct ynode **first = calloc(n->n ? n->n : 1, sizeof(*first));
  size_t nr = 0;
  if (refs == NULL || first == NULL) {
    free(refs);
    free(first);
    return false;
  }
  for (size_t k = 0; k < n->n; k++) {
    struct ynode *key = n->items[2 * k];
    if (key->kind != Y_SCALAR) {
      diag_error(b->d, b->name, key->line, key->col,
                 "a mapping key must be a plain value");
      b->failed = true;
      continue;
    }
    refs[nr++] = (struct keyref){key, k};
  }
  qsort(refs, nr, sizeof(*refs), keyref_cmp);
  for (size_t i = 1; i < nr; i++)
    if (strcmp(refs[i].key->str, refs[i - 1].key->str) == 0)
      first[refs[i].index] = first[refs[i - 1].index] != NULL
                               ? first[refs[i - 1].index] : refs[i - 1].key;
  for (size_t k = 0; k < n->n; k++) {
    const struct ynode *key = n->items[2 * k];
    if (first[k] == NULL)
      continue;
    diag_error(b->d, b->name, key->line, key->col,
               "duplicate key '%.64s' (first at line %u)", key->str,
               first[k]->line);
    b->failed = true;
  }
  free(refs);
  free(first);
  return true;
}

static bool
close_collection(struct builder *b)
{
  int i = b->depth - 1;
  struct ynode *n = b->stack[i];
  size_t cnt = b->nitems[i];
  n->items = arena_alloc(&b->doc->arena, (cnt ? cnt : 1) * sizeof(*n->items));
  if (n->items == NULL)
    return false;
  if (cnt)
    memcpy(n->items, b->items[i], cnt * sizeof(*n->items));
  n->n = n->kind == Y_MAP ? cnt / 2 : cnt;
  if (n->kind == Y_MAP && !check_keys(b, n))
    return false;
  free(b->items[i]);
  b->items[i] = NULL;
  b->nitems[i] = b->capitems[i] = 0;
  b->depth--;
  return push_item(b, n);
}

/* One parser event into the tree; true when out of memory. */
static bool
take_event(struct builder *b, const yaml_event_t *ev, int *docs,
           rbl_status *st, bool *done)
{
  struct ynode *n = NULL;
  bool oom = false;
  switch (ev->type) {
  case YAML_STREAM_END_EVENT:
    *done = true;
    break;
  case YAML_DOCUMENT_START_EVENT:
    if (++*docs > 1) {
      diag_error(b->d, b->name, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1,
                 "only one YAML document is allowed in this file");
      *st = RBL_ESYNTAX;
      *done = true;
    }
    break;
  case YAML_ALIAS_EVENT:
    diag_error(b->d, b->name, (unsigned)ev->start_mark.line + 1,
               (unsigned)ev->start_mark.column + 1,
               "YAML aliases (*name) are not supported; write the value out");
    b->failed = true;
    n = new_node(b, Y_SCALAR, ev->start_mark);
    if (n == NULL) {
      oom = true;
      break;
    }
    n->str = "";
    oom = !push_item(b, n);
    break;
  case YAML_SCALAR_EVENT:
    n = new_node(b, Y_SCALAR, ev->start_mark);
    if (n == NULL) {
      oom = true;
      break;
    }
    n->str = arena_strndup(&b->doc->arena, (const char *)ev->data.scalar.value,
                           ev->data.scalar.length);
    n->len = ev->data.scalar.length;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    oom = n->str == NULL || !push_item(b, n);
    if (!oom && strlen(n->str) != n->len) {
      diag_error(b->d, b->name, n->line, n->col, "NUL byte in a value");
      b->failed = true;
    }
    break;
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT:
    if (b->depth == YDOC_MAX_DEPTH) {
      diag_error(b->d, b->name, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1,
                 "nesting deeper than %d levels", YDOC_MAX_DEPTH);
      *st = RBL_ESYNTAX;
      *done = true;
      break;
    }
    n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ,
                 ev->start_mark);
    if (n == NULL) {
      oom = true;
      break;
    }
    b->stack[b->depth++] = n;
    break;
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    oom = !close_collection(b);
    break;
  default:
    break;
  }
  return oom;
}

static rbl_status
build(struct ydoc *doc, const char *name, yaml_parser_t *p, struct diag *d)
{
  struct builder b;
  memset(&b, 0, sizeof(b));
  b.doc = doc;
  b.name = name;
  b.d = d;
  rbl_status st = RBL_OK;
  int docs = 0;
  bool done = false;

  while (!done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(p, &ev)) {
      diag_error(d, name, (unsigned)p->problem_mark.line + 1,
                 (unsigned)p->problem_mark.column + 1, "YAML syntax: %s%s%s",
                 p->problem ? p->problem : "malformed",
                 p->context ? " " : "", p->context ? p->context : "");
      st = RBL_ESYNTAX;
      break;
    }
    bool oom = take_event(&b, &ev, &docs, &st, &done);
    yaml_event_delete(&ev);
    if (oom) {
      st = RBL_ENOMEM;
      diag_error(d, name, 0, 0, "out of memory");
      break;
    }
  }
  for (int i = 0; i < YDOC_MAX_DEPTH; i++)
    free(b.items[i]);
  if (st == RBL_OK && b.failed)
    st = RBL_ESYNTAX;
  return st;
}

rbl_status
ydoc_load_string(struct ydoc *doc, const char *name, const char *text,
                 size_t len, struct diag *d)
{
  yaml_parser_t p;
  memset(doc, 0, sizeof(*doc));
  if (!yaml_parser_initialize(&p))
    return RBL_ENOMEM;
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  rbl_status st = build(doc, name, &p, d);
  yaml_parser_delete(&p);
  return st;
}

rbl_status
ydoc_load_file(struct ydoc *doc, const char *path, struct diag *d)
{
  memset(doc, 0, sizeof(*doc));
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    diag_error(d, path, 0, 0, "cannot open: %s", strerror(errno));
    return RBL_EIO;
  }
  struct stat fst;
  bool have_st = fstat(fileno(f), &fst) == 0;
  struct sbuf text;
  sbuf_init(&text, YDOC_MAX_FILE);
  char buf[8192];
  size_t got;
  rbl_status st = RBL_OK;
  while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
    st = sbuf_add(&text, buf, got);
    if (st != RBL_OK)
      break;
  }
  if (st == RBL_OK && ferror(f))
    st = RBL_EIO;
  fclose(f);
  if (st == RBL_OK) {
    st = ydoc_load_string(doc, path, sbuf_str(&text), text.len, d);
    doc->st = fst;
    doc->have_st = have_st;
  } else
    diag_error(d, path, 0, 0, "cannot read: %s",
               st == RBL_ETOOBIG ? "file larger than 16 MiB" : strerror(errno));
  sbuf_free(&text);
  return st;
}

void
ydoc_free(struct ydoc *doc)
{
  arena_free(&doc->arena);
  doc->root = NULL;
}

/* ---- walker ------------------------------------------------------------ */
void
yerror(struct yctx *c, const struct ynode *n, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  diag_error(c->diag, c->file, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

void
ywarn(struct yctx *c, const struct ynode *n, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  diag_warn(c->diag, c->file, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

static const char *
kind_name(enum ykind k)
{
  switch (k) {
  case Y_SCALAR: return "a value";
  case Y_SEQ:    return "a list";
  case Y_MAP:    return "a mapping";
  }
  return "?";
}

bool
ydoc_is_null(const struct ynode *n)
{
  return n == NULL ||
         (n->kind == Y_SCALAR && n->plain &&
          (n->len == 0 || strcmp(n->str, "~") == 0 ||
           strcmp(n->str, "null") == 0));
}

bool
ydoc_kind(struct yctx *c, struct ynode *n, enum ykind kind, const char *what)
{
  if (n->kind == kind)
    return true;
  yerror(c, n, "%s must be %s, not %s", what, kind_name(kind),
         kind_name(n->kind));
  return false;
}

bool
ydoc_map(struct yctx *c, struct ynode *node, const struct yfield *f,
         size_t nf, void *obj, const char *what)
{
  /* "section:" with everything under it commented out: an empty map. */
  struct ynode empty = {.kind = Y_MAP, .line = node->line, .col = node->col};
  if (ydoc_is_null(node))
    node = &empty;
  if (!ydoc_kind(c, node, Y_MAP, what))
    return false;
  for (size_t i = 0; i < node->n; i++) {
    struct ynode *key = node->items[2 * i], *val = node->items[2 * i + 1];
    if (key->kind != Y_SCALAR)
      continue; /* reported by the loader */
    size_t k;
    for (k = 0; k < nf; k++)
      if (strcmp(f[k].key, key->str) == 0)
        break;
    if (k == nf) {
      char known[512];
      size_t off = 0;
      known[0] = '\0';
      for (size_t j = 0; j < nf && off < sizeof(known); j++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
                                j ? ", " : "", f[j].key);
      struct sbuf esc;
      sbuf_init(&esc, 256);
      util_escape(&esc, key->str, key->len > 64 ? 64 : key->len);
      yerror(c, key, "unknown key '%s' in %s (expected one of: %s)",
             sbuf_str(&esc), what, known);
      sbuf_free(&esc);
      continue;
    }
    if (f[k].fn != NULL)
      f[k].fn(c, val, obj);
  }
  for (size_t k = 0; k < nf; k++) {
    if (!f[k].required)
      continue;
    bool found = false;
    for (size_t i = 0; i < node->n && !found; i++) {
      struct ynode *key = node->items[2 * i];
      found = key->kind == Y_SCALAR && strcmp(key->str, f[k].key) == 0;
    }
    if (!found)
      yerror(c, node, "%s is missing the required key '%s'", what, f[k].key);
  }
  return true;
}

bool
ydoc_str(struct yctx *c, struct ynode *n, const char **out, const char *what)
{
  if (!ydoc_kind(c, n, Y_SCALAR, what))
    return false;
  if (n->len == 0) {
    yerror(c, n, "%s must not be empty", what);
    return false;
  }
  *out = n->str;
  return true;
}

bool
ydoc_bool(struct yctx *c, struct ynode *n, bool *out, const char *what)
{
  if (!ydoc_kind(c, n, Y_SCALAR, what))
    return false;
  if (n->plain && strcmp(n->str, "true") == 0) {
    *out = true;
    return true;
  }
  if (n->plain && strcmp(n->str, "false") == 0) {
    *out = false;
    return true;
  }
  yerror(c, n, "%s must be true or false, not '%.64s'", what, n->str);
  return false;
}

bool
ydoc_u64(struct yctx *c, struct ynode *n, uint64_t min, uint64_t max,
         uint64_t *out, const char *what)
{
  if (!ydoc_kind(c, n, Y_SCALAR, what))
    return false;
  uint64_t v;
  rbl_status st = util_parse_u64(n->str, max, &v);
  if (st == RBL_OK && v >= min) {
    *out = v;
    return true;
  }
  if (st == RBL_ESYNTAX)
    yerror(c, n, "%s must be a whole number, not '%.64s'", what, n->str);
  else
    yerror(c, n, "%s must be between %llu and %llu, not %.64s", what,
           (unsigned long long)min, (unsigned long long)max, n->str);
  return false;
}

bool
ydoc_duration(struct yctx *c, struct ynode *n, uint64_t min_ms,
              uint64_t max_ms, uint64_t *out, const char *what)
{
  if (!ydoc_kind(c, n, Y_SCALAR, what))
    return false;
  uint64_t v;
  rbl_status st = util_parse_duration(n->str, &v);
  if (st == RBL_OK && v >= min_ms && v <= max_ms) {
    *out = v;
    return true;
  }
  if (st == RBL_ESYNTAX) {
    yerror(c, n,
           "%s must be a duration such as 500ms, 30s, 5m, 24h, 7d or 2w, "
           "not '%.64s'", what, n->str);
  } else {
    char lo[32], hi[32];
    util_format_duration(min_ms, lo, sizeof(lo));
    util_format_duration(max_ms, hi, sizeof(hi));
    yerror(c, n, "%s must be between %s and %s, not %.64s", what, lo, hi,
           n->str);
  }
  return false;
}

bool
ydoc_enum(struct yctx *c, struct ynode *n, const char *const *names, int *out,
          const char *what)
{
  if (!ydoc_kind(c, n, Y_SCALAR, what))
    return false;
  for (int i = 0; names[i] != NULL; i++) {
    if (strcmp(names[i], n->str) == 0) {
      *out = i;
      return true;
    }
  }
  char known[256];
  size_t off = 0;
  known[0] = '\0';
  for (int i = 0; names[i] != NULL && off < sizeof(known); i++)
    off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
                            i ? ", " : "", names[i]);
  yerror(c, n, "%s must be one of %s, not '%.64s'", what, known, n->str);
  return false;
}

void
ydoc_each(struct yctx *c, struct ynode *n, yfield_fn fn, void *obj,
          const char *what)
{
  if (n->kind == Y_SCALAR) {
    fn(c, n, obj);
    return;
  }
  if (!ydoc_kind(c, n, Y_SEQ, what))
    return;
  for (size_t i = 0; i < n->n; i++) {
    if (ydoc_kind(c, n->items[i], Y_SCALAR, what))
      fn(c, n->items[i], obj);
  }
}
