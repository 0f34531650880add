/* correlate.h - what each listing costs, and the blocks no listing
 * explains.  A rejection belongs to a listing when it names that list (or
 * another list of the same operator: "Spamhaus" for ZEN, SBL, XBL...),
 * names the listed IP or domain (or no address at all), and falls inside
 * the listing's episode widened by remind.window.  Both reads are SQL
 * joins on the state's indexes (rejections by list and time, by time),
 * with the catalog's lists of one operator bound as JSON.  Is it really
 * us: a rejection citing a list that a healthy check found us clean on, or
 * one whose receiver says its own query failed, is the receiver's problem
 * (a finding with its postmaster), never a listing's evidence. */
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
  /* the mail servers that logged them (syslog hosts), when the logs of
   * several arrive at one place: the rejections grouped by server */
  char servers[CORRELATE_RECEIVERS][64];
  uint64_t per_server[CORRELATE_RECEIVERS];
  size_t nservers;
};

/* Fills ev for the listing e (ev is zeroed first; its receivers point into
 * ev itself).  Rejections of the causes recipient and receiver-error are
 * never evidence: they say nothing of our standing.  RBL_EIO when the
 * state cannot be read, RBL_ENOMEM. */
rbl_status correlate_listing(struct store *s, const struct catalog *cat,
                             const struct episode *e, int64_t window_s,
                             int64_t now, struct evidence *ev);

/* A group of rejections (last 7 days) that no listing explains.  Ours to
 * act on: unmonitored-list, receiver-block, cleared-listing,
 * not-seen-listed.  The receiver's (theirs: never a listing of ours, never
 * a reminder, never the exit status): not-listed (the reply cites a list
 * that a healthy check found us clean on within the window), and
 * receiver-error (the receiver's own query of the list failed). */
struct finding {
  const char *kind;               /* one of the above, a literal */
  bool theirs;                    /* not-listed, receiver-error */
  char what[128];                 /* the list, block or receiver; for
                                     receiver-error the zone (else list) */
  char receiver[128];             /* theirs: the receiver by the rules, else
                                     the recipient's domain; "" */
  char contact[256];              /* theirs: the rules' postmaster page,
                                     else postmaster@ the recipient's
                                     domain (RFC 5321 4.5.1); "" unknown */
  char advice[640];               /* composed: untrusted parts escaped */
  uint64_t count;
  int64_t first, last;
  int64_t checked;                /* not-listed: the latest clean check the
                                     group cites; 0 otherwise */
};
typedef void (*finding_fn)(void *arg, const struct finding *f);

/* The postmaster page the rules give for a receiver, or NULL. */
typedef const char *(*postmaster_fn)(void *arg, const char *receiver);
/* "title: url" of a receiver's sender requirement by its rules id, or
 * NULL. */
typedef const char *(*requirement_fn)(void *arg, const char *id);

/* What correlate_unexplained() judges by.  selected: the lists in use
 * (what is "monitored"); window_s: remind.window; postmaster (may be
 * NULL): the receivers' contacts, looked up by the caller. */
struct correlate_scope {
  const struct catalog *cat;
  const struct list_def *const *selected;
  size_t nselected;
  int64_t window_s, now;
  postmaster_fn postmaster;
  void *postmaster_arg;           /* for both callbacks */
  requirement_fn requirement;     /* may be NULL */
};

/* Calls fn with each group of the last 7 days' blocks (before now) that no
 * listing explains, in the order their first block was seen (at most 64
 * groups), then one finding "requirement" for each receiver's sender
 * requirement the week's rejections name (what: its id; advice: its title
 * and page); f is valid during the call only.  Rejections of the causes
 * recipient never count; receiver-error ones are their own finding.  A
 * rejection citing a monitored list L (cause blocklist) is not-listed when
 * the state's last result of L for the address it names (for every
 * target checked on L when it names none) is clean, within window_s of the
 * rejection, and L's health at that check was ok.  RBL_EIO when the state
 * cannot be read (fn is then not called), RBL_ENOMEM. */
rbl_status correlate_unexplained(struct store *s,
                                 const struct correlate_scope *sc,
                                 finding_fn fn, void *arg);

#endif
