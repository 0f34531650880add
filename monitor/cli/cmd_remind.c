/* cmd_remind.c - rblmon remind, ack, snooze, notify --test: arguments
 * around the reminders' passes (core/remindpass.c) and the notifiers. */
#include <stdio.h>

#include "cmd.h"
#include "notify.h"
#include "remindpass.h"
#include "report.h"

int
cmd_remind(struct cli *c)
{
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, false) == RBL_EXIT_OK)
    rc = remindpass_run(&a, c->rep, stdout);
  app_free(&a);
  return rc;
}

static bool
parse_id(const char *s, int64_t *id)
{
  uint64_t v;
  if (util_parse_u64(s, INT64_MAX, &v) != RBL_OK || v == 0)
    return false;
  *id = (int64_t)v;
  return true;
}

/* ack ID [--note TEXT] and snooze ID DURATION share everything else. */
static int
change_reminder(struct cli *c, bool ack)
{
  int64_t id;
  uint64_t ms = 0;
  if (!parse_id(c->args[0], &id) ||
      (!ack && util_parse_duration(c->args[1], &ms) != RBL_OK)) {
    fputs(c->misuse, stderr); /* their number: main */
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, false) == RBL_EXIT_OK &&
      (ack ? remindpass_ack(&a, id, c->note, stdout)
           : remindpass_snooze(&a, id, clock_now() + (int64_t)(ms / 1000),
                               stdout)) == RBL_OK)
    rc = RBL_EXIT_OK;
  app_free(&a);
  return rc;
}

int
cmd_ack(struct cli *c)
{
  return change_reminder(c, true);
}

int
cmd_snooze(struct cli *c)
{
  return change_reminder(c, false);
}

int
cmd_notify(struct cli *c)
{
  if (!c->test) { /* no argument: main */
    fputs(c->misuse, stderr);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = RBL_EXIT_UNKNOWN;
  if (cmd_app_load(&a, c, true) != RBL_EXIT_OK)
    goto done;
  if (!a.cfg.desktop.on && !a.cfg.command.on) {
    fprintf(stderr, "rblmon: no notification channel in %s: add notify: "
            "desktop: {} or command: {argv: [...]}\n", a.config_path);
    goto done;
  }
  rc = notify_test(&a.cfg) ? RBL_EXIT_WARNING : RBL_EXIT_OK;
done:
  app_free(&a);
  return rc;
}
