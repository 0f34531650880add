/* test_catalog.c - the shipped DNSBL catalog (one YAML file per operator
 * under lists/) loads cleanly and follows the catalog rules; bad catalog
 * files are rejected with "file:line:col: error: ..."
 * (docs/catalog-format.md). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "target.h"

#define LISTS_DIR RBLMON_SRCDIR "/lists"

struct fx {
  struct catalog cat;
  struct diag d;
};

static int
fx_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return -1;
  catalog_init(&f->cat);
  diag_init(&f->d);
  *state = f;
  return 0;
}

static int
fx_teardown(void **state)
{
  struct fx *f = *state;
  catalog_free(&f->cat);
  diag_free(&f->d);
  free(f);
  return 0;
}

/* ---- the shipped catalog ------------------------------------------------ */
static void
load_shipped(struct fx *f)
{
  rbl_status st = catalog_load_dir(&f->cat, LISTS_DIR, &f->d);
  if (st != RBL_OK || f->d.errors != 0 || f->d.warnings != 0)
    fail_msg("%s: status %d, %u errors, %u warnings:\n%s", LISTS_DIR, st,
             f->d.errors, f->d.warnings, sbuf_str(&f->d.text));
}

static void
test_shipped_loads_clean(void **state)
{
  struct fx *f = *state;
  load_shipped(f);
  assert_int_equal(f->d.errors, 0);
  assert_int_equal(f->d.warnings, 0);
  assert_int_equal(f->d.suppressed, 0);
  size_t active = 0;
  for (size_t i = 0; i < f->cat.n; i++)
    if (!f->cat.lists[i]->defunct)
      active++;
  if (active < 40)
    fail_msg("only %zu active lists in the catalog", active);
}

static void
test_shipped_each_file(void **state)
{
  (void)state;
  /* Every file on its own, so a problem is pinned to its file. */
  DIR *dh = opendir(LISTS_DIR);
  assert_non_null(dh);
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(dh)) != NULL) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len < 6 ||
        strcmp(de->d_name + len - 5, ".yaml") != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", LISTS_DIR, de->d_name);
    struct catalog cat;
    struct diag d;
    catalog_init(&cat);
    diag_init(&d);
    rbl_status st = catalog_load_file(&cat, path, &d);
    bool ok = st == RBL_OK && d.errors == 0 && d.warnings == 0 && cat.n > 0;
    if (!ok) {
      fprintf(stderr, "%s: status %d, %zu lists, %u errors, %u warnings:\n%s",
              path, st, cat.n, d.errors, d.warnings, sbuf_str(&d.text));
    }
    catalog_free(&cat);
    diag_free(&d);
    if (!ok) {
      closedir(dh);
      fail_msg("%s does not load cleanly", path);
    }
    files++;
  }
  closedir(dh);
  assert_true(files >= 10);
}

static bool
inside_127(const struct code_rule *r)
{
  return (r->net >> 24) == 127 && r->prefix >= 8 && r->prefix <= 32;
}

