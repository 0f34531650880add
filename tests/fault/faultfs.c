/* faultfs.c - an LD_PRELOAD shim that makes file operations fail, for the
 * fault-injection suite (tests/fault/test_faults.py).
 *
 * Only descriptors opened on a path that contains $FAULTFS_MATCH (the
 * state directory) are watched; every other file is left alone.  An
 * operation on a watched descriptor whose class is in $FAULTFS_OPS is a
 * "matching op"; they are counted from 1 in the order they happen.
 *
 *   FAULTFS_MATCH   substring of the paths to watch (required)
 *   FAULTFS_OPS     classes: write (write, pwrite, pwrite64, writev),
 *                   sync (fsync, fdatasync), read (read, pread, pread64),
 *                   trunc (ftruncate, ftruncate64); default all of them
 *   FAULTFS_N       the matching op to hit; unset: count only
 *   FAULTFS_ERRNO   ENOSPC (default) or EIO
 *   FAULTFS_STICKY  1: every matching op after the Nth fails too (a disk
 *                   that stays full)
 *   FAULTFS_ACTION  fail (default), or kill: SIGKILL at the Nth op, before
 *                   it is done (kill -9 at a chosen moment)
 *   FAULTFS_COUNT   file that receives the number of matching ops seen,
 *                   written at exit; then, when ops were failed, a line
 *                   "failed CLASS,..." of their classes (SQLite takes an
 *                   EIO on a read for a damaged file, on a write not)
 *
 * Only the process the test starts is faulted: it records its pid in
 * FAULTFS_OWNER at load, and a process that finds another pid there (a
 * program it runs with this environment) counts nothing, fails nothing
 * and does not write the count; a child it forks does not either.
 *
 * Descriptors follow their file through dup, dup2, dup3, mkstemp (and
 * its variants) and fopen (fdopen keeps the descriptor's state); fclose
 * forgets them like close.  A path opened relative to the working
 * directory or a dirfd is matched as /proc/self/fd resolves it too.  The
 * _FORTIFY_SOURCE entry points (__open_2, __read_chk, ...) are watched
 * like the plain ones.  Writes made inside stdio (fwrite, fprintf) cannot
 * be seen: a stream's fflush reaches the kernel through libc's internal
 * write, not through this shim; fsync and ftruncate on its fileno() are.
 *
 * SQLite (Debian 12's libsqlite3.so.0) reaches the disk through open64,
 * read, write, pread64, pwrite64, fdatasync, ftruncate64 and close (nm -D
 * lists them undefined); rblmon itself uses open, read, write, fsync and
 * close.  The other names are wrapped so that a build which resolves them
 * differently is watched the same.  Not thread-safe beyond atomic counters:
 * rblmon does its file I/O on one thread. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum op_class { OP_WRITE = 1, OP_SYNC = 2, OP_READ = 4, OP_TRUNC = 8 };

#define MAX_FDS 4096 /* descriptors above this are never watched */

static struct {
  bool ready;
  bool inert;           /* not the process the test started */
  pid_t pid;
  const char *match;
  unsigned classes;
  unsigned long n;      /* 0: count only */
  int err;
  bool sticky, kill;
  const char *count_path;
  unsigned long seen;   /* matching ops so far */
  unsigned failed;      /* classes of the ops failed */
  unsigned char watched[MAX_FDS];
} ff;

/* ---- settings ----------------------------------------------------------- */
static unsigned
parse_classes(const char *s)
{
  static const struct {
    const char *name;
    unsigned bit;
  } names[] = {{"write", OP_WRITE}, {"sync", OP_SYNC}, {"read", OP_READ},
               {"trunc", OP_TRUNC}};
  unsigned bits = 0;
  if (s == NULL || *s == '\0')
    return OP_WRITE | OP_SYNC | OP_READ | OP_TRUNC;
  while (*s != '\0') {
    size_t len = strcspn(s, ",");
    bool known = false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
      if (strlen(names[i].name) == len && strncmp(s, names[i].name, len) == 0) {
        bits |= names[i].bit;
        known = true;
      }
    if (!known && len > 0) /* a typo would count nothing, silently */
      fprintf(stderr, "faultfs: FAULTFS_OPS: unknown class '%.*s' (write, "
              "sync, read, trunc)\n", (int)len, s);
    s += len + (s[len] == ',');
  }
  return bits;
}

