/* feedload.c - reading a list's feed from its files (feedload.h). */
#include "feedload.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* rbldnsd reads a line through a 64 KiB buffer and parses what it got of
 * a longer one (its TXT is cut to 255 anyway): the same here, at 32 KiB. */
#define FEED_LINE_MAX 32768

static int64_t
mtime_ns(const struct stat *st)
{
  return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* What a file is known again by: device, inode, size, modification. */
static void
identity(struct feed_file *ff, const char *path, const struct stat *st)
{
  *ff = (struct feed_file){path, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                           (uint64_t)st->st_size, mtime_ns(st)};
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
         a->st_size == b->st_size && mtime_ns(a) == mtime_ns(b);
}

struct reader {
  struct feed *f;
  struct feedparse *p;
  const char *path;
  char err[256];
  bool truncated;
};

/* Every line of the open file fd through the parser; false with r->err
 * on a read error.  gzip files are read through zlib (gzdopen reads a
 * plain file as it is). */
static bool
read_lines(struct reader *r, int fd)
{
  gzFile gz = gzdopen(fd, "rb");
  if (gz == NULL) {
    close(fd);
    snprintf(r->err, sizeof(r->err), "out of memory");
    return false;
  }
  gzbuffer(gz, 1 << 17);
  char *line = malloc(FEED_LINE_MAX + 2);
  bool ok = line != NULL, ended_in_line = false;
  while (ok && gzgets(gz, line, FEED_LINE_MAX + 2) != NULL) {
    size_t n = strlen(line);
    bool whole = n > 0 && line[n - 1] == '\n';
    ended_in_line = !whole;
    if (!whole && n > FEED_LINE_MAX) { /* the rest of a long line goes */
      int c;
      while ((c = gzgetc(gz)) != -1 && c != '\n')
        ;
      ended_in_line = c != '\n';
    }
    ok = feedparse_line(r->p, line, n);
    if (!ok)
      snprintf(r->err, sizeof(r->err), "out of memory");
  }
  int zerr = Z_OK;
  const char *zmsg = gzerror(gz, &zerr);
  if (ok && zerr != Z_OK && zerr != Z_STREAM_END) {
    snprintf(r->err, sizeof(r->err), "cannot read %s: %s", r->path,
             zerr == Z_ERRNO ? strerror(errno) : zmsg);
    ok = false;
  }
  r->truncated = ended_in_line;
  free(line);
  gzclose(gz);
  return ok;
}

/* Reads one file of the feed: whole, from one descriptor, with the same
 * identity before and after. */
enum outcome { READ_OK, READ_FAILED, READ_CHANGED };

static enum outcome
read_file(struct feed *f, struct feedparse *p, const char *path,
          struct feed_file *ff, char *err, size_t errlen)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat before, after;
  if (fd < 0 || fstat(fd, &before) != 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return READ_FAILED;
  }
  if (!S_ISREG(before.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file", path);
    close(fd);
    return READ_FAILED;
  }
  int dup_fd = dup(fd);           /* gzclose closes fd; fstat after it */
  struct reader r = {f, p, path, "", false};
  bool ok = read_lines(&r, fd);
  bool same = dup_fd >= 0 && fstat(dup_fd, &after) == 0 &&
              same_file(&before, &after);
  if (dup_fd >= 0)
    close(dup_fd);
  if (!ok) {
    snprintf(err, errlen, "%s", r.err);
    return READ_FAILED;
  }
  if (!same) {
    snprintf(err, errlen, "%s changed while it was read (it was read twice; "
             "is something writing it in place rather than renaming a new "
             "file into place?)", path);
    return READ_CHANGED;
  }
  if (r.truncated) {
    snprintf(err, errlen, "%s ends inside a line: it looks truncated (an "
             "interrupted copy?)", path);
    return READ_FAILED;
  }
  identity(ff, path, &before);
  return READ_OK;
}

/* ---- judging ---------------------------------------------------------------- */
static void
set_health(struct feed *f, enum list_health h, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

static void
set_health(struct feed *f, enum list_health h, const char *fmt, ...)
{
  if (f->health != HEALTH_OK)     /* the first reason stays */
    return;
  f->health = h;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
  va_end(ap);
}

/* Whether the feed answers test point s as listed. */
static bool
answers(const struct feed *f, const char *s)
{
  struct feed_answer ans;
  struct addr a;
  if (target_addr_parse(s, &a))
    feed_data_lookup(&f->data, &a, &ans);
  else
    feed_data_lookup_name(&f->data, s, &ans);
  return ans.nvalues > 0;
}

/* A test point's family: 0 IPv4, 1 IPv6, 2 a name (-1: none given). */
static int
point_family(const char *s)
{
  struct addr a;
  if (s == NULL)
    return -1;
  if (!target_addr_parse(s, &a))
    return 2;
  return a.kind == TARGET_IP4 ? 0 : 1;
}

/* RFC 5782 section 5: a list's data lists its test point and not the
 * address beside it; for each family the feed holds. */
static void
judge_test_points(struct feed *f)
{
  const struct list_def *l = f->list;
  if (!l->probe)
    return;
  const char *pts[3][2] = {
    {"127.0.0.2", "127.0.0.1"},
    {"::ffff:7f00:2", "::ffff:7f00:1"},
    {"test", "invalid"},
  };
  bool has[3] = {f->data.n4 > 0, f->data.n6 > 0, f->data.nnames > 0};
  for (int k = 0; k < 3; k++) {
    if (!has[k])
      continue;
    const char *lp = pts[k][0], *up = pts[k][1];
    /* an override in the catalog applies to the family of its address */
    if (point_family(l->test_listed) == k)
      lp = l->test_listed;
    if (point_family(l->test_unlisted) == k)
      up = l->test_unlisted;
    if (!answers(f, lp))
      set_health(f, HEALTH_BROKEN, "does not list its test point %s (RFC "
                 "5782): not this list's data, or cut short", lp);
    else if (answers(f, up))
      set_health(f, HEALTH_BROKEN, "lists %s, which no list lists (RFC "
                 "5782): not this list's data", up);
  }
}

void
feed_judge_age(struct feed *f, int64_t now)
{
  if (f->health == HEALTH_STALE) {
    f->health = HEALTH_OK;
    f->detail[0] = '\0';
  }
  uint64_t max = f->list->feed->max_age_ms / 1000;
  if (f->health != HEALTH_OK || max == 0 || f->nfiles == 0)
    return;
  int64_t age = now - f->oldest;
  if (age > (int64_t)max) {
    char a[32], m[32];
    util_format_duration((uint64_t)age * 1000, a, sizeof(a));
    util_format_duration(max * 1000, m, sizeof(m));
    set_health(f, HEALTH_STALE, "%s is %s old, older than max_age %s: its "
               "updates have stopped (check the rsync or download job)",
               f->files[0].path, a, m);
  }
}

/* ---- loading -------------------------------------------------------------- */
static void
keep_warnings(struct feed *f, const struct feedparse *p, const char *path)
{
  f->lines += p->lines;
  f->bad += p->bad;
  for (size_t i = 0; i < p->nwarn && f->nwarn < FEEDPARSE_WARN_MAX; i++)
    snprintf(f->warn[f->nwarn++], sizeof(f->warn[0]), "%s:%s", path,
             p->warn[i]);
}

/* Reads every file of the feed into f->data. */
static enum outcome
load_files(struct feed *f, char *err, size_t errlen)
{
  const struct feed_def *d = f->list->feed;
  const char *paths[2] = {d->path, d->path6};
  for (int i = 0; i < 2 && paths[i] != NULL; i++) {
    struct feedparse p;
    feedparse_init(&p, &f->data, d->format,
                   feed_def_type(d, (int)f->list->type, i == 1), d->dataset);
    enum outcome o = read_file(f, &p, paths[i], &f->files[f->nfiles], err,
                               errlen);
    keep_warnings(f, &p, paths[i]);
    if (o != READ_OK)
      return o;
    f->nfiles++;
    if (p.fatal != NULL) {
      snprintf(err, errlen, "%s: %s", paths[i], p.fatal);
      return READ_FAILED;
    }
    if (d->dataset != NULL && !p.saw_dataset) {
      snprintf(err, errlen, "%s has no dataset '%s' ($DATASET lines name "
               "the datasets of a combined file)", paths[i], d->dataset);
      return READ_FAILED;
    }
  }
  if (!feed_data_finish(&f->data)) {
    snprintf(err, errlen, "out of memory");
    return READ_FAILED;
  }
  return READ_OK;
}

static void
judge(struct feed *f, int64_t now)
{
  const struct feed_def *d = f->list->feed;
  f->entries = feed_data_entries(&f->data);
  if (f->bad > d->max_bad)
    set_health(f, HEALTH_BROKEN, "%llu bad lines, more than max_bad %llu "
               "(the first: %s)", (unsigned long long)f->bad,
               (unsigned long long)d->max_bad, f->nwarn ? f->warn[0] : "?");
  else if (f->entries == 0)
    set_health(f, HEALTH_BROKEN, "%s holds no entries", d->path);
  judge_test_points(f);
  f->newest = f->oldest = 0;
  for (size_t i = 0; i < f->nfiles; i++) {
    int64_t t = f->files[i].mtime_ns / 1000000000;
    if (i == 0 || t > f->newest)
      f->newest = t;
    if (i == 0 || t < f->oldest)
      f->oldest = t;
  }
  feed_judge_age(f, now);
}

struct feed *
feed_load(const struct list_def *l, int64_t now)
{
  struct feed *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return NULL;
  f->list = l;
  char err[320] = "";
  enum outcome o = READ_CHANGED;
  for (int attempt = 0; attempt < 2 && o == READ_CHANGED; attempt++) {
    feed_data_free(&f->data);
    feed_data_init(&f->data);
    f->nfiles = 0;
    f->lines = f->bad = 0;
    f->nwarn = 0;
    o = load_files(f, err, sizeof(err));
  }
  f->health = HEALTH_OK;
  if (o != READ_OK) {
    feed_data_free(&f->data);
    feed_data_init(&f->data);
    f->entries = 0;
    f->nfiles = 0;          /* no file read: no age, read again next time */
    set_health(f, HEALTH_BROKEN, "%s", err);
    return f;
  }
  judge(f, now);
  return f;
}

void
feed_free(struct feed *f)
{
  if (f == NULL)
    return;
  feed_data_free(&f->data);
  free(f);
}

bool
feed_current(const struct feed *f)
{
  const struct feed_def *d = f->list->feed;
  const char *paths[2] = {d->path, d->path6};
  size_t want = d->path6 ? 2 : 1;
  if (f->nfiles != want)
    return false;  /* a broken read is tried again each time */
  for (size_t i = 0; i < want; i++) {
    struct stat st;
    const struct feed_file *ff = &f->files[i];
    struct feed_file now;
    if (stat(paths[i], &st) != 0)
      return false;
    identity(&now, paths[i], &st);
    if (now.dev != ff->dev || now.ino != ff->ino || now.size != ff->size ||
        now.mtime_ns != ff->mtime_ns)
      return false;
  }
  return true;
}

uint64_t
feed_signature(const struct list_def *l, int64_t now)
{
  const struct feed_def *d = l->feed;
  const char *paths[2] = {d->path, d->path6};
  uint64_t h = util_fnv1a(UTIL_FNV_INIT, l->name, strlen(l->name));
  for (int i = 0; i < 2 && paths[i] != NULL; i++) {
    struct stat st;
    int64_t v[5] = {0};
    if (stat(paths[i], &st) != 0) {
      v[0] = -errno;
    } else {
      int64_t age = now - st.st_mtim.tv_sec;
      v[0] = (int64_t)st.st_dev;
      v[1] = (int64_t)st.st_ino;
      v[2] = (int64_t)st.st_size;
      v[3] = mtime_ns(&st);
      v[4] = d->max_age_ms > 0 && age > (int64_t)(d->max_age_ms / 1000);
    }
    h = util_fnv1a(h, v, sizeof(v));
  }
  return h;
}

/* ---- the cache -------------------------------------------------------------- */
void
feed_cache_init(struct feed_cache *c)
{
  memset(c, 0, sizeof(*c));
}

void
feed_cache_free(struct feed_cache *c)
{
  for (size_t i = 0; i < c->n; i++)
    feed_free(c->feeds[i]);
  free(c->feeds);
  memset(c, 0, sizeof(*c));
}

static bool
str_eq(const char *a, const char *b)
{
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The same list read the same way (a reloaded configuration makes new
 * definitions). */
static bool
same_def(const struct list_def *a, const struct list_def *b)
{
  const struct feed_def *x = a->feed, *y = b->feed;
  return strcmp(a->name, b->name) == 0 && str_eq(x->path, y->path) &&
         str_eq(x->path6, y->path6) && str_eq(x->dataset, y->dataset) &&
         x->format == y->format && x->type == y->type &&
         x->type6 == y->type6 && x->max_bad == y->max_bad &&
         a->probe == b->probe && a->type == b->type &&
         str_eq(a->test_listed, b->test_listed) &&
         str_eq(a->test_unlisted, b->test_unlisted);
}

struct feed *
feed_cache_get(struct feed_cache *c, const struct list_def *l, int64_t now)
{
  size_t i = 0;
  while (i < c->n && !same_def(c->feeds[i]->list, l))
    i++;
  if (i < c->n && feed_current(c->feeds[i])) {
    c->feeds[i]->list = l;         /* the definition of this configuration */
    feed_judge_age(c->feeds[i], now);
    return c->feeds[i];
  }
  struct feed *f = feed_load(l, now);
  if (f == NULL)
    return NULL;
  if (i < c->n) {
    feed_free(c->feeds[i]);
    c->feeds[i] = f;
    return f;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 8;
    struct feed **p = realloc(c->feeds, cap * sizeof(*p));
    if (p == NULL) {
      feed_free(f);
      return NULL;
    }
    c->feeds = p;
    c->cap = cap;
  }
  c->feeds[c->n++] = f;
  return f;
}