static void
test_shipped_lint(void **state)
{
  struct fx *f = *state;
  load_shipped(f);
  unsigned problems = 0;
#define LINT(cond, ...)                                                     \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%u:%u: list '%s': ", l->file, l->line, l->col,    \
              l->name);                                                     \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
      problems++;                                                           \
    }                                                                       \
  } while (0)
  for (size_t i = 0; i < f->cat.n; i++) {
    const struct list_def *l = f->cat.lists[i];
    LINT(l->name != NULL && l->zone != NULL, "no name or zone");
    LINT(l->nsources > 0, "no sources");
    for (size_t k = 0; k < l->ncodes; k++)
      LINT(inside_127(&l->codes[k]), "code %08x/%u outside 127.0.0.0/8",
           (unsigned)l->codes[k].net, l->codes[k].prefix);
    for (size_t k = 0; k < l->nerrors; k++) {
      LINT(inside_127(&l->errors[k]), "error %08x/%u outside 127.0.0.0/8",
           (unsigned)l->errors[k].net, l->errors[k].prefix);
      LINT(l->errors[k].meaning != NULL && l->errors[k].meaning[0] != '\0',
           "error code without a meaning");
    }
    if (l->defunct) {
      LINT(l->defunct_since != NULL, "defunct without defunct.since");
      LINT(l->defunct_reason != NULL, "defunct without defunct.reason");
      continue;
    }
    LINT(l->delist_url != NULL ||
             (l->delist_proc == DELIST_NONE && l->delist_note != NULL),
         "no delist url (or procedure none with a note)");
    LINT(l->ncodes > 0, "no codes");
    for (size_t k = 0; k < l->ncodes; k++)
      LINT(l->codes[k].meaning != NULL && l->codes[k].meaning[0] != '\0',
           "code without a meaning");
    LINT((strstr(l->zone, "{key}") != NULL) == (l->key_name != NULL),
         "{key} in the zone and key: must go together");
    /* {key} is a whole label: the zone with a key in its place */
    char z[TARGET_NAME_MAX];
    const char *kp = strstr(l->zone, "{key}");
    if (kp != NULL)
      snprintf(z, sizeof(z), "%.*sk%s", (int)(kp - l->zone), l->zone,
               kp + 5);
    else
      snprintf(z, sizeof(z), "%s", l->zone);
    LINT(target_domain_valid(z), "zone '%s' is not a DNS name", l->zone);
    LINT((l->type == LIST_EMAIL) == (l->hash != LIST_HASH_NONE),
         "hash: and type email must go together");
  }
  /* Names and zones are unique across the catalog. */
  for (size_t i = 0; i < f->cat.n; i++) {
    for (size_t j = i + 1; j < f->cat.n; j++) {
      const struct list_def *l = f->cat.lists[j];
      LINT(strcmp(f->cat.lists[i]->name, l->name) != 0,
           "name also used at %s:%u", f->cat.lists[i]->file,
           f->cat.lists[i]->line);
      LINT(strcmp(f->cat.lists[i]->zone, l->zone) != 0,
           "zone also used at %s:%u", f->cat.lists[i]->file,
           f->cat.lists[i]->line);
    }
  }
#undef LINT
  assert_int_equal(problems, 0);
}

static void
test_shipped_find(void **state)
{
  struct fx *f = *state;
  load_shipped(f);
  /* The lists the default selection ("major") rests on are there. */
  const struct list_def *l = catalog_find(&f->cat, "spamhaus-zen");
  assert_non_null(l);
  assert_true(list_has_tag(l, "major"));
  assert_true(list_takes_ip4(l));
  l = catalog_find(&f->cat, "uribl-multi");
  assert_non_null(l);
  assert_true(l->bitmask);
  assert_int_equal(l->type, LIST_DOMAIN);
  assert_null(catalog_find(&f->cat, "no-such-list"));
  /* Validity's RPBL answers a bit set (rspamd's senderscore table); the
   * "not authenticated" bit alone is the weakest signal, not a listing for
   * spam traps. */
  l = catalog_find(&f->cat, "validity-rpbl");
  assert_non_null(l);
  assert_true(l->bitmask);
  const struct code_rule *r = catalog_match(l->codes, l->ncodes, 0x7f000002u);
  assert_non_null(r);
  assert_int_equal(r->sev, SEV_NOTICE);
  r = catalog_match(l->codes, l->ncodes, 0x7f000004u);
  assert_non_null(r);
  assert_int_equal(r->sev, SEV_CRITICAL);
  /* SEM-BLACK's one answer mixes trap hits with policy listings: a
   * warning, not critical (catalog audit, severity review). */
  l = catalog_find(&f->cat, "sem-black");
  assert_non_null(l);
  r = catalog_match(l->codes, l->ncodes, 0x7f000002u);
  assert_non_null(r);
  assert_int_equal(r->sev, SEV_WARNING);
  /* DKIMwl: last octet 0 is a blacklisted signing domain, 1-5 a trust
   * level (whitelisting, never a listing). */
  l = catalog_find(&f->cat, "dkimwl");
  assert_non_null(l);
  r = catalog_match(l->codes, l->ncodes, 0x7f000300u); /* 127.0.3.0 */
  assert_non_null(r);
  assert_int_equal(r->sev, SEV_CRITICAL);
  r = catalog_match(l->codes, l->ncodes, 0x7f000303u); /* 127.0.3.3 */
  assert_non_null(r);
  assert_int_equal(r->sev, SEV_GOOD);
  /* Team Cymru's bogon zone lists 127.0.0.0/8 itself, so the RFC 5782
   * unlisted test point cannot be used there. */
  l = catalog_find(&f->cat, "cymru-bogons");
  assert_non_null(l);
  assert_non_null(l->test_unlisted);
  assert_string_not_equal(l->test_unlisted, "127.0.0.1");
  /* fmb.la's blocked-resolver answer is an error, never a listing. */
  l = catalog_find(&f->cat, "fmb-fresh");
  assert_non_null(l);
  assert_non_null(catalog_match(l->errors, l->nerrors, 0x7fffffffu));
  assert_null(catalog_match(l->codes, l->ncodes, 0x7fffffffu));
}