static void
setup(void)
{
  if (ff.ready)
    return;
  ff.ready = true;
  ff.pid = getpid();
  /* The first process to load the shim owns it; programs it runs inherit
   * LD_PRELOAD and the settings, and must neither count nor fail (they
   * would overwrite the count at their exit, or fail an op of their own
   * with the same N). */
  const char *owner = getenv("FAULTFS_OWNER");
  if (owner != NULL && *owner != '\0' &&
      strtol(owner, NULL, 10) != (long)ff.pid) {
    ff.inert = true;
    return;
  }
  char pid[24];
  snprintf(pid, sizeof(pid), "%ld", (long)ff.pid);
  setenv("FAULTFS_OWNER", pid, 1);
  ff.match = getenv("FAULTFS_MATCH");
  if (ff.match != NULL && *ff.match == '\0')
    ff.match = NULL;
  ff.classes = parse_classes(getenv("FAULTFS_OPS"));
  const char *n = getenv("FAULTFS_N");
  ff.n = n != NULL ? strtoul(n, NULL, 10) : 0;
  const char *e = getenv("FAULTFS_ERRNO");
  ff.err = e != NULL && strcmp(e, "EIO") == 0 ? EIO : ENOSPC;
  const char *st = getenv("FAULTFS_STICKY");
  ff.sticky = st != NULL && strcmp(st, "1") == 0;
  const char *a = getenv("FAULTFS_ACTION");
  ff.kill = a != NULL && strcmp(a, "kill") == 0;
  ff.count_path = getenv("FAULTFS_COUNT");
}

/* ---- the real functions --------------------------------------------------- */
#define REAL(name)                                                           \
  static __typeof__(name) *real_##name;                                      \
  if (real_##name == NULL)                                                   \
    real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* At load, before main: the owner is known before the program can fork
 * or run anything. */
__attribute__((constructor)) static void
load(void)
{
  setup();
}

/* Whether this process is the one to count and fault (a child forked by
 * the owner has another pid, and a copy of the counters). */
static bool
active(void)
{
  setup();
  return !ff.inert && getpid() == ff.pid;
}

/* At exit: how many matching ops there were, for the sweep's range. */
__attribute__((destructor)) static void
write_count(void)
{
  REAL(open);
  REAL(write);
  REAL(close);
  if (!active() || ff.count_path == NULL)
    return;
  int fd = real_open(ff.count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                     0644);
  if (fd < 0)
    return;
  char buf[96];
  int len = snprintf(buf, sizeof(buf), "%lu\n",
                     __atomic_load_n(&ff.seen, __ATOMIC_SEQ_CST));
  static const char *const names[] = {"write", "sync", "read", "trunc"};
  unsigned failed = __atomic_load_n(&ff.failed, __ATOMIC_SEQ_CST);
  for (int i = 0, first = 1; i < 4; i++)
    if (failed & (1u << i)) {
      len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s%s",
                      first ? "failed " : ",", names[i]);
      first = 0;
    }
  if (failed != 0)
    len += snprintf(buf + len, sizeof(buf) - (size_t)len, "\n");
  if (real_write(fd, buf, (size_t)len) != len)
    fprintf(stderr, "faultfs: cannot write %s\n", ff.count_path);
  real_close(fd);
}

/* ---- watching --------------------------------------------------------- */
static void
track(int fd, const char *path)
{
  setup();
  if (fd < 0 || fd >= MAX_FDS)
    return;
  bool hit = false;
  if (ff.match != NULL && path != NULL) {
    hit = strstr(path, ff.match) != NULL;
    if (!hit && path[0] != '/') { /* relative: where it really is */
      char link[64], real[4096];
      snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
      ssize_t n = readlink(link, real, sizeof(real) - 1);
      if (n > 0) {
        real[n] = '\0';
        hit = strstr(real, ff.match) != NULL;
      }
    }
  }
  ff.watched[fd] = hit;
}

