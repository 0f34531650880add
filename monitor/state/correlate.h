/* correlate.h - what each listing costs, and the blocks no listing
 * explains.  A rejection belongs to a listing when it names that list (or
 * another list of the same operator: "Spamhaus" for ZEN, SBL, XBL...),
 * names the listed IP or domain (or no address at all), and falls inside
 * the listing's episode widened by remind.window.  Both reads are SQL
 * joins on the state's indexes (rejections by list and time, by time),
 * with the catalog's lists of one operator bound as JSON. */
#ifndef RBL_CORRELATE_H
#define RBL_CORRELATE_H

#include "catalog.h"
#include "store.h"

#define CORRELATE_RECEIVERS 8

struct evidence {
  uint64_t total, day, week;      /* rejections: all, last 24 h, last 7 d */
  int64_t first, last;
  const char *receivers[CORRELATE_RECEIVERS]; /* point into the store's
                                                 strings: copied below */
  char recv_buf[CORRELATE_RECEIVERS][64];
  size_t nreceivers;
};

/* Fills ev for the listing e (ev is zeroed first; its receivers point into
 * ev itself).  Rejections of the causes recipient and receiver-error are
 * never evidence: they say nothing of our standing.  RBL_EIO when the
 * state cannot be read, RBL_ENOMEM. */
rbl_status correlate_listing(struct store *s, const struct catalog *cat,
                             const struct episode *e, int64_t window_s,
                             int64_t now, struct evidence *ev);

/* A group of rejections (last 7 days) that no listing explains. */
struct finding {
  const char *kind;               /* unmonitored-list, receiver-block,
                                     cleared-listing, not-seen-listed */
  char what[128];                 /* the list, block or receiver */
  char advice[320];
  uint64_t count;
  int64_t first, last;
};
typedef void (*finding_fn)(void *arg, const struct finding *f);

/* Calls fn with each group of the last 7 days' blocks (before now) that no
 * listing explains, in the order their first block was seen (at most 64
 * groups); f is valid during the call only.  selected: the lists in use
 * (what is "monitored").  RBL_EIO when the state cannot be read (fn is
 * then not called), RBL_ENOMEM. */
rbl_status correlate_unexplained(struct store *s, const struct catalog *cat,
                                 const struct list_def *const *selected,
                                 size_t nselected, int64_t window_s,
                                 int64_t now, finding_fn fn, void *arg);

#endif