/* ---- bad catalog files -------------------------------------------------- */
static char tmp_root[256];
static unsigned case_no;

static int
group_setup(void **state)
{
  (void)state;
  const char *tmp = getenv("TMPDIR");
  snprintf(tmp_root, sizeof(tmp_root), "%s/rblmon-test-catalog-XXXXXX",
           tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
  return mkdtemp(tmp_root) != NULL ? 0 : -1;
}

/* Removes tmp_root/<case>/<file> (one level, written by this test). */
static int
group_teardown(void **state)
{
  (void)state;
  DIR *top = opendir(tmp_root);
  if (top == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir(top)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/%s", tmp_root, de->d_name);
    DIR *dh = opendir(sub);
    if (dh != NULL) {
      struct dirent *fe;
      while ((fe = readdir(dh)) != NULL) {
        if (fe->d_name[0] == '.')
          continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", sub, fe->d_name);
        unlink(p);
      }
      closedir(dh);
    }
    rmdir(sub);
  }
  closedir(top);
  rmdir(tmp_root);
  return 0;
}

/* A fresh directory for one case; its path goes into dir. */
static void
new_case_dir(char *dir, size_t size)
{
  snprintf(dir, size, "%s/case%u", tmp_root, ++case_no);
  assert_int_equal(mkdir(dir, 0700), 0);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  assert_int_equal(fputs(text, fp) >= 0, 1);
  assert_int_equal(fclose(fp), 0);
}

static bool
has_line(const char *text, const char *prefix)
{
  size_t n = strlen(prefix);
  for (const char *p = text; *p != '\0';) {
    if (strncmp(p, prefix, n) == 0)
      return true;
    const char *nl = strchr(p, '\n');
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  return false;
}

/* Writes text as x.yaml in a fresh directory, loads the directory, and
 * expects it rejected with a line "<dir>/x.yaml:<line>:<col>: error: <msg>"
 * (msg is a prefix of the message). */
static void
expect_bad(struct fx *f, const char *text, unsigned line, unsigned col,
           const char *msg)
{
  char dir[512], want[1024];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml", text);
  rbl_status st = catalog_load_dir(&f->cat, dir, &f->d);
  snprintf(want, sizeof(want), "%s/x.yaml:%u:%u: error: %s", dir, line, col,
           msg);
  if (st == RBL_OK || f->d.errors == 0)
    fail_msg("accepted (status %d); expected \"%s\"", st, want);
  if (st != RBL_ECONFIG && st != RBL_ESYNTAX)
    fail_msg("status %d, expected RBL_ECONFIG or RBL_ESYNTAX", st);
  if (!has_line(sbuf_str(&f->d.text), want))
    fail_msg("no line starting with \"%s\" in:\n%s", want,
             sbuf_str(&f->d.text));
}

/* A valid file: operator, one list t1; the entry starts at line 4, col 5. */
#define HEAD                                                                \
  "operator: Test\n"                                        /* 1 */        \
  "sources: [https://example.org/]\n"                       /* 2 */        \
  "lists:\n"                                                /* 3 */
#define T1_TOP                                                              \
  "  - name: t1\n"                                          /* 4 */        \
  "    zone: t1.example\n"                                  /* 5 */        \
  "    type: ip4\n"                                         /* 6 */
#define T1_CODES                                                            \
  "    codes:\n"                                            /* 7 */        \
  "      127.0.0.2: {meaning: spam, severity: critical}\n"  /* 8 */
#define T1_TAIL                                                             \
  "    delist: https://example.org/delist\n"                /* 9 */        \
  "    sources: [https://example.org/t1]\n"                 /* 10 */

static void
test_good_file(void **state)
{
  /* The base of the bad cases is itself fine. */
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml", HEAD T1_TOP T1_CODES T1_TAIL);
  rbl_status st = catalog_load_dir(&f->cat, dir, &f->d);
  if (st != RBL_OK)
    fail_msg("status %d:\n%s", st, sbuf_str(&f->d.text));
  assert_int_equal(f->cat.n, 1);
  const struct list_def *l = f->cat.lists[0];
  assert_string_equal(l->name, "t1");
  assert_string_equal(l->operator_name, "Test");
  assert_int_equal(l->line, 4);
  assert_int_equal(l->col, 5);
  assert_true(l->probe);
  assert_int_equal(l->ncodes, 1);
  assert_int_equal(l->codes[0].sev, SEV_CRITICAL);
  assert_string_equal(l->delist_url, "https://example.org/delist");
}

static void
test_bad_unknown_key(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    colour: red\n"                                /* 9 */
             T1_TAIL,
             9, 5,
             "unknown key 'colour' in a list entry (expected one of: name, "
             "title, zone, type, scope, status, defunct, tags, txt, bitmask, hash, key, "
             "codes, errors, test, limits, delist, sources, note, feed)");
}

static void
test_bad_unknown_file_key(void **state)
{
  expect_bad(*state,
             "operator: Test\n"
             "homepage: https://example.org/\n"
             "lists:\n" T1_TOP T1_CODES T1_TAIL,
             2, 1, "unknown key 'homepage' in a catalog file");
}

static void
test_bad_code_outside_127(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                      /* 7 */
             "      127.0.0.2: {meaning: spam, severity: critical}\n"
             "      10.0.0.2: {meaning: odd, severity: warning}\n" /* 9 */
             T1_TAIL,
             9, 7,
             "codes key '10.0.0.2' must be an address or CIDR inside "
             "127.0.0.0/8");
}

