#define _GNU_SOURCE /* memmem */
#include "logread.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define LOGREAD_BLOCK (1u << 20)

static bool
is_gz(const char *path)
{
  size_t n = strlen(path);
  return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

#define LOGREAD_MAX_MARKERS 16

static size_t
count_lines(const char *s, size_t n)
{
  size_t c = 0;
  const char *end = s + n;
  while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
    c++;
    s++;
  }
  return c;
}

/* Calls fn for the complete lines of buf[0, n) (n just past a newline)
 * that contain a marker, or for every line when markers is NULL. */
static void
deliver(const char *path, const char *const *markers, const char *buf,
        size_t n, uint64_t *line, logread_fn fn, void *arg,
        struct logread_stats *st)
{
  if (markers == NULL) {
    size_t start = 0;
    const char *nl;
    while (start < n && (nl = memchr(buf + start, '\n', n - start)) != NULL) {
      size_t len = (size_t)(nl - (buf + start));
      (*line)++;
      st->lines++;
      if (len > LOGREAD_LINE_MAX) {
        st->long_lines++;
        fn(arg, path, *line, NULL, len); /* skipped: told how long */
      } else {
        fn(arg, path, *line, buf + start, len);
      }
      start += len + 1;
    }
    return;
  }
  const char *next[LOGREAD_MAX_MARKERS];
  size_t nm = 0, mlen[LOGREAD_MAX_MARKERS];
  for (; markers[nm] != NULL && nm < LOGREAD_MAX_MARKERS; nm++) {
    mlen[nm] = strlen(markers[nm]);
    next[nm] = memmem(buf, n, markers[nm], mlen[nm]);
  }
  size_t counted = 0; /* newlines counted up to here */
  uint64_t base = *line;
  for (;;) {
    const char *hit = NULL;
    for (size_t k = 0; k < nm; k++)
      if (next[k] != NULL && (hit == NULL || next[k] < hit))
        hit = next[k];
    if (hit == NULL)
      break;
    size_t pos = (size_t)(hit - buf);
    const char *ls = memrchr(buf, '\n', pos);
    size_t lstart = ls ? (size_t)(ls - buf) + 1 : 0;
    const char *le = memchr(hit, '\n', n - pos);
    size_t lend = le ? (size_t)(le - buf) : n;
    base += count_lines(buf + counted, lstart - counted);
    counted = lstart;
    if (lend - lstart > LOGREAD_LINE_MAX)
      st->long_lines++;
    else
      fn(arg, path, base + 1, buf + lstart, lend - lstart);
    for (size_t k = 0; k < nm; k++)
      if (next[k] != NULL && (size_t)(next[k] - buf) <= lend)
        next[k] = lend + 1 < n ? memmem(buf + lend + 1, n - lend - 1,
                                        markers[k], mlen[k])
                               : NULL;
  }
  size_t total = count_lines(buf, n);
  *line += total;
  st->lines += total;
}

/* ---- opening: regular files only, never blocking --------------------- */
/* Opens path for reading without blocking (a FIFO would block open()
 * until a writer comes), then refuses anything but a regular file.  -1
 * with err on failure. */
static int
open_regular(const char *path, struct stat *sb, char *err, size_t errlen)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
    snprintf(err, errlen, "%s: not a regular file (a FIFO, socket, device "
             "or directory); skipped", path);
    close(fd);
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

/* The first line's hash from its first bytes (up to 256, to a newline). */
static uint64_t
head_hash(const char *buf, size_t n)
{
  if (n == 0)
    return 0;
  const char *nl = memchr(buf, '\n', n);
  uint64_t h = util_fnv1a(UTIL_FNV_INIT, buf, nl ? (size_t)(nl - buf) : n);
  return h ? h : 1;
}

