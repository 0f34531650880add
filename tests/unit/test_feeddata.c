/* test_feeddata.c - a data feed in memory (monitor/feeds/feeddata.h),
 * built by hand: longest-prefix lookups with nesting, duplicates and
 * exclusions, names with wildcards, rbldnsd's TXT substitution, and range
 * walks checked against lookups address by address.  The expected answers
 * are rbldnsd 1.0~20210120's (docs of record: rbldnsd-semantics.md, each
 * case checked against the binary). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeddata.h"
#include "target.h"

/* ---- building ------------------------------------------------------------ */
static uint32_t
ip4(const char *s)
{
  struct in_addr in;
  if (inet_pton(AF_INET, s, &in) != 1)
    fail_msg("bad IPv4 literal in the test: %s", s);
  return ntohl(in.s_addr);
}

static feed_u128
ip6(const char *s)
{
  struct in6_addr in;
  if (inet_pton(AF_INET6, s, &in) != 1)
    fail_msg("bad IPv6 literal in the test: %s", s);
  feed_u128 x = 0;
  for (int i = 0; i < 16; i++)
    x = x << 8 | in.s6_addr[i];
  return x;
}

/* A value: A (dotted) and TXT (NULL: none). */
static uint32_t
val(struct feed_data *fd, const char *a, const char *txt)
{
  uint32_t v;
  assert_true(feed_data_value(fd, 0, ip4(a), txt, txt ? strlen(txt) : 0, &v));
  assert_true(v > 0);
  return v;
}

/* "a.b.c.d/len" or "v6::/len" (no "/": a single address). */
static void
add(struct feed_data *fd, const char *cidr, uint32_t v)
{
  char buf[64];
  snprintf(buf, sizeof(buf), "%s", cidr);
  char *slash = strchr(buf, '/');
  bool six = strchr(buf, ':') != NULL;
  unsigned plen = six ? 128 : 32;
  if (slash != NULL) {
    *slash = '\0';
    plen = (unsigned)atoi(slash + 1);
  }
  if (six)
    assert_true(feed_data_add6(fd, ip6(buf), plen, v));
  else
    assert_true(feed_data_add4(fd, ip4(buf), plen, v));
}

static void
add_name(struct feed_data *fd, const char *name, unsigned flags, uint32_t v)
{
  assert_true(feed_data_add_name(fd, name, strlen(name), flags, v));
}

/* ---- answers as text: the A values, sorted, comma-joined ("": none).
 * Sorted because rbldnsd promises no order among one key's values. ---- */
static int
cmp_u32(const void *x, const void *y)
{
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return a < b ? -1 : a > b;
}

static const char *
answer_str(const struct feed_answer *ans)
{
  static char out[FEED_VALUES_MAX * 16 + 1];
  uint32_t a[FEED_VALUES_MAX];
  assert_true(ans->nvalues <= FEED_VALUES_MAX);
  for (size_t i = 0; i < ans->nvalues; i++)
    a[i] = ans->values[i]->a;
  qsort(a, ans->nvalues, sizeof(a[0]), cmp_u32);
  size_t w = 0;
  out[0] = '\0';
  for (size_t i = 0; i < ans->nvalues; i++)
    w += (size_t)snprintf(out + w, sizeof(out) - w, "%s%u.%u.%u.%u",
                          i ? "," : "", a[i] >> 24, (a[i] >> 16) & 255,
                          (a[i] >> 8) & 255, a[i] & 255);
  return out;
}

static void
addr_is(const struct feed_data *fd, const char *addr, const char *want)
{
  struct addr a;
  struct feed_answer ans;
  assert_true(target_addr_parse(addr, &a));
  feed_data_lookup(fd, &a, &ans);
  const char *got = answer_str(&ans);
  if (strcmp(got, want) != 0)
    fail_msg("%s: got '%s', want '%s'", addr, got, want);
}

/* want_entry: the entry that matched (the TXT's "$"), when listed. */
static void
name_is(const struct feed_data *fd, const char *name, const char *want,
        const char *want_entry)
{
  struct feed_answer ans;
  feed_data_lookup_name(fd, name, &ans);
  const char *got = answer_str(&ans);
  if (strcmp(got, want) != 0)
    fail_msg("%s: got '%s', want '%s'", name, got, want);
  if (want_entry != NULL)
    assert_string_equal(ans.name, want_entry);
}