static void
test_bad_error_outside_127(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    errors:\n"                                     /* 9 */
             "      192.0.2.1: \"refused\"\n"                    /* 10 */
             T1_TAIL,
             10, 7,
             "errors key '192.0.2.1' must be an address or CIDR inside "
             "127.0.0.0/8");
}

static void
test_bad_duplicate_zone_two_files(void **state)
{
  struct fx *f = *state;
  char dir[512], want[2048];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "a.yaml", HEAD T1_TOP T1_CODES T1_TAIL);
  write_file(dir, "b.yaml",
             HEAD
             "  - name: t2\n"                                        /* 4 */
             "    zone: T1.example\n"                                /* 5 */
             "    type: ip4\n" T1_CODES T1_TAIL);
  assert_int_equal(catalog_load_dir(&f->cat, dir, &f->d), RBL_ECONFIG);
  assert_int_equal(f->d.errors, 1);
  snprintf(want, sizeof(want),
           "%s/b.yaml:4:5: error: list 't2': duplicate zone 't1.example' "
           "(already defined at %s/a.yaml:4:5)",
           dir, dir);
  if (!has_line(sbuf_str(&f->d.text), want))
    fail_msg("no line \"%s\" in:\n%s", want, sbuf_str(&f->d.text));
  /* The first definition stays. */
  assert_int_equal(f->cat.n, 1);
  assert_non_null(catalog_find(&f->cat, "t1"));
}

static void
test_bad_duplicate_name(void **state)
{
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml",
             HEAD T1_TOP T1_CODES T1_TAIL
             "  - name: t1\n"                                        /* 11 */
             "    zone: other.example\n"
             "    type: ip4\n" T1_CODES T1_TAIL);
  assert_int_equal(catalog_load_dir(&f->cat, dir, &f->d), RBL_ECONFIG);
  char want[2048];
  snprintf(want, sizeof(want),
           "%s/x.yaml:11:5: error: list 't1': duplicate name 't1' (already "
           "defined at %s/x.yaml:4:5)",
           dir, dir);
  if (!has_line(sbuf_str(&f->d.text), want))
    fail_msg("no line \"%s\" in:\n%s", want, sbuf_str(&f->d.text));
}

static void
test_bad_delist_without_url(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    delist: {procedure: self-service}\n"          /* 9 */
             "    sources: [https://example.org/t1]\n",
             9, 13,
             "list 't1': delist needs a url (or procedure: none with a note "
             "saying why)");
}

static void
test_bad_no_delist(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    sources: [https://example.org/t1]\n",
             4, 5, "list 't1': delist needs a url");
}

static void
test_bad_delist_none_without_note(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    delist: {procedure: none}\n"                  /* 9 */
             "    sources: [https://example.org/t1]\n",
             9, 13, "list 't1': delist needs a url");
}