/* Up to size decompressed bytes of fd from offset off (fd stays open). */
static size_t
pread_any(int fd, bool compressed, uint64_t off, char *buf, size_t size)
{
  if (!compressed) {
    ssize_t n;
    do
      n = pread(fd, buf, size, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n > 0 ? (size_t)n : 0;
  }
  /* a dup shares the file offset: put it back for whoever reads next */
  off_t was = lseek(fd, 0, SEEK_CUR);
  int d = dup(fd);
  if (d < 0)
    return 0;
  lseek(d, 0, SEEK_SET);
  gzFile gz = gzdopen(d, "rb");
  if (gz == NULL) {
    close(d);
    return 0;
  }
  int n = off == 0 || gzseek(gz, (z_off_t)off, SEEK_SET) >= 0
            ? gzread(gz, buf, (unsigned)size) : -1;
  gzclose(gz);
  if (was >= 0)
    lseek(fd, was, SEEK_SET);
  return n > 0 ? (size_t)n : 0;
}

/* The hash of the bytes before a position: 0 at the start of a file, 1
 * for "the file is shorter", anything else for bytes. */
static uint64_t
tail_hash(const char *buf, size_t n)
{
  if (n == 0)
    return 0;
  uint64_t h = util_fnv1a(UTIL_FNV_INIT, buf, n);
  return h > 1 ? h : 2;
}

static uint64_t
fd_head(int fd, bool compressed)
{
  char buf[256];
  return head_hash(buf, pread_any(fd, compressed, 0, buf, sizeof(buf)));
}

/* The hash of the LOGREAD_TAIL bytes before off (0 at the start). */
static uint64_t
fd_tail(int fd, bool compressed, uint64_t off)
{
  char buf[LOGREAD_TAIL];
  if (off == 0)
    return 0;
  uint64_t from = off > LOGREAD_TAIL ? off - LOGREAD_TAIL : 0;
  size_t want = (size_t)(off - from);
  size_t n = pread_any(fd, compressed, from, buf, want);
  if (n != want)
    return 1; /* the file is shorter now: matches no cursor */
  return tail_hash(buf, n);
}

/* ---- reading ------------------------------------------------------------ */
struct reader {
  const char *path;
  const char *const *markers;
  logread_fn fn;
  void *arg;
  struct logread_stats *st;
  int fd;
  gzFile gz;
  bool compressed, std_in;
  char *buf;
  size_t have;
  bool skipping;                  /* inside a line longer than the maximum */
  uint64_t skipped;               /* its bytes so far */
  uint64_t consumed, line;
  char tail[LOGREAD_TAIL];        /* the last bytes consumed */
  size_t tail_len;
};

static void
keep_tail(struct reader *r, const char *p, size_t n)
{
  if (n >= LOGREAD_TAIL) {
    memcpy(r->tail, p + n - LOGREAD_TAIL, LOGREAD_TAIL);
    r->tail_len = LOGREAD_TAIL;
    return;
  }
  size_t keep = r->tail_len + n > LOGREAD_TAIL ? LOGREAD_TAIL - n : r->tail_len;
  memmove(r->tail, r->tail + r->tail_len - keep, keep);
  memcpy(r->tail + keep, p, n);
  r->tail_len = keep + n;
}

/* n bytes at the start of the buffer are done with. */
static void
consume(struct reader *r, size_t n)
{
  keep_tail(r, r->buf, n);
  r->consumed += n;
  r->st->bytes += n;
  memmove(r->buf, r->buf + n, r->have - n);
  r->have -= n;
}

static ssize_t
read_block(struct reader *r)
{
  ssize_t got;
  if (r->gz != NULL)
    return gzread(r->gz, r->buf + r->have,
                  (unsigned)(LOGREAD_BLOCK - r->have));
  do
    got = read(r->fd, r->buf + r->have, LOGREAD_BLOCK - r->have);
  while (got < 0 && errno == EINTR);
  return got;
}

/* The complete lines of the buffer, and what a line longer than the
 * maximum leaves in it. */
static void
take_lines(struct reader *r)
{
  size_t start = 0;
  if (r->skipping) { /* the rest of a too-long line */
    char *nl = memchr(r->buf, '\n', r->have);
    if (nl != NULL) {
      start = (size_t)(nl - r->buf) + 1;
      r->line++;
      r->st->lines++;
      r->skipping = false;
      if (r->markers == NULL) /* every line is told of, this one skipped */
        r->fn(r->arg, r->path, r->line, NULL,
              (size_t)(r->skipped + start - 1));
    }
  }
  if (!r->skipping) {
    const char *last = memrchr(r->buf + start, '\n', r->have - start);
    if (last != NULL) {
      size_t end = (size_t)(last - r->buf) + 1;
      deliver(r->path, r->markers, r->buf + start, end - start, &r->line,
              r->fn, r->arg, r->st);
      start = end;
    }
  }
  consume(r, start);
  if (r->have == LOGREAD_BLOCK) { /* no newline in a whole block */
    if (!r->skipping) {
      r->st->long_lines++;
      r->skipping = true;
      r->skipped = 0;
    }
    r->skipped += r->have;
    consume(r, r->have);
  }
}

/* At the end: a last line without a newline is complete in a finished
 * (compressed) file or standard input, maybe half-written in a live one
 * (read next time); the end of a too-long line that is still being
 * written is skipped (the next run resumes after it: its rest is one more
 * fragment, and a fragment holds no rejection marker line). */
static void
take_end(struct reader *r)
{
  bool finished = r->compressed || r->std_in;
  if (r->skipping && r->have > 0 && !finished) {
    consume(r, r->have);
  } else if (r->have > 0 && finished && !r->skipping) {
    r->line++;
    r->st->lines++;
    r->fn(r->arg, r->path, r->line, r->buf, r->have);
    consume(r, r->have);
  }
}

static rbl_status
gz_end_status(struct reader *r, char *err, size_t errlen)
{
  int zerr = 0;
  const char *zmsg = gzerror(r->gz, &zerr);
  if (zerr == Z_OK)
    return RBL_OK;
  if (zerr == Z_BUF_ERROR)
    snprintf(err, errlen, "%s: truncated compressed file after line %llu",
             r->path, (unsigned long long)r->line);
  else
    snprintf(err, errlen, "%s: %s after line %llu", r->path, zmsg,
             (unsigned long long)r->line);
  return RBL_EIO;
}

static rbl_status
read_loop(struct reader *r, char *err, size_t errlen)
{
  for (;;) {
    ssize_t got = read_block(r);
    if (got < 0) {
      int zerr = 0;
      const char *zmsg = r->gz != NULL ? gzerror(r->gz, &zerr)
                                       : strerror(errno);
      snprintf(err, errlen, "%s: read error after line %llu: %s", r->path,
               (unsigned long long)r->line, zmsg);
      return RBL_EIO;
    }
    r->have += (size_t)got;
    take_lines(r);
    if (got == 0)
      break;
  }
  take_end(r);
  return r->gz != NULL ? gz_end_status(r, err, errlen) : RBL_OK;
}

/* Opens what r reads and seeks to offset. */
static rbl_status
reader_open(struct reader *r, uint64_t offset, struct logread_info *info,
            char *err, size_t errlen)
{
  struct stat sb;
  r->std_in = strcmp(r->path, "-") == 0;
  r->compressed = !r->std_in && is_gz(r->path);
  r->fd = r->std_in ? dup(STDIN_FILENO)
                    : open_regular(r->path, &sb, err, errlen);
  if (r->fd < 0) {
    if (r->std_in)
      snprintf(err, errlen, "-: cannot read standard input: %s",
               strerror(errno));
    return RBL_EIO;
  }
  if (info != NULL && !r->std_in) {
    info->dev = (uint64_t)sb.st_dev;
    info->inode = (uint64_t)sb.st_ino;
    info->mtime = (int64_t)sb.st_mtime;
    info->head = fd_head(r->fd, r->compressed);
  }
  /* Plain files: lseek and read(2) directly; zlib only where needed. */
  if (r->compressed || r->std_in) {
    if ((r->gz = gzdopen(r->fd, "rb")) == NULL) {
      snprintf(err, errlen, "%s: out of memory", r->path);
      return RBL_ENOMEM;
    }
    gzbuffer(r->gz, 256 * 1024);
  }
  if ((r->buf = malloc(LOGREAD_BLOCK + 1)) == NULL) {
    snprintf(err, errlen, "%s: out of memory", r->path);
    return RBL_ENOMEM;
  }
  if (offset > 0 && (r->gz != NULL
                       ? gzseek(r->gz, (z_off_t)offset, SEEK_SET) < 0
                       : lseek(r->fd, (off_t)offset, SEEK_SET) < 0)) {
    snprintf(err, errlen, "%s: cannot seek to %llu", r->path,
             (unsigned long long)offset);
    return RBL_EIO;
  }
  return RBL_OK;
}

static rbl_status
read_any(const char *path, const char *const *markers, uint64_t *offset,
         uint64_t *lineno, logread_fn fn, void *arg,
         struct logread_stats *st, struct logread_info *info, char *err,
         size_t errlen)
{
  struct reader r = {path, markers, fn, arg, st, -1, NULL, false, false,
                     NULL, 0, false, 0, *offset, *lineno, {0}, 0};
  if (info != NULL)
    memset(info, 0, sizeof(*info));
  rbl_status rc = reader_open(&r, *offset, info, err, errlen);
  if (rc == RBL_OK) {
    rc = read_loop(&r, err, errlen);
    *offset = r.consumed;
    *lineno = r.line;
  }
  if (info != NULL && r.fd >= 0 && !r.std_in) {
    /* the tail as read, or (resumed with fewer bytes read) from the file */
    if (r.tail_len == LOGREAD_TAIL || r.tail_len == r.consumed)
      info->tail = tail_hash(r.tail, r.tail_len);
    else
      info->tail = fd_tail(r.fd, r.compressed, r.consumed);
  }
  free(r.buf);
  if (r.gz != NULL)
    gzclose(r.gz); /* closes fd */
  else if (r.fd >= 0)
    close(r.fd);
  return rc;
}

rbl_status
logread_file(const char *path, uint64_t *offset, uint64_t *lineno,
             logread_fn fn, void *arg, struct logread_stats *st,
             struct logread_info *info, char *err, size_t errlen)
{
  return read_any(path, NULL, offset, lineno, fn, arg, st, info, err,
                  errlen);
}

rbl_status
logread_filtered(const char *path, const char *const *markers,
                 uint64_t *offset, uint64_t *lineno, logread_fn fn,
                 void *arg, struct logread_stats *st,
                 struct logread_info *info, char *err, size_t errlen)
{
  return read_any(path, markers, offset, lineno, fn, arg, st, info, err,
                  errlen);
}

size_t
logread_peek(const char *path, char *buf, size_t size)
{
  struct stat sb;
  char err[64];
  int fd = open_regular(path, &sb, err, sizeof(err));
  if (fd < 0)
    return 0;
  size_t n = pread_any(fd, is_gz(path), 0, buf, size);
  close(fd);
  return n;
}

/* ---- the rotated set ----------------------------------------------------- */
/* How old a sibling's name says it is: logrotate's numbers (path.3 is
 * older than path.1) and dated names (path-20260105: older is smaller).
 * kind 1 numbered, 2 dated, 0 neither. */
static void
name_rank(const char *suffix, int *kind, uint64_t *value)
{
  uint64_t v = 0;
  size_t digits = 0;
  for (const char *p = suffix + 1; *p >= '0' && *p <= '9' && digits < 18;
       p++, digits++)
    v = v * 10 + (uint64_t)(*p - '0');
  *value = v;
  *kind = digits == 0 ? 0 : digits >= 8 ? 2 : 1;
}

struct sib {
  struct logfile f;
  int kind;
  uint64_t value;
  int64_t rank;                   /* oldest first */
};

static int
sib_cmp(const void *a, const void *b)
{
  const struct sib *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->f.mtime != y->f.mtime)
    return x->f.mtime < y->f.mtime ? -1 : 1;
  /* twins (path.2 and path.2.gz): the plain one first */
  return (int)x->f.compressed - (int)y->f.compressed;
}

