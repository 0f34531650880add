#define _GNU_SOURCE /* memmem */
#include "logread.h"

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

static rbl_status read_any(const char *path, const char *const *markers,
                           uint64_t *offset, uint64_t *lineno, logread_fn fn,
                           void *arg, struct logread_stats *st,
                           int64_t *mtime, uint64_t *inode, char *err,
                           size_t errlen);

rbl_status
logread_file(const char *path, uint64_t *offset, uint64_t *lineno,
             logread_fn fn, void *arg, struct logread_stats *st,
             int64_t *mtime, uint64_t *inode, char *err, size_t errlen)
{
  return read_any(path, NULL, offset, lineno, fn, arg, st, mtime, inode, err,
                  errlen);
}

rbl_status
logread_filtered(const char *path, const char *const *markers,
                 uint64_t *offset, uint64_t *lineno, logread_fn fn,
                 void *arg, struct logread_stats *st, int64_t *mtime,
                 uint64_t *inode, char *err, size_t errlen)
{
  return read_any(path, markers, offset, lineno, fn, arg, st, mtime, inode,
                  err, errlen);
}

static rbl_status
read_any(const char *path, const char *const *markers, uint64_t *offset,
         uint64_t *lineno, logread_fn fn, void *arg,
         struct logread_stats *st, int64_t *mtime, uint64_t *inode,
         char *err, size_t errlen)
{
  bool std_in = strcmp(path, "-") == 0;
  int fd = std_in ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return RBL_EIO;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || (!std_in && !S_ISREG(sb.st_mode))) {
    snprintf(err, errlen, "%s: not a regular file", path);
    close(fd);
    return RBL_EIO;
  }
  if (mtime != NULL)
    *mtime = (int64_t)sb.st_mtime;
  if (inode != NULL)
    *inode = (uint64_t)sb.st_ino;
  bool compressed = is_gz(path);
  /* Plain files: lseek and read(2) directly; zlib only where needed. */
  gzFile gz = NULL;
  if (compressed || std_in) {
    gz = gzdopen(fd, "rb");
    if (gz == NULL) {
      close(fd);
      snprintf(err, errlen, "%s: out of memory", path);
      return RBL_ENOMEM;
    }
    gzbuffer(gz, 256 * 1024);
  }
  rbl_status rc = RBL_OK;
  char *buf = malloc(LOGREAD_BLOCK + 1);
  if (buf == NULL) {
    rc = RBL_ENOMEM;
    goto done;
  }
  if (*offset > 0) {
    if (gz != NULL ? gzseek(gz, (z_off_t)*offset, SEEK_SET) < 0
                   : lseek(fd, (off_t)*offset, SEEK_SET) < 0) {
      snprintf(err, errlen, "%s: cannot seek to %llu", path,
               (unsigned long long)*offset);
      rc = RBL_EIO;
      goto done;
    }
  }
  size_t have = 0;
  bool skipping = false; /* inside a line longer than the maximum */
  uint64_t skipped = 0;  /* its bytes so far */
  uint64_t consumed = *offset, line = *lineno;
  for (;;) {
    ssize_t got;
    if (gz != NULL) {
      got = gzread(gz, buf + have, (unsigned)(LOGREAD_BLOCK - have));
    } else {
      do
        got = read(fd, buf + have, LOGREAD_BLOCK - have);
      while (got < 0 && errno == EINTR);
    }
    if (got < 0) {
      int zerr = 0;
      const char *zmsg = gz != NULL ? gzerror(gz, &zerr) : strerror(errno);
      snprintf(err, errlen, "%s: read error after line %llu: %s", path,
               (unsigned long long)line, zmsg);
      rc = RBL_EIO;
      break;
    }
    bool eof = got == 0;
    have += (size_t)got;
    size_t start = 0;
    if (skipping) { /* the rest of a too-long line */
      char *nl = memchr(buf, '\n', have);
      if (nl != NULL) {
        start = (size_t)(nl - buf) + 1;
        line++;
        st->lines++;
        skipping = false;
        if (markers == NULL) /* every line is told of, this one skipped */
          fn(arg, path, line, NULL, (size_t)(skipped + start - 1));
      }
    }
    if (!skipping) {
      const char *last = memrchr(buf + start, '\n', have - start);
      if (last != NULL) {
        size_t end = (size_t)(last - buf) + 1;
        deliver(path, markers, buf + start, end - start, &line, fn, arg, st);
        start = end;
      }
    }
    consumed += start;
    st->bytes += start;
    memmove(buf, buf + start, have - start);
    have -= start;
    if (have == LOGREAD_BLOCK) { /* no newline in a whole block */
      if (!skipping) {
        st->long_lines++;
        skipping = true;
        skipped = 0;
      }
      skipped += have;
      consumed += have;
      st->bytes += have;
      have = 0;
    }
    if (eof) {
      /* The end of a too-long line that is still being written: skip what
       * is there; the next run resumes after it (its rest, if any, is one
       * more fragment, and a fragment holds no rejection marker line). */
      if (skipping && have > 0 && !compressed && !std_in) {
        consumed += have;
        st->bytes += have;
        have = 0;
      }
      break;
    }
  }
  /* A last line without a newline: complete in a finished (compressed)
   * file; maybe half-written in a live one, so read it next time. */
  if (rc == RBL_OK && have > 0 && (compressed || std_in) && !skipping) {
    line++;
    st->lines++;
    fn(arg, path, line, buf, have);
    consumed += have;
    st->bytes += have;
  }
  if (rc == RBL_OK && gz != NULL) {
    int zerr = 0;
    const char *zmsg = gzerror(gz, &zerr);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
      snprintf(err, errlen, "%s: %s after line %llu", path, zmsg,
               (unsigned long long)line);
      rc = RBL_EIO;
    } else if (zerr == Z_BUF_ERROR) {
      snprintf(err, errlen, "%s: truncated compressed file after line %llu",
               path, (unsigned long long)line);
      rc = RBL_EIO;
    }
  }
  *offset = consumed;
  *lineno = line;