static void
test_delist_none_with_note_ok(void **state)
{
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml",
             HEAD T1_TOP T1_CODES
             "    delist: {procedure: none, note: \"listings expire in an "
             "hour; there is nothing to ask for\"}\n"
             "    sources: [https://example.org/t1]\n");
  rbl_status st = catalog_load_dir(&f->cat, dir, &f->d);
  if (st != RBL_OK)
    fail_msg("status %d:\n%s", st, sbuf_str(&f->d.text));
  assert_int_equal(f->cat.lists[0]->delist_proc, DELIST_NONE);
  assert_null(f->cat.lists[0]->delist_url);
}

static void
test_bad_cidr_key(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                      /* 7 */
             "      127.0.0.0/99: {meaning: range, severity: warning}\n"
             "      127.0.0.2: {meaning: spam, severity: critical}\n"
             T1_TAIL,
             8, 7, "codes key '127.0.0.0/99' must be an address or CIDR");
}

static void
test_bad_cidr_host_bits(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                      /* 7 */
             "      127.0.2.1/24: {meaning: range, severity: warning}\n"
             T1_TAIL,
             8, 7, "codes key '127.0.2.1/24' must be an address or CIDR");
}

static void
test_bad_bitmask_code(void **state)
{
  struct fx *f = *state;
  expect_bad(f,
             HEAD T1_TOP
             "    bitmask: true\n"                               /* 7 */
             "    codes:\n"                                      /* 8 */
             "      127.0.0.2: {meaning: black, severity: critical}\n"
             "      127.0.0.3: {meaning: both, severity: critical}\n"
             "      127.0.0.4: {meaning: grey, severity: warning}\n"
             T1_TAIL,
             4, 5, "list 't1': a bitmask list's codes must be single bits");
  assert_int_equal(f->d.errors, 1);
  assert_int_equal(f->cat.n, 0);
}

static void
test_bad_keyed_without_key(void **state)
{
  expect_bad(*state,
             HEAD
             "  - name: t1\n"                                        /* 4 */
             "    zone: \"{key}.t1.example\"\n"
             "    type: ip4\n" T1_CODES T1_TAIL,
             4, 5, "list 't1': zone has {key} but the entry has no key:");
}

static void
test_bad_defunct_without_defunct(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    status: defunct\n"                             /* 7 */
             "    codes: {}\n"
             "    sources: [https://example.org/t1]\n",
             7, 13, "list 't1': status defunct needs defunct:");
}

static void
test_bad_defunct_date(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    status: defunct\n"                             /* 7 */
             "    defunct: {since: June 2024, reason: gone}\n"   /* 8 */
             "    codes: {}\n"
             "    sources: [https://example.org/t1]\n",
             8, 22, "defunct.since must be a date YYYY-MM-DD");
}

static void
test_bad_test_point_domain_on_ip4(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    test: {listed: test.example, unlisted: 127.0.0.1}\n" /* 9 */
             T1_TAIL,
             9, 11,
             "list 't1': test point 'test.example' does not fit type ip4");
}

static void
test_bad_test_point_ip6_on_ip4(void **state)
{
  /* RFC 5782 section 5: an IPv4 list's test points are IPv4 addresses
   * (127.0.0.2 / 127.0.0.1); an IPv6 one cannot be asked of it. */
  expect_bad(*state,
             HEAD T1_TOP T1_CODES
             "    test: {listed: \"::ffff:7f00:2\"}\n"          /* 9 */
             T1_TAIL,
             9, 11, "list 't1': test point '::ffff:7f00:2' does not fit "
                    "type ip4");
}

static void
test_bad_test_point_ip_on_domain(void **state)
{
  expect_bad(*state,
             HEAD
             "  - name: t1\n"
             "    zone: t1.example\n"
             "    type: domain\n" T1_CODES
             "    test: {listed: 127.0.0.2}\n"                  /* 9 */
             T1_TAIL,
             9, 11,
             "list 't1': test point '127.0.0.2' does not fit type domain");
}

static void
test_bad_missing_codes(void **state)
{
  expect_bad(*state, HEAD T1_TOP T1_TAIL, 4, 5,
             "list 't1': an active list needs codes");
}

static void
test_bad_missing_required(void **state)
{
  expect_bad(*state,
             HEAD
             "  - name: t1\n"
             "    type: ip4\n" T1_CODES T1_TAIL,
             4, 5, "a list entry is missing the required key 'zone'");
}

