/* test_repread.c - reading reputation answers (monitor/engines/repread.h) and the
 * provider pieces that are pure (monitor/config/provider.h): JSON pointers with
 * RFC 6901 escapes, CSV quoting and ranges, lenient numbers, rules and
 * their reasons, error_if, HTTP statuses, templates and redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "http.h"
#include "repread.h"

struct fx {
  struct config cfg;
  struct diag d;
};

static int
fx_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return -1;
  config_init(&f->cfg);
  diag_init(&f->d);
  *state = f;
  return 0;
}

static int
fx_teardown(void **state)
{
  struct fx *f = *state;
  config_free(&f->cfg);
  diag_free(&f->d);
  free(f);
  return 0;
}

/* The one provider of a reputation: section given as its YAML body. */
static const struct provider *
provider(struct fx *f, const char *body)
{
  char yaml[4096];
  snprintf(yaml, sizeof(yaml), "reputation:\n  - name: p\n%s", body);
  rbl_status st = config_load_string(&f->cfg, "cfg.yaml", yaml, strlen(yaml),
                                     &f->d);
  if (st != RBL_OK)
    diag_print(&f->d);
  assert_int_equal(st, RBL_OK);
  assert_true(f->cfg.nproviders >= 1);
  return f->cfg.providers[0];
}

static void
read_answer(const struct provider *p, const char *body, const char *target,
            struct rep_verdict *v)
{
  struct rep_doc d;
  if (!rep_doc_parse(p, "", body, strlen(body), &d)) {
    memset(v, 0, sizeof(*v));
    v->status = RES_ERROR;
    snprintf(v->error, sizeof(v->error), "%s", d.error);
  } else {
    rep_read_doc(p, &d, target, v);
  }
  rep_doc_free(&d);
}

static void
json_pointer_escapes(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/{ip}\n    pointer: /a~1b/m~0n/1\n"
    "    rules: [{critical: '>= 5'}]\n");
  struct rep_verdict v;
  read_answer(p, "{\"a/b\": {\"m~n\": [1, 7]}}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_LISTED);
  assert_int_equal(v.sev, SEV_CRITICAL);
  assert_string_equal(v.txt, "1=7");
  /* a leading zero is not an array index */
  read_answer(p, "{\"a/b\": {\"m~n\": {\"01\": 9}}}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_string_equal(v.error, "the answer has no /a~1b/m~0n/1");
}

static void
pointer_names_the_target(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/all.json\n    pointer: /ips/{ip}/score\n"
    "    rules: [{warning: '> 10'}]\n");
  assert_false(p->per_target);
  struct rep_verdict v;
  const char *body = "{\"ips\": {\"192.0.2.1\": {\"score\": 11}, "
                     "\"192.0.2.2\": {\"score\": 3}}}";
  read_answer(p, body, "192.0.2.1", &v);
  assert_int_equal(v.status, RES_LISTED);
  assert_int_equal(v.sev, SEV_WARNING);
  read_answer(p, body, "192.0.2.2", &v);
  assert_int_equal(v.status, RES_CLEAN);
  read_answer(p, body, "192.0.2.3", &v);
  assert_int_equal(v.status, RES_ERROR);
}

