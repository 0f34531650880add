/* classify: the literal prefilter each rule carries.  For a pattern,
 * classify_literals() names what every match of each top-level branch
 * must hold; a rule is only run on a reply holding one of them.  Checked
 * on hand-made patterns, and for soundness on every pattern of the
 * shipped rules file against the project's own log lines: whenever the
 * pattern matches a line, the lower-cased line holds one of its literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#define T(fn) cmocka_unit_test(fn)

static char lits[32][CLASSIFY_LITERAL_MAX];

/* The literals of pattern joined with "|", or "-" for none. */
static const char *
literals(const char *pattern)
{
  static char out[1024];
  size_t n = classify_literals(pattern, lits, 32);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++)
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
             i ? "|" : "", lits[i]);
  return n ? out : "-";
}

static void
names_each_branch(void **state)
{
  (void)state;
  assert_string_equal(literals("user unknown|No Such User"),
                      "user unknown|no such user");
  assert_string_equal(literals("(mailbox|box) is full|over ?quota"),
                      " is full|quota");
  assert_string_equal(literals("spamhaus\\.org/(sbl|xbl)/"), "spamhaus.org/");
  assert_string_equal(literals("[45]\\.7\\.26 authentication"), ".7.26 authentication");
}

static void
drops_what_may_be_absent(void **state)
{
  (void)state;
  assert_string_equal(literals("black ?list"), "black");
  assert_string_equal(literals("doesn.{0,3}t exist"), "t exist");
  assert_string_equal(literals("colou?r code"), "r code");
  assert_string_equal(literals("gr[ae]y-?listed"), "listed");
  assert_string_equal(literals("x+yzzy"), "xyzzy");
  assert_string_equal(literals("ab+cdef"), "bcdef");
  assert_string_equal(literals("(abc)*defg"), "defg");
  assert_string_equal(literals("abc(de){2,3}fgh"), "abc");
  assert_string_equal(literals("abcd+?efgh"), "efgh");  /* d+? may be none */
  assert_string_equal(literals("abcd+*xy"), "abc");
}

static void
knows_classes_escapes_and_references(void **state)
{
  (void)state;
  assert_string_equal(literals("[[:alpha:]]xyz"), "xyz");
  assert_string_equal(literals("[[:space:]]honeypot"), "honeypot");
  assert_string_equal(literals("[^]x[:digit:]]abcd"), "abcd");
  assert_string_equal(literals("[[=a=]]bcd"), "bcd");
  assert_string_equal(literals("\\bspamtrap\\b"), "spamtrap");
  assert_string_equal(literals("\\<word\\>s"), "word");
  assert_string_equal(literals("(abc)\\1defg"), "defg");
  assert_string_equal(literals("a\\.b\\.cd"), "a.b.cd");
  assert_string_equal(literals("[[:alpha:]"), "-"); /* unterminated */
}

static void
gives_none_when_a_branch_is_short(void **state)
{
  (void)state;
  assert_string_equal(literals("spam|ab"), "-");
  assert_string_equal(literals("(^|[^a-z])SPF([^a-z]|$)"), "spf");
  assert_string_equal(literals("(^|[^a-z])(RBL|DNSBL)"), "-");
  assert_string_equal(literals("."), "-");
  assert_string_equal(literals("abc(def"), "-");
}

/* The shipped patterns ("    match: '...'" lines, YAML single quotes). */
static size_t
shipped(char pats[][1024], size_t max)
{
  FILE *f = fopen(RBLMON_SRCDIR "/lists/rules/rejections.yaml", "r");
  assert_non_null(f);
  char line[4096];
  size_t n = 0;
  while (n < max && fgets(line, sizeof(line), f) != NULL) {
    const char *m = strstr(line, "match: '");
    if (m == NULL || strncmp(line, "    match", 9) != 0)
      continue;
    size_t k = 0;
    for (const char *p = m + 8; *p && k + 1 < 1024; p++) {
      if (*p == '\'' && p[1] == '\'')
        p++;
      else if (*p == '\'')
        break;
      pats[n][k++] = *p;
    }
    pats[n++][k] = '\0';
  }
  fclose(f);
  return n;
}