/* ---- IPv4 ---------------------------------------------------------------- */
/* Blocks given inner first, so the answers depend on finish's sort. */
static void
nested_blocks_the_most_specific_decides(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  uint32_t two = val(&fd, "127.0.0.2", NULL), three = val(&fd, "127.0.0.3",
                                                          NULL);
  add(&fd, "10.1.2.3/32", 0);          /* excluded inside the /24 */
  add(&fd, "10.1.2.0/24", three);      /* listed inside the /16 */
  add(&fd, "10.1.0.0/16", 0);          /* excluded inside the /8 */
  add(&fd, "10.0.0.0/8", two);
  assert_true(feed_data_finish(&fd));
  assert_int_equal(feed_data_entries(&fd), 4);
  addr_is(&fd, "10.9.9.9", "127.0.0.2");
  addr_is(&fd, "10.0.0.0", "127.0.0.2");
  addr_is(&fd, "10.255.255.255", "127.0.0.2");
  addr_is(&fd, "10.1.9.9", "");
  addr_is(&fd, "10.1.1.255", "");
  addr_is(&fd, "10.1.2.0", "127.0.0.3");
  addr_is(&fd, "10.1.2.4", "127.0.0.3");
  addr_is(&fd, "10.1.2.3", "");
  addr_is(&fd, "11.0.0.0", "");
  addr_is(&fd, "9.255.255.255", "");
  feed_data_free(&fd);
}

/* 3.3.3.0/24 :6 + 3.3.3.3 :7 -> 3.3.3.3 answers 127.0.0.7 alone: the
 * wider block's value is not merged in. */
static void
a_more_specific_block_hides_the_wider_value(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  add(&fd, "3.3.3.0/24", val(&fd, "127.0.0.6", NULL));
  add(&fd, "3.3.3.3", val(&fd, "127.0.0.7", NULL));
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "3.3.3.3", "127.0.0.7");
  addr_is(&fd, "3.3.3.4", "127.0.0.6");
  feed_data_free(&fd);
}

/* ip4set: 1.2.3.4 with :5, :3, :4 answers three A records; the same
 * value twice is one. */
static void
several_values_on_one_block_are_several_answers(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  uint32_t five = val(&fd, "127.0.0.5", "five");
  add(&fd, "1.2.3.4", five);
  add(&fd, "1.2.3.4", val(&fd, "127.0.0.3", "three"));
  add(&fd, "1.2.3.4", five);
  add(&fd, "1.2.3.4", val(&fd, "127.0.0.4", NULL));
  /* 5.5.5.0/24 written twice (as a CIDR and as a range): both values */
  add(&fd, "5.5.5.0/24", val(&fd, "127.0.0.10", "x"));
  add(&fd, "5.5.5.0/24", val(&fd, "127.0.0.11", "y"));
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "1.2.3.4", "127.0.0.3,127.0.0.4,127.0.0.5");
  addr_is(&fd, "5.5.5.77", "127.0.0.10,127.0.0.11");
  assert_int_equal(feed_data_entries(&fd), 5); /* the duplicate went */
  feed_data_free(&fd);
}

/* "2.2.2.2 :2", "!2.2.2.2", "2.2.2.2 :3" -> NXDOMAIN whatever the order:
 * rbldnsd sorts the exclusion first and it removes the rest. */
static void
an_exclusion_on_the_same_block_wins(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  uint32_t two = val(&fd, "127.0.0.2", NULL), three = val(&fd, "127.0.0.3",
                                                          NULL);
  add(&fd, "2.2.2.2", two);
  add(&fd, "2.2.2.2", 0);
  add(&fd, "2.2.2.2", three);
  add(&fd, "2.2.3.0/24", two);         /* exclusion given last */
  add(&fd, "2.2.3.0/24", 0);
  add(&fd, "2001:db8::/32", three);    /* and the same for IPv6 */
  add(&fd, "2001:db8::/32", 0);
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "2.2.2.2", "");
  addr_is(&fd, "2.2.3.9", "");
  addr_is(&fd, "2001:db8::1", "");
  feed_data_free(&fd);
}

/* ip4trie/ip6trie: a duplicated prefix keeps the first entry, listing or
 * exclusion ("!10.2.0.0/16" then "10.2.0.0/16 :11" -> unlisted). */
static void
first_wins_mode_keeps_the_first_entry_of_a_prefix(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.first_wins4 = fd.first_wins6 = true;
  uint32_t four = val(&fd, "127.0.0.4", NULL);
  uint32_t five = val(&fd, "127.0.0.5", NULL);
  uint32_t eleven = val(&fd, "127.0.0.11", NULL);
  add(&fd, "10.2.0.0/16", 0);
  add(&fd, "10.2.0.0/16", eleven);
  add(&fd, "10.3.0.0/16", eleven);
  add(&fd, "10.3.0.0/16", 0);
  add(&fd, "10.4.0.0/16", five);       /* the higher index first */
  add(&fd, "10.4.0.0/16", four);
  add(&fd, "2001:db8:1::/48", 0);
  add(&fd, "2001:db8:1::/48", four);
  add(&fd, "2001:db8:2::/48", five);
  add(&fd, "2001:db8:2::/48", four);
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "10.2.3.4", "");
  addr_is(&fd, "10.3.3.4", "127.0.0.11");
  addr_is(&fd, "10.4.3.4", "127.0.0.5");
  addr_is(&fd, "2001:db8:1::1", "");
  addr_is(&fd, "2001:db8:2::1", "127.0.0.5");
  assert_int_equal(feed_data_entries(&fd), 5);
  feed_data_free(&fd);
}

