#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

/* ---- arena ------------------------------------------------------------- */
struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  max_align_t data[];
};

#define ARENA_CHUNK 16384

void *
arena_alloc(struct arena *a, size_t size)
{
  size_t align = sizeof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  struct arena_chunk *c = a->head;
  if (c == NULL || c->size - c->used < size) {
    size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
    c = malloc(sizeof(*c) + want);
    if (c == NULL)
      return NULL;
    c->size = want;
    c->used = 0;
    /* A big block goes behind the head so the head keeps its free space. */
    if (a->head != NULL && want > ARENA_CHUNK) {
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
  char *p = arena_alloc(a, n + 1);
  if (p != NULL) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
  return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *p = arena_alloc(a, (size_t)n + 1);
  if (p == NULL)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void
arena_merge(struct arena *dst, struct arena *src)
{
  if (src->head == NULL)
    return;
  struct arena_chunk *tail = src->head;
  while (tail->next != NULL)
    tail = tail->next;
  /* src's head (with free space) goes first: it serves the next allocs. */
  tail->next = dst->head;
  dst->head = src->head;
  src->head = NULL;
}

void
arena_free(struct arena *a)
{
  struct arena_chunk *c = a->head;
  while (c != NULL) {
    struct arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
}

/* ---- sbuf -------------------------------------------------------------- */
void
sbuf_init(struct sbuf *b, size_t max)
{
  b->p = NULL;
  b->len = b->cap = 0;
  b->max = max;
}

rbl_status
sbuf_add(struct sbuf *b, const void *data, size_t n)
{
  if (n > b->max || b->len > b->max - n)
    return RBL_ETOOBIG;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
      return RBL_ENOMEM;
    b->p = p;
    b->cap = cap;
  }
  if (n > 0)
    memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return RBL_OK;
}

rbl_status
sbuf_adds(struct sbuf *b, const char *s)
{
  return sbuf_add(b, s, strlen(s));
}

rbl_status
sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
{
  char small[256];
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(small, sizeof(small), fmt, cp);
  va_end(cp);
  if (n < 0)
    return RBL_ESYNTAX;
  if ((size_t)n < sizeof(small))
    return sbuf_add(b, small, (size_t)n);
  char *big = malloc((size_t)n + 1);
  if (big == NULL)
    return RBL_ENOMEM;
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  rbl_status st = sbuf_add(b, big, (size_t)n);
  free(big);
  return st;
}

rbl_status
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  rbl_status st = sbuf_vaddf(b, fmt, ap);
  va_end(ap);
  return st;
}

void
sbuf_reset(struct sbuf *b)
{
  b->len = 0;
  if (b->p != NULL)
    b->p[0] = '\0';
}

const char *
sbuf_str(const struct sbuf *b)
{
  return b->p != NULL ? b->p : "";
}

void
sbuf_free(struct sbuf *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ---- parsing ----------------------------------------------------------- */
rbl_status
util_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  if (s == NULL || *s == '\0')
    return RBL_ESYNTAX;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9')
      return RBL_ESYNTAX;
    unsigned d = (unsigned)(*s - '0');
    if (d > max || v > (max - d) / 10)
      return RBL_ETOOBIG;
    v = v * 10 + d;
  }
  *out = v;
  return RBL_OK;
}

static const struct {
  const char *unit;
  uint64_t ms;
} duration_units[] = {
  {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
  {"d", 86400000}, {"w", 604800000},
};

#define DURATION_MAX_MS (3650ULL * 86400000ULL)

rbl_status
util_parse_duration(const char *s, uint64_t *ms)
{
  size_t digits = strspn(s, "0123456789");
  if (digits == 0 || digits > 12)
    return digits == 0 ? RBL_ESYNTAX : RBL_ETOOBIG;
  char num[16];
  memcpy(num, s, digits);
  num[digits] = '\0';
  uint64_t v;
  rbl_status st = util_parse_u64(num, DURATION_MAX_MS, &v);
  if (st != RBL_OK)
    return st;
  for (size_t i = 0; i < UTIL_ARRAY_LEN(duration_units); i++) {
    if (strcmp(s + digits, duration_units[i].unit) == 0) {
      if (v > DURATION_MAX_MS / duration_units[i].ms)
        return RBL_ETOOBIG;
      *ms = v * duration_units[i].ms;
      return RBL_OK;
    }
  }
  return RBL_ESYNTAX;
}

void
util_format_duration(uint64_t ms, char *buf, size_t size)
{
  for (size_t i = UTIL_ARRAY_LEN(duration_units); i-- > 0;) {
    uint64_t u = duration_units[i].ms;
    if (ms >= u && ms % u == 0) {
      snprintf(buf, size, "%llu%s", (unsigned long long)(ms / u),
               duration_units[i].unit);
      return;
    }
  }
  snprintf(buf, size, "%llums", (unsigned long long)ms);
}

/* ---- escaping ---------------------------------------------------------- */
/* Length of a valid UTF-8 sequence at s (1..4), 0 if invalid. C1 controls
 * (U+0080..U+009F) count as invalid: terminals act on them. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2; min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3; min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4; min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  unsigned cp = c & (0x7f >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  if (cp >= 0x80 && cp <= 0x9f)
    return 0;  /* C1 controls: terminal escapes too */
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
      cp == 0x200e || cp == 0x200f || cp == 0x061c)
    return 0;  /* bidirectional controls: text that shows reordered */
  if (cp == 0x2028 || cp == 0x2029)
    return 0;  /* line and paragraph separators: forged lines */
  return len;
}

static rbl_status
escape(struct sbuf *b, const char *s, size_t n, bool composed, bool lines)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    /* Copy the longest run of safe characters at once. */
    while (run < n) {
      unsigned c = u[run];
      if ((c == '\\' && !composed) || (c == '\n' && !lines))
        break;
      if ((c < 0x20 && c != '\n') || c == 0x7f)
        break;
      size_t l = utf8_len(u + run, n - run);
      if (l == 0)
        break;
      run += l;
    }
    if (run > i) {
      rbl_status st = sbuf_add(b, s + i, run - i);
      if (st != RBL_OK)
        return st;
      i = run;
      continue;
    }
    char esc[5];
    unsigned c = u[i];
    if (c == '\\')
      memcpy(esc, "\\\\", 3);
    else if (c == '\n')
      memcpy(esc, "\\n", 3);
    else if (c == '\t')
      memcpy(esc, "\\t", 3);
    else
      snprintf(esc, sizeof(esc), "\\x%02x", c);
    rbl_status st = sbuf_adds(b, esc);
    if (st != RBL_OK)
      return st;
    i++;
  }
  return RBL_OK;
}

rbl_status
util_escape(struct sbuf *b, const char *s, size_t n)
{
  return escape(b, s, n, false, false);
}

rbl_status
util_escape_composed(struct sbuf *b, const char *s, size_t n, bool lines)
{
  return escape(b, s, n, true, lines);
}

bool
util_strcaseeq(const char *a, const char *b)
{
  for (; *a && *b; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y)
      return false;
  }
  return *a == *b;
}

uint64_t
util_fnv1a(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

bool
util_beside_exe(const char *rel, char *buf, size_t size)
{
  char exe[PATH_MAX], path[PATH_MAX + 256], real[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0)
    return false;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL)
    return false;
  *slash = '\0';
  snprintf(path, sizeof(path), "%s/%s", exe, rel);
  if (realpath(path, real) == NULL || strlen(real) >= size)
    return false;
  memcpy(buf, real, strlen(real) + 1);
  return true;
}