/* The identity of a regular file: false when it cannot be read. */
static bool
identify(struct logfile *f, char *err, size_t errlen)
{
  struct stat sb;
  int fd = open_regular(f->path, &sb, err, errlen);
  if (fd < 0)
    return false;
  f->dev = (uint64_t)sb.st_dev;
  f->inode = (uint64_t)sb.st_ino;
  f->size = (uint64_t)sb.st_size;
  f->mtime = (int64_t)sb.st_mtime;
  f->compressed = is_gz(f->path);
  f->head = fd_head(fd, f->compressed);
  close(fd);
  return true;
}

static void
note(struct logplan *p, const char *msg)
{
  size_t o = strlen(p->notes);
  snprintf(p->notes + o, sizeof(p->notes) - o, "%s\n", msg);
}

static bool
add_file(struct logplan *p, size_t *cap, const struct logfile *f)
{
  if (p->n == *cap) {
    size_t c = *cap ? *cap * 2 : 8;
    struct logfile *n = realloc(p->files, c * sizeof(*n));
    if (n == NULL)
      return false;
    p->files = n;
    *cap = c;
  }
  p->files[p->n++] = *f;
  return true;
}

/* The regular siblings of path into sibs (identified, malloc'ed paths). */
static size_t
list_siblings(const char *path, struct logplan *plan, struct sib **out)
{
  char dir[4096];
  const char *base = strrchr(path, '/');
  if (base == NULL) {
    snprintf(dir, sizeof(dir), ".");
    base = path;
  } else {
    snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
    if (dir[0] == '\0')
      snprintf(dir, sizeof(dir), "/");
    base++;
  }
  size_t bl = strlen(base), n = 0, cap = 0;
  struct sib *s = NULL;
  *out = NULL;
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *nm = e->d_name;
    if (strncmp(nm, base, bl) != 0 || (nm[bl] != '.' && nm[bl] != '-') ||
        nm[bl + 1] < '0' || nm[bl + 1] > '9')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      struct sib *p = realloc(s, cap * sizeof(*p));
      if (p == NULL)
        break;
      s = p;
    }
    memset(&s[n], 0, sizeof(s[n]));
    size_t len = strlen(dir) + strlen(nm) + 2;
    if ((s[n].f.path = malloc(len)) == NULL)
      break;
    snprintf(s[n].f.path, len, "%s/%s", dir, nm);
    char err[512];
    if (!identify(&s[n].f, err, sizeof(err))) {
      note(plan, err);
      free(s[n].f.path);
      continue;
    }
    name_rank(nm + bl, &s[n].kind, &s[n].value);
    n++;
  }
  closedir(d);
  /* names when every sibling's name has the one scheme, else mtimes */
  bool by_name = n > 0;
  for (size_t i = 0; i < n; i++)
    by_name = by_name && s[i].kind != 0 && s[i].kind == s[0].kind;
  for (size_t i = 0; i < n; i++)
    s[i].rank = !by_name ? s[i].f.mtime
                : s[i].kind == 1 ? -(int64_t)s[i].value /* .3 before .1 */
                                 : (int64_t)s[i].value; /* -2025 first */
  if (n > 1)
    qsort(s, n, sizeof(*s), sib_cmp);
  *out = s;
  return n;
}

