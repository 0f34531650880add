#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A device, FIFO or socket (-o /dev/null, -o /dev/stdout): written to
 * as it is.  Renaming a file over it would replace /dev/null itself. */
static bool
open_direct(struct afile *a, const char *path, char *err, size_t errlen)
{
  /* a FIFO with no reader is an error, not a wait */
  int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fcntl(fd, F_SETFL, 0) != 0 ||
      (a->f = fdopen(fd, "w")) == NULL) {
    snprintf(err, errlen, "cannot write %s: %s", path,
             errno == ENXIO ? "a FIFO that no process reads" : strerror(errno));
    if (fd >= 0)
      close(fd);
    return false;
  }
  a->tmp[0] = '\0';
  a->direct = true;
  return true;
}

bool
afile_open(struct afile *a, const char *path, char *err, size_t errlen)
{
  memset(a, 0, sizeof(*a));
  if (strlen(path) >= sizeof(a->path)) {
    snprintf(err, errlen, "%.64s...: the path is too long", path);
    return false;
  }
  snprintf(a->path, sizeof(a->path), "%s", path);
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return open_direct(a, path, err, errlen);
  /* the same directory, so that the rename stays on one file system */
  snprintf(a->tmp, sizeof(a->tmp), "%s.XXXXXX", path);
  int fd = mkstemp(a->tmp);
  if (fd < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    a->tmp[0] = '\0';
    return false;
  }
  if ((a->f = fdopen(fd, "w")) == NULL) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    unlink(a->tmp);
    a->tmp[0] = '\0';
    return false;
  }
  return true;
}

bool
afile_commit(struct afile *a, char *err, size_t errlen)
{
  if (a->f == NULL)
    return false;
  if (a->direct) {
    bool ok = fflush(a->f) == 0;
    int e = errno;
    ok = fclose(a->f) == 0 && ok;
    a->f = NULL;
    if (!ok)
      snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(e));
    return ok;
  }
  mode_t um = umask(0);
  umask(um);
  bool ok = fflush(a->f) == 0 && fchmod(fileno(a->f), 0666 & ~um) == 0 &&
            fsync(fileno(a->f)) == 0;
  int e = errno;
  ok = fclose(a->f) == 0 && ok;
  a->f = NULL;
  if (ok && rename(a->tmp, a->path) != 0) {
    e = errno;
    ok = false;
  }
  if (!ok) {
    snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(e));
    unlink(a->tmp);
  }
  a->tmp[0] = '\0';
  return ok;
}

void
afile_abort(struct afile *a)
{
  if (a->f != NULL)
    fclose(a->f);
  a->f = NULL;
  if (a->tmp[0] != '\0')
    unlink(a->tmp);
  a->tmp[0] = '\0';
}