/* newfd now names what oldfd names. */
static void
copy_watch(int oldfd, int newfd)
{
  if (newfd < 0 || newfd >= MAX_FDS)
    return;
  ff.watched[newfd] = oldfd >= 0 && oldfd < MAX_FDS && ff.watched[oldfd];
}

static void
forget(int fd)
{
  if (fd >= 0 && fd < MAX_FDS)
    ff.watched[fd] = 0;
}

/* Whether the op on fd is to fail (errno set); kills the process when
 * that is the action. */
static bool
inject(int fd, unsigned cls)
{
  if (fd < 0 || fd >= MAX_FDS || !ff.watched[fd] || !(cls & ff.classes) ||
      !active())
    return false;
  unsigned long k = __atomic_add_fetch(&ff.seen, 1, __ATOMIC_SEQ_CST);
  if (ff.n == 0 || k < ff.n || (k > ff.n && !ff.sticky))
    return false;
  if (ff.kill)
    raise(SIGKILL);
  __atomic_or_fetch(&ff.failed, cls, __ATOMIC_SEQ_CST);
  errno = ff.err;
  return true;
}

/* ---- opening and closing -------------------------------------------------- */
/* The mode argument exists only with O_CREAT or O_TMPFILE; O_TMPFILE
 * includes O_DIRECTORY, so a plain O_DIRECTORY open has none (glibc's
 * __OPEN_NEEDS_MODE). */
#define NEEDS_MODE(flags)                                                    \
  (((flags) & O_CREAT) != 0 || ((flags) & O_TMPFILE) == O_TMPFILE)
#define MODE_ARG(flags, mode)                                                \
  mode_t mode = 0;                                                           \
  if (NEEDS_MODE(flags)) {                                                   \
    va_list ap;                                                              \
    va_start(ap, flags);                                                     \
    mode = (mode_t)va_arg(ap, int);                                          \
    va_end(ap);                                                              \
  }

int
open(const char *path, int flags, ...)
{
  REAL(open);
  MODE_ARG(flags, mode);
  int fd = real_open(path, flags, mode);
  track(fd, path);
  return fd;
}

int
open64(const char *path, int flags, ...)
{
  REAL(open64);
  MODE_ARG(flags, mode);
  int fd = real_open64(path, flags, mode);
  track(fd, path);
  return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
  REAL(openat);
  MODE_ARG(flags, mode);
  int fd = real_openat(dirfd, path, flags, mode);
  track(fd, path);
  return fd;
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
  REAL(openat64);
  MODE_ARG(flags, mode);
  int fd = real_openat64(dirfd, path, flags, mode);
  track(fd, path);
  return fd;
}

/* _FORTIFY_SOURCE: open with flags the compiler cannot see (no mode). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int
__open_2(const char *path, int flags)
{
  REAL(__open_2);
  int fd = real___open_2(path, flags);
  track(fd, path);
  return fd;
}

int
__open64_2(const char *path, int flags)
{
  REAL(__open64_2);
  int fd = real___open64_2(path, flags);
  track(fd, path);
  return fd;
}

int
__openat_2(int dirfd, const char *path, int flags)
{
  REAL(__openat_2);
  int fd = real___openat_2(dirfd, path, flags);
  track(fd, path);
  return fd;
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
  REAL(__openat64_2);
  int fd = real___openat64_2(dirfd, path, flags);
  track(fd, path);
  return fd;
}

int
close(int fd)
{
  REAL(close);
  forget(fd);
  return real_close(fd);
}

int
dup(int fd)
{
  REAL(dup);
  int nfd = real_dup(fd);
  copy_watch(fd, nfd);
  return nfd;
}

int
dup2(int fd, int nfd)
{
  REAL(dup2);
  int r = real_dup2(fd, nfd);
  if (r >= 0 && r != fd)
    copy_watch(fd, r);
  return r;
}

int
dup3(int fd, int nfd, int flags)
{
  REAL(dup3);
  int r = real_dup3(fd, nfd, flags);
  copy_watch(fd, r);
  return r;
}

/* mkstemp and its variants open a file too (libc's internal open, which
 * the wrappers above never see). */
int
mkstemp(char *tmpl)
{
  REAL(mkstemp);
  int fd = real_mkstemp(tmpl);
  track(fd, tmpl);
  return fd;
}