static void
sound_on_the_shipped_rules(void **state)
{
  (void)state;
  static char pats[1000][1024];
  size_t np = shipped(pats, 1000);
  assert_true(np > 150);
  setlocale(LC_ALL, "C");
  DIR *d = opendir(RBLMON_SRCDIR "/tests/logs");
  assert_non_null(d);
  struct dirent *e;
  size_t checked = 0, filtered = 0;
  while ((e = readdir(d)) != NULL) {
    if (strstr(e->d_name, ".log") == NULL || strstr(e->d_name, ".json"))
      continue;
    char path[1024], line[8192], lower[8192];
    snprintf(path, sizeof(path), RBLMON_SRCDIR "/tests/logs/%s", e->d_name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
      for (size_t i = 0; i <= strlen(line); i++)
        lower[i] = line[i] >= 'A' && line[i] <= 'Z' ? (char)(line[i] + 32)
                                                    : line[i];
      for (size_t i = 0; i < np; i++) {
        regex_t re;
        if (regcomp(&re, pats[i], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
          continue;
        bool hit = regexec(&re, line, 0, NULL, 0) == 0;
        regfree(&re);
        size_t n = classify_literals(pats[i], lits, 32);
        filtered += n > 0;
        bool held = n == 0;
        for (size_t k = 0; k < n && !held; k++)
          held = strstr(lower, lits[k]) != NULL;
        if (hit && !held)
          fail_msg("pattern %s matches %s without its literals %s", pats[i],
                   line, literals(pats[i]));
        checked += hit;
      }
    }
    fclose(f);
  }
  closedir(d);
  assert_true(checked > 100);     /* the lines do exercise the rules */
  assert_true(filtered > np * 20); /* most patterns have a prefilter */
}

/* ---- random patterns, each with a text it matches -------------------- */
static unsigned long long rng = 19;

static unsigned
rnd(unsigned n)
{
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)(rng >> 33) % n;
}

struct gen {
  char pat[512], txt[512];
  size_t pl, tl;
};

static void
put(struct gen *g, const char *pat, const char *txt)
{
  size_t a = strlen(pat), b = strlen(txt);
  if (g->pl + a < sizeof(g->pat) && g->tl + b < sizeof(g->txt)) {
    memcpy(g->pat + g->pl, pat, a + 1);
    memcpy(g->txt + g->tl, txt, b + 1);
    g->pl += a;
    g->tl += b;
  }
}

static void gen_branch(struct gen *g, int depth);

/* One atom and its quantifier; the text gets what they match. */
static void
gen_atom(struct gen *g, int depth)
{
  static const char *const atoms[][2] = {
    {"a", "a"}, {"b", "B"}, {"c", "c"}, {"x", "x"}, {" ", " "},
    {"\\.", "."}, {".", "k"}, {"[a-c]", "b"}, {"[[:digit:]]", "7"},
    {"[^x]", "q"}, {"[]a]", "]"}, {"[|]", "|"}, {"\\b", ""},
    {"spam", "SPAM"}, {"list", "list"}, {"user", "User"}};
  struct gen one = {.pl = 0};
  int k = (int)rnd(depth < 2 ? 18 : 16);
  bool word = k >= 13 && k < 16; /* several characters: no quantifier */
  if (k >= 16) {
    put(&one, "(", "");
    gen_branch(&one, depth + 1);
    if (rnd(2)) {                 /* an alternative not taken */
      struct gen alt = {.pl = 0};
      gen_branch(&alt, depth + 1);
      put(&one, "|", "");
      put(&one, alt.pat, "");
    }
    put(&one, ")", "");
  } else {
    put(&one, atoms[k][0], atoms[k][1]);
  }
  unsigned q = word ? 0 : rnd(8), reps = 1;
  static const char *const quant[] = {"", "", "", "", "?", "*", "+", "{1,2}"};
  if (q == 4 || q == 5)
    reps = rnd(2);
  else if (q >= 6)
    reps = 1 + rnd(2);
  put(g, one.pat, "");
  put(g, quant[q], "");
  for (unsigned i = 0; i < reps; i++)
    put(g, "", one.txt);
}

static void
gen_branch(struct gen *g, int depth)
{
  for (unsigned n = 1 + rnd(6); n > 0; n--)
    gen_atom(g, depth);
}

static void
sound_on_random_patterns(void **state)
{
  (void)state;
  setlocale(LC_ALL, "C");
  unsigned matched = 0, filtered = 0;
  for (int i = 0; i < 20000; i++) {
    struct gen g = {.pl = 0};
    gen_branch(&g, 0);
    if (rnd(3) == 0) {            /* a second top-level branch */
      struct gen alt = {.pl = 0};
      gen_branch(&alt, 0);
      put(&g, "|", "");
      put(&g, alt.pat, "");
    }
    char text[1200], lower[1200];
    snprintf(text, sizeof(text), "Zz %s zZ", g.txt);
    for (size_t k = 0; k <= strlen(text); k++)
      lower[k] = text[k] >= 'A' && text[k] <= 'Z' ? (char)(text[k] + 32)
                                                  : text[k];
    regex_t re;
    if (regcomp(&re, g.pat, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
      continue;
    bool hit = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    size_t n = classify_literals(g.pat, lits, 32);
    bool held = n == 0;
    for (size_t k = 0; k < n && !held; k++)
      held = strstr(lower, lits[k]) != NULL;
    if (hit && !held)
      fail_msg("pattern '%s' matches '%s' without its literals %s", g.pat,
               text, literals(g.pat));
    matched += hit;
    filtered += n > 0;
  }
  printf("random patterns: %u matched, %u with a prefilter\n", matched,
         filtered);
  assert_true(matched > 10000);   /* the texts do match their patterns */
  assert_true(filtered > 3000);   /* and many patterns have a prefilter */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(names_each_branch),
    T(drops_what_may_be_absent),
    T(gives_none_when_a_branch_is_short),
    T(knows_classes_escapes_and_references),
    T(sound_on_the_shipped_rules),
    T(sound_on_random_patterns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