static void
test_bad_all_reported(void **state)
{
  /* Several problems in one file: every one is reported. */
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml",
             HEAD
             "  - name: T1\n"                                       /* 4 */
             "    zone: t1.example\n"
             "    type: ipv4\n"                                    /* 6 */
             "    codes:\n"
             "      10.0.0.2: {meaning: spam, severity: critical}\n" /* 8 */
             "    delist: https://example.org/delist\n"
             "    sources: [https://example.org/t1]\n"
             "  - name: t2\n"                                       /* 11 */
             "    zone: t2.example\n"
             "    type: ip4\n"
             "    codes: {127.0.0.2: {meaning: x, severity: high}}\n" /* 14 */
             "    delist: ftp://example.org/\n"                    /* 15 */
             "    sources: [https://example.org/t2]\n");
  assert_int_equal(catalog_load_dir(&f->cat, dir, &f->d), RBL_ECONFIG);
  const char *text = sbuf_str(&f->d.text);
  char want[1024];
  static const struct {
    unsigned line, col;
  } at[] = {{4, 11}, {6, 11}, {8, 7}, {14, 47}, {15, 13}};
  for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
    snprintf(want, sizeof(want), "%s/x.yaml:%u:%u: error: ", dir, at[i].line,
             at[i].col);
    if (!has_line(text, want))
      fail_msg("no line starting with \"%s\" in:\n%s", want, text);
  }
  assert_true(f->d.errors >= 5);
  assert_int_equal(f->cat.n, 0);
}

static void
test_bad_yaml_syntax(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes: {127.0.0.2: {meaning: spam, severity: critical}\n"
             T1_TAIL,                        /* line 8: where it is noticed */
             8, 5, "YAML syntax: ");
}

/* ---- scope and fix ------------------------------------------------------ */
/* The scope of a list and of its codes, the fix per code, and what other
 * code asks of them (catalog_scope, catalog_fix, catalog_advise). */
static void
test_scope_and_fix(void **state)
{
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml",
             HEAD T1_TOP
             "    scope: address\n"
             "    codes:\n"
             "      127.0.0.2: {meaning: spam, severity: critical}\n"
             "      127.0.0.4: {meaning: exploit, severity: critical, "
             "fix: \"clean the host\"}\n"
             "      127.0.0.10: {meaning: dynamic, severity: warning, "
             "scope: policy, fix: \"use the smarthost\"}\n"
             "      127.0.1.0/24: {meaning: neighbours, severity: warning, "
             "scope: range}\n"
             "    delist: {url: https://example.org/d, fix_first: \"stop "
             "it\"}\n"
             "    sources: [https://example.org/t1]\n");
  rbl_status st = catalog_load_dir(&f->cat, dir, &f->d);
  if (st != RBL_OK)
    fail_msg("status %d:\n%s", st, sbuf_str(&f->d.text));
  const struct list_def *l = catalog_find(&f->cat, "t1");
  assert_non_null(l);
  assert_int_equal(l->scope, SCOPE_ADDRESS);
  assert_string_equal(catalog_scope(l, "127.0.0.10"), "policy");
  assert_string_equal(catalog_fix(l, "127.0.0.10"), "use the smarthost");
  assert_string_equal(catalog_scope(l, "127.0.0.4"), "address");
  assert_string_equal(catalog_fix(l, "127.0.0.4"), "clean the host");
  /* A code without its own: the list's scope and delist.fix_first. */
  assert_string_equal(catalog_scope(l, "127.0.0.2"), "address");
  assert_string_equal(catalog_fix(l, "127.0.0.2"), "stop it");
  assert_string_equal(catalog_scope(l, "127.0.1.7"), "range");
  assert_string_equal(catalog_fix(l, "127.0.1.7"), "stop it");
  /* Unknown, missing or unparsable code: the list's own. */
  assert_string_equal(catalog_scope(l, "127.0.0.77"), "address");
  assert_string_equal(catalog_scope(l, NULL), "address");
  assert_string_equal(catalog_fix(l, "zen"), "stop it");
  /* A listing with several codes: one piece of advice each, worst
   * first; the same advice twice is one. */
  uint32_t codes[4];
  assert_int_equal(catalog_parse_codes("127.0.0.10,127.0.0.4,127.0.0.2,x",
                                       codes, 4), 3);
  struct code_advice adv[8];
  size_t n = catalog_advise(l, codes, 3, adv, 8);
  assert_int_equal(n, 3);
  assert_int_equal(adv[0].sev, SEV_CRITICAL);
  assert_int_equal(adv[2].scope, SCOPE_POLICY);
  assert_int_equal(adv[2].code, 0x7f00000au);
  uint32_t twice[2] = {0x7f000002u, 0x7f00004du}; /* .77: the list's too */
  assert_int_equal(catalog_advise(l, twice, 2, adv, 8), 1);
  assert_int_equal(adv[0].code, 0x7f000002u);
  assert_int_equal(catalog_advise(l, codes, 3, adv, 1), 1); /* room */
  assert_string_equal(catalog_scope_who(SCOPE_POLICY) != NULL ? "y" : "n",
                      "y");
  assert_null(catalog_scope_name(SCOPE_UNSPECIFIED));
}