/* ip4trie takes 0/0: every address, down to the edges of the space. */
static void
a_slash_zero_lists_every_ipv4_address(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.first_wins4 = true;
  add(&fd, "0.0.0.0/0", val(&fd, "127.0.0.9", NULL));
  add(&fd, "255.255.255.255", 0);
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "0.0.0.0", "127.0.0.9");
  addr_is(&fd, "128.0.0.0", "127.0.0.9");
  addr_is(&fd, "255.255.255.254", "127.0.0.9");
  addr_is(&fd, "255.255.255.255", "");
  addr_is(&fd, "::1", "");             /* IPv4 blocks answer no IPv6 */
  feed_data_free(&fd);
}

/* ---- IPv6 ---------------------------------------------------------------- */
static void
ipv6_prefixes_nest_down_to_128_and_up_to_0(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.first_wins6 = true;
  add(&fd, "2001:db8:1:2::1/128", 0);
  add(&fd, "2001:db8:1:2::/64", val(&fd, "127.0.0.3", NULL));
  add(&fd, "2001:db8:1::/48", 0);
  add(&fd, "2001:db8::/32", val(&fd, "127.0.0.2", NULL));
  add(&fd, "::/0", val(&fd, "127.0.0.9", NULL));
  add(&fd, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
      val(&fd, "127.0.0.4", NULL));
  add(&fd, "::/128", 0);
  assert_true(feed_data_finish(&fd));
  addr_is(&fd, "2001:db8:ffff::1", "127.0.0.2");
  addr_is(&fd, "2001:db8:1:3::1", "");
  addr_is(&fd, "2001:db8:1:2::2", "127.0.0.3");
  addr_is(&fd, "2001:db8:1:2:ffff:ffff:ffff:ffff", "127.0.0.3");
  addr_is(&fd, "2001:db8:1:2::1", "");
  addr_is(&fd, "2001:db9::", "127.0.0.9");
  addr_is(&fd, "::ffff:7f00:2", "127.0.0.9");
  addr_is(&fd, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "127.0.0.4");
  addr_is(&fd, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "127.0.0.9");
  addr_is(&fd, "::", "");
  addr_is(&fd, "::1", "127.0.0.9");
  addr_is(&fd, "127.0.0.2", "");       /* IPv6 blocks answer no IPv4 */
  feed_data_free(&fd);
}

/* ---- names --------------------------------------------------------------- */
/* "name" is the name only, "*.name" its subdomains only, ".name" both. */
static void
names_exact_wildcard_and_both(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  add_name(&fd, "example.com", FEED_NAME_EXACT, val(&fd, "127.0.0.2", NULL));
  add_name(&fd, "wild.com", FEED_NAME_WILD, val(&fd, "127.0.0.3", NULL));
  uint32_t four = val(&fd, "127.0.0.4", NULL);
  add_name(&fd, "both.com", FEED_NAME_EXACT, four);
  add_name(&fd, "both.com", FEED_NAME_WILD, four);
  assert_true(feed_data_finish(&fd));
  name_is(&fd, "example.com", "127.0.0.2", "example.com");
  name_is(&fd, "a.example.com", "", NULL);
  name_is(&fd, "wild.com", "", NULL);
  name_is(&fd, "a.wild.com", "127.0.0.3", "wild.com");
  name_is(&fd, "a.b.wild.com", "127.0.0.3", "wild.com");
  name_is(&fd, "both.com", "127.0.0.4", "both.com");
  name_is(&fd, "x.both.com", "127.0.0.4", "both.com");
  name_is(&fd, "com", "", NULL);
  name_is(&fd, "notboth.com", "", NULL); /* a suffix, not a parent */
  feed_data_free(&fd);
}

/* The cases of rbldnsd-semantics.md section 6, each checked there
 * against rbldnsd. */
