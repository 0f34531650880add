/* test_dmarccases.c - the 42 DMARC records of the shared corpus
 * (../shared/corpora/spf/dmarc-tests.yml: OpenDMARC's and mox's parse
 * cases and RFC 7489 cases) through the parser of auth:dmarc.
 *
 * The records are read from the corpus, which stays outside the project;
 * the expected outcomes are ours, below, each checked against RFC 7489.
 * The corpus's own 'expect' lists are a reading of the RFC: checked case
 * by case against the RFC text (rfc7489.txt), ours is the first of each
 * list.  On case RFC 7489 reads both ways: section 6.3 takes DKIM's
 * tag-value syntax, whose tags and values are case-sensitive (RFC 6376
 * 3.2), while the 6.4 grammar writes them as ABNF strings, which are
 * case-insensitive (RFC 5234 2.3).  We read tag names and p/sp values
 * case-insensitively, as the grammar and RFC 9989 (whose grammar keeps
 * "v" case-insensitive) do; the case-sensitive reading the corpus also
 * allows (m05, m05b, r03, r09, r10) is noted, not taken.  Where
 * OpenDMARC's or mox's own tests assert otherwise, the note says so, with
 * the section that decides.  Skips
 * with a message when the corpus is absent.  Read with libyaml's document
 * API, not ydoc: the corpus uses aliases, which our strict reader refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "authrec.h"
#include <yaml.h>

#define CORPUS RBLMON_SRCDIR "/../shared/corpora/spf/dmarc-tests.yml"

/* What a receiver makes of a TXT set at _dmarc.DOMAIN (RFC 7489 6.6.3):
 * no DMARC record (steps 4, 5), a record set that gives no DMARC
 * processing (step 5 with several records, step 6 without rua), or a
 * policy.  rblmon reports the first as missing, the second as invalid. */
enum outcome { O_NONE, O_INVALID, O_VALID };

struct expectation {
  const char *id;
  enum outcome o;
  const char *p, *sp;
  char adkim, aspf;
  unsigned pct;
  bool p_defaulted;      /* 6.6.3 step 6: taken as p=none */
  bool ignored;          /* 6.3: a broken adkim/aspf/pct discarded */
  const char *note;      /* where we part from the corpus or a source */
};

#define V(id, p, sp, a, s, pct) {id, O_VALID, p, sp, a, s, pct, false, false, NULL}
#define VI(id, p, sp, a, s, pct, why) {id, O_VALID, p, sp, a, s, pct, false, true, why}
#define VN(id, why) {id, O_VALID, "none", "none", 'r', 'r', 100, true, false, why}
#define INV(id, why) {id, O_INVALID, NULL, NULL, 0, 0, 0, false, false, why}
#define NONE(id, why) {id, O_NONE, NULL, NULL, 0, 0, 0, false, false, why}

