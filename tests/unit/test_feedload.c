/* test_feedload.c - reading a list's feed from real files in a temporary
 * directory (monitor/feeds/feedload.h): what makes a feed OK, STALE or
 * BROKEN and why, gzip, the RFC 5782 test points, combined files, the
 * cache that keeps a feed while its files are unchanged, and the
 * signature that tells rblmon run to look again. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "feedload.h"
#include "target.h"

#define DAY 86400

/* One list read from <dir>/feed (and <dir>/feed6 when set), built by hand
 * as the configuration would: an IPv4 list, no test points unless a test
 * turns probe on. */
struct fx {
  char dir[256];
  char path[300], path6[300];
  struct list_def l;
  struct feed_def d;
  int64_t now;
};

static int
fx_setup(void **state)
{
  struct fx *x = calloc(1, sizeof(*x));
  if (x == NULL)
    return -1;
  const char *tmp = getenv("TMPDIR");
  snprintf(x->dir, sizeof(x->dir), "%s/rblmon-test-feedload-XXXXXX",
           tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
  if (mkdtemp(x->dir) == NULL) {
    free(x);
    return -1;
  }
  snprintf(x->path, sizeof(x->path), "%s/feed", x->dir);
  snprintf(x->path6, sizeof(x->path6), "%s/feed6", x->dir);
  x->d = (struct feed_def){.list = "testfeed", .path = x->path,
                           .format = FEED_FORMAT_RBLDNSD,
                           .type = FEED_TYPE_DEFAULT,
                           .type6 = FEED_TYPE_DEFAULT,
                           .max_bad = FEED_DEFAULT_MAX_BAD};
  x->l.name = "testfeed";
  x->l.zone = "feed.test";
  x->l.type = LIST_IP4;
  x->l.probe = false;
  x->l.feed = &x->d;
  x->now = (int64_t)time(NULL);
  *state = x;
  return 0;
}

/* Removes what the test made: files, a FIFO, one level of directory. */
static int
fx_teardown(void **state)
{
  struct fx *x = *state;
  DIR *dir = opendir(x->dir);
  if (dir != NULL) {
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      if (unlinkat(dirfd(dir), e->d_name, 0) != 0)
        unlinkat(dirfd(dir), e->d_name, AT_REMOVEDIR);
    }
    closedir(dir);
  }
  rmdir(x->dir);
  free(x);
  return 0;
}

/* ---- helpers ------------------------------------------------------------- */
static void
write_at(const char *path, const char *text)
{
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  assert_true(fputs(text, fp) >= 0);
  assert_int_equal(fclose(fp), 0);
}

/* Writes <dir>/name. */
static void
put(const struct fx *x, const char *name, const char *text)
{
  char path[400];
  snprintf(path, sizeof(path), "%s/%s", x->dir, name);
  write_at(path, text);
}

