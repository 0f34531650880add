/* prefilter.c - the literals a rule's pattern requires: for each
 * top-level branch of a POSIX ERE (GNU's escapes and back-references
 * included), the longest run of characters that every match of it holds.
 * A rule is only run on a reply holding one of its literals: most rules
 * never run on most replies (docs/benchmarks.md). */
#include <string.h>

#include "classify_int.h"

/* Where the group or bracket expression at p (one of "([") ends, or
 * NULL when it does not. */
static const char *
skip_group(const char *p, const char *end)
{
  if (*p == '[') {
    const char *q = p + 1;
    if (q < end && *q == '^')
      q++;
    if (q < end && *q == ']')
      q++;
    while (q < end && *q != ']') {
      if (*q == '[' && q + 1 < end && strchr(":=.", q[1]) != NULL) {
        char close[3] = {q[1], ']', '\0'}; /* [:alpha:], [=a=], [.-.] */
        const char *e = q + 2 < end ? strstr(q + 2, close) : NULL;
        if (e == NULL || e >= end)
          return NULL;
        q = e + 2;
        continue;
      }
      q++;
    }
    return q < end ? q + 1 : NULL;
  }
  int depth = 0;
  const char *q = p;
  while (q < end) {
    if (*q == '\\' && q + 1 < end) {
      q += 2;
      continue;
    }
    if (*q == '[') {
      if ((q = skip_group(q, end)) == NULL)
        return NULL;
      continue;
    }
    if (*q == '(')
      depth++;
    else if (*q == ')' && --depth == 0)
      return q + 1;
    q++;
  }
  return NULL;
}

/* Keeps run as best when longer; empties run. */
static void
flush_run(char *run, size_t *rl, char *best, size_t *bl)
{
  if (*rl > *bl) {
    memcpy(best, run, *rl);
    *bl = *rl;
  }
  *rl = 0;
}

/* The longest run of characters that every match of the branch [p, end)
 * of an ERE holds, lower-cased, into best (size LOG_FIELD_MAX); its
 * length, 0 when the branch has none it can name. */
static size_t
branch_literal(const char *p, const char *end, char *best)
{
  char run[LOG_FIELD_MAX];
  size_t rl = 0, bl = 0;
  while (p < end) {
    char ch = *p;
    if (ch == '(' || ch == '[') {
      flush_run(run, &rl, best, &bl);
      if ((p = skip_group(p, end)) == NULL)
        return 0;
      if (p < end && strchr("*?+{", *p) != NULL && *p != '{')
        p++;
      continue;
    }
    if (strchr(".^$*?+{}", ch) != NULL) { /* quantifiers after a group */
      flush_run(run, &rl, best, &bl);
      p = ch == '{' ? memchr(p, '}', (size_t)(end - p)) : p;
      if (p == NULL)
        return 0;
      p++;
      continue;
    }
    if (ch == '\\' && p + 1 < end) {
      ch = *++p;
      /* GNU's \b \w \< \` ... and back-references: no character of
       * their own to require */
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || strchr("<>`'", ch) != NULL) {
        flush_run(run, &rl, best, &bl);
        p++;
        continue;
      }
    }
    p++;
    size_t nq = strspn(p, "*?+{"); /* the quantifiers after it, stacked */
    if (nq > (size_t)(end - p))
      nq = (size_t)(end - p);
    bool optional = memchr(p, '*', nq) || memchr(p, '?', nq) ||
                    memchr(p, '{', nq);
    if (optional) {               /* the character may be absent */
      flush_run(run, &rl, best, &bl);
      continue;                   /* the quantifiers: next round */
    }
    if (rl + 1 < sizeof(run))
      run[rl++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    if (nq > 0) {                 /* once or more: the run stops here */
      char last = run[rl - 1];
      flush_run(run, &rl, best, &bl);
      run[rl++] = last;
      p += nq;
    }
  }
  flush_run(run, &rl, best, &bl);
  return bl;
}

size_t
classify_literals(const char *pattern, char out[][CLASSIFY_LITERAL_MAX],
                  size_t max)
{
  const char *p = pattern, *end = p + strlen(p), *b = p;
  size_t n = 0;
  while (b <= end) {
    const char *q = b;
    while (q < end && *q != '|') {
      if (*q == '\\' && q + 1 < end)
        q += 2;
      else if (*q == '(' || *q == '[') {
        if ((q = skip_group(q, end)) == NULL)
          return 0;
      } else
        q++;
    }
    char lit[LOG_FIELD_MAX];
    size_t len = branch_literal(b, q, lit);
    if (len < 3 || n == max)
      return 0;                   /* a branch with nothing to require */
    if (len >= CLASSIFY_LITERAL_MAX)
      len = CLASSIFY_LITERAL_MAX - 1; /* a prefix is required too */
    memcpy(out[n], lit, len);
    out[n++][len] = '\0';
    b = q + 1;
  }
  return n;
}

bool
rule_may_match(const struct rule *ru, const char *lower)
{
  for (size_t i = 0; i < ru->nlits; i++)
    if (strstr(lower, ru->lits[i]) != NULL)
      return true;
  return ru->nlits == 0;
}