static void
names_exclusions_and_exact_entries(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  add_name(&fd, "example.com", FEED_NAME_WILD, val(&fd, "127.0.0.4", NULL));
  add_name(&fd, "bad.example.com", FEED_NAME_EXACT, 0);
  add_name(&fd, "x.example.com", FEED_NAME_WILD, 0);
  add_name(&fd, "y.x.example.com", FEED_NAME_EXACT,
           val(&fd, "127.0.0.5", NULL));
  add_name(&fd, "sub.example.com", FEED_NAME_EXACT,
           val(&fd, "127.0.0.7", NULL));
  uint32_t two = val(&fd, "127.0.0.2", NULL);
  add_name(&fd, "example.net", FEED_NAME_EXACT, two);   /* ".example.net" */
  add_name(&fd, "example.net", FEED_NAME_WILD, two);
  add_name(&fd, "example.net", FEED_NAME_EXACT, 0);     /* "!example.net" */
  add_name(&fd, "dup.test", FEED_NAME_EXACT, val(&fd, "127.0.0.9", "a"));
  add_name(&fd, "dup.test", FEED_NAME_EXACT, val(&fd, "127.0.0.10", "b"));
  assert_true(feed_data_finish(&fd));
  name_is(&fd, "bad.example.com", "", NULL);
  name_is(&fd, "q.bad.example.com", "127.0.0.4", "example.com");
  name_is(&fd, "a.x.example.com", "", NULL);   /* the nearest wildcard */
  name_is(&fd, "b.a.x.example.com", "", NULL);
  name_is(&fd, "y.x.example.com", "127.0.0.5", "y.x.example.com");
  name_is(&fd, "sub.example.com", "127.0.0.7", "sub.example.com");
  name_is(&fd, "a.sub.example.com", "127.0.0.4", "example.com");
  name_is(&fd, "example.com", "", NULL);
  name_is(&fd, "example.net", "", NULL);
  name_is(&fd, "a.example.net", "127.0.0.2", "example.net");
  name_is(&fd, "dup.test", "127.0.0.9,127.0.0.10", "dup.test");
  feed_data_free(&fd);
}

static void
the_nearest_wildcard_parent_wins(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  add_name(&fd, "com", FEED_NAME_WILD, val(&fd, "127.0.0.2", NULL));
  add_name(&fd, "a.example.com", FEED_NAME_WILD, val(&fd, "127.0.0.4", NULL));
  add_name(&fd, "example.com", FEED_NAME_WILD, val(&fd, "127.0.0.3", NULL));
  assert_true(feed_data_finish(&fd));
  name_is(&fd, "x.y.a.example.com", "127.0.0.4", "a.example.com");
  name_is(&fd, "a.example.com", "127.0.0.3", "example.com");
  name_is(&fd, "x.b.example.com", "127.0.0.3", "example.com");
  name_is(&fd, "example.com", "127.0.0.2", "com");
  name_is(&fd, "x.org", "", NULL);
  feed_data_free(&fd);
}

/* ---- TXT ----------------------------------------------------------------- */
static const char *
txt(const struct feed_data *fd, uint32_t v, const char *subject)
{
  static char buf[512];                /* larger: the cap is the code's */
  memset(buf, 'Z', sizeof(buf));       /* catches a missing terminator */
  feed_data_txt(fd, &fd->values[v], subject, buf, sizeof(buf));
  return buf;
}

/* The dumps of rbldnsd -d for the same lines (see the semantics doc). */
static void
txt_substitutes_subject_variables_and_dollars(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.subst[0][1] = "one";
  fd.subst[0][9] = "nine";
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.3", "pre$"), "1.2.3.7"),
                      "pre1.2.3.7");
  /* $$ is $, an unset $n stays, $x is the subject then x */
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.3", "$2|$$|$x"),
                          "1.2.3.8"), "$2|$|1.2.3.8x");
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", "$1 $9!"), "s"),
                      "one nine!");
  /* a '$' at the very end is the subject too */
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", "ends $"), "2605::1"),
                      "ends 2605::1");
  /* a leading '=' only goes (no base template here) */
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", "=hi $"), "1.1.1.1"),
                      "hi 1.1.1.1");
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", NULL), "1.1.1.1"), "");
  char buf[8] = "xxxxxxx";
  feed_data_txt(&fd, NULL, "1.1.1.1", buf, sizeof(buf));
  assert_string_equal(buf, "");
  feed_data_free(&fd);
}

/* $= BASE[$=]($) + "1.1.1.7 :7:" -> "BASE[1.1.1.7](1.1.1.7)"; an entry's
 * TXT goes into $= raw ($1 not expanded); "=..." entries skip the base. */
static void
txt_base_template(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.base[0] = "BASE[$=]($)";
  fd.subst[0][1] = "one";
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.7", NULL), "1.1.1.7"),
                      "BASE[1.1.1.7](1.1.1.7)");
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.8", "t $1"), "1.1.1.8"),
                      "BASE[t $1](1.1.1.8)");
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.9", "=hello $ $1"),
                          "1.1.1.9"), "hello 1.1.1.9 one");
  feed_data_free(&fd);
}

/* rbldnsd writes at most 254 bytes of TXT; a smaller buffer holds what
 * fits, terminated. */