/* Sets the file's change time to t (seconds; the access time stays). */
static void
set_mtime(const char *path, int64_t t)
{
  struct timespec ts[2] = {{0, UTIME_OMIT}, {(time_t)t, 0}};
  assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static struct feed *
load(const struct fx *x)
{
  struct feed *f = feed_load(&x->l, x->now);
  assert_non_null(f);
  return f;
}

/* The feed's A values for an address or a name, as lookups answer
 * them: "127.0.0.2" for one, "" when not listed. */
static const char *
answer(const struct feed *f, const char *key)
{
  static char out[FEED_VALUES_MAX * 16];
  struct addr a;
  struct feed_answer ans;
  if (target_addr_parse(key, &a))
    feed_data_lookup(&f->data, &a, &ans);
  else
    feed_data_lookup_name(&f->data, key, &ans);
  size_t w = 0;
  out[0] = '\0';
  for (size_t i = 0; i < ans.nvalues; i++) {
    uint32_t v = ans.values[i]->a;
    w += (size_t)snprintf(out + w, sizeof(out) - w, "%s%u.%u.%u.%u",
                          i ? "," : "", v >> 24, (v >> 16) & 255,
                          (v >> 8) & 255, v & 255);
  }
  return out;
}

static void
has(const char *text, const char *part)
{
  if (strstr(text, part) == NULL)
    fail_msg("'%s' does not say '%s'", text, part);
}

/* BROKEN, with a reason that says part, and no data kept. */
static void
broken(const struct feed *f, const char *part)
{
  if (f->health != HEALTH_BROKEN)
    fail_msg("health %d, not BROKEN (detail '%s')", f->health, f->detail);
  has(f->detail, part);
}

static void
ok(const struct feed *f)
{
  if (f->health != HEALTH_OK)
    fail_msg("health %d, not OK: %s", f->health, f->detail);
  assert_string_equal(f->detail, "");
}

/* ---- reading ------------------------------------------------------------- */
static void
a_good_file_is_ok_with_its_entries_counted(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "# a comment\n"
                    "\n"
                    "1.2.3.4\n"
                    "10.0.0.0/8 :3:ten\n"
                    "127.0.0.2\n");
  struct feed *f = load(x);
  ok(f);
  assert_int_equal(f->entries, 3);     /* the /8 is one block */
  assert_int_equal(f->lines, 5);
  assert_int_equal(f->bad, 0);
  assert_int_equal(f->nfiles, 1);
  assert_string_equal(f->files[0].path, x->path);
  assert_string_equal(answer(f, "10.20.30.40"), "127.0.0.3");
  assert_string_equal(answer(f, "1.2.3.4"), "127.0.0.2");
  assert_string_equal(answer(f, "1.2.3.5"), "");
  feed_free(f);
}

/* gzip is known by its magic bytes, as rbldnsd knows it: the name does
 * not matter. */
static void
a_gzip_file_is_read_whatever_its_name(void **state)
{
  struct fx *x = *state;
  gzFile gz = gzopen(x->path, "wb");
  assert_non_null(gz);
  assert_true(gzputs(gz, "1.2.3.4\n5.6.7.0/24 :4\n127.0.0.2\n") > 0);
  assert_int_equal(gzclose(gz), Z_OK);
  unsigned char magic[2];
  FILE *fp = fopen(x->path, "rb");
  assert_non_null(fp);
  assert_int_equal(fread(magic, 1, 2, fp), 2);
  fclose(fp);
  assert_true(magic[0] == 0x1f && magic[1] == 0x8b); /* really gzip */
  struct feed *f = load(x);
  ok(f);
  assert_int_equal(f->entries, 3);
  assert_string_equal(answer(f, "5.6.7.8"), "127.0.0.4");
  feed_free(f);
}

/* A gzip file cut short (an interrupted download) is not a smaller
 * feed: rbldnsd fails the whole dataset too. */
static void
a_cut_gzip_file_is_broken(void **state)
{
  struct fx *x = *state;
  gzFile gz = gzopen(x->path, "wb");
  assert_non_null(gz);
  assert_true(gzputs(gz, "127.0.0.2\n") > 0);
  for (unsigned i = 0; i < 5000; i++)   /* not too compressible */
    gzprintf(gz, "10.%u.%u.%u\n", (i * 7919) % 256, (i * 31) % 256, i % 256);
  assert_int_equal(gzclose(gz), Z_OK);
  struct stat st;
  assert_int_equal(stat(x->path, &st), 0);
  /* without the 4-byte length of its trailer: all data there, unchecked */
  assert_int_equal(truncate(x->path, st.st_size - 4), 0);
  struct feed *f = load(x);
  broken(f, "cannot read");
  assert_int_equal(f->entries, 0);
  assert_string_equal(answer(f, "127.0.0.2"), ""); /* nothing half-read */
  feed_free(f);
  assert_int_equal(truncate(x->path, st.st_size / 2), 0);
  f = load(x);
  broken(f, "cannot read");
  assert_int_equal(f->entries, 0);
  feed_free(f);
}

