/* repread.h - reading a reputation provider's answer (pure; unit tested):
 * the HTTP status first, then the body as JSON (RFC 6901 pointers), CSV
 * (a column of the target's row) or text matched by a regex; error_if;
 * then the rules, worst severity wins.  Everything read from an answer is
 * untrusted: values go to txt (escaped by every output), and snippets in
 * errors keep printable ASCII only. */
#ifndef RBL_REPREAD_H
#define RBL_REPREAD_H

#include <jansson.h>
#include "provider.h"
#include "result.h"

struct rep_rowaddr {
  bool ok;                        /* the columns hold addresses */
  struct addr a, b;               /* match column, or first and last */
};

/* A 2xx body, parsed once and read for every target it answers. */
struct rep_doc {
  enum rep_format format;
  json_t *json;
  struct arena arena;             /* csv rows */
  char ***rows;
  size_t *ncols;
  size_t nrows;
  struct rep_rowaddr *addr;       /* per row: match columns as addresses */
  size_t naddr;                   /* rows whose columns are addresses */
  size_t *order;                  /* exact match: those rows, sorted */
  const char *text;               /* regex: the body (borrowed) */
  char error[320];                /* why it could not be parsed */
};

/* false with d->error set when the body is not what format says (an
 * HTML error page, malformed JSON or CSV).  body must stay valid while d
 * is used (regex), and be NUL-terminated. */
bool rep_doc_parse(const struct provider *p, const char *content_type,
                   const char *body, size_t len, struct rep_doc *d);
void rep_doc_free(struct rep_doc *d);

/* The reason of a listing that not_found made. */
extern const char rep_not_found_reason[];

struct rep_verdict {
  enum result_status status;      /* RES_LISTED, RES_CLEAN or RES_ERROR */
  bool has_sev;
  enum severity sev;
  const char *reasons[RESULT_MAX_CODES]; /* the provider's rule texts */
  size_t nreasons;
  char txt[512];                  /* the values read: untrusted */
  char error[320];
  bool rate_limited;              /* 429 or a rate_limit_status */
  bool refused;                   /* 401 or 403: the key is not accepted */
};

/* The meaning of a status that is not 2xx (true), or false for a 2xx:
 * then read the body with rep_read_doc.  The body must have been
 * redacted already: errors quote it. */
bool rep_read_status(const struct provider *p, long status,
                     const char *body, size_t len, struct rep_verdict *v);
/* What the parsed answer says about target (an address or a domain). */
void rep_read_doc(const struct provider *p, const struct rep_doc *d,
                  const char *target, struct rep_verdict *v);

/* An answer's text for an error message: printable ASCII, spaces
 * collapsed, at most max bytes. */
void rep_snippet(const char *s, size_t len, char *out, size_t max);

#endif
