/* libFuzzer target: reading reputation answers (monitor/engines/repread.h).
 * Input: a selector byte (which provider shape: JSON with pointers and
 * error_if, CSV by address range, CSV by exact value, regex) and the
 * answer body (any bytes); the answer is read for an IPv4, an IPv6 and a
 * domain target, and its status meaning for a few HTTP statuses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "repread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char providers_yaml[] =
  "reputation:\n"
  "  - {name: j, url: 'https://x.test/{ip}', pointer: /data/score,\n"
  "     detail: /data/n, error_if: {pointer: /errors, message: /errors/0/d},\n"
  "     rules: [{critical: '>= 75'}, {warning: [a, b], pointer: '/m/{ip}'},\n"
  "             {ok: 'true', pointer: /w}]}\n"
  "  - {name: r, url: 'https://x.test/all', format: csv,\n"
  "     match: {first: 1, last: 2}, column: 3, detail: 4,\n"
  "     not_found: clean, rules: [{critical: 'Yes'}]}\n"
  "  - {name: e, url: 'https://x.test/all2', format: csv, match: {column: 1},\n"
  "     column: 7, rules: [{critical: RED}, {warning: '> 0', column: 11}]}\n"
  "  - {name: x, url: 'https://x.test/{ip}', format: regex,\n"
  "     regex: 'score=([0-9.]+)', rules: [{critical: '>= 1'}]}\n";

static struct config cfg;
static bool loaded;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!loaded) {
    struct diag d;
    diag_init(&d);
    config_init(&cfg);
    if (config_load_string(&cfg, "fuzz.yaml", providers_yaml,
                           strlen(providers_yaml), &d) != RBL_OK ||
        cfg.nproviders != 4)
      abort();
    diag_free(&d);
    loaded = true;
  }
  if (size == 0)
    return 0;
  const struct provider *p = cfg.providers[data[0] % 4];
  /* bodies arrive NUL-terminated from http.c */
  char *body = malloc(size);
  if (body == NULL)
    return 0;
  memcpy(body, data + 1, size - 1);
  body[size - 1] = '\0';
  static const char *const targets[] = {"192.0.2.1", "2001:db8::1",
                                        "example.com"};
  struct rep_doc doc;
  struct rep_verdict v;
  if (rep_doc_parse(p, "application/json", body, size - 1, &doc)) {
    for (size_t i = 0; i < 3; i++) {
      rep_read_doc(p, &doc, targets[i], &v);
      if (strlen(v.txt) >= sizeof(v.txt) || strlen(v.error) >= sizeof(v.error)
          || v.nreasons > RESULT_MAX_CODES)
        __builtin_trap();
      /* an answer read as "listed" always says at what level */
      if (v.status == RES_LISTED && !v.has_sev)
        __builtin_trap();
    }
  }
  rep_doc_free(&doc);
  static const long statuses[] = {200, 404, 429, 302, 500};
  for (size_t i = 0; i < 5; i++)
    rep_read_status(p, statuses[i], body, size - 1, &v);
  free(body);
  return 0;
}