static void
a_missing_file_is_broken(void **state)
{
  struct fx *x = *state;
  struct feed *f = load(x);
  broken(f, "cannot open");
  has(f->detail, x->path);
  assert_int_equal(f->nfiles, 0);
  feed_free(f);
}

static void
a_directory_is_broken(void **state)
{
  struct fx *x = *state;
  assert_int_equal(mkdir(x->path, 0700), 0);
  struct feed *f = load(x);
  broken(f, "not a regular file");
  feed_free(f);
}

/* A FIFO with no writer would block a plain open() or read() forever;
 * the alarm turns a hang into a failure instead of a stuck test run. */
static void
a_fifo_is_broken_without_blocking(void **state)
{
  struct fx *x = *state;
  assert_int_equal(mkfifo(x->path, 0600), 0);
  alarm(10);
  struct feed *f = load(x);
  alarm(0);
  broken(f, "not a regular file");
  feed_free(f);
}

/* rblmon's own rule (rbldnsd reads such a last line): a file that ends
 * inside a line is taken for an interrupted copy. */
static void
a_file_ending_inside_a_line_is_broken_as_truncated(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "1.2.3.4\n127.0.0.2\n10.0.0");
  struct feed *f = load(x);
  broken(f, "truncated");
  assert_int_equal(f->entries, 0);
  feed_free(f);
}

static void
a_file_without_entries_is_broken(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "# nothing listed today\n\n$TTL 300\n");
  struct feed *f = load(x);
  broken(f, "no entries");
  feed_free(f);
  write_at(x->path, "");
  f = load(x);
  broken(f, "no entries");
  feed_free(f);
}

static const char bad_two[] = "1.2.3.4\n"
                              "1.2.3.999\n"
                              "127.0.0.2\n"
                              "bogus\n";

static void
more_bad_lines_than_max_bad_is_broken(void **state)
{
  struct fx *x = *state;
  write_at(x->path, bad_two);
  x->d.max_bad = 1;
  struct feed *f = load(x);
  broken(f, "2 bad lines, more than max_bad 1");
  char where[320];
  snprintf(where, sizeof(where), "%s:2: ", x->path); /* the first one */
  has(f->detail, where);
  feed_free(f);
}

static void
bad_lines_within_max_bad_are_counted_and_described(void **state)
{
  struct fx *x = *state;
  write_at(x->path, bad_two);
  x->d.max_bad = 2;
  struct feed *f = load(x);
  ok(f);
  assert_int_equal(f->bad, 2);
  assert_int_equal(f->lines, 4);
  assert_int_equal(f->entries, 2);
  assert_int_equal(f->nwarn, 2);
  char w0[320], w1[320];
  snprintf(w0, sizeof(w0), "%s:2: ", x->path);
  snprintf(w1, sizeof(w1), "%s:4: ", x->path);
  assert_memory_equal(f->warn[0], w0, strlen(w0));
  assert_memory_equal(f->warn[1], w1, strlen(w1));
  assert_true(strlen(f->warn[0]) > strlen(w0)); /* and says what */
  feed_free(f);
}

/* ---- RFC 5782 test points ------------------------------------------------ */
static void
an_ipv4_feed_must_list_127_0_0_2_and_not_127_0_0_1(void **state)
{
  struct fx *x = *state;
  x->l.probe = true;
  write_at(x->path, "1.2.3.4\n");
  struct feed *f = load(x);
  broken(f, "test point 127.0.0.2");
  feed_free(f);
  write_at(x->path, "127.0.0.0/24\n");
  f = load(x);
  broken(f, "lists 127.0.0.1");
  feed_free(f);
  write_at(x->path, "127.0.0.0/24\n!127.0.0.1\n");
  f = load(x);
  ok(f);
  feed_free(f);
  x->l.probe = false;                  /* probe off: not looked at */
  write_at(x->path, "1.2.3.4\n");
  f = load(x);
  ok(f);
  feed_free(f);
}

