/* textzone.h - a zone written as text, for the unit tests of what reads
 * DNS answers without asking (spf.c, the auth judges): one line per
 * (name, type), "name TYPE value|value|...", TYPE one of TXT, A, AAAA, MX
 * (".": the null MX), PTR, NX (NXDOMAIN), ERR (SERVFAIL).  A name with no
 * line for a type is NODATA when it has other lines, else NXDOMAIN.
 * Included by one test file each (static functions, one zone). */
#ifndef RBL_TEXTZONE_H
#define RBL_TEXTZONE_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnscache.h"

#define TEXTZONE_MAX 128
#define TEXTZONE_VALUES 16

struct textzone_rr {
  char name[256];
  int type;                       /* DQ_*, -1 NX, -2 ERR */
  struct dq_answer a;
  char *strs[TEXTZONE_VALUES];
  struct addr addrs[TEXTZONE_VALUES];
};

static struct textzone_rr textzone[TEXTZONE_MAX];
static size_t ntextzone;
static const struct dq_answer textzone_nodata = {DQ_NODATA, 0, NULL, NULL,
                                                 NULL};
static const struct dq_answer textzone_nx = {DQ_NXDOMAIN, 0, NULL, NULL,
                                             NULL};

static int
textzone_type(const char *t)
{
  static const struct { const char *n; int t; } m[] = {
    {"TXT", DQ_TXT}, {"A", DQ_A}, {"AAAA", DQ_AAAA}, {"MX", DQ_MX},
    {"PTR", DQ_PTR}, {"NX", -1}, {"ERR", -2}};
  for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
    if (strcmp(m[i].n, t) == 0)
      return m[i].t;
  fail_msg("bad type %s", t);
  return 0;
}

/* Empties the zone. */
static void
textzone_unload(void)
{
  for (size_t i = 0; i < ntextzone; i++)
    for (size_t k = 0; k < textzone[i].a.n; k++)
      free(textzone[i].strs[k]);
  memset(textzone, 0, sizeof(textzone));
  ntextzone = 0;
}

static void
textzone_value(struct textzone_rr *r, const char *v)
{
  assert_true(r->a.n < TEXTZONE_VALUES);
  if (r->type == DQ_A || r->type == DQ_AAAA)
    assert_true(target_addr_parse(v, &r->addrs[r->a.n]));
  else
    r->strs[r->a.n] = strdup(r->type == DQ_MX && strcmp(v, ".") == 0 ? ""
                                                                      : v);
  r->a.n++;
}

/* The zone is text (what was there before is gone). */
static void
textzone_load(const char *text)
{
  textzone_unload();
  char buf[8192];
  snprintf(buf, sizeof(buf), "%s", text);
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    assert_true(ntextzone < TEXTZONE_MAX);
    struct textzone_rr *r = &textzone[ntextzone++];
    char *sp = strchr(line, ' ');
    assert_non_null(sp);
    *sp = '\0';
    snprintf(r->name, sizeof(r->name), "%s", line);
    char *type = sp + 1, *vals = strchr(type, ' ');
    if (vals != NULL)
      *vals++ = '\0';
    r->type = textzone_type(type);
    r->a.status = r->type == -1 ? DQ_NXDOMAIN : r->type == -2 ? DQ_ERROR
                                                             : DQ_OK;
    r->a.error = "SERVFAIL";
    for (char *s2 = NULL, *v = vals ? strtok_r(vals, "|", &s2) : NULL;
         v && r->type > 0; v = strtok_r(NULL, "|", &s2))
      textzone_value(r, v);
    r->a.strs = r->strs;
    r->a.addrs = r->addrs;
  }
}

/* The zone's answer for (name, type): a record set, an error, or
 * &textzone_nodata / &textzone_nx. */
static const struct dq_answer *
textzone_answer(const char *name, int type)
{
  bool known = false;
  for (size_t i = 0; i < ntextzone; i++) {
    if (strcasecmp(textzone[i].name, name) != 0)
      continue;
    if (textzone[i].type == type || textzone[i].type < 0)
      return &textzone[i].a;
    known = true;
  }
  return known ? &textzone_nodata : &textzone_nx;
}

#endif
