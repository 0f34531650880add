/* remindpass.h - the delisting reminders as passes on a loaded app, each
 * one transaction: the due reminders worded with their evidence
 * (report/remind.c), sent to the notifiers, marked sent and handed to a
 * reporter's remind view; and the operator's answers, ack (removal
 * requested) and snooze.  rblmon remind, ack and snooze are arguments
 * around these; rblmon run runs remindpass_run() for its reminder job. */
#ifndef RBL_REMINDPASS_H
#define RBL_REMINDPASS_H

#include <stdint.h>
#include <stdio.h>
#include "app.h"
#include "report.h"

/* Sends and prints (rep's remind view, on out) the reminders due now, and
 * marks them sent.  What was committed is printed and flushed before the
 * state is let go.  Returns the exit code: CRITICAL when one is urgent,
 * WARNING when some were due, OK when none, UNKNOWN (the reason on
 * stderr, nothing marked sent) when the state failed. */
int remindpass_run(const struct app *a, const struct reporter *rep,
                   FILE *out);

/* ack: removal of reminder id's listing was requested (note: what was
 * done, may be NULL); its next reminder comes remind.after_request later.
 * snooze: the next reminder comes at until.  Once committed, one line on
 * out says so (flushed before the state is let go).  RBL_ENOTFOUND (no
 * open reminder id) or the state's error, printed on stderr; nothing
 * changes then. */
rbl_status remindpass_ack(const struct app *a, int64_t id, const char *note,
                          FILE *out);
rbl_status remindpass_snooze(const struct app *a, int64_t id, int64_t until,
                             FILE *out);

#endif
