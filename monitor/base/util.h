/* util.h - small shared pieces: arena, bounded buffer, checked number and
 * duration parsing, escaping of untrusted text. */
#ifndef RBL_UTIL_H
#define RBL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define UTIL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- arena: data of one lifetime, freed as a whole ---------------------- */
struct arena_chunk;
struct arena {
  struct arena_chunk *head;
};
#define ARENA_INIT {NULL}

/* Zeroed memory owned by the arena; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* A NUL-terminated copy of s[0..n) owned by the arena; NULL on OOM. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
/* Moves every allocation of src into dst (src is left empty). */
void arena_merge(struct arena *dst, struct arena *src);
/* Frees everything allocated from a; a may be reused afterwards. */
void arena_free(struct arena *a);

/* ---- sbuf: growable text buffer with a hard maximum --------------------- */
struct sbuf {
  char *p;     /* always NUL-terminated once anything was added */
  size_t len;
  size_t cap;
  size_t max;  /* RBL_ETOOBIG past this many bytes */
};
/* An empty buffer that will refuse to grow past max bytes.  The buffer
 * owns its memory: sbuf_free() releases it.  Adding fails with
 * RBL_ETOOBIG past max or RBL_ENOMEM, leaving the content as it was. */
void sbuf_init(struct sbuf *b, size_t max);
rbl_status sbuf_add(struct sbuf *b, const void *data, size_t n);
rbl_status sbuf_adds(struct sbuf *b, const char *s);
rbl_status sbuf_addf(struct sbuf *b, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
rbl_status sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
  __attribute__((format(printf, 2, 0)));
void sbuf_reset(struct sbuf *b);
/* "" when nothing was added; never NULL. */
const char *sbuf_str(const struct sbuf *b);
void sbuf_free(struct sbuf *b);

/* ---- checked parsing ---------------------------------------------------- */
/* Decimal digits only (no sign, no space), value <= max. */
rbl_status util_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Duration: a number and a unit: ms, s, m, h, d, w ("90s", "24h", "7d").
 * Result in milliseconds, at most ~10 years. */
rbl_status util_parse_duration(const char *s, uint64_t *ms);
/* Formats a duration in ms as the largest whole unit ("2d", "90s"). */
void util_format_duration(uint64_t ms, char *buf, size_t size);

/* The path rel (such as "../share/rblmon/lists") taken from the folder of
 * the running binary, resolved, in buf; false when it does not exist.
 * Installed or in its build tree (laid out as a prefix: bin/, share/),
 * rblmon finds its data beside it, with no path of the build compiled
 * in. */
bool util_beside_exe(const char *rel, char *buf, size_t size);

/* ---- escaping of untrusted text ---------------------------------------- */
/* Appends s[0..n) to b with control characters (C0, DEL, C1), backslash,
 * bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9), line and
 * paragraph separators (U+2028-9) and invalid UTF-8 written as \\, \n,
 * \t, \xHH (byte by byte): safe for a terminal. */
rbl_status util_escape(struct sbuf *b, const char *s, size_t n);
/* The same for text rblmon composed (messages, notification bodies) whose
 * untrusted parts were escaped when it was composed: a backslash stays as
 * it is (no double escaping) and, with lines, so do line breaks; anything
 * else unsafe is still escaped. */
rbl_status util_escape_composed(struct sbuf *b, const char *s, size_t n,
                                bool lines);

/* FNV-1a, 64 bits: h (UTIL_FNV_INIT to start) extended by data[0..n). */
#define UTIL_FNV_INIT 1469598103934665603ULL
uint64_t util_fnv1a(uint64_t h, const void *data, size_t n);

/* Case-insensitive ASCII equality. */
bool util_strcaseeq(const char *a, const char *b);

#endif