static const struct expectation cases[] = {
  V("o01", "none", "none", 'r', 'r', 100),
  V("o02", "none", "none", 'r', 'r', 100),
  V("o03", "reject", "reject", 'r', 'r', 100),
  V("o04", "quarantine", "quarantine", 'r', 'r', 100),
  /* OpenDMARC accepts p=n; 6.6.3 step 6 gives no DMARC processing */
  INV("o05", "6.6.3 step 6: invalid p, no rua (OpenDMARC: OKAY)"),
  NONE("o06", "6.6.3 step 4: not v=DMARC1, discarded"),
  NONE("o07", "6.6.3 step 4"),
  INV("o08", "6.6.3 step 6"),
  INV("o09", "6.6.3 step 6: invalid sp, no rua"),
  /* OpenDMARC rejects these; 6.3 says syntax errors in the remainder
   * SHOULD be discarded in favour of the defaults */
  VI("o10", "none", "none", 'r', 'r', 100, "6.3 (OpenDMARC: BAD_VALUE)"),
  VI("o11", "none", "none", 'r', 'r', 100, "6.3 (OpenDMARC: BAD_VALUE)"),
  /* rf and ri are not read by rblmon: their broken values change nothing
   * and are not noted.  6.3 on rf: a receiver seeing an unregistered
   * format "SHOULD ignore it or MAY ignore the entire DMARC record"; we
   * take the first (o12, o19) */
  V("o12", "none", "none", 'r', 'r', 100),
  V("o13", "none", "none", 'r', 'r', 100),
  /* pct=110 fits the 6.4 grammar (1*3DIGIT) but not 6.3's 0 to 100:
   * out of range, discarded for 100, which covers every message as 110
   * would */
  VI("o14", "none", "none", 'r', 'r', 100, "6.3 (OpenDMARC: BAD_VALUE)"),
  INV("o15", "6.6.3 step 6: no p, no rua"),
  /* 6.3 rua: "URIs not supported by Mail Receivers MUST be ignored" */
  V("o16", "none", "none", 'r', 'r', 100),
  V("o17", "none", "none", 'r', 'r', 100),
  V("o18", "none", "none", 'r', 'r', 100),
  V("o19", "none", "none", 'r', 'r', 100),
  VN("m01", "6.6.3 step 6: no p, a rua"),
  VN("m02", "6.6.3 step 6: invalid sp, a rua: as v=DMARC1; p=none"),
  V("m03", "none", "none", 'r', 'r', 100),
  V("m04", "quarantine", "quarantine", 'r', 'r', 25),
  /* 6.4: "v" and the tag names are ABNF strings, case-insensitive (RFC
   * 5234 2.3), so V=DMARC1 is a record.  Read case-sensitively (6.3, RFC
   * 6376 3.2) it is none (6.6.3 step 2), and in m05b P and Pct are
   * unknown tags (p=none by step 6.1, with its rua): the corpus allows
   * both; we take the grammar's reading */
  V("m05", "reject", "none", 's', 's', 0),
  V("m05b", "reject", "none", 's', 's', 0),
  NONE("m06", "6.4: DMARC1 is written in %x codes, case-sensitive"),
  NONE("m07", "6.4: dmarc-sep after the version"),
  NONE("m08", "6.4"),
  INV("m09", "6.6.3 step 6"),
  /* mox: error; 6.3 takes DKIM's tag-value syntax, where a duplicate tag
   * makes the whole list invalid (RFC 6376 3.2) */
  INV("m10", "6.3 and RFC 6376 3.2: duplicate tag"),
  /* v=DMARC1; sp=...; p=...: 6.3 says v and p "MUST appear in that
   * order", and the 6.4 grammar puts p second, so RFC 7489 leans to
   * invalid (mox rejects it).  We read it as a record, as RFC 9989 4.8
   * does (dmarc-record = dmarc-version *(dmarc-sep dmarc-tag)): the
   * receiver that reads it rejects as the record asks, and calling the
   * operator's policy broken would be the stricter claim */
  V("m11", "reject", "reject", 'r', 'r', 100),
  VI("m12", "none", "none", 'r', 'r', 100,
     "6.3: pct out of range, discarded for 100 (mox: error)"),
  INV("r01", "6.6.3 step 5: more than one record"),
  V("r02", "reject", "reject", 'r', 'r', 100),
  /* r03 (p=REJECT), r10 (P=reject): case-insensitive, as m05; read
   * case-sensitively they are invalid (no valid p, no rua) */
  V("r03", "reject", "quarantine", 's', 'r', 100),
  NONE("r04", "6.6.3 step 5: no record"),
  V("r05", "reject", "reject", 'r', 'r', 100),
  V("r06", "quarantine", "reject", 's', 'r', 50),
  VI("r07", "none", "none", 'r', 'r', 100, "6.3"),
  VI("r08", "none", "none", 'r', 'r', 100, "6.3"),
  V("r09", "reject", "reject", 'r', 'r', 100),
  V("r10", "reject", "none", 's', 'r', 100),
};

