/* libFuzzer target: a list's data file as rblmon reads it (feedparse.c),
 * the data it builds (feeddata.c), and the walk over a range against a
 * lookup of every address in it.  Input: byte 0 picks the dataset type
 * and the format, the rest is the file, split at line breaks.  What must
 * hold: no crash, no read out of bounds, and a walk that visits exactly the
 * addresses a lookup says are listed, in order, with the same answers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feedparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
  const struct feed_data *fd;
  uint32_t next;                  /* the walk's addresses: increasing */
  unsigned visits;
};

static bool
on_listed(void *arg, const struct addr *a, const struct feed_answer *ans)
{
  struct seen *s = arg;
  uint32_t x = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
               (uint32_t)a->b[2] << 8 | a->b[3];
  struct feed_answer direct;
  feed_data_lookup(s->fd, a, &direct);
  if (x < s->next || ans->nvalues == 0 || direct.nvalues != ans->nvalues ||
      memcmp(direct.values, ans->values,
             ans->nvalues * sizeof(ans->values[0])) != 0)
    __builtin_trap();
  s->next = x + 1;
  s->visits++;
  char txt[FEED_TXT_MAX + 8];
  feed_data_txt(s->fd, ans->values[0], "192.0.2.1", txt, sizeof(txt));
  if (strlen(txt) > FEED_TXT_MAX)
    __builtin_trap();
  return true;
}

/* The /24 of the first IPv4 block (or 127.0.0.0/24): walked, and every
 * address looked up. */
static void
check_walk(const struct feed_data *fd)
{
  struct target_spec t;
  memset(&t, 0, sizeof(t));
  t.kind = t.base.kind = TARGET_IP4;
  t.prefix = 24;
  uint32_t base = fd->n4 > 0 ? fd->b4[0].addr & 0xffffff00u : 0x7f000000u;
  for (int i = 0; i < 4; i++)
    t.base.b[i] = (uint8_t)(base >> (24 - 8 * i));
  struct seen s = {fd, base, 0};
  feed_data_walk(fd, &t, on_listed, &s);
  unsigned listed = 0;
  for (uint32_t i = 0; i < 256; i++) {
    struct addr a = t.base;
    a.b[3] = (uint8_t)i;
    struct feed_answer ans;
    feed_data_lookup(fd, &a, &ans);
    listed += ans.nvalues > 0;
  }
  if (listed != s.visits)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  enum feed_type type = (enum feed_type)(data[0] % FEED_TYPE_N);
  enum feed_format fmt = data[0] >= 0x80 ? FEED_FORMAT_PLAIN
                                         : FEED_FORMAT_RBLDNSD;
  struct feed_data fd;
  feed_data_init(&fd);
  struct feedparse p;
  feedparse_init(&p, &fd, fmt, type, "sub");
  char *line = malloc(size + 1);
  if (line == NULL)
    return 0;
  size_t i = 1;
  bool ok = true;
  while (ok && i < size) {
    size_t n = 0;
    while (i + n < size && data[i + n] != '\n')
      n++;
    memcpy(line, data + i, n);
    line[n] = '\0';
    ok = feedparse_line(&p, line, n);
    i += n + 1;
  }
  free(line);
  if (ok && feed_data_finish(&fd)) {
    check_walk(&fd);
    struct feed_answer ans;
    feed_data_lookup_name(&fd, "a.b.example", &ans);
    if (ans.nvalues > 0 && ans.name == NULL)
      __builtin_trap();
  }
  if (p.nwarn > FEEDPARSE_WARN_MAX || p.bad < p.nwarn)
    __builtin_trap();
  feed_data_free(&fd);
  return 0;
}
