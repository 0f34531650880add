/* notify_command.c - a command hook: notify.command.argv run with execve
 * (no shell, no PATH search), the events as one JSON object on its
 * standard input, a clean environment with a few RBLMON_* variables, and
 * a timeout after which it is killed.  Its standard output is discarded
 * (it would mix into rblmon's report); its standard error is ours. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "report.h"

/* execve(2) takes char *const argv[] for historical reasons and never
 * writes through it; the configuration's argv is const. */
static char *const *
exec_argv(const char **argv)
{
  union {
    const char **c;
    char *const *m;
  } u = {.c = argv};
  return u.m;
}

static bool
command_on(const struct config *cfg, unsigned *events)
{
  *events = cfg->command.events;
  return cfg->command.on && cfg->hook_argv != NULL;
}

static bool
write_all(int fd, const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    s += w;
    n -= (size_t)w;
  }
  return true;
}

/* RBLMON_SUMMARY at most this long: well under any environment limit. */
#define SUMMARY_MAX 2048

static const char *
event_name(enum notify_kind k)
{
  return k == NOTIFY_EV_TEST ? "test" : notify_event_names[k];
}

/* The events as the hook reads them on stdin; *worst their worst
 * severity (-1: none).  NULL when out of memory. */
static char *
events_text(const struct notify_event *ev, size_t n, int *worst)
{
  json_t *arr = json_array();
  *worst = -1;
  for (size_t i = 0; i < n; i++) {
    json_t *o = ev[i].json ? json_deep_copy(ev[i].json) : json_object();
    json_object_set_new(o, "event", json_string(event_name(ev[i].kind)));
    json_object_set_new(o, "summary", report_json_composed(ev[i].summary));
    json_object_set_new(o, "body", report_json_composed(ev[i].body));
    /* every event has these (docs/schema/hook-event.json); a spike or a
     * test is about no target */
    if (json_object_get(o, "target") == NULL)
      json_object_set_new(o, "target", json_null());
    if (json_object_get(o, "watchlist") == NULL)
      json_object_set_new(o, "watchlist", json_null());
    if (json_object_get(o, "severity") == NULL)
      json_object_set_new(o, "severity",
                          ev[i].has_sev ? json_string(severity_names[ev[i].sev])
                                        : json_null());
    json_array_append_new(arr, o);
    if (ev[i].has_sev && (int)ev[i].sev > *worst)
      *worst = (int)ev[i].sev;
  }
  json_t *top = json_pack("{siso}", "schema_version",
                          REPORT_JSON_SCHEMA_VERSION, "events", arr);
  char *text = json_dumps(top, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(top);
  return text;
}

/* RBLMON_SUMMARY's value: the one event's summary, or for several, how
 * many of each kind and then each summary ("3 events: 2 listed, 1
 * delisted: A; B; C"), escaped, cut at an event with "; ..." to stay
 * under the buffer's maximum. */
static void
summary_env(const struct notify_event *ev, size_t n, struct sbuf *out)
{
  if (n == 1) {
    util_escape_composed(out, ev[0].summary, strlen(ev[0].summary), false);
    return;
  }
  size_t count[NOTIFY_EV_TEST + 1] = {0};
  for (size_t i = 0; i < n; i++)
    count[ev[i].kind]++;
  sbuf_addf(out, "%zu events", n);
  const char *sep = ": ";
  for (int k = 0; k <= NOTIFY_EV_TEST; k++) {
    if (count[k] == 0)
      continue;
    sbuf_addf(out, "%s%zu %s", sep, count[k],
              event_name((enum notify_kind)k));
    sep = ", ";
  }
  sep = ": ";
  for (size_t i = 0; i < n; i++) {
    struct sbuf one;
    sbuf_init(&one, sizeof(ev[i].summary) * 4 + 8);
    sbuf_adds(&one, sep);
    util_escape_composed(&one, ev[i].summary, strlen(ev[i].summary), false);
    /* room left for the "; ..." of a cut */
    bool fits = out->len + one.len + 5 < out->max &&
                sbuf_add(out, sbuf_str(&one), one.len) == RBL_OK;
    sbuf_free(&one);
    if (!fits) {
      sbuf_adds(out, "; ...");
      return;
    }
    sep = "; ";
  }
}

/* Waits for the hook at most notify.command.timeout (then kills it);
 * false with the reason when it did not exit 0. */
static bool
wait_hook(const struct config *cfg, pid_t pid, char *err, size_t errlen)
{
  int status = 0;
  uint64_t waited = 0;
  pid_t w;
  while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
         waited < cfg->hook_timeout_ms) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
    waited += 10;
  }
  if (w == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    char t[24];
    util_format_duration(cfg->hook_timeout_ms, t, sizeof(t));
    snprintf(err, errlen, "%s did not finish within %s and was killed "
             "(notify.command.timeout)", cfg->hook_argv[0], t);
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return true;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    snprintf(err, errlen, "%s could not be run (missing or not "
             "executable?)", cfg->hook_argv[0]);
  else if (WIFEXITED(status))
    snprintf(err, errlen, "%s exited with status %d", cfg->hook_argv[0],
             WEXITSTATUS(status));
  else
    snprintf(err, errlen, "%s was killed by signal %d", cfg->hook_argv[0],
             WTERMSIG(status));
  return false;
}

static bool
command_send(const struct config *cfg, const struct notify_event *ev,
             size_t n, char *err, size_t errlen)
{
  int worst;
  char *text = events_text(ev, n, &worst);
  if (text == NULL) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  /* A clean environment: nothing of ours leaks into the hook. */
  char e_count[32], e_kind[64], e_sev[48], e_sum[SUMMARY_MAX + 32];
  snprintf(e_count, sizeof(e_count), "RBLMON_EVENTS=%zu", n);
  snprintf(e_kind, sizeof(e_kind), "RBLMON_EVENT=%s", event_name(ev[0].kind));
  snprintf(e_sev, sizeof(e_sev), "RBLMON_SEVERITY=%s",
           worst >= 0 ? severity_names[worst] : "none");
  struct sbuf sum;
  sbuf_init(&sum, SUMMARY_MAX);
  summary_env(ev, n, &sum);
  snprintf(e_sum, sizeof(e_sum), "RBLMON_SUMMARY=%s", sbuf_str(&sum));
  sbuf_free(&sum);
  static char e_path[] = "PATH=/usr/bin:/bin", e_lc[] = "LC_ALL=C.UTF-8";
  char *envp[] = {e_path, e_lc, e_count, e_kind, e_sev, e_sum, NULL};

  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    free(text);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(in[0]);
    close(in[1]);
    free(text);
    return false;
  }
  if (pid == 0) {
    /* the hook starts with no signal blocked (rblmon run blocks some) */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_WRONLY);
    if (dup2(in[0], 0) < 0 || null < 0 || dup2(null, 1) < 0)
      _exit(126);
    execve(cfg->hook_argv[0], exec_argv(cfg->hook_argv), envp);
    _exit(127);
  }
  close(in[0]);
  void (*old)(int) = signal(SIGPIPE, SIG_IGN); /* a hook may not read */
  write_all(in[1], text, strlen(text));
  write_all(in[1], "\n", 1);
  close(in[1]);
  signal(SIGPIPE, old);
  free(text);
  return wait_hook(cfg, pid, err, errlen);
}

const struct notifier notify_command = {"command", command_on, command_send};