static void
test_scope_domain_default_and_bitmask(void **state)
{
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  write_file(dir, "x.yaml",
             HEAD
             "  - name: d1\n"
             "    zone: d1.example\n"
             "    type: domain\n"
             "    bitmask: true\n"
             "    codes:\n"
             "      127.0.0.2: {meaning: black, severity: critical, fix: "
             "\"stop the spam\"}\n"
             "      127.0.0.4: {meaning: grey, severity: warning}\n"
             "      127.0.0.8: {meaning: policy, severity: notice, scope: "
             "policy, fix: \"nothing\"}\n"
             "    delist: https://example.org/d\n"
             "    sources: [https://example.org/d1]\n");
  rbl_status st = catalog_load_dir(&f->cat, dir, &f->d);
  if (st != RBL_OK)
    fail_msg("status %d:\n%s", st, sbuf_str(&f->d.text));
  const struct list_def *l = catalog_find(&f->cat, "d1");
  assert_int_equal(l->scope, SCOPE_DOMAIN); /* a domain list's default */
  assert_string_equal(catalog_scope(l, "127.0.0.4"), "domain");
  assert_null(catalog_fix(l, "127.0.0.4"));
  /* bits 4 and 8: the lowest bit with advice of its own speaks... */
  assert_string_equal(catalog_scope(l, "127.0.0.12"), "policy");
  assert_string_equal(catalog_fix(l, "127.0.0.14"), "stop the spam");
  /* ...and a listing gets each bit's */
  uint32_t a = 0x7f00000eu;
  struct code_advice adv[8];
  assert_int_equal(catalog_advise(l, &a, 1, adv, 8), 3);
  assert_int_equal(adv[0].code, 0x7f000002u);
  assert_int_equal(adv[2].code, 0x7f000008u);
}

static void
test_bad_scope_value(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    scope: network\n"                               /* 7 */
             T1_CODES T1_TAIL,
             7, 12,
             "scope must be one of address, range, provider, asn, domain, "
             "policy, not 'network'");
}

static void
test_bad_code_scope_value(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                       /* 7 */
             "      127.0.0.2: {meaning: spam, severity: critical, scope: isp}\n"
             T1_TAIL,
             8, 61,
             "a code's scope must be one of address, range, provider, asn, "
             "domain, policy, not 'isp'");
}

static void
test_bad_scope_domain_on_ip(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    scope: domain\n"                                /* 7 */
             T1_CODES T1_TAIL,
             7, 12, "list 't1': scope domain does not fit type ip4");
}

static void
test_bad_code_scope_on_domain_list(void **state)
{
  expect_bad(*state,
             HEAD
             "  - name: t1\n"
             "    zone: t1.example\n"
             "    type: domain\n"
             "    codes:\n"                                       /* 7 */
             "      127.0.1.2: {meaning: spam, severity: critical, scope: address}\n"
             T1_TAIL,
             8, 61,
             "list 't1': code '127.0.1.2': scope address does not fit type "
             "domain (a domain list's scope is domain or policy)");
}

static void
test_bad_fix_on_good_code(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                       /* 7 */
             "      127.0.0.2: {meaning: spam, severity: critical}\n"
             "      127.0.0.3: {meaning: ok, severity: good, fix: \"nothing\"}\n"
             T1_TAIL,
             9, 53, "code '127.0.0.3' is good (never a listing): it has no "
                    "fix");
}

static void
test_bad_code_fix_type(void **state)
{
  expect_bad(*state,
             HEAD T1_TOP
             "    codes:\n"                                       /* 7 */
             "      127.0.0.2: {meaning: spam, severity: critical, fix: [a]}\n"
             T1_TAIL,
             8, 59, "a code's fix must be");
}

/* The shipped catalog names the fix for the code returned: Spamhaus'
 * components and UCEPROTECT's levels differ (lists/ and their sources). */