static void
thresholds_and_reasons(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/{ip}\n    pointer: /score\n"
    "    rules:\n"
    "      - {critical: '>= 75'}\n"
    "      - {warning: '>= 25'}\n"
    "      - {warning: [yes, 'true'], pointer: /tor, reason: exit node}\n"
    "      - {ok: '== 0'}\n");
  struct rep_verdict v;
  read_answer(p, "{\"score\": 80, \"tor\": true}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_LISTED);
  assert_int_equal(v.sev, SEV_CRITICAL);
  /* '>= 25' is shadowed by '>= 75' on the same value; the other stays */
  assert_int_equal(v.nreasons, 2);
  assert_string_equal(v.reasons[0], "/score >= 75");
  assert_string_equal(v.reasons[1], "exit node");
  read_answer(p, "{\"score\": 25, \"tor\": false}", "192.0.2.1", &v);
  assert_int_equal(v.sev, SEV_WARNING);
  read_answer(p, "{\"score\": 0, \"tor\": false}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_CLEAN);
  assert_true(v.has_sev);
  assert_int_equal(v.sev, SEV_GOOD);
  assert_string_equal(v.reasons[0], "/score is 0");
  read_answer(p, "{\"score\": 3, \"tor\": false}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_CLEAN);
  assert_false(v.has_sev);
  /* a number as a string, the way people write rates */
  read_answer(p, "{\"score\": \"< 90%\", \"tor\": 0}", "192.0.2.1", &v);
  assert_int_equal(v.sev, SEV_CRITICAL);
  read_answer(p, "{\"score\": \"lots\", \"tor\": 0}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "not a number"));
  /* a rule's own value missing, a list where a value belongs, NaN: errors,
   * never clean */
  read_answer(p, "{\"score\": 3}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_string_equal(v.error, "the answer has no tor (rule 3: exit node)");
  read_answer(p, "{\"score\": 3, \"tor\": [1]}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  read_answer(p, "{\"score\": \"NaN\", \"tor\": 0}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  read_answer(p, "{\"score\": \"0x50\", \"tor\": 0}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  read_answer(p, "{\"score\": 1,", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "malformed JSON at line 1"));
}

static void
error_if_in_body(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/{ip}\n    pointer: /data/score\n"
    "    error_if:\n      - {pointer: /errors, message: /errors/0/detail}\n"
    "      - {pointer: /success, is: 'false'}\n"
    "    rules: [{critical: '>= 75'}]\n");
  struct rep_verdict v;
  read_answer(p, "{\"errors\": [{\"detail\": \"Daily rate\\u001b limit\"}]}",
              "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_string_equal(v.error,
                      "the provider reports an error: Daily rate? limit");
  read_answer(p, "{\"success\": false}", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
  /* empty errors and success: true are no errors */
  read_answer(p, "{\"errors\": [], \"success\": true, \"data\": {\"score\": 1}}",
              "192.0.2.1", &v);
  assert_int_equal(v.status, RES_CLEAN);
}

static void
csv_rows_quotes_and_ranges(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/status.csv\n    format: csv\n"
    "    match: {first: 1, last: 2}\n    column: 3\n    detail: 4\n"
    "    not_found: clean\n    rules: [{critical: 'Yes'}]\n");
  const char *body = "192.0.2.0,192.0.2.3,Yes,\"spam, \"\"lots\"\"\"\r\n"
                     "\r\n2001:db8::,2001:db8::ff,Yes,v6\n";
  struct rep_verdict v;
  read_answer(p, body, "192.0.2.3", &v);
  assert_int_equal(v.status, RES_LISTED);
  assert_string_equal(v.txt, "column 3=Yes column 4=spam, \"lots\"");
  read_answer(p, body, "192.0.2.4", &v);
  assert_int_equal(v.status, RES_CLEAN);
  read_answer(p, body, "2001:db8::10", &v);
  assert_int_equal(v.status, RES_LISTED);
  read_answer(p, "", "192.0.2.3", &v); /* nothing blocked */
  assert_int_equal(v.status, RES_CLEAN);
  read_answer(p, "{\"error\": \"invalid key\"}", "192.0.2.3", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "not the expected CSV"));
  read_answer(p, "Invalid key", "192.0.2.3", &v);
  assert_int_equal(v.status, RES_ERROR);
  read_answer(p, "a,\"open\n", "192.0.2.3", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "malformed CSV"));
  read_answer(p, "<html><body>Sign in</body></html>", "192.0.2.3", &v);
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "HTML page"));
}

static void
csv_exact_match_by_address(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/data.csv\n    format: csv\n"
    "    match: {column: 1}\n    column: 2\n"
    "    rules: [{warning: [YELLOW, red]}]\n");
  struct rep_verdict v;
  /* the same address written differently still matches */
  read_answer(p, "2001:DB8:0::1,RED\n", "2001:db8::1", &v);
  assert_int_equal(v.status, RES_LISTED);
  read_answer(p, "2001:db8::2,RED\n", "2001:db8::1", &v);
  assert_int_equal(v.status, RES_ERROR); /* not_found: error (default) */
  assert_non_null(strstr(v.error, "no row for it"));
}

static void
regex_answers(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/{ip}\n    format: regex\n"
    "    regex: 'listed: (yes|no)'\n    rules: [{critical: 'yes'}]\n");
  struct rep_verdict v;
  read_answer(p, "status\nlisted: yes\n", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_LISTED);
  read_answer(p, "listed: no", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_CLEAN);
  read_answer(p, "maintenance", "192.0.2.1", &v);
  assert_int_equal(v.status, RES_ERROR);
}

static void
http_statuses(void **state)
{
  const struct provider *p = provider(*state,
    "    url: https://x.test/{ip}\n    pointer: /s\n    not_found: clean\n"
    "    rate_limit_status: [403]\n    rules: [{critical: '>= 1'}]\n");
  struct rep_verdict v;
  assert_false(rep_read_status(p, 200, "", 0, &v));
  assert_true(rep_read_status(p, 404, "", 0, &v));
  assert_int_equal(v.status, RES_CLEAN);
  assert_true(rep_read_status(p, 429, "slow\n down", 10, &v));
  assert_true(v.rate_limited);
  assert_string_equal(v.error, "rate limited (HTTP 429): slow down");
  assert_true(rep_read_status(p, 403, "", 0, &v));
  assert_true(v.rate_limited);
  assert_true(rep_read_status(p, 301, "", 0, &v));
  assert_int_equal(v.status, RES_ERROR);
  assert_non_null(strstr(v.error, "does not follow redirects"));
  assert_true(rep_read_status(p, 503, "\x1b[2J<b>down</b>", 15, &v));
  assert_string_equal(v.error, "HTTP 503: ?[2J<b>down</b>");
}

