/* remind.h - delisting reminders: what a due reminder says, how urgent it
 * is, and when the next one is due.
 *   new listing        due at once; a relisting says so
 *   not acknowledged   again every remind.every
 *   acknowledged (ack) again remind.after_request later, saying so
 *   auto-expiring list says when it should expire; reminds again only if
 *                      still listed then
 *   cleared            one closing message "delisted after N days"
 *   urgent             a critical listing with rejections in the last 24 h */
#ifndef RBL_REMIND_H
#define RBL_REMIND_H

#include <jansson.h>

#include "config.h"
#include "correlate.h"

struct remind_out {
  bool urgent;
  enum reminder_state next_state; /* REM_CLOSED after a closing message,
                                     else REM_KEEP */
  int64_t next_due;
};

/* Writes the reminder as text into t and as a JSON object (new reference)
 * into *j; fills out. */
void remind_compose(const struct config *cfg, const struct catalog *cat,
                    const struct reminder *r, const struct evidence *ev,
                    int64_t now, struct sbuf *t, json_t **j,
                    struct remind_out *out);

#endif
