/* ydoc.h - a YAML document as a tree of nodes that remember where they
 * were (line, column), and a strict, table-driven walker over maps.
 *
 * Used by the configuration and the catalog: both are our own YAML, read
 * strictly.  Every problem goes into a struct diag as
 * "file:line:col: error: ...", so all of them are reported at once. */
#ifndef RBL_YDOC_H
#define RBL_YDOC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "diag.h"
#include "util.h"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
  enum ykind kind;
  unsigned line, col;       /* 1-based */
  const char *str;          /* scalar text, NUL-terminated */
  size_t len;
  bool plain;               /* unquoted scalar: may be null/bool/number */
  size_t n;                 /* seq: items; map: pairs */
  struct ynode **items;     /* seq: n items; map: key, value, key, value... */
};

struct ydoc {
  struct arena arena;       /* owns every node */
  struct ynode *root;       /* NULL for an empty document */
  struct stat st;           /* ydoc_load_file: of the file it read */
  bool have_st;
};

/* Parses the file at path (or the string text of len bytes, named name in
 * messages).  Syntax errors, aliases, duplicate keys and non-scalar keys go
 * to d.  Returns RBL_OK, RBL_EIO (unreadable; reported in d) or
 * RBL_ESYNTAX.  The caller frees doc with ydoc_free() in every case. */
rbl_status ydoc_load_file(struct ydoc *doc, const char *path, struct diag *d);
rbl_status ydoc_load_string(struct ydoc *doc, const char *name,
                            const char *text, size_t len, struct diag *d);
void ydoc_free(struct ydoc *doc);

/* ---- the strict walker ------------------------------------------------- */
struct yctx {
  const char *file;
  struct diag *diag;
  struct arena *arena;      /* where converted values are kept */
};

typedef void (*yfield_fn)(struct yctx *c, struct ynode *val, void *obj);

struct yfield {
  const char *key;
  yfield_fn fn;             /* NULL: key accepted, not used yet */
  bool required;
};

/* Checks that node is a map; calls each field's fn for its key; reports
 * unknown keys (naming the accepted ones) and missing required keys.
 * Returns false when node is not a map. */
bool ydoc_map(struct yctx *c, struct ynode *node, const struct yfield *f,
              size_t nf, void *obj, const char *what);

void yerror(struct yctx *c, const struct ynode *n, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
void ywarn(struct yctx *c, const struct ynode *n, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

bool ydoc_is_null(const struct ynode *n);
/* Typed readers: on a wrong type or value they report and return false. */
bool ydoc_kind(struct yctx *c, struct ynode *n, enum ykind kind,
               const char *what);
bool ydoc_str(struct yctx *c, struct ynode *n, const char **out,
              const char *what);
bool ydoc_bool(struct yctx *c, struct ynode *n, bool *out, const char *what);
bool ydoc_u64(struct yctx *c, struct ynode *n, uint64_t min, uint64_t max,
              uint64_t *out, const char *what);
bool ydoc_duration(struct yctx *c, struct ynode *n, uint64_t min_ms,
                   uint64_t max_ms, uint64_t *out, const char *what);
/* One of the NULL-terminated names; *out is its index. */
bool ydoc_enum(struct yctx *c, struct ynode *n, const char *const *names,
               int *out, const char *what);
/* A scalar or a sequence of scalars: calls fn for each scalar. */
void ydoc_each(struct yctx *c, struct ynode *n, yfield_fn fn, void *obj,
               const char *what);

#endif