/* A catalog entry's own test point replaces the default of its family. */
static void
a_list_s_own_test_point_is_the_one_checked(void **state)
{
  struct fx *x = *state;
  x->l.probe = true;
  x->l.test_listed = "127.0.0.4";
  write_at(x->path, "127.0.0.4\n");
  struct feed *f = load(x);
  ok(f);
  feed_free(f);
  write_at(x->path, "127.0.0.2\n");
  f = load(x);
  broken(f, "test point 127.0.0.4");
  feed_free(f);
}

/* Each family the feed holds is checked: the IPv6 file of a list of
 * both families, and a list of names ("test", not "invalid"). */
static void
ipv6_and_name_feeds_have_their_own_test_points(void **state)
{
  struct fx *x = *state;
  x->l.probe = true;
  x->l.type = LIST_IP;
  x->d.path6 = x->path6;
  write_at(x->path, "127.0.0.2\n");
  write_at(x->path6, "2001:db8::/32\n");
  struct feed *f = load(x);
  broken(f, "::ffff:7f00:2");
  feed_free(f);
  /* written without a leading "::": see the known bug below */
  write_at(x->path6, "2001:db8::/32\n0:0:0:0:0:ffff:7f00:2\n");
  f = load(x);
  ok(f);
  assert_int_equal(f->nfiles, 2);
  assert_string_equal(answer(f, "2001:db8::1"), "127.0.0.2");
  feed_free(f);
  x->l.type = LIST_DOMAIN;
  x->d.path6 = NULL;
  write_at(x->path, "example.com\n");
  f = load(x);
  broken(f, "test point test");
  feed_free(f);
  write_at(x->path, "test\n.example.com\n");
  f = load(x);
  ok(f);
  assert_string_equal(answer(f, "a.example.com"), "127.0.0.2");
  feed_free(f);
  write_at(x->path, "test\ninvalid\n");
  f = load(x);
  broken(f, "lists invalid");
  feed_free(f);
}

/* ---- age ----------------------------------------------------------------- */
static void
a_file_older_than_max_age_is_stale(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n");
  x->d.max_age_ms = 2 * DAY * 1000ull;
  set_mtime(x->path, x->now - 3 * DAY);
  struct feed *f = load(x);
  assert_int_equal(f->health, HEALTH_STALE);
  has(f->detail, "older than max_age");
  assert_int_equal(f->entries, 1);     /* stale data is still data */
  assert_int_equal(f->oldest, x->now - 3 * DAY);
  feed_free(f);
  set_mtime(x->path, x->now - 3600);
  f = load(x);
  ok(f);
  feed_free(f);
  x->d.max_age_ms = 0;                 /* 0: never stale */
  set_mtime(x->path, x->now - 300 * DAY);
  f = load(x);
  ok(f);
  feed_free(f);
}

/* A feed read when fresh goes stale as the clock passes max_age with no
 * new file, and back when judged at an earlier time (no sleeping: the
 * clock is a parameter). */
static void
a_fresh_feed_goes_stale_as_time_passes(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n");
  x->d.max_age_ms = 2 * DAY * 1000ull;
  set_mtime(x->path, x->now);
  struct feed *f = load(x);
  ok(f);
  feed_judge_age(f, x->now + 2 * DAY + 1);
  assert_int_equal(f->health, HEALTH_STALE);
  feed_judge_age(f, x->now + DAY);
  ok(f);
  feed_free(f);
}

/* ---- combined files ------------------------------------------------------ */
static const char combined[] = "$TTL 3600\n"
                               "$DATASET ip4set:proxy proxies\n"
                               "1.2.3.4\n"
                               "127.0.0.2\n"
                               "$DATASET ip4set:spam spam @\n"
                               "5.6.7.8 :3:spam\n"
                               "127.0.0.2\n";