/* Whether f is the file cur was read in: its first line, and the bytes
 * before the cursor (a cursor of an older rblmon has no tail: then the
 * same inode, or a copy). */
static bool
is_cursor_file(const struct logfile *f, const struct logcursor *cur,
               bool live)
{
  if (f->head != cur->head || (!f->compressed && f->size < cur->offset))
    return false;
  if (cur->tail == 0 && cur->offset > 0)
    return !live || f->inode == cur->inode;
  char err[64];
  struct stat sb;
  int fd = open_regular(f->path, &sb, err, sizeof(err));
  if (fd < 0)
    return false;
  bool same = fd_tail(fd, f->compressed, cur->offset) == cur->tail;
  close(fd);
  return same;
}

/* Drops a sibling that is a twin of the next one or of the live file
 * (same first line): a rotation compressing or copying it right now. */
static size_t
drop_twins(struct sib *s, size_t n, const struct logfile *live)
{
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    bool twin = s[i].f.head != 0 &&
                (s[i].f.head == live->head ||
                 (w > 0 && s[w - 1].f.head == s[i].f.head));
    if (twin) {
      /* keep the plain, complete one */
      if (w > 0 && s[w - 1].f.head == s[i].f.head && s[w - 1].f.compressed &&
          !s[i].f.compressed) {
        free(s[w - 1].f.path);
        s[w - 1] = s[i];
      } else {
        free(s[i].f.path);
      }
      continue;
    }
    s[w++] = s[i];
  }
  return w;
}