static yaml_node_t *
get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
       pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(doc, pr->key);
    if (k != NULL && k->type == YAML_SCALAR_NODE &&
        strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(doc, pr->value);
  }
  return NULL;
}

/* The outcome of a TXT set, as auth_dmarc_judge() reads one (6.6.3). */
static enum outcome
judge(yaml_document_t *doc, yaml_node_t *records, struct dmarc_rec *d)
{
  const char *rec = NULL;
  size_t nrec = 0;
  memset(d, 0, sizeof(*d));
  if (records != NULL && records->type == YAML_SEQUENCE_NODE)
    for (yaml_node_item_t *it = records->data.sequence.items.start;
         it < records->data.sequence.items.top; it++) {
      yaml_node_t *r = yaml_document_get_node(doc, *it);
      const char *txt = r && r->type == YAML_SCALAR_NODE
                          ? (const char *)r->data.scalar.value : NULL;
      if (txt != NULL && authrec_is_dmarc(txt)) {
        rec = txt;
        nrec++;
      }
    }
  if (nrec == 0)
    return O_NONE;
  if (nrec > 1 || !authrec_dmarc(rec, d))
    return O_INVALID;
  return O_VALID;
}

static void
corpus_cases(void **state)
{
  (void)state;
  FILE *f = fopen(CORPUS, "rb");
  if (f == NULL) {
    printf("SKIP: the shared corpus %s is absent\n", CORPUS);
    skip();
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  assert_true(yaml_parser_initialize(&parser));
  yaml_parser_set_input_file(&parser, f);
  bool loaded = yaml_parser_load(&parser, &doc);
  if (!loaded)
    printf("%s:%zu: %s\n", CORPUS, parser.problem_mark.line + 1,
           parser.problem ? parser.problem : "?");
  yaml_parser_delete(&parser);
  fclose(f);
  assert_true(loaded);
  yaml_node_t *tests = get(&doc, yaml_document_get_root_node(&doc), "tests");
  assert_non_null(tests);
  assert_int_equal(tests->type, YAML_MAPPING_NODE);
  size_t n = (size_t)(tests->data.mapping.pairs.top -
                      tests->data.mapping.pairs.start);
  size_t ncases = sizeof(cases) / sizeof(cases[0]);
  assert_int_equal(n, ncases);
  size_t failed = 0;
  for (yaml_node_pair_t *pr = tests->data.mapping.pairs.start;
       pr < tests->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
    const char *id = (const char *)k->data.scalar.value;
    const struct expectation *e = NULL;
    for (size_t j = 0; j < ncases; j++)
      if (strcmp(cases[j].id, id) == 0)
        e = &cases[j];
    if (e == NULL) {
      printf("%s: a corpus case without an expectation here\n", id);
      failed++;
      continue;
    }
    struct dmarc_rec d;
    yaml_node_t *t = yaml_document_get_node(&doc, pr->value);
    enum outcome o = judge(&doc, get(&doc, t, "records"), &d);
    bool ok = o == e->o;
    if (ok && o == O_VALID)
      ok = strcmp(d.p, e->p) == 0 && strcmp(d.sp, e->sp) == 0 &&
           d.adkim == e->adkim && d.aspf == e->aspf && d.pct == e->pct &&
           d.p_defaulted == e->p_defaulted &&
           (d.ignored[0] != '\0') == e->ignored;
    if (!ok) {
      static const char *const words[] = {"none", "invalid", "valid"};
      printf("%s: %s (p=%s sp=%s adkim=%c aspf=%c pct=%u%s ignored=%s%s), "
             "expected %s%s%s\n", id, words[o], d.p, d.sp, d.adkim, d.aspf,
             d.pct, d.p_defaulted ? " defaulted" : "", d.ignored, d.error,
             words[e->o], e->note ? ": " : "", e->note ? e->note : "");
      failed++;
    }
  }
  yaml_document_delete(&doc);
  assert_int_equal(failed, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(corpus_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