static void
a_combined_file_without_the_dataset_is_broken(void **state)
{
  struct fx *x = *state;
  write_at(x->path, combined);
  x->d.type = FEED_COMBINED;
  x->d.dataset = "nope";
  struct feed *f = load(x);
  broken(f, "no dataset 'nope'");
  feed_free(f);
  x->d.dataset = "spam";               /* by name */
  f = load(x);
  ok(f);
  assert_string_equal(answer(f, "5.6.7.8"), "127.0.0.3");
  assert_string_equal(answer(f, "1.2.3.4"), "");
  feed_free(f);
  x->d.dataset = "proxies";            /* by subzone */
  f = load(x);
  ok(f);
  assert_string_equal(answer(f, "1.2.3.4"), "127.0.0.2");
  assert_string_equal(answer(f, "5.6.7.8"), "");
  feed_free(f);
  /* rbldnsd refuses the whole file for a data line before $DATASET */
  write_at(x->path, "9.9.9.9\n$DATASET ip4set:spam spam\n127.0.0.2\n");
  f = load(x);
  broken(f, "before the first $DATASET");
  feed_free(f);
}

/* A plain list: addresses, CIDR ranges of either family, names. */
static void
a_plain_file_lists_addresses_ranges_and_names(void **state)
{
  struct fx *x = *state;
  x->d.format = FEED_FORMAT_PLAIN;
  x->l.type = LIST_IP;
  write_at(x->path, "1.2.3.4\n10.0.0.0/8 # a comment\n2001:db8::/32\n");
  struct feed *f = load(x);
  ok(f);
  assert_int_equal(f->entries, 3);
  assert_string_equal(answer(f, "10.1.2.3"), "127.0.0.2");
  assert_string_equal(answer(f, "2001:db8::7"), "127.0.0.2");
  assert_string_equal(answer(f, "1.2.3.5"), "");
  feed_free(f);
  x->l.type = LIST_DOMAIN;
  write_at(x->path, "Example.COM\n*.wild.org\n");
  f = load(x);
  ok(f);
  assert_string_equal(answer(f, "example.com"), "127.0.0.2");
  assert_string_equal(answer(f, "a.wild.org"), "127.0.0.2");
  assert_string_equal(answer(f, "wild.org"), "");
  feed_free(f);
}

/* A CR is part of the line, as rbldnsd reads it: "1.2.3.4 :5:txt\r" is
 * listed (A 127.0.0.5, TXT "txt\r"), and so is "1.2.3.6 plain\r"
 * (checked with rbldnsd -d); only a CR right after the address
 * ("1.2.3.5\r") makes an invalid address.  A CRLF file with values is a
 * whole feed. */
static void
crlf_lines_with_a_value_are_listed_as_rbldnsd_lists_them(void **state)
{
  struct fx *x = *state;

  write_at(x->path, "1.2.3.4 :5:txt\r\n1.2.3.6 plain\r\n127.0.0.2 :2:t\r\n");
  struct feed *f = load(x);
  ok(f);
  assert_string_equal(answer(f, "1.2.3.4"), "127.0.0.5");
  assert_string_equal(answer(f, "1.2.3.6"), "127.0.0.2");
  assert_int_equal(f->bad, 0);
  feed_free(f);
}

/* In an ip6trie or ip6tset a line starting with "::" is an address, not
 * a default value (rbldnsd tests *s == ':' && s[1] != ':'; rbldnsd -d
 * lists "::ffff:7f00:2" and "::1 :3:one").  An IPv6 feed writes its RFC
 * 5782 test point so, and must not read as broken. */
static void
an_ipv6_line_starting_with_two_colons_is_an_address(void **state)
{
  struct fx *x = *state;

  x->l.type = LIST_IP6;
  x->l.probe = true;
  write_at(x->path, "2001:db8::/32\n::ffff:7f00:2\n::1 :3:one\n");
  struct feed *f = load(x);
  ok(f);
  assert_int_equal(f->bad, 0);
  assert_string_equal(answer(f, "::1"), "127.0.0.3");
  feed_free(f);
}

