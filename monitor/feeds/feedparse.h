/* feedparse.h - the lines of a list's data file, read as rbldnsd reads
 * them (man rbldnsd: ip4set, ip4tset, ip4trie, ip6trie, ip6tset, dnset,
 * combined, with their A:TXT values and $ specials), or as a plain list
 * of addresses, CIDR ranges or names.  Where rblmon and rbldnsd would
 * differ on a file, rbldnsd is right (tests/integration/test_feed_diff.py
 * compares the two).
 *
 * The parser keeps no line: each is added to a struct feed_data as it
 * comes.  Bad lines are counted, and the first FEEDPARSE_WARN_MAX of them
 * are described (rbldnsd caps its warnings the same way). */
#ifndef RBL_FEEDPARSE_H
#define RBL_FEEDPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "feeddata.h"
#include "feeddef.h"

#define FEEDPARSE_WARN_MAX 10

struct feedparse {
  struct feed_data *fd;
  enum feed_format format;
  enum feed_type file_type;       /* as configured (combined: the file's) */
  enum feed_type type;            /* of the lines now (combined: section) */
  const char *dataset;            /* the combined section wanted */
  bool in_dataset, saw_dataset;   /* combined: in the wanted section */
  bool seen_section;              /* combined: past a $DATASET line */
  uint32_t def_a;                 /* the default A value and TXT */
  const char *def_txt;
  size_t def_txtlen;
  uint32_t def_val;               /* its value index (0: not made yet) */
  uint32_t tset_val;              /* ip4tset, ip6tset: the one value */
  bool tset_set;                  /* its ':' line was seen */
  const char *fatal;              /* a line that makes the file unusable */
  uint64_t maxrange4;             /* $MAXRANGE4: 0 none */
  uint64_t lines, bad;
  char warn[FEEDPARSE_WARN_MAX][160];
  size_t nwarn;
  bool oom;
  bool cr;                        /* the line ends in a CR (for messages) */
};

/* Starts reading one file of type (FEED_TYPE_DEFAULT is not allowed here:
 * feed_def_type() gives it) into fd; dataset: the section of a combined
 * file (NULL otherwise). */
void feedparse_init(struct feedparse *p, struct feed_data *fd,
                    enum feed_format format, enum feed_type type,
                    const char *dataset);
/* One line (without its newline; it may be changed).  Bad lines are
 * counted and described; false only when out of memory. */
bool feedparse_line(struct feedparse *p, char *line, size_t n);

#endif