int
mkstemp64(char *tmpl)
{
  REAL(mkstemp64);
  int fd = real_mkstemp64(tmpl);
  track(fd, tmpl);
  return fd;
}

int
mkostemp(char *tmpl, int flags)
{
  REAL(mkostemp);
  int fd = real_mkostemp(tmpl, flags);
  track(fd, tmpl);
  return fd;
}

int
mkostemp64(char *tmpl, int flags)
{
  REAL(mkostemp64);
  int fd = real_mkostemp64(tmpl, flags);
  track(fd, tmpl);
  return fd;
}

int
mkstemps(char *tmpl, int suffixlen)
{
  REAL(mkstemps);
  int fd = real_mkstemps(tmpl, suffixlen);
  track(fd, tmpl);
  return fd;
}

int
mkostemps(char *tmpl, int suffixlen, int flags)
{
  REAL(mkostemps);
  int fd = real_mkostemps(tmpl, suffixlen, flags);
  track(fd, tmpl);
  return fd;
}

/* Streams: their descriptor is watched like any other (fsync(fileno(f)));
 * fclose closes it inside libc, past close() above, so it is forgotten
 * here, or a socket given the same number later would be watched. */
FILE *
fopen(const char *path, const char *mode)
{
  REAL(fopen);
  FILE *f = real_fopen(path, mode);
  if (f != NULL)
    track(fileno(f), path);
  return f;
}

FILE *
fopen64(const char *path, const char *mode)
{
  REAL(fopen64);
  FILE *f = real_fopen64(path, mode);
  if (f != NULL)
    track(fileno(f), path);
  return f;
}

int
fclose(FILE *f)
{
  REAL(fclose);
  if (f != NULL)
    forget(fileno(f));
  return real_fclose(f);
}

/* ---- the operations --------------------------------------------------- */
ssize_t
write(int fd, const void *buf, size_t len)
{
  REAL(write);
  return inject(fd, OP_WRITE) ? -1 : real_write(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
  REAL(pwrite);
  return inject(fd, OP_WRITE) ? -1 : real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
  REAL(pwrite64);
  return inject(fd, OP_WRITE) ? -1 : real_pwrite64(fd, buf, len, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
  REAL(writev);
  return inject(fd, OP_WRITE) ? -1 : real_writev(fd, iov, n);
}

ssize_t
read(int fd, void *buf, size_t len)
{
  REAL(read);
  return inject(fd, OP_READ) ? -1 : real_read(fd, buf, len);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
  REAL(pread);
  return inject(fd, OP_READ) ? -1 : real_pread(fd, buf, len, off);
}

ssize_t
pread64(int fd, void *buf, size_t len, off64_t off)
{
  REAL(pread64);
  return inject(fd, OP_READ) ? -1 : real_pread64(fd, buf, len, off);
}

/* _FORTIFY_SOURCE: reads into a buffer of known size. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t off,
                      size_t buflen);

ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
  REAL(__read_chk);
  return inject(fd, OP_READ) ? -1 : real___read_chk(fd, buf, len, buflen);
}

ssize_t
__pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
  REAL(__pread_chk);
  return inject(fd, OP_READ) ? -1
                             : real___pread_chk(fd, buf, len, off, buflen);
}

ssize_t
__pread64_chk(int fd, void *buf, size_t len, off64_t off, size_t buflen)
{
  REAL(__pread64_chk);
  return inject(fd, OP_READ) ? -1
                             : real___pread64_chk(fd, buf, len, off, buflen);
}

int
fsync(int fd)
{
  REAL(fsync);
  return inject(fd, OP_SYNC) ? -1 : real_fsync(fd);
}

int
fdatasync(int fd)
{
  REAL(fdatasync);
  return inject(fd, OP_SYNC) ? -1 : real_fdatasync(fd);
}

int
ftruncate(int fd, off_t len)
{
  REAL(ftruncate);
  return inject(fd, OP_TRUNC) ? -1 : real_ftruncate(fd, len);
}

int
ftruncate64(int fd, off64_t len)
{
  REAL(ftruncate64);
  return inject(fd, OP_TRUNC) ? -1 : real_ftruncate64(fd, len);
}