/* An entry repeated with the same A and TXT is one answer: rbldnsd drops
 * the repeat (REMOVE_DUPS, rrs_equal) and answers "1.2.3.6 :5:five"
 * written twice with one A record, so the code is reported once.  (Same A,
 * other TXT: still one A.) */
static void
a_repeated_entry_is_one_answer(void **state)
{
  struct fx *x = *state;

  write_at(x->path, "1.2.3.6 :5:five\n1.2.3.6 :5:five\n127.0.0.2\n");
  struct feed *f = load(x);
  ok(f);
  assert_string_equal(answer(f, "1.2.3.6"), "127.0.0.5");
  feed_free(f);
}

/* A line longer than 4 KiB is read whole, as rbldnsd reads lines up to
 * 32-64 KiB (istream, buffer 65536) and cuts the TXT to 255: "1.2.3.4 :3:"
 * + 5000 x's is listed (A 127.0.0.3, checked with rbldnsd -d). */
static void
a_line_longer_than_4096_bytes_is_read_as_rbldnsd_reads_it(void **state)
{
  struct fx *x = *state;

  static char text[6000];
  memcpy(text, "1.2.3.4 :3:", 11);
  memset(text + 11, 'x', 5000);
  strcpy(text + 5011, "\n127.0.0.2\n");
  write_at(x->path, text);
  struct feed *f = load(x);
  ok(f);
  assert_string_equal(answer(f, "1.2.3.4"), "127.0.0.3");
  assert_int_equal(f->bad, 0);
  feed_free(f);
}

/* ---- the cache and the signature ----------------------------------------- */
static void
the_cache_keeps_a_feed_while_its_file_is_unchanged(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n1.2.3.4\n");
  struct feed_cache c;
  feed_cache_init(&c);
  struct feed *a = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(a);
  ok(a);
  struct feed *b = feed_cache_get(&c, &x->l, x->now + 60);
  assert_ptr_equal(a, b);
  /* a reloaded configuration: a new, equal definition finds it too */
  struct list_def l2 = x->l;
  struct feed_def d2 = x->d;
  l2.feed = &d2;
  assert_ptr_equal(feed_cache_get(&c, &l2, x->now + 60), a);
  assert_ptr_equal(a->list, &l2);      /* now holds the new definition */
  assert_int_equal(c.n, 1);
  feed_cache_free(&c);
}

/* rsync's way: a new file renamed over the old one (a new inode). */
static void
the_cache_reads_again_after_a_rename(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n1.2.3.4\n");
  struct feed_cache c;
  feed_cache_init(&c);
  struct feed *a = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(a);
  uint64_t sig = feed_signature(&x->l, x->now);
  assert_true(feed_signature(&x->l, x->now) == sig);   /* steady */
  put(x, "feed.new", "127.0.0.2\n5.6.7.8\n");
  char tmp[400];
  snprintf(tmp, sizeof(tmp), "%s/feed.new", x->dir);
  assert_int_equal(rename(tmp, x->path), 0);
  assert_true(feed_signature(&x->l, x->now) != sig);
  assert_false(feed_current(a));
  struct feed *b = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_string_equal(answer(b, "5.6.7.8"), "127.0.0.2");
  assert_string_equal(answer(b, "1.2.3.4"), "");
  assert_ptr_equal(feed_cache_get(&c, &x->l, x->now), b);
  assert_int_equal(c.n, 1);
  feed_cache_free(&c);
}

/* Written in place: the same inode, another size or another change time
 * (set here, as the clock's granularity may not tell two writes
 * apart). */
