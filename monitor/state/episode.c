/* episode.c - the episode state machine (episode.h). */
#include "episode.h"

#include <string.h>

static void
announce(struct episode_step *s, enum change_kind k)
{
  s->changes[s->nchanges++] = k;
}

struct episode_step
episode_next(const struct episode_prev *p, enum result_status st,
             const char *codes)
{
  struct episode_step s = {EPW_NONE, 0, {CHANGE_LISTED, CHANGE_LISTED}};
  bool is_error = st == RES_ERROR || st == RES_SKIPPED;
  if (is_error && !p->errored)
    announce(&s, CHANGE_ERROR);
  else if (!is_error && p->errored)
    announce(&s, CHANGE_RECOVERED);
  if (is_error)
    return s; /* unknown: an open episode stays open */
  if (st == RES_LISTED && !p->open) {
    s.write = EPW_OPEN;
    announce(&s, p->closed_before ? CHANGE_RELISTED : CHANGE_LISTED);
  } else if (st == RES_LISTED) {
    s.write = EPW_UPDATE;
    if (strcmp(p->codes, codes) != 0)
      announce(&s, CHANGE_CODES);
  } else if (p->open) {
    s.write = EPW_CLOSE;
    announce(&s, CHANGE_DELISTED);
  }
  return s;
}