static void
test_shipped_scopes(void **state)
{
  struct fx *f = *state;
  load_shipped(f);
  static const struct {
    const char *list, *code, *scope, *fix_has;
  } want[] = {
    {"spamhaus-zen", "127.0.0.10", "policy", "smarthost"},
    {"spamhaus-zen", "127.0.0.11", "policy", "smarthost"},
    {"spamhaus-zen", "127.0.0.4", "address", "infected"},
    {"spamhaus-zen", "127.0.0.2", "provider", "SBL record"},
    {"spamhaus-zen", "127.0.0.9", "range", "DROP"},
    {"spamhaus-zen", "127.0.0.30", "address", "command-and-control"},
    {"spamhaus-pbl", "127.0.0.10", "policy", "range owner"},
    {"spamhaus-dqs-zen", "127.0.0.3", "address", "CSS"},
    {"spamhaus-dbl", "127.0.1.4", "domain", "phishing"},
    {"spamhaus-dbl", "127.0.1.102", "domain", "compromise"},
    {"uceprotect-1", "127.0.0.2", "address", "Stop the spam"},
    {"uceprotect-2", "127.0.0.2", "range", "provider"},
    {"uceprotect-3", "127.0.0.2", "asn", "network operator"},
    {"spamrats-all", "127.0.0.36", "policy", "rDNS"},
    {"spamrats-all", "127.0.0.43", "address", "infected"},
    {"abusix-combined", "127.0.0.11", "policy", "smarthost"},
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    const struct list_def *l = catalog_find(&f->cat, want[i].list);
    assert_non_null(l);
    const char *s = catalog_scope(l, want[i].code);
    const char *fx = catalog_fix(l, want[i].code);
    if (s == NULL || strcmp(s, want[i].scope) != 0 || fx == NULL ||
        strstr(fx, want[i].fix_has) == NULL)
      fail_msg("%s %s: scope %s, fix %s; want %s, a fix with \"%s\"",
               want[i].list, want[i].code, s ? s : "(none)",
               fx ? fx : "(none)", want[i].scope, want[i].fix_has);
  }
  /* Different components, different fixes: not one text for ZEN. */
  const struct list_def *zen = catalog_find(&f->cat, "spamhaus-zen");
  assert_string_not_equal(catalog_fix(zen, "127.0.0.10"),
                          catalog_fix(zen, "127.0.0.4"));
}

static void
test_empty_dir(void **state)
{
  struct fx *f = *state;
  char dir[512];
  new_case_dir(dir, sizeof(dir));
  assert_int_equal(catalog_load_dir(&f->cat, dir, &f->d), RBL_ENOTFOUND);
  assert_int_equal(f->d.errors, 1);
  char missing[600];
  snprintf(missing, sizeof(missing), "%s/nonexistent", dir);
  assert_int_equal(catalog_load_dir(&f->cat, missing, &f->d), RBL_EIO);
  assert_int_equal(f->d.errors, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_shipped_loads_clean),
    T(test_shipped_each_file),
    T(test_shipped_lint),
    T(test_shipped_find),
    T(test_good_file),
    T(test_bad_unknown_key),
    T(test_bad_unknown_file_key),
    T(test_bad_code_outside_127),
    T(test_bad_error_outside_127),
    T(test_bad_duplicate_zone_two_files),
    T(test_bad_duplicate_name),
    T(test_bad_delist_without_url),
    T(test_bad_no_delist),
    T(test_bad_delist_none_without_note),
    T(test_delist_none_with_note_ok),
    T(test_bad_cidr_key),
    T(test_bad_cidr_host_bits),
    T(test_bad_bitmask_code),
    T(test_bad_keyed_without_key),
    T(test_bad_defunct_without_defunct),
    T(test_bad_defunct_date),
    T(test_bad_test_point_domain_on_ip4),
    T(test_bad_test_point_ip6_on_ip4),
    T(test_bad_test_point_ip_on_domain),
    T(test_bad_missing_codes),
    T(test_bad_missing_required),
    T(test_bad_all_reported),
    T(test_bad_yaml_syntax),
    T(test_scope_and_fix),
    T(test_scope_domain_default_and_bitmask),
    T(test_bad_scope_value),
    T(test_bad_code_scope_value),
    T(test_bad_scope_domain_on_ip),
    T(test_bad_code_scope_on_domain_list),
    T(test_bad_fix_on_good_code),
    T(test_bad_code_fix_type),
    T(test_shipped_scopes),
    T(test_empty_dir),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