static void
the_cache_reads_again_after_an_in_place_change(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n1.2.3.4\n");
  struct stat before, after;
  assert_int_equal(stat(x->path, &before), 0);
  struct feed_cache c;
  feed_cache_init(&c);
  struct feed *a = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(a);
  write_at(x->path, "127.0.0.2\n1.2.3.4\n9.9.9.9\n");    /* longer */
  struct feed *b = feed_cache_get(&c, &x->l, x->now);
  assert_ptr_not_equal(a, b);
  assert_string_equal(answer(b, "9.9.9.9"), "127.0.0.2");
  uint64_t sig = feed_signature(&x->l, x->now);
  write_at(x->path, "127.0.0.2\n1.2.3.4\n8.8.8.8\n");    /* same size */
  assert_int_equal(stat(x->path, &after), 0);
  assert_int_equal(after.st_ino, before.st_ino);
  set_mtime(x->path, (int64_t)after.st_mtim.tv_sec + 10);
  assert_true(feed_signature(&x->l, x->now) != sig);
  struct feed *d = feed_cache_get(&c, &x->l, x->now);
  assert_ptr_not_equal(b, d);
  assert_string_equal(answer(d, "8.8.8.8"), "127.0.0.2");
  assert_string_equal(answer(d, "9.9.9.9"), "");
  feed_cache_free(&c);
}

/* A broken feed is not kept: each call reads again, so the file that
 * finally arrives is seen at once. */
static void
the_cache_reads_a_broken_feed_again(void **state)
{
  struct fx *x = *state;
  struct feed_cache c;
  feed_cache_init(&c);
  struct feed *a = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(a);
  broken(a, "cannot open");
  write_at(x->path, "127.0.0.2\n");
  struct feed *b = feed_cache_get(&c, &x->l, x->now);
  assert_non_null(b);
  ok(b);
  assert_int_equal(c.n, 1);
  feed_cache_free(&c);
}

/* The signature moves when the file goes and when the feed goes stale,
 * and not otherwise. */
static void
the_signature_follows_removal_and_staleness(void **state)
{
  struct fx *x = *state;
  write_at(x->path, "127.0.0.2\n");
  set_mtime(x->path, x->now);
  x->d.max_age_ms = 2 * DAY * 1000ull;
  uint64_t s0 = feed_signature(&x->l, x->now);
  assert_true(feed_signature(&x->l, x->now + DAY) == s0);
  uint64_t s_stale = feed_signature(&x->l, x->now + 3 * DAY);
  assert_true(s_stale != s0);
  assert_true(feed_signature(&x->l, x->now + 4 * DAY) == s_stale);
  assert_int_equal(unlink(x->path), 0);
  uint64_t s_gone = feed_signature(&x->l, x->now);
  assert_true(s_gone != s0 && s_gone != s_stale);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(a_good_file_is_ok_with_its_entries_counted),
    T(a_gzip_file_is_read_whatever_its_name),
    T(a_cut_gzip_file_is_broken),
    T(a_missing_file_is_broken),
    T(a_directory_is_broken),
    T(a_fifo_is_broken_without_blocking),
    T(a_file_ending_inside_a_line_is_broken_as_truncated),
    T(a_file_without_entries_is_broken),
    T(more_bad_lines_than_max_bad_is_broken),
    T(bad_lines_within_max_bad_are_counted_and_described),
    T(an_ipv4_feed_must_list_127_0_0_2_and_not_127_0_0_1),
    T(a_list_s_own_test_point_is_the_one_checked),
    T(ipv6_and_name_feeds_have_their_own_test_points),
    T(a_file_older_than_max_age_is_stale),
    T(a_fresh_feed_goes_stale_as_time_passes),
    T(a_combined_file_without_the_dataset_is_broken),
    T(a_plain_file_lists_addresses_ranges_and_names),
    T(crlf_lines_with_a_value_are_listed_as_rbldnsd_lists_them),
    T(an_ipv6_line_starting_with_two_colons_is_an_address),
    T(a_repeated_entry_is_one_answer),
    T(a_line_longer_than_4096_bytes_is_read_as_rbldnsd_reads_it),
    T(the_cache_keeps_a_feed_while_its_file_is_unchanged),
    T(the_cache_reads_again_after_a_rename),
    T(the_cache_reads_again_after_an_in_place_change),
    T(the_cache_reads_a_broken_feed_again),
    T(the_signature_follows_removal_and_staleness),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
