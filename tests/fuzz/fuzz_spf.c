/* libFuzzer target: SPF evaluation (RFC 7208 check_host) and the walk
 * from_spf does, over a DNS the input describes.  Input: records separated
 * by NUL bytes (a record itself may hold any other byte, line breaks
 * included); record 0 is example.com's TXT record, every other TXT name
 * gets record 1 + hash(name) % (records - 1) (so includes and redirects
 * reach records the fuzzer writes); a name's hash also picks NXDOMAIN, no
 * data, a DNS error or addresses for A/AAAA/MX/PTR.  Evaluation follows the NEED
 * protocol auth.c uses: an unknown answer stops it, the answer is made
 * and evaluation starts again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzcheck.h"
#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ANSWERS 64

struct fake_dns {
  char **lines;
  size_t nlines;
  struct {
    char *name;
    int type;
    struct dq_answer a;
  } ans[MAX_ANSWERS];
  size_t n;
};

static uint32_t
hash(const char *s, int type)
{
  uint32_t h = 2166136261u ^ (uint32_t)type;
  for (; *s; s++)
    h = (h ^ (unsigned char)(*s | 0x20)) * 16777619u;
  return h;
}

static const struct dq_answer *
lookup(void *arg, const char *name, int type)
{
  struct fake_dns *f = arg;
  for (size_t i = 0; i < f->n; i++)
    if (f->ans[i].type == type && strcasecmp(f->ans[i].name, name) == 0)
      return &f->ans[i].a;
  return NULL;
}

/* Makes the answer for (name, type); false when the table is full. */
static bool
make(struct fake_dns *f, const char *name, int type)
{
  if (f->n == MAX_ANSWERS)
    return false;
  struct dq_answer *a = &f->ans[f->n].a;
  memset(a, 0, sizeof(*a));
  f->ans[f->n].name = strdup(name);
  f->ans[f->n].type = type;
  f->n++;
  uint32_t h = hash(name, type);
  bool apex = strcasecmp(name, "example.com") == 0;
  switch (apex && type == DQ_TXT ? 0 : h % 8) {
  case 5: a->status = DQ_NXDOMAIN; return true;
  case 6: a->status = DQ_NODATA; return true;
  case 7: a->status = DQ_ERROR; a->error = "fake error"; return true;
  }
  a->status = DQ_OK;
  if (type == DQ_TXT) {
    size_t k = apex || f->nlines < 2 ? 0 : 1 + h % (f->nlines - 1);
    a->strs = malloc(2 * sizeof(char *));
    a->strs[0] = strdup(f->lines[k]);
    a->n = 1;
    if (h & 0x100) { /* sometimes a second record: two v=spf1 is an error */
      a->strs[1] = strdup(f->lines[(k + 1) % f->nlines]);
      a->n = 2;
    }
  } else if (type == DQ_MX || type == DQ_PTR) {
    size_t m = 1 + (h >> 8) % 12; /* more than 10 names: over the limit */
    a->strs = malloc(m * sizeof(char *));
    for (size_t i = 0; i < m; i++) {
      char buf[300];
      if (i == 0 && type == DQ_PTR)
        snprintf(buf, sizeof(buf), "%.255s", name);
      else
        snprintf(buf, sizeof(buf), "h%zu.%.250s", i, name);
      a->strs[i] = strdup(buf);
    }
    a->n = m;
  } else {
    size_t m = 1 + (h >> 8) % 3;
    a->addrs = calloc(m, sizeof(struct addr));
    for (size_t i = 0; i < m; i++) {
      struct addr *x = &a->addrs[i];
      x->kind = type == DQ_A ? TARGET_IP4 : TARGET_IP6;
      if (type == DQ_A) {
        x->b[0] = 192;
        x->b[2] = 2;
        x->b[3] = (uint8_t)(h >> (8 * i));
      } else {
        x->b[0] = 0x20; x->b[1] = 0x01; x->b[2] = 0x0d; x->b[3] = 0xb8;
        x->b[15] = (uint8_t)(h >> (8 * i));
      }
    }
    a->n = m;
  }
  return true;
}

static void
fake_free(struct fake_dns *f)
{
  for (size_t i = 0; i < f->n; i++) {
    struct dq_answer *a = &f->ans[i].a;
    for (size_t k = 0; a->strs && k < a->n; k++)
      free(a->strs[k]);
    free(a->strs);
    free(a->addrs);
    free(f->ans[i].name);
  }
  f->n = 0;
}

/* Every trace line is a string that ends (and escapes like any other). */
static void
on_trace(void *arg, unsigned depth, const char *line)
{
  (void)arg;
  if (depth > 64)
    __builtin_trap();
  fuzz_escape_check(line, strlen(line));
}

static enum spf_result
evaluate(struct fake_dns *f, const struct addr *ip)
{
  /* with the explanation and the trace, as rblmon spf runs it */
  struct spf_query q = {ip, "example.com", "postmaster@example.com",
                        "mail.example.com", NULL, true, on_trace, NULL};
  for (;;) {
    struct spf_out o;
    enum spf_result r = spf_eval(&q, lookup, f, &o);
    if (r == SPF_NEED) {
      if (lookup(f, o.need_name, o.need_type) != NULL)
        __builtin_trap(); /* asked for what it has */
      if (!make(f, o.need_name, o.need_type))
        return r;
      continue;
    }
    if (o.lookups > SPF_MAX_LOOKUPS + 1 || strlen(o.why) >= sizeof(o.why))
      __builtin_trap();
    if (strlen(o.exp) >= sizeof(o.exp) || (r != SPF_FAIL && o.exp[0]))
      __builtin_trap();
    fuzz_escape_check(o.why, strlen(o.why));
    fuzz_escape_check(o.exp, strlen(o.exp));
    return r;
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 4096)
    return 0;
  struct fake_dns f;
  memset(&f, 0, sizeof(f));
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  f.lines = malloc((size + 1) * sizeof(char *));
  for (char *p = text;; p += strlen(p) + 1) {
    f.lines[f.nlines++] = p;
    if (p + strlen(p) >= text + size)
      break;
  }
  struct addr v4 = {TARGET_IP4, {192, 0, 2, 1}};
  struct addr v6 = {TARGET_IP6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
  evaluate(&f, &v4);
  evaluate(&f, &v6);

  struct spf_net nets[32];
  size_t nn = 0;
  char notes[512];
  for (;;) {
    struct spf_out o;
    enum spf_result r = spf_authorized("example.com", lookup, &f, nets, 32,
                                       &nn, notes, sizeof(notes), &o);
    if (r == SPF_NEED && make(&f, o.need_name, o.need_type))
      continue;
    if (nn > 32 || strlen(notes) >= sizeof(notes))
      __builtin_trap();
    for (size_t i = 0; i < nn; i++)
      if (nets[i].prefix > (nets[i].a.kind == TARGET_IP4 ? 32u : 128u))
        __builtin_trap();
    break;
  }
  fake_free(&f);
  free(f.lines);
  free(text);
  return 0;
}