done:
  free(buf);
  if (gz != NULL)
    gzclose(gz); /* closes fd */
  else
    close(fd);
  if (rc == RBL_ENOMEM)
    snprintf(err, errlen, "%s: out of memory", path);
  return rc;
}

size_t
logread_peek(const char *path, char *buf, size_t size)
{
  gzFile gz = gzopen(path, "rb");
  if (gz == NULL)
    return 0;
  int n = gzread(gz, buf, (unsigned)size);
  gzclose(gz);
  return n > 0 ? (size_t)n : 0;
}

uint64_t
logread_head(const char *path)
{
  char buf[256];
  int n = (int)logread_peek(path, buf, sizeof(buf));
  if (n <= 0)
    return 0;
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < n && buf[i] != '\n'; i++) {
    h ^= (unsigned char)buf[i];
    h *= 1099511628211ULL;
  }
  return h ? h : 1;
}

struct sib {
  char *path;
  int64_t mtime;
};

static int
sib_cmp(const void *a, const void *b)
{
  const struct sib *x = a, *y = b;
  if (x->mtime != y->mtime)
    return x->mtime < y->mtime ? -1 : 1;
  return strcmp(y->path, x->path); /* .2 before .1 on a tie */
}

size_t
logread_siblings(const char *path, char ***out)
{
  *out = NULL;
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
  size_t bl = strlen(base);
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct sib *s = NULL;
  size_t n = 0, cap = 0;
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
    size_t len = strlen(dir) + strlen(nm) + 2;
    s[n].path = malloc(len);
    if (s[n].path == NULL)
      break;
    snprintf(s[n].path, len, "%s/%s", dir, nm);
    struct stat sb;
    s[n].mtime = stat(s[n].path, &sb) == 0 ? (int64_t)sb.st_mtime : 0;
    n++;
  }
  closedir(d);
  if (n == 0) {
    free(s);
    return 0;
  }
  qsort(s, n, sizeof(*s), sib_cmp);
  char **list = malloc(n * sizeof(*list));
  if (list == NULL) {
    for (size_t i = 0; i < n; i++)
      free(s[i].path);
    free(s);
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    list[i] = s[i].path;
  free(s);
  *out = list;
  return n;
}

void
logread_free_list(char **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(list[i]);
  free(list);
}