static void
txt_is_cut_at_254_bytes(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  char long_txt[301];
  memset(long_txt, 'x', 300);
  long_txt[300] = '\0';
  uint32_t v = val(&fd, "127.0.0.2", long_txt);
  assert_int_equal(strlen(txt(&fd, v, "s")), FEED_TXT_MAX);
  uint32_t w = val(&fd, "127.0.0.2", "$$$");  /* the subject overflows */
  char subject[300];
  memset(subject, 's', 299);
  subject[299] = '\0';
  assert_int_equal(strlen(txt(&fd, w, subject)), FEED_TXT_MAX);
  char small[10];
  feed_data_txt(&fd, &fd.values[v], "s", small, sizeof(small));
  assert_string_equal(small, "xxxxxxxxx");
  feed_data_free(&fd);
}

/* rbldnsd's txtsubst expands "$=" in every TXT, not only in a base
 * template: without one (or in an "=" entry) it is the entry's own raw
 * text.  rbldnsd -d on "1.2.3.4 :2:x$=y" and "1.2.3.5 :2:=a$=b" prints
 * "xx$=yy" and "aa$=bb". */
static void
txt_dollar_equals_outside_a_base_template_is_the_entry_text(void **state)
{
  (void)state;

  struct feed_data fd;
  feed_data_init(&fd);
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", "x$=y"), "1.2.3.4"),
                      "xx$=yy");
  assert_string_equal(txt(&fd, val(&fd, "127.0.0.2", "=a$=b"), "1.2.3.5"),
                      "aa$=bb");
  feed_data_free(&fd);
}

/* A wildcard's "$" is its base name (*.example.com hit by a.b.example.com
 * -> example.com): the entry that lookup_name reports. */
static void
txt_of_a_name_uses_the_matched_entry(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  add_name(&fd, "example.com", FEED_NAME_WILD,
           val(&fd, "127.0.0.2", "$ is listed"));
  assert_true(feed_data_finish(&fd));
  struct feed_answer ans;
  feed_data_lookup_name(&fd, "a.b.example.com", &ans);
  assert_int_equal(ans.nvalues, 1);
  char buf[FEED_TXT_MAX + 1];
  feed_data_txt(&fd, ans.values[0], ans.name, buf, sizeof(buf));
  assert_string_equal(buf, "example.com is listed");
  feed_data_free(&fd);
}

/* ---- walks --------------------------------------------------------------- */
/* A model of the rule, independent of feeddata's sorted arrays: the
 * blocks as added; at an address the longest holding it decides; its
 * values (first-wins: the first one) unless one is the exclusion. */
#define MODEL_MAX 200
struct model {
  struct { feed_u128 addr; unsigned plen; uint32_t val; } b[MODEL_MAX];
  size_t n;
  unsigned width;                 /* 32 or 128 */
  bool first_wins;
};

static feed_u128
mask_of(unsigned width, unsigned plen)
{
  feed_u128 all = width == 128 ? ~(feed_u128)0 : ((feed_u128)1 << width) - 1;
  return plen == 0 ? 0 : all & ~(feed_u128)0 << (width - plen);
}

static void
model_add(struct feed_data *fd, struct model *m, feed_u128 addr,
          unsigned plen, uint32_t v)
{
  assert_true(m->n < MODEL_MAX);
  addr &= mask_of(m->width, plen);
  m->b[m->n].addr = addr;
  m->b[m->n].plen = plen;
  m->b[m->n++].val = v;
  if (m->width == 32)
    assert_true(feed_data_add4(fd, (uint32_t)addr, plen, v));
  else
    assert_true(feed_data_add6(fd, addr, plen, v));
}

/* The model's answer at x: the value indexes, sorted; *n 0: unlisted. */
static void
model_answer(const struct model *m, feed_u128 x, uint32_t *out, size_t *n)
{
  int best = -1;
  for (size_t i = 0; i < m->n; i++)
    if ((x & mask_of(m->width, m->b[i].plen)) == m->b[i].addr &&
        (int)m->b[i].plen > best)
      best = (int)m->b[i].plen;
  *n = 0;
  for (size_t i = 0; i < m->n; i++) {
    if ((int)m->b[i].plen != best ||
        (x & mask_of(m->width, m->b[i].plen)) != m->b[i].addr)
      continue;
    if (m->b[i].val == 0) {  /* first-wins: it can only be the first */
      *n = 0;
      return;
    }
    bool seen = false;
    for (size_t k = 0; k < *n; k++)
      seen = seen || out[k] == m->b[i].val;
    if (!seen)
      out[(*n)++] = m->b[i].val;
    if (m->first_wins)
      return;
  }
  qsort(out, *n, sizeof(out[0]), cmp_u32);
}

static void
num_addr(feed_u128 x, unsigned width, struct addr *a)
{
  memset(a, 0, sizeof(*a));
  a->kind = width == 32 ? TARGET_IP4 : TARGET_IP6;
  for (int i = width == 32 ? 3 : 15; i >= 0; i--, x >>= 8)
    a->b[i] = (uint8_t)(x & 0xff);
}

