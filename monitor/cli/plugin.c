/* plugin.c - one status line on stdout whatever happens (plugin.h). */
#define _GNU_SOURCE
#include "plugin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define PLUGIN_REASON_MAX 240

static struct {
  unsigned long long written;     /* bytes written to stdout */
  char line[PLUGIN_REASON_MAX];   /* stderr's line being written */
  size_t nline;
  bool cut;                       /* the line was longer: cut */
  char reason[PLUGIN_REASON_MAX]; /* the first message, "" for none */
  bool not_ours;                  /* the command has no Nagios format */
} pl;

static ssize_t
write_all(int fd, const char *buf, size_t n)
{
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, buf + done, n - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return done > 0 ? (ssize_t)done : -1;
    done += (size_t)w;
  }
  return (ssize_t)done;
}

static ssize_t
out_write(void *cookie, const char *buf, size_t n)
{
  (void)cookie;
  ssize_t w = write_all(STDOUT_FILENO, buf, n);
  if (w > 0)
    pl.written += (unsigned long long)w;
  return w;
}

/* A line of stderr is the reason when it is the first message: "rblmon: "
 * is dropped, and what would break the status line (control characters,
 * the "|" that starts the performance data) is replaced. */
static void
end_line(void)
{
  static const char prefix[] = "rblmon: ";
  const char *s = pl.line;
  pl.line[pl.nline] = '\0';
  if (strncmp(s, prefix, sizeof(prefix) - 1) == 0)
    s += sizeof(prefix) - 1;
  if (pl.reason[0] == '\0' && *s != '\0' && s != pl.line + pl.nline) {
    size_t k = 0;
    for (; *s && k + 4 < sizeof(pl.reason); s++)
      pl.reason[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' '
                       : *s == '|' ? '/' : *s;
    if (pl.cut)
      memcpy(pl.reason + k, "...", 3), k += 3;
    pl.reason[k] = '\0';
  }
  pl.nline = 0;
  pl.cut = false;
}

static ssize_t
err_write(void *cookie, const char *buf, size_t n)
{
  (void)cookie;
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == '\n')
      end_line();
    else if (buf[i] == '\r') /* a progress line starts again */
      pl.nline = 0;
    else if (pl.nline + 1 < sizeof(pl.line))
      pl.line[pl.nline++] = buf[i];
    else
      pl.cut = true;
  }
  return write_all(STDERR_FILENO, buf, n);
}

bool
plugin_wanted(int argc, char *const *argv)
{
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--format=nagios") == 0)
      return true;
    if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
        strcmp(argv[++i], "nagios") == 0)
      return true;
  }
  return false;
}

bool
plugin_begin(void)
{
  cookie_io_functions_t out = {NULL, out_write, NULL, NULL};
  cookie_io_functions_t err = {NULL, err_write, NULL, NULL};
  FILE *o = fopencookie(NULL, "w", out), *e = fopencookie(NULL, "w", err);
  if (o == NULL || e == NULL) {
    if (o != NULL)
      fclose(o);
    if (e != NULL)
      fclose(e);
    return false;
  }
  setvbuf(e, NULL, _IONBF, 0); /* stderr stays unbuffered */
  fflush(stdout);
  fflush(stderr);
  /* glibc: stdout and stderr are variables that may be set (The GNU C
   * Library manual, "Standard Streams") */
  stdout = o;
  stderr = e;
  return true;
}

void
plugin_not_ours(void)
{
  pl.not_ours = true;
}

int
plugin_end(int rc)
{
  fflush(stdout);
  if (pl.nline > 0)
    end_line(); /* a last message without its newline */
  if (pl.written == 0 && !pl.not_ours) {
    const char *why = pl.reason[0] ? pl.reason
                      : rc == RBL_EXIT_UNKNOWN
                        ? "no status could be given (see the standard error)"
                        : "the report was written to the --output file";
    printf("RBLMON %s - %s\n", report_exit_name(rc), why);
    fflush(stdout);
  }
  return rc;
}
