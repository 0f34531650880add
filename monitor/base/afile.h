/* afile.h - files rblmon writes for others to read (a Prometheus textfile,
 * an HTML report): written under a new name made with mkstemp() (O_EXCL:
 * never through a file or symlink that was there) in the target's own
 * directory, synced, then renamed into place, so a reader sees the old
 * file or the new one whole. */
#ifndef RBL_AFILE_H
#define RBL_AFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct afile {
  FILE *f;                        /* write here */
  char path[PATH_MAX];
  char tmp[PATH_MAX + 16];
  bool direct;                    /* a device or FIFO, written as it is */
};

/* Starts writing path; false with err (naming the file) on failure.  A
 * path that is a device, a FIFO or a socket (/dev/null, /dev/stdout) is
 * written directly, never replaced. */
bool afile_open(struct afile *a, const char *path, char *err, size_t errlen);
/* Syncs, gives the file the mode a new file would get (0666 less the
 * umask), and renames it into place; false with err (the temporary file
 * removed) on failure.  The afile is finished either way. */
bool afile_commit(struct afile *a, char *err, size_t errlen);
/* Drops what was written (no-op for an afile not open). */
void afile_abort(struct afile *a);

#endif