static feed_u128
addr_num(const struct addr *a)
{
  feed_u128 x = 0;
  for (unsigned i = 0; i < (a->kind == TARGET_IP4 ? 4u : 16u); i++)
    x = x << 8 | a->b[i];
  return x;
}

/* What a walk called back with. */
struct visit {
  struct addr a;
  struct feed_answer ans;
};
struct walked {
  struct visit *v;
  size_t n, cap;
  size_t stop_at;                 /* return false on this call (0: never) */
};

static bool
on_visit(void *arg, const struct addr *a, const struct feed_answer *ans)
{
  struct walked *w = arg;
  if (w->n < w->cap)
    w->v[w->n] = (struct visit){*a, *ans};
  w->n++;
  return w->stop_at == 0 || w->n < w->stop_at;
}

static struct target_spec
range_of(feed_u128 base, unsigned width, unsigned prefix)
{
  struct target_spec t;
  memset(&t, 0, sizeof(t));
  num_addr(base & mask_of(width, prefix), width, &t.base);
  t.kind = t.base.kind;
  t.prefix = prefix;
  return t;
}

static void
same_answer(const struct feed_answer *x, const struct feed_answer *y)
{
  assert_int_equal(x->nvalues, y->nvalues);
  for (size_t i = 0; i < x->nvalues; i++)
    assert_ptr_equal(x->values[i], y->values[i]);
}

/* Every address of the range, one by one (at most 2^16): lookup agrees
 * with the model, and the walk visited exactly the listed ones, in
 * order, with lookup's answer.  Returns how many were listed. */
static size_t
check_range(const struct feed_data *fd, const struct model *m,
            feed_u128 base, unsigned prefix)
{
  unsigned host = m->width - prefix;
  assert_true(host <= 16);
  size_t count = (size_t)1 << host;
  struct target_spec t = range_of(base, m->width, prefix);
  struct walked w = {calloc(count + 1, sizeof(struct visit)), 0, count + 1,
                     0};
  assert_non_null(w.v);
  assert_true(feed_data_walk(fd, &t, on_visit, &w));
  assert_true(w.n <= count);
  feed_u128 first = addr_num(&t.base);
  size_t j = 0;
  for (size_t k = 0; k < count; k++) {
    struct addr a;
    struct feed_answer ans;
    uint32_t want[MODEL_MAX];
    size_t nwant;
    num_addr(first + k, m->width, &a);
    feed_data_lookup(fd, &a, &ans);
    model_answer(m, first + k, want, &nwant);
    uint32_t got[FEED_VALUES_MAX];
    for (size_t i = 0; i < ans.nvalues; i++)
      got[i] = (uint32_t)(ans.values[i] - fd->values);
    qsort(got, ans.nvalues, sizeof(got[0]), cmp_u32);
    assert_int_equal(ans.nvalues, nwant);
    if (nwant > 0)
      assert_memory_equal(got, want, nwant * sizeof(want[0]));
    if (ans.nvalues == 0)
      continue;
    if (j >= w.n)
      fail_msg("the walk missed address %zu of the range", k);
    assert_memory_equal(&w.v[j].a, &a, sizeof(a));
    same_answer(&w.v[j].ans, &ans);
    j++;
  }
  assert_int_equal(j, w.n);
  free(w.v);
  return j;
}

