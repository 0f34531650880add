/* notify_desktop.c - desktop notifications through libnotify.  From cron
 * or a systemd timer DBUS_SESSION_BUS_ADDRESS is usually unset: the user's
 * bus is then looked for at $XDG_RUNTIME_DIR/bus and /run/user/UID/bus.
 * Several events make one notification, not a storm. */
#include <glib.h>
#include <libnotify/notify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify.h"

#define DESKTOP_GROUP 3   /* more events than this: one summary */
#define DESKTOP_LINES 8

static bool
desktop_on(const struct config *cfg, unsigned *events)
{
  *events = cfg->desktop.events;
  return cfg->desktop.on;
}

static bool
is_socket(const char *path)
{
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

/* The session bus of this user, when the environment does not say. */
static bool
find_bus(char *err, size_t errlen)
{
  const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");
  if (a != NULL && *a != '\0')
    return true;
  char path[4096];
  const char *rt = getenv("XDG_RUNTIME_DIR");
  if (rt != NULL && *rt == '/')
    snprintf(path, sizeof(path), "%s/bus", rt);
  else
    snprintf(path, sizeof(path), "/run/user/%u/bus", (unsigned)getuid());
  if (!is_socket(path)) {
    snprintf(path, sizeof(path), "/run/user/%u/bus", (unsigned)getuid());
    if (!is_socket(path)) {
      snprintf(err, errlen, "no session bus (DBUS_SESSION_BUS_ADDRESS is "
               "unset and there is no %s): no desktop notification", path);
      return false;
    }
  }
  char addr[4200];
  snprintf(addr, sizeof(addr), "unix:path=%s", path);
  setenv("DBUS_SESSION_BUS_ADDRESS", addr, 1);
  return true;
}

/* Composed text (its untrusted parts escaped already): what is unsafe
 * left escaped, line breaks kept, then the notification markup. */
static char *
markup(const char *s)
{
  struct sbuf e;
  sbuf_init(&e, 16384);
  util_escape_composed(&e, s, strlen(s), true);
  gchar *m = g_markup_escape_text(sbuf_str(&e), -1);
  sbuf_free(&e);
  return m;
}

static NotifyUrgency
urgency(const struct notify_event *ev, size_t n)
{
  NotifyUrgency u = NOTIFY_URGENCY_LOW;
  for (size_t i = 0; i < n; i++) {
    if (!ev[i].has_sev)
      continue;
    if (ev[i].sev == SEV_CRITICAL)
      return NOTIFY_URGENCY_CRITICAL;
    if (ev[i].sev == SEV_WARNING)
      u = NOTIFY_URGENCY_NORMAL;
  }
  return u;
}

static bool
show(const char *summary, const char *body, NotifyUrgency u, char *err,
     size_t errlen)
{
  static const char *const icons[] = {"dialog-information", "dialog-warning",
                                      "dialog-error"};
  NotifyNotification *nn = notify_notification_new(summary, body, icons[u]);
  notify_notification_set_urgency(nn, u);
  notify_notification_set_app_name(nn, "rblmon");
  GError *gerr = NULL;
  gboolean ok = notify_notification_show(nn, &gerr);
  if (!ok)
    snprintf(err, errlen, "the notification server did not take it: %s",
             gerr ? gerr->message : "unknown error");
  g_clear_error(&gerr);
  g_object_unref(nn);
  return ok;
}

static bool
desktop_send(const struct config *cfg, const struct notify_event *ev,
             size_t n, char *err, size_t errlen)
{
  (void)cfg;
  if (!find_bus(err, errlen))
    return false;
  if (!notify_is_initted() && !notify_init("rblmon")) {
    snprintf(err, errlen, "libnotify could not start");
    return false;
  }
  bool ok = true;
  if (n <= DESKTOP_GROUP) {
    for (size_t i = 0; i < n && ok; i++) {
      char *s = markup(ev[i].summary), *b = markup(ev[i].body);
      ok = show(s, b, urgency(&ev[i], 1), err, errlen);
      g_free(s);
      g_free(b);
    }
  } else {
    GString *body = g_string_new(NULL);
    for (size_t i = 0; i < n && i < DESKTOP_LINES; i++) {
      char *s = markup(ev[i].summary);
      g_string_append_printf(body, "%s%s", i ? "\n" : "", s);
      g_free(s);
    }
    if (n > DESKTOP_LINES)
      g_string_append_printf(body, "\n... and %zu more (rblmon status)",
                             n - DESKTOP_LINES);
    char summary[64];
    snprintf(summary, sizeof(summary), "rblmon: %zu changes", n);
    ok = show(summary, body->str, urgency(ev, n), err, errlen);
    g_string_free(body, TRUE);
  }
  notify_uninit();
  return ok;
}

const struct notifier notify_desktop = {"desktop", desktop_on, desktop_send};