/* Where reading starts: the index of the cursor's file (n: not found). */
static size_t
find_cursor(const struct sib *s, size_t n, const struct logfile *live,
            const struct logcursor *cur)
{
  if (is_cursor_file(live, cur, true))
    return n;
  for (size_t i = n; i-- > 0;)
    if (is_cursor_file(&s[i].f, cur, false))
      return i;
  return SIZE_MAX;
}

rbl_status
logread_plan(const char *path, const struct logcursor *cur, bool backfill,
             struct logplan *plan, char *err, size_t errlen)
{
  memset(plan, 0, sizeof(*plan));
  struct logfile live = {0};
  if ((live.path = strdup(path)) == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    return RBL_ENOMEM;
  }
  if (!identify(&live, err, errlen)) {
    free(live.path);
    return RBL_EIO;
  }
  struct sib *s = NULL;
  size_t n = cur != NULL || backfill ? list_siblings(path, plan, &s) : 0;
  n = drop_twins(s, n, &live);
  size_t from = n, cap = 0; /* from: the first sibling to read */
  if (backfill) {
    from = 0;
    cur = NULL; /* every file whole */
  } else if (cur != NULL) {
    from = find_cursor(s, n, &live, cur);
    if (from == SIZE_MAX) { /* its file is gone: what changed since */
      from = n;
      for (size_t i = 0; i < n && from == n; i++)
        if (s[i].f.mtime >= cur->updated - 1)
          from = i;
      char m[600];
      snprintf(m, sizeof(m), "%s: the file of the last scan's position was "
               "not found (rotated away or rewritten): read %zu file%s "
               "changed since then whole", path, n - from + 1,
               n - from ? "s" : "");
      note(plan, m);
      cur = NULL;
    }
  }
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    if (i >= from && ok) {
      bool first = cur != NULL && i == from;
      s[i].f.offset = first ? cur->offset : 0;
      s[i].f.lines = first ? cur->lines : 0;
      ok = add_file(plan, &cap, &s[i].f);
      if (ok)
        continue;
    }
    free(s[i].f.path);
  }
  bool live_first = cur != NULL && from == n;
  live.offset = live_first ? cur->offset : 0;
  live.lines = live_first ? cur->lines : 0;
  ok = ok && add_file(plan, &cap, &live);
  free(s);
  if (!ok) {
    free(live.path);
    logread_plan_free(plan);
    snprintf(err, errlen, "%s: out of memory", path);
    return RBL_ENOMEM;
  }
  return RBL_OK;
}

void
logread_plan_free(struct logplan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    free(plan->files[i].path);
  free(plan->files);
  plan->files = NULL;
  plan->n = 0;
}
