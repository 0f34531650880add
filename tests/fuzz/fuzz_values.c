/* libFuzzer target: the small value parsers every file and answer goes
 * through — numbers, durations, addresses, ranges and domains, list codes,
 * Retry-After / X-RateLimit-Reset — and the escaping of untrusted text.
 * Input: one value, any bytes up to the first NUL.  What a parser accepts
 * must print back as something it accepts again with the same meaning. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fuzzcheck.h"
#include "http.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_escape_check((const char *)data, size);
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';

  uint64_t v;
  if (util_parse_u64(s, 1000000, &v) == RBL_OK && v > 1000000)
    __builtin_trap();

  uint64_t ms, ms2;
  if (util_parse_duration(s, &ms) == RBL_OK) {
    char buf[64];
    util_format_duration(ms, buf, sizeof(buf));
    /* what is printed reads back, exactly */
    if (util_parse_duration(buf, &ms2) != RBL_OK || ms2 != ms)
      __builtin_trap();
  }

  struct target_spec t, t2;
  char err[256];
  if (target_parse(s, &t, err, sizeof(err)) == RBL_OK) {
    char buf[TARGET_NAME_MAX + 8];
    target_spec_str(&t, buf, sizeof(buf));
    if (target_parse(buf, &t2, err, sizeof(err)) != RBL_OK ||
        t2.kind != t.kind || t2.prefix != t.prefix ||
        memcmp(&t2.base, &t.base, sizeof(t.base)) != 0 ||
        strcmp(t2.domain, t.domain) != 0)
      __builtin_trap();
    uint64_t c = target_count(&t);
    if (c == 0 || (target_dns_checkable(&t) && c > 65536))
      __builtin_trap(); /* /16 and /112 at most over DNS */
    bool ip = t.kind == TARGET_IP4 || t.kind == TARGET_IP6;
    if (ip && t.prefix < (t.kind == TARGET_IP4 ? TARGET_IP4_FEED_MIN_PREFIX
                                               : TARGET_IP6_FEED_MIN_PREFIX))
      __builtin_trap(); /* /8 and /16 at most from a feed */
    if (t.kind == TARGET_EMAIL) {
      /* an address: asked only hashed, of e-mail lists (hashq) */
      if (strchr(t.domain, '@') == NULL)
        __builtin_trap();
    } else if (ip) {
      struct target_iter it;
      struct addr a;
      target_iter_init(&it, &t);
      for (int i = 0; i < 4 && target_iter_next(&it, &a); i++)
        if (!target_spec_contains(&t, &a))
          __builtin_trap();
      char q[TARGET_NAME_MAX + 80];
      target_qname_addr(&t.base, "zen.spamhaus.org", q, sizeof(q));
    } else {
      if (!target_domain_valid(t.domain))
        __builtin_trap();
      char q[TARGET_NAME_MAX + 80];
      target_qname_domain(t.domain, "dbl.spamhaus.org", q, sizeof(q));
    }
  } else {
    fuzz_escape_check(err, strlen(err));
  }

  struct addr a;
  if (target_addr_parse(s, &a)) {
    char buf[TARGET_ADDR_MAX];
    struct addr b;
    target_addr_str(&a, buf, sizeof(buf));
    if (!target_addr_parse(buf, &b) || memcmp(&a, &b, sizeof(a)) != 0)
      __builtin_trap();
  }

  uint32_t net;
  unsigned prefix;
  if (catalog_parse_code(s, &net, &prefix) &&
      (prefix > 32 || (net >> 24) != 127))
    __builtin_trap();

  int64_t w = http_parse_retry(s, 1767607200);
  if (w < -1)
    __builtin_trap();
  free(s);
  return 0;
}