static void
templates_and_redaction(void **state)
{
  (void)state;
  struct rep_secrets s;
  memset(&s, 0, sizeof(s));
  snprintf(s.key, sizeof(s.key), "a&b c long");
  snprintf(s.store[0], sizeof(s.store[0]), "a&b c long");
  s.redact[0] = s.store[0];
  s.nredact = 1;
  char out[256];
  /* 2026-11-27T08:00:00Z */
  assert_true(provider_expand("https://x.test/c?ip={ip}&k={key}&d={date:%d%m%y}",
                              "2001:db8::1", &s, 1795766400, true, out,
                              sizeof(out)));
  assert_string_equal(out,
    "https://x.test/c?ip=2001%3Adb8%3A%3A1&k=a%26b%20c%20long&d=271126");
  assert_true(provider_expand("Key: {key}", NULL, &s, 0, false, out,
                              sizeof(out)));
  assert_string_equal(out, "Key: a&b c long");
  assert_false(provider_expand("https://x.test/{ip}", "192.0.2.1", &s, 0,
                               true, out, 20));
  char text[128] = "GET /c?k=a%26b%20c%20long failed; key a&b c long";
  provider_redact(&s, text, sizeof(text));
  assert_string_equal(text, "GET /c?k=**** failed; key ****");
  /* one secret inside another: the longer is hidden whole */
  snprintf(s.store[0], sizeof(s.store[0]), "tok-XYZ-0123456789-tail");
  snprintf(s.store[1], sizeof(s.store[1]), "XYZ-0123456789");
  s.redact[0] = s.store[0];
  s.redact[1] = s.store[1];
  s.nredact = 2;
  char t2[128] = "a tok-XYZ-0123456789-tail b XYZ-0123456789 c";
  provider_redact(&s, t2, sizeof(t2));
  assert_string_equal(t2, "a **** b **** c");
  /* a header value must stay on one line */
  snprintf(s.key, sizeof(s.key), "x\r\nEvil: 1");
  assert_false(provider_expand("Key: {key}", NULL, &s, 0, false, out,
                               sizeof(out)));
}

static void
retry_after_values(void **state)
{
  (void)state;
  assert_int_equal(http_parse_retry("120", 1000), 120);
  assert_int_equal(http_parse_retry("1795766460", 1795766400), 60);
  assert_int_equal(http_parse_retry("Fri, 27 Nov 2026 08:02:00 GMT",
                                    1795766400), 120);
  assert_int_equal(http_parse_retry("soon", 0), -1);
  assert_int_equal(http_parse_retry("", 0), -1);
}

static void
presets_expand(void **state)
{
  struct fx *f = *state;
  const char *yaml = "reputation:\n  - {name: ms, preset: snds, key: '${K}'}\n"
                     "  - {name: aip, preset: abuseipdb, key: '${K}', "
                     "rules: [{critical: '>= 90'}]}\n";
  assert_int_equal(config_load_string(&f->cfg, "cfg.yaml", yaml, strlen(yaml),
                                      &f->d), RBL_OK);
  assert_int_equal(f->cfg.nproviders, 3);
  assert_string_equal(f->cfg.providers[0]->def.name, "ms");
  assert_string_equal(f->cfg.providers[1]->def.name, "ms-data");
  assert_false(f->cfg.providers[0]->per_target);
  assert_int_equal(f->cfg.providers[2]->nrules, 1);
  assert_int_equal(f->cfg.providers[2]->daily_limit, 1000);
  /* a changed definition is a new fingerprint: the cache is not reused */
  assert_true(f->cfg.providers[0]->fingerprint !=
              f->cfg.providers[1]->fingerprint);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(json_pointer_escapes, fx_setup,
                                    fx_teardown),
    cmocka_unit_test_setup_teardown(pointer_names_the_target, fx_setup,
                                    fx_teardown),
    cmocka_unit_test_setup_teardown(thresholds_and_reasons, fx_setup,
                                    fx_teardown),
    cmocka_unit_test_setup_teardown(error_if_in_body, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(csv_rows_quotes_and_ranges, fx_setup,
                                    fx_teardown),
    cmocka_unit_test_setup_teardown(csv_exact_match_by_address, fx_setup,
                                    fx_teardown),
    cmocka_unit_test_setup_teardown(regex_answers, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(http_statuses, fx_setup, fx_teardown),
    cmocka_unit_test(templates_and_redaction),
    cmocka_unit_test(retry_after_values),
    cmocka_unit_test_setup_teardown(presets_expand, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
