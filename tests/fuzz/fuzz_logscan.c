/* libFuzzer target: the MTA line parsers and the journald adapters, then
 * the classification of what they read (lists/rules/rejections.yaml).
 * Input: one line (any bytes; for journalctl -o export, its lines).  The
 * parser that owns the line also reads it past the cheap marker test that
 * guards it in real scans.  Built with -fsanitize=fuzzer when RBLMON_FUZZ
 * is on; otherwise replay.c runs the corpus (tests/fuzz/logscan/) in the
 * normal test suite. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "fuzzcheck.h"
#include "logscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct classifier *cls;
static struct catalog cat;

static void
check_rejection(const struct rejection *r)
{
  /* every string field is terminated and bounded */
  if (strnlen(r->text, sizeof(r->text)) == sizeof(r->text) ||
      strnlen(r->host, sizeof(r->host)) == sizeof(r->host) ||
      strnlen(r->recipient, sizeof(r->recipient)) == sizeof(r->recipient) ||
      strnlen(r->domain, sizeof(r->domain)) == sizeof(r->domain) ||
      strnlen(r->ip, sizeof(r->ip)) == sizeof(r->ip) ||
      strnlen(r->queue_id, sizeof(r->queue_id)) == sizeof(r->queue_id) ||
      r->stage == NULL || r->mta == NULL)
    __builtin_trap();
  struct verdict v;
  classify(cls, r, &v);
  if ((unsigned)v.cause >= CAUSE_COUNT ||
      strnlen(v.block, sizeof(v.block)) == sizeof(v.block) ||
      strnlen(v.zone, sizeof(v.zone)) == sizeof(v.zone))
    __builtin_trap();
  fuzz_escape_check(r->text, strlen(r->text));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (cls == NULL) {
    struct diag d;
    diag_init(&d);
    catalog_init(&cat);
    if (catalog_load_dir(&cat, RBLMON_SRCDIR "/lists", &d) != RBL_OK ||
        classify_load(RBLMON_SRCDIR "/lists/rules/rejections.yaml", &cat,
                      &cls, &d) != RBL_OK)
      abort();
    diag_free(&d);
  }
  struct logclock c;
  struct rejection r;
  logclock_init(&c, 1767607200);
  const char *line = (const char *)data;
  if (logscan_line(&c, line, size, &r))
    check_rejection(&r);
  struct logline l;
  if (logline_split(&c, line, size, &l)) {
    static const struct mta_parser *const parsers[] = {
      &logscan_postfix, &logscan_exim, &logscan_sendmail, &logscan_opensmtpd};
    for (size_t k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++) {
      if (!parsers[k]->owns(&l))
        continue;
      memset(&r, 0, sizeof(r));
      r.time = l.time;
      r.mta = parsers[k]->name;
      r.stage = "unknown";
      if (parsers[k]->parse(&l, &r))
        check_rejection(&r);
    }
  }
  if (journal_json_line(line, size, &r))
    check_rejection(&r);
  /* -o export spans lines (binary fields hold newlines): the input's
   * lines, one after another, as scan-logs feeds them */
  struct journal_export e;
  memset(&e, 0, sizeof(e));
  for (size_t i = 0; i <= size;) {
    const char *nl = memchr(line + i, '\n', size - i);
    size_t len = nl ? (size_t)(nl - (line + i)) : size - i;
    if (len > 512) /* stands for a line the reader skipped (64 KiB) */
      journal_export_skipped(&e, len);
    else if (journal_export_line(&e, line + i, len, &r))
      check_rejection(&r);
    if (e.bin && e.bin_got > e.bin_len)
      __builtin_trap();
    i += len + 1;
  }
  if (journal_export_line(&e, "", 0, &r))
    check_rejection(&r);
  return 0;
}