/* xorshift64*: the same blocks on every run, so a failure reproduces. */
static uint64_t
rnd(uint64_t *s)
{
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

/* Random blocks inside region (region_bits of host part) of one family,
 * prefixes mostly inside the region, a few wider (plens_wide); values
 * from a pool of three and the exclusion. */
static void
random_blocks(struct feed_data *fd, struct model *m, uint64_t *s,
              feed_u128 region, unsigned region_bits,
              const unsigned *plens_wide, size_t nwide)
{
  uint32_t pool[4] = {0, val(fd, "127.0.0.2", NULL),
                      val(fd, "127.0.0.3", "t"), val(fd, "127.0.0.4", NULL)};
  size_t nblocks = 20 + rnd(s) % 60;
  unsigned lo = m->width - region_bits;
  for (size_t i = 0; i < nblocks; i++) {
    unsigned plen = rnd(s) % 10 == 0
                      ? plens_wide[rnd(s) % nwide]
                      : lo + (unsigned)(rnd(s) % (region_bits + 1));
    feed_u128 addr = region | (rnd(s) & (((feed_u128)1 << region_bits) - 1));
    uint32_t v = pool[rnd(s) % 4];
    model_add(fd, m, addr, plen, v);
    if (rnd(s) % 8 == 0)             /* the same block again */
      model_add(fd, m, addr, plen, pool[rnd(s) % 4]);
  }
}

static void
walk_matches_lookup_on_random_ipv4_blocks(void **state)
{
  (void)state;
  static const unsigned wide[] = {0, 8, 12, 15};
  uint64_t s = 0x5eed0001;
  size_t listed = 0, tried = 0;
  for (int round = 0; round < 8; round++) {
    struct feed_data fd;
    feed_data_init(&fd);
    struct model m = {.width = 32, .first_wins = round % 2 == 1};
    fd.first_wins4 = m.first_wins;
    feed_u128 region = ip4("10.16.0.0");
    random_blocks(&fd, &m, &s, region, 16, wide, 4);
    assert_true(feed_data_finish(&fd));
    for (int r = 0; r < 10; r++) {
      unsigned prefix = 20 + (unsigned)(rnd(&s) % 13);   /* /20 to /32 */
      listed += check_range(&fd, &m, region | (rnd(&s) & 0xffff),
                            prefix);
      tried += (size_t)1 << (m.width - prefix);
    }
    feed_data_free(&fd);
  }
  /* the seed gives both answers plenty: not a vacuous pass */
  assert_true(listed > tried / 10 && listed < tried - tried / 10);
}

static void
walk_matches_lookup_on_random_ipv6_blocks(void **state)
{
  (void)state;
  static const unsigned wide[] = {0, 32, 64, 100};
  uint64_t s = 0x5eed0006;
  size_t listed = 0, tried = 0;
  for (int round = 0; round < 8; round++) {
    struct feed_data fd;
    feed_data_init(&fd);
    struct model m = {.width = 128, .first_wins = round % 2 == 0};
    fd.first_wins6 = m.first_wins;
    feed_u128 region = ip6("2001:db8:5::");
    random_blocks(&fd, &m, &s, region, 16, wide, 4);
    assert_true(feed_data_finish(&fd));
    for (int r = 0; r < 10; r++) {
      unsigned prefix = 116 + (unsigned)(rnd(&s) % 13);  /* /116 to /128 */
      listed += check_range(&fd, &m, region | (rnd(&s) & 0xffff),
                            prefix);
      tried += (size_t)1 << (m.width - prefix);
    }
    feed_data_free(&fd);
  }
  /* the seed gives both answers plenty: not a vacuous pass */
  assert_true(listed > tried / 10 && listed < tried - tried / 10);
}

/* The last and first ranges of each family: a walk must not wrap or stop
 * short at the ends of the space. */
static void
walk_at_the_top_and_bottom_of_the_space(void **state)
{
  (void)state;
  struct feed_data fd4, fd6;
  feed_data_init(&fd4);
  feed_data_init(&fd6);
  struct model m4 = {.width = 32}, m6 = {.width = 128};
  uint32_t a = val(&fd4, "127.0.0.2", NULL), b = val(&fd4, "127.0.0.3", NULL);
  model_add(&fd4, &m4, ip4("255.0.0.0"), 8, a);
  model_add(&fd4, &m4, ip4("255.255.255.128"), 25, 0);
  model_add(&fd4, &m4, ip4("255.255.255.255"), 32, b);
  model_add(&fd4, &m4, ip4("0.0.0.0"), 32, b);
  model_add(&fd4, &m4, ip4("0.0.0.128"), 25, a);
  model_add(&fd4, &m4, ip4("0.0.0.200"), 32, 0);
  /* a block ending just before the range's last address, whose answer
   * is not the last address's */
  model_add(&fd4, &m4, ip4("0.0.0.254"), 32, b);
  assert_true(feed_data_finish(&fd4));
  check_range(&fd4, &m4, ip4("255.255.255.0"), 24);
  check_range(&fd4, &m4, ip4("255.255.0.0"), 16);
  check_range(&fd4, &m4, ip4("255.255.255.255"), 32);
  check_range(&fd4, &m4, ip4("0.0.0.0"), 24);
  check_range(&fd4, &m4, ip4("0.0.0.0"), 16);
  check_range(&fd4, &m4, ip4("0.0.0.0"), 32);
  uint32_t c = val(&fd6, "127.0.0.2", NULL), d = val(&fd6, "127.0.0.3", NULL);
  model_add(&fd6, &m6, ip6("ffff::"), 16, c);
  model_add(&fd6, &m6, ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00"), 120, 0);
  model_add(&fd6, &m6, ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 128, d);
  /* the first address under an outer block, a block starting at the
   * second */
  model_add(&fd6, &m6, ip6("::"), 120, c);
  model_add(&fd6, &m6, ip6("::1"), 128, d);
  model_add(&fd6, &m6, ip6("::1:0"), 112, c);
  model_add(&fd6, &m6, ip6("::1:ffff"), 128, 0);
  assert_true(feed_data_finish(&fd6));
  check_range(&fd6, &m6, ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:0"), 112);
  check_range(&fd6, &m6, ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00"),
              120);
  check_range(&fd6, &m6, ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
              128);
  check_range(&fd6, &m6, ip6("::"), 112);
  check_range(&fd6, &m6, ip6("::"), 128);
  check_range(&fd6, &m6, ip6("::1:0"), 112);
  feed_data_free(&fd4);
  feed_data_free(&fd6);
}

/* 0.0.0.0/8 is too big to try address by address: the few listed
 * addresses of a sparse feed, counted, each as lookup answers it. */
static void
walk_of_a_slash_8_visits_only_the_listed_addresses(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  uint32_t a = val(&fd, "127.0.0.2", NULL);
  add(&fd, "0.0.0.0", a);
  add(&fd, "0.0.1.0/24", a);
  add(&fd, "0.0.1.7", 0);
  add(&fd, "0.255.255.255", a);
  add(&fd, "1.0.0.0/8", a);            /* just past the range */
  assert_true(feed_data_finish(&fd));
  struct walked w = {calloc(300, sizeof(struct visit)), 0, 300, 0};
  assert_non_null(w.v);
  struct target_spec t = range_of(0, 32, 8);
  assert_true(feed_data_walk(&fd, &t, on_visit, &w));
  assert_int_equal(w.n, 1 + 255 + 1);
  for (size_t i = 0; i < w.n; i++) {
    struct feed_answer ans;
    feed_data_lookup(&fd, &w.v[i].a, &ans);
    same_answer(&w.v[i].ans, &ans);
    assert_int_equal(ans.nvalues, 1);
    if (i > 0)
      assert_true(addr_num(&w.v[i].a) > addr_num(&w.v[i - 1].a));
  }
  assert_true(addr_num(&w.v[0].a) == 0);
  assert_true(addr_num(&w.v[w.n - 1].a) == ip4("0.255.255.255"));
  free(w.v);
  feed_data_free(&fd);
}

/* A walk stops at the first false from its callback (a range under 0/0
 * would otherwise call it 16 million times) and says so. */
static void
walk_stops_when_the_callback_returns_false(void **state)
{
  (void)state;
  struct feed_data fd;
  feed_data_init(&fd);
  fd.first_wins4 = fd.first_wins6 = true;
  add(&fd, "0.0.0.0/0", val(&fd, "127.0.0.2", NULL));
  add(&fd, "::/0", val(&fd, "127.0.0.2", NULL));
  assert_true(feed_data_finish(&fd));
  struct visit v[101];
  struct walked w = {v, 0, 101, 100};
  struct target_spec t = range_of(ip4("10.0.0.0"), 32, 8);
  assert_false(feed_data_walk(&fd, &t, on_visit, &w));
  assert_int_equal(w.n, 100);
  assert_true(addr_num(&v[99].a) == ip4("10.0.0.99"));
  struct walked w6 = {v, 0, 101, 1};
  t = range_of(ip6("2001:db8::"), 128, 16);
  assert_false(feed_data_walk(&fd, &t, on_visit, &w6));
  assert_int_equal(w6.n, 1);
  /* a domain has no addresses: nothing called, not stopped */
  struct walked wd = {v, 0, 101, 1};
  memset(&t, 0, sizeof(t));
  t.kind = TARGET_DOMAIN;
  snprintf(t.domain, sizeof(t.domain), "example.com");
  assert_true(feed_data_walk(&fd, &t, on_visit, &wd));
  assert_int_equal(wd.n, 0);
  feed_data_free(&fd);
}

#define T(f) cmocka_unit_test(f)
int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(nested_blocks_the_most_specific_decides),
    T(a_more_specific_block_hides_the_wider_value),
    T(several_values_on_one_block_are_several_answers),
    T(an_exclusion_on_the_same_block_wins),
    T(first_wins_mode_keeps_the_first_entry_of_a_prefix),
    T(a_slash_zero_lists_every_ipv4_address),
    T(ipv6_prefixes_nest_down_to_128_and_up_to_0),
    T(names_exact_wildcard_and_both),
    T(names_exclusions_and_exact_entries),
    T(the_nearest_wildcard_parent_wins),
    T(txt_substitutes_subject_variables_and_dollars),
    T(txt_base_template),
    T(txt_is_cut_at_254_bytes),
    T(txt_dollar_equals_outside_a_base_template_is_the_entry_text),
    T(txt_of_a_name_uses_the_matched_entry),
    T(walk_matches_lookup_on_random_ipv4_blocks),
    T(walk_matches_lookup_on_random_ipv6_blocks),
    T(walk_at_the_top_and_bottom_of_the_space),
    T(walk_of_a_slash_8_visits_only_the_listed_addresses),
    T(walk_stops_when_the_callback_returns_false),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
