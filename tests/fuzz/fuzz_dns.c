/* libFuzzer target: DNS answers as rblmon reads them.  Input: a DNS
 * message (any bytes).  It is read as a DNSBL's A answer (then through
 * two lists' codes: plain with errors, and a bitmask list), as a TXT
 * answer (listing reasons: then escaped as every report escapes them), and
 * as the answers sender authentication reads (A, AAAA, TXT, MX, PTR). */
#include <ares.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dns.h"
#include "dnsbl.h"
#include "dnscache.h"
#include "fuzzcheck.h"
#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char lists_yaml[] =
  "operator: Fuzz\n"
  "lists:\n"
  "  - name: plain\n"
  "    zone: plain.test\n"
  "    type: ip4\n"
  "    codes: {127.0.0.2: {meaning: spam, severity: critical},\n"
  "            127.0.0.10/31: {meaning: policy, severity: warning},\n"
  "            127.0.1.0/24: {meaning: fine, severity: good}}\n"
  "    errors: {127.255.255.0/24: refused}\n"
  "    delist: {url: 'https://plain.test/'}\n"
  "    sources: ['https://plain.test/']\n"
  "  - name: bits\n"
  "    zone: bits.test\n"
  "    type: ip\n"
  "    bitmask: true\n"
  "    codes: {127.0.0.2: {meaning: a, severity: critical},\n"
  "            127.0.0.4: {meaning: b, severity: notice},\n"
  "            127.0.0.8: {meaning: c, severity: warning}}\n"
  "    delist: {url: 'https://bits.test/'}\n"
  "    sources: ['https://bits.test/']\n";

static struct catalog cat;
static bool loaded;

static void
check_answer(const struct dq_answer *a)
{
  if (a == NULL)
    return;
  if (a->status == DQ_ERROR && a->error == NULL)
    __builtin_trap();
  for (size_t i = 0; a->strs != NULL && i < a->n; i++)
    fuzz_escape_check(a->strs[i], strlen(a->strs[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!loaded) {
    struct diag d;
    diag_init(&d);
    catalog_init(&cat);
    if (catalog_load_string(&cat, "fuzz.yaml", lists_yaml,
                            strlen(lists_yaml), &d) != RBL_OK || cat.n != 2)
      abort();
    diag_free(&d);
    loaded = true;
  }
  if (size > 65535)
    return 0;
  int alen = (int)size;
  uint32_t a[16];
  size_t n = dns_parse_a(data, alen, a, 16);
  if (n > 16)
    __builtin_trap();
  for (size_t i = 0; n > 0 && i < cat.n; i++) {
    struct interp in;
    dnsbl_interpret(cat.lists[i], a, n, &in);
    if (in.ncodes > RESULT_MAX_CODES || in.nreasons > RESULT_MAX_CODES ||
        (in.kind == INTERP_ERROR && in.error == NULL))
      __builtin_trap();
  }
  char txt[1024], tiny[8];
  if (dns_parse_txt(data, alen, txt, sizeof(txt))) {
    if (strlen(txt) >= sizeof(txt))
      __builtin_trap();
    /* nothing is cut short: a NUL inside a string reads as U+FFFD */
    struct ares_txt_ext *t0 = NULL;
    size_t raw = 0;
    if (ares_parse_txt_reply_ext(data, alen, &t0) == ARES_SUCCESS)
      for (struct ares_txt_ext *t = t0; t != NULL; t = t->next)
        raw += t->length;
    if (t0 != NULL)
      ares_free_data(t0);
    if (strlen(txt) < (raw < sizeof(txt) - 1 ? raw : sizeof(txt) - 1))
      __builtin_trap();
    fuzz_escape_check(txt, strlen(txt));
  }
  if (dns_parse_txt(data, alen, tiny, sizeof(tiny)) && strlen(tiny) >= 8)
    __builtin_trap();
  static const int types[] = {DQ_A, DQ_AAAA, DQ_TXT, DQ_MX, DQ_PTR};
  /* the header checks: an error stays that error, a verdict stays it or
   * becomes "malformed" -- never another verdict */
  static const int statuses[] = {ARES_SUCCESS, ARES_ENOTFOUND, ARES_ENODATA,
                                 ARES_ETIMEOUT};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
      int st = dns_answer_status(statuses[k], types[i], data, alen);
      if (st != statuses[k] && st != ARES_EBADRESP)
        __builtin_trap();
      if (statuses[k] == ARES_ETIMEOUT && st != ARES_ETIMEOUT)
        __builtin_trap();
    }
  struct addr v4 = {TARGET_IP4, {192, 0, 2, 1}};
  struct addr v6 = {TARGET_IP6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    struct dq_answer *x = dnscache_parse_answer(types[i], ARES_SUCCESS,
                                                data, alen, &v4);
    check_answer(x);
    dnscache_answer_free(x);
  }
  struct dq_answer *x = dnscache_parse_answer(DQ_PTR, ARES_SUCCESS, data,
                                              alen, &v6);
  check_answer(x);
  dnscache_answer_free(x);
  return 0;
}
