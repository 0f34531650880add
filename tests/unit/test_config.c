/* test_config.c - the configuration file (monitor/config/config.h): values read
 * from good YAML, every bad case reported as "file:line:col: error: ..."
 * and rejected, and the second pass that selects lists from a catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "config.h"

#define LEN(x) (sizeof(x) / sizeof((x)[0]))

struct fx {
  struct config cfg;
  struct diag d;
  struct catalog cat;
};

static int
fx_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return -1;
  config_init(&f->cfg);
  diag_init(&f->d);
  catalog_init(&f->cat);
  *state = f;
  return 0;
}

static int
fx_teardown(void **state)
{
  struct fx *f = *state;
  catalog_free(&f->cat);
  config_free(&f->cfg);
  diag_free(&f->d);
  free(f);
  return 0;
}

static rbl_status
load(struct fx *f, const char *yaml)
{
  return config_load_string(&f->cfg, "cfg.yaml", yaml, strlen(yaml), &f->d);
}

/* True when a line of text starts with prefix. */
static bool
has_line(const char *text, const char *prefix)
{
  size_t n = strlen(prefix);
  for (const char *p = text; *p != '\0';) {
    if (strncmp(p, prefix, n) == 0)
      return true;
    const char *nl = strchr(p, '\n');
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  return false;
}

static void
expect_line(struct fx *f, const char *prefix)
{
  const char *text = sbuf_str(&f->d.text);
  if (!has_line(text, prefix))
    fail_msg("no line starting with \"%s\" in:\n%s", prefix, text);
}

/* The load failed as a rejected configuration, with this message. */
static void
expect_rejected(struct fx *f, const char *yaml, rbl_status want,
                const char *prefix)
{
  rbl_status st = load(f, yaml);
  if (st != want)
    fail_msg("status %d, expected %d; messages:\n%s", st, want,
             sbuf_str(&f->d.text));
  assert_true(f->d.errors >= 1);
  expect_line(f, prefix);
}

/* ---- good configuration ------------------------------------------------- */
static const char good_yaml[] =
  "version: 1\n"                                   /* 1 */
  "watchlists:\n"                                  /* 2 */
  "  - name: mail\n"                               /* 3 */
  "    labels: {site: fra1}\n"                     /* 4 */
  "    ips:\n"                                     /* 5 */
  "      - 192.0.2.1\n"                            /* 6 */
  "      - 198.51.100.0/24\n"                      /* 7 */
  "      - 2001:db8::25\n"                         /* 8 */
  "      - 2001:db8:1::/112\n"                     /* 9 */
  "    domains: [Example.COM, mail.example.org.]\n" /* 10 */
  "  - name: web\n"                                /* 11 */
  "    ips: 203.0.113.7\n"                         /* 12 */
  "lists:\n"                                       /* 13 */
  "  use: [major, policy, spamhaus-zen]\n"         /* 14 */
  "  exclude: [uribl-multi]\n"                     /* 15 */
  "  keys:\n"                                      /* 16 */
  "    spamhaus: \"${SPAMHAUS_KEY}\"\n"            /* 17 */
  "    abusix: abc123\n"                           /* 18 */
  "  custom:\n"                                    /* 19 */
  "    - name: corp-bl\n"                          /* 20 */
  "      zone: bl.corp.example\n"                  /* 21 */
  "      type: ip4\n"                              /* 22 */
  "      codes:\n"                                 /* 23 */
  "        127.0.0.2: {meaning: \"in the corp list\", severity: warning}\n"
  "      errors:\n"                                /* 25 */
  "        127.0.0.255: \"refused\"\n"             /* 26 */
  "resolver:\n"                                    /* 27 */
  "  servers: [\"127.0.0.1:5353\", \"[::1]:53\", \"::1\"]\n"
  "  timeout: 500ms\n"                             /* 29 */
  "  tries: 3\n"                                   /* 30 */
  "  deadline: 10m\n"                              /* 31 */
  "  max_inflight: 50\n"                           /* 32 */
  "remind:\n"                                      /* 33 */
  "  every: 12h\n"                                 /* 34 */
  "  after_request: 3d\n"                          /* 35 */
  "state:\n"                                       /* 36 */
  "  path: /var/lib/rblmon/state.db\n"             /* 37 */
  "  retention: 90d\n";                            /* 38 */

static void
test_good(void **state)
{
  struct fx *f = *state;
  rbl_status st = load(f, good_yaml);
  if (st != RBL_OK)
    fail_msg("status %d:\n%s", st, sbuf_str(&f->d.text));
  assert_int_equal(f->d.errors, 0);
  assert_int_equal(f->d.warnings, 0);
  struct config *c = &f->cfg;
  assert_string_equal(c->path, "cfg.yaml");

  /* watchlists */
  assert_int_equal(c->nwatchlists, 2);
  assert_int_equal(c->nitems, 7);
  char buf[TARGET_NAME_MAX + 8];
  static const char *const want[] = {
    "192.0.2.1", "198.51.100.0/24", "2001:db8::25", "2001:db8:1::/112",
    "example.com", "mail.example.org", "203.0.113.7",
  };
  for (size_t i = 0; i < LEN(want); i++) {
    target_spec_str(&c->items[i].spec, buf, sizeof(buf));
    assert_string_equal(buf, want[i]);
    assert_string_equal(c->items[i].watchlist, i < 6 ? "mail" : "web");
  }
  assert_int_equal(c->items[0].spec.kind, TARGET_IP4);
  assert_int_equal(c->items[1].spec.prefix, 24);
  assert_int_equal(c->items[2].spec.kind, TARGET_IP6);
  assert_int_equal(c->items[3].spec.prefix, 112);
  assert_int_equal(c->items[4].spec.kind, TARGET_DOMAIN);
  assert_int_equal(c->items[0].line, 6);
  assert_int_equal(c->items[0].col, 9);
  assert_int_equal(c->items[6].line, 12);
  assert_int_equal(c->items[6].col, 10);

  /* lists */
  assert_true(c->use_given);
  assert_int_equal(c->nuse, 3);
  assert_string_equal(c->use[0].s, "major");
  assert_string_equal(c->use[1].s, "policy");
  assert_string_equal(c->use[2].s, "spamhaus-zen");
  assert_int_equal(c->use[2].line, 14);
  assert_int_equal(c->use[2].col, 24);
  assert_int_equal(c->nexclude, 1);
  assert_string_equal(c->exclude[0].s, "uribl-multi");
  assert_int_equal(c->nkeys, 2);
  assert_string_equal(c->keys[0].name, "spamhaus");
  assert_string_equal(c->keys[0].value, "${SPAMHAUS_KEY}");
  assert_string_equal(c->keys[1].name, "abusix");
  assert_string_equal(c->keys[1].value, "abc123");
  assert_int_equal(c->ncustom, 1);
  const struct list_def *l = c->custom[0];
  assert_string_equal(l->name, "corp-bl");
  assert_string_equal(l->zone, "bl.corp.example");
  assert_int_equal(l->type, LIST_IP4);
  assert_true(l->custom);
  assert_int_equal(l->ncodes, 1);
  assert_int_equal(l->codes[0].net, 0x7f000002u);
  assert_int_equal(l->codes[0].sev, SEV_WARNING);
  assert_string_equal(l->codes[0].meaning, "in the corp list");
  assert_int_equal(l->nerrors, 1);
  assert_int_equal(l->errors[0].net, 0x7f0000ffu);

  /* resolver: IPv4 with port, bracketed IPv6 with port, bare IPv6 */
  assert_string_equal(c->servers_csv, "127.0.0.1:5353,[::1]:53,[::1]:53");
  assert_int_equal(c->timeout_ms, 500);
  assert_int_equal(c->tries, 3);
  assert_int_equal(c->deadline_ms, 600000);
  assert_int_equal(c->max_inflight, 50);

  /* remind, state */
  assert_int_equal(c->remind_every_ms, 12 * 3600000ULL);
  assert_int_equal(c->remind_after_request_ms, 3 * 86400000ULL);
  assert_string_equal(c->state_path, "/var/lib/rblmon/state.db");
  assert_int_equal(c->retention_ms, 90 * 86400000ULL);
}

static void
test_defaults(void **state)
{
  struct fx *f = *state;
  assert_int_equal(load(f, ""), RBL_OK);
  assert_int_equal(f->d.errors, 0);
  assert_int_equal(f->cfg.nitems, 0);
  assert_false(f->cfg.use_given);
  assert_string_equal(f->cfg.servers_csv, "");
  assert_int_equal(f->cfg.timeout_ms, 2000);
  assert_int_equal(f->cfg.tries, 2);
  assert_int_equal(f->cfg.max_inflight, 100);
}

static void
test_server_forms(void **state)
{
  struct fx *f = *state;
  assert_int_equal(load(f, "resolver:\n  servers: 192.0.2.53\n"), RBL_OK);
  assert_string_equal(f->cfg.servers_csv, "192.0.2.53:53");
  config_free(&f->cfg);
  config_init(&f->cfg);
  assert_int_equal(load(f, "resolver:\n  servers: [\"[2001:db8::53]:5300\", "
                           "2001:db8::54]\n"),
                   RBL_OK);
  assert_string_equal(f->cfg.servers_csv,
                      "[2001:db8::53]:5300,[2001:db8::54]:53");
}

/* ---- rejected configurations -------------------------------------------- */
static void
test_unknown_top_key(void **state)
{
  expect_rejected(*state, "version: 1\nbogus: 1\n", RBL_ECONFIG,
                  "cfg.yaml:2:1: error: unknown key 'bogus' in the "
                  "configuration (expected one of: version, catalog, "
                  "watchlists, lists, resolver, reputation, auth, logs, schedule, "
                  "notify, remind, state)");
}

static void
test_unknown_watchlist_key(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: [192.0.2.1]\n"
                  "    colour: red\n",
                  RBL_ECONFIG,
                  "cfg.yaml:4:5: error: unknown key 'colour' in a watchlist "
                  "(expected one of: name, labels, ips, domains, emails, "
                  "from_spf, dkim_selectors)");
}

static void
test_ips_wrong_type(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: {a: 192.0.2.1}\n",
                  RBL_ECONFIG,
                  "cfg.yaml:3:10: error: ips must be a list, not a mapping");
}

static void
test_bad_ip(void **state)
{
  struct fx *f = *state;
  expect_rejected(f,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: [192.0.2.1, 300.1.1.1]\n",
                  RBL_ECONFIG, "cfg.yaml:3:22: error: '300.1.1.1'");
  assert_int_equal(f->d.errors, 1);
}

static void
test_domain_under_ips(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: [mail.example.com]\n"
                  "    domains: [192.0.2.1]\n",
                  RBL_ECONFIG,
                  "cfg.yaml:3:11: error: 'mail.example.com' is a domain; put "
                  "it under domains:, not ips:");
  expect_line(*state, "cfg.yaml:4:15: error: '192.0.2.1' is an IP address or "
                      "range; put it under ips:, not domains:");
}

static void
test_email_targets(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    emails: [Bounces@Example.COM, mail.example.com]\n"
                  "    domains: [postmaster@example.com]\n",
                  RBL_ECONFIG,
                  "cfg.yaml:3:35: error: 'mail.example.com' is a domain; put "
                  "it under domains:, not emails:");
  expect_line(*state, "cfg.yaml:4:15: error: 'postmaster@example.com' is an "
                      "e-mail address; put it under emails:, not domains:");
}

static void
test_bad_cidr(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips:\n"
                  "      - 192.0.2.0/33\n",
                  RBL_ECONFIG,
                  "cfg.yaml:4:9: error: '192.0.2.0/33'");
}

static void
test_ip6_range_too_large(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: 2000::/15\n",
                  RBL_ECONFIG,
                  "cfg.yaml:3:10: error: '2000::/15': ranges larger "
                  "than /16 are not checked");
}

static void
test_host_bits(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips:\n"
                  "      - 192.0.2.1/24\n",
                  RBL_ECONFIG,
                  "cfg.yaml:4:9: error: '192.0.2.1/24' has host bits set; "
                  "did you mean 192.0.2.0/24?");
}

static void
test_duplicate_target(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: [192.0.2.1, 2001:db8::1]\n"
                  "  - name: web\n"
                  "    ips:\n"
                  "      - 2001:DB8:0::1\n",
                  RBL_ECONFIG,
                  "cfg.yaml:6:9: error: duplicate target '2001:DB8:0::1' "
                  "(already in watchlist 'mail' at line 3)");
}

static void
test_duplicate_yaml_key(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  tries: 1\n"
                  "  tries: 2\n",
                  RBL_ESYNTAX,
                  "cfg.yaml:3:3: error: duplicate key 'tries' (first at "
                  "line 2)");
}

/* Among 50,000 keys of one mapping, in an order that sorting reverses,
 * the duplicate is found and named where it is, with the first copy's
 * line (a third copy names the first, not the second). */
static void
test_duplicate_yaml_key_among_many(void **state)
{
  struct sbuf y;
  sbuf_init(&y, (size_t)1 << 24);
  sbuf_adds(&y, "resolver:\n");
  for (int i = 50000; i > 0; i--)
    sbuf_addf(&y, "  k%05d: 1\n", i);     /* k50000 on line 2 ... */
  sbuf_adds(&y, "  k49990: 2\n");          /* line 50002; first at 12 */
  sbuf_adds(&y, "  k49990: 3\n");
  expect_rejected(*state, sbuf_str(&y), RBL_ESYNTAX,
                  "cfg.yaml:50002:3: error: duplicate key 'k49990' (first at "
                  "line 12)");
  expect_line(*state, "cfg.yaml:50003:3: error: duplicate key 'k49990' "
              "(first at line 12)");
  sbuf_free(&y);
}

static void
test_duplicate_watchlist_name(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - name: mail\n"
                  "    ips: 192.0.2.1\n"
                  "  - name: mail\n"
                  "    ips: 192.0.2.2\n",
                  RBL_ECONFIG,
                  "cfg.yaml:4:5: error: duplicate watchlist name 'mail'");
}

static void
test_watchlist_name_wrong_type(void **state)
{
  /* A name given as a mapping next to another watchlist: an error at the
   * name, never a crash. */
  struct fx *f = *state;
  rbl_status st = load(f,
                       "watchlists:\n"
                       "  - name: {a: 1}\n"
                       "    ips: [192.0.2.1]\n"
                       "  - name: web\n"
                       "    ips: [192.0.2.2]\n");
  assert_int_equal(st, RBL_ECONFIG);
  expect_line(f, "cfg.yaml:2:11: error: watchlist name must be a value, "
                 "not a mapping");
}

static void
test_missing_watchlist_name(void **state)
{
  expect_rejected(*state,
                  "watchlists:\n"
                  "  - ips: [192.0.2.1]\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:5: error: a watchlist is missing the required "
                  "key 'name'");
}

static void
test_server_hostname(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  servers: [dns.example]\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:13: error: resolver server 'dns.example' must "
                  "be an IP address");
}

static void
test_server_hostname_port(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  servers: \"dns.example:53\"\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:12: error: resolver server 'dns.example:53' "
                  "must be an IP address");
}

static void
test_server_port(void **state)
{
  struct fx *f = *state;
  expect_rejected(f,
                  "resolver:\n"
                  "  servers:\n"
                  "    - \"127.0.0.1:0\"\n"
                  "    - \"127.0.0.1:70000\"\n"
                  "    - \"[::1]:0\"\n"
                  "    - \"[::1]:65536\"\n",
                  RBL_ECONFIG,
                  "cfg.yaml:3:7: error: resolver server '127.0.0.1:0': port "
                  "must be 1-65535");
  expect_line(f, "cfg.yaml:4:7: error: resolver server '127.0.0.1:70000': "
                 "port must be 1-65535");
  expect_line(f, "cfg.yaml:5:7: error: resolver server '[::1]:0': port "
                 "must be 1-65535");
  expect_line(f, "cfg.yaml:6:7: error: resolver server '[::1]:65536': port "
                 "must be 1-65535");
  assert_int_equal(f->d.errors, 4);
}

static void
test_timeout_words(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  timeout: 5 minutes\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:12: error: resolver.timeout must be a duration "
                  "such as 500ms, 30s, 5m, 24h, 7d or 2w, not '5 minutes'");
}

static void
test_timeout_range(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  timeout: 2h\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:12: error: resolver.timeout must be between "
                  "100ms and 1m, not 2h");
}

static void
test_tries_zero(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  tries: 0\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:10: error: resolver.tries must be between 1 "
                  "and 10, not 0");
}

static void
test_tries_not_number(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  tries: three\n",
                  RBL_ECONFIG,
                  "cfg.yaml:2:10: error: resolver.tries must be a whole "
                  "number, not 'three'");
}

static void
test_version_2(void **state)
{
  expect_rejected(*state, "version: 2\n", RBL_ECONFIG,
                  "cfg.yaml:1:10: error: version must be between 1 and 1, "
                  "not 2");
}

static void
test_version_10(void **state)
{
  expect_rejected(*state, "version: 10\n", RBL_ECONFIG,
                  "cfg.yaml:1:10: error: version must be between 1 and 1, "
                  "not 10");
}

static void
test_custom_code_outside_127(void **state)
{
  expect_rejected(*state,
                  "lists:\n"
                  "  custom:\n"
                  "    - name: corp-bl\n"
                  "      zone: bl.corp.example\n"
                  "      type: ip4\n"
                  "      codes:\n"
                  "        127.0.0.2: {meaning: listed, severity: warning}\n"
                  "        10.0.0.2: {meaning: x, severity: warning}\n",
                  RBL_ECONFIG,
                  "cfg.yaml:8:9: error: codes key '10.0.0.2' must be an "
                  "address or CIDR inside 127.0.0.0/8");
}

static void
test_custom_bad_severity(void **state)
{
  struct fx *f = *state;
  expect_rejected(f,
                  "lists:\n"
                  "  custom:\n"
                  "    - name: corp-bl\n"
                  "      zone: bl.corp.example\n"
                  "      type: ip4\n"
                  "      codes:\n"
                  "        127.0.0.2: {meaning: listed, severity: warning}\n"
                  "        127.0.0.3: {meaning: y, severity: fatal}\n",
                  RBL_ECONFIG,
                  "cfg.yaml:8:43: error: severity must be one of good, "
                  "notice, warning, critical, not 'fatal'");
  assert_int_equal(f->cfg.ncustom, 0);
}

static void
test_yaml_syntax_error(void **state)
{
  struct fx *f = *state;
  expect_rejected(f,
                  "resolver:\n"
                  "  tries: 1\n"
                  " timeout: 2s\n",
                  RBL_ESYNTAX, "cfg.yaml:3:2: error: YAML syntax: ");
  assert_int_equal(f->d.errors, 1);
}

static void
test_yaml_alias(void **state)
{
  expect_rejected(*state,
                  "resolver:\n"
                  "  tries: &n 2\n"
                  "  max_inflight: *n\n",
                  RBL_ESYNTAX,
                  "cfg.yaml:3:17: error: YAML aliases (*name) are not "
                  "supported");
}

static void
test_all_errors_reported(void **state)
{
  struct fx *f = *state;
  rbl_status st = load(f,
                       "bogus: 1\n"                          /* 1 */
                       "watchlists:\n"                       /* 2 */
                       "  - name: mail\n"                    /* 3 */
                       "    ips: [300.1.1.1, 192.0.2.1/24]\n" /* 4 */
                       "    colour: red\n"                   /* 5 */
                       "resolver:\n"                         /* 6 */
                       "  servers: [dns.example]\n"          /* 7 */
                       "  timeout: 5 minutes\n"              /* 8 */
                       "  tries: 0\n"                        /* 9 */
                       "state:\n"                            /* 10 */
                       "  retention: 1h\n");                 /* 11 */
  assert_int_equal(st, RBL_ECONFIG);
  assert_int_equal(f->d.errors, 8);
  expect_line(f, "cfg.yaml:1:1: error: unknown key 'bogus'");
  expect_line(f, "cfg.yaml:4:11: error: ");
  expect_line(f, "cfg.yaml:4:22: error: ");
  expect_line(f, "cfg.yaml:5:5: error: unknown key 'colour'");
  expect_line(f, "cfg.yaml:7:13: error: ");
  expect_line(f, "cfg.yaml:8:12: error: ");
  expect_line(f, "cfg.yaml:9:10: error: ");
  expect_line(f, "cfg.yaml:11:14: error: state.retention must be between");
}

/* ---- list selection (second pass) --------------------------------------- */
static char catalog_dir[256];

static const char catalog_yaml[] =
  "operator: Test operator\n"
  "sources: [https://example.org/sources]\n"
  "lists:\n"
  "  - name: alpha\n"
  "    zone: alpha.example\n"
  "    type: ip4\n"
  "    tags: [major, ip]\n"
  "    codes: {127.0.0.2: {meaning: listed, severity: critical}}\n"
  "    delist: https://example.org/alpha\n"
  "    sources: [https://example.org/alpha]\n"
  "  - name: beta\n"
  "    zone: beta.example\n"
  "    type: ip\n"
  "    tags: [ip, policy]\n"
  "    codes: {127.0.0.10: {meaning: policy, severity: notice}}\n"
  "    delist: https://example.org/beta\n"
  "    sources: [https://example.org/beta]\n"
  "  - name: gamma\n"
  "    zone: gamma.example\n"
  "    type: domain\n"
  "    tags: [major, domain]\n"
  "    codes: {127.0.1.2: {meaning: spam domain, severity: critical}}\n"
  "    delist: https://example.org/gamma\n"
  "    sources: [https://example.org/gamma]\n"
  "  - name: keyed\n"
  "    zone: \"{key}.keyed.example\"\n"
  "    type: ip4\n"
  "    tags: [major, ip, keyed]\n"
  "    key: {name: kk, env: RBLMON_TEST_KK}\n"
  "    codes: {127.0.0.2: {meaning: listed, severity: critical}}\n"
  "    delist: https://example.org/keyed\n"
  "    sources: [https://example.org/keyed]\n"
  "  - name: dead\n"
  "    zone: dead.example\n"
  "    type: ip4\n"
  "    tags: [major, ip]\n"
  "    status: defunct\n"
  "    defunct: {since: 2024-06-05, reason: \"switched off\"}\n"
  "    codes: {}\n"
  "    sources: [https://example.org/dead]\n";

static int
group_setup(void **state)
{
  (void)state;
  const char *tmp = getenv("TMPDIR");
  snprintf(catalog_dir, sizeof(catalog_dir), "%s/rblmon-test-config-XXXXXX",
           tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
  if (mkdtemp(catalog_dir) == NULL)
    return -1;
  char path[512];
  snprintf(path, sizeof(path), "%s/test.yaml", catalog_dir);
  FILE *fp = fopen(path, "w");
  if (fp == NULL)
    return -1;
  fputs(catalog_yaml, fp);
  return fclose(fp) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
  (void)state;
  char path[512];
  snprintf(path, sizeof(path), "%s/test.yaml", catalog_dir);
  unlink(path);
  rmdir(catalog_dir);
  return 0;
}

/* Loads the config and the test catalog, selects lists and returns their
 * names joined by ','. */
static const char *
select_names(struct fx *f, const char *yaml, rbl_status *st_out)
{
  static char names[512];
  unsetenv("RBLMON_TEST_KK");
  rbl_status st = load(f, yaml);
  if (st != RBL_OK)
    fail_msg("config status %d:\n%s", st, sbuf_str(&f->d.text));
  st = catalog_load_dir(&f->cat, catalog_dir, &f->d);
  if (st != RBL_OK)
    fail_msg("catalog status %d:\n%s", st, sbuf_str(&f->d.text));
  const struct list_def **sel = (const struct list_def **)1;
  size_t n = 99;
  st = config_select_lists(&f->cfg, &f->cat, &sel, &n, &f->d);
  *st_out = st;
  names[0] = '\0';
  if (st != RBL_OK) {
    assert_null(sel);
    assert_int_equal(n, 0);
    return names;
  }
  size_t off = 0;
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
                            i ? "," : "", sel[i]->name);
  free(sel);
  return names;
}

static void
test_select_default_major(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  /* No lists: key: the lists tagged major; keyed without key and defunct
   * ones are left out quietly. */
  assert_string_equal(select_names(f, "version: 1\n", &st), "alpha,gamma");
  assert_int_equal(st, RBL_OK);
  assert_int_equal(f->d.errors, 0);
  assert_int_equal(f->d.warnings, 0);
}

static void
test_select_by_tag(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f, "lists:\n  use: [policy]\n", &st),
                      "beta");
  assert_int_equal(st, RBL_OK);
}

static void
test_select_by_tag_ip(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f, "lists:\n  use: ip\n", &st),
                      "alpha,beta");
  assert_int_equal(st, RBL_OK);
  assert_int_equal(f->d.warnings, 0);
}

static void
test_select_by_name(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f, "lists:\n  use: [gamma, beta]\n", &st),
                      "beta,gamma"); /* catalog order */
  assert_int_equal(st, RBL_OK);
}

static void
test_select_exclude_tag(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f,
                                   "lists:\n"
                                   "  use: [major, policy]\n"
                                   "  exclude: [domain]\n",
                                   &st),
                      "alpha,beta");
  assert_int_equal(st, RBL_OK);
}

static void
test_select_exclude_name(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f,
                                   "lists:\n"
                                   "  use: all\n"
                                   "  exclude: [beta]\n",
                                   &st),
                      "alpha,gamma");
  assert_int_equal(st, RBL_OK);
}

static void
test_select_unknown(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  select_names(f,
               "lists:\n"
               "  use: [alpha, nosuch]\n"
               "  exclude:\n"
               "    - nothing-here\n",
               &st);
  assert_int_equal(st, RBL_ECONFIG);
  assert_int_equal(f->d.errors, 2);
  expect_line(f, "cfg.yaml:2:16: error: lists.use: no list or tag named "
                 "'nosuch'");
  expect_line(f, "cfg.yaml:4:7: error: lists.exclude: no list or tag named "
                 "'nothing-here'");
}

static void
test_select_defunct_named(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f, "lists:\n  use: [dead, alpha]\n", &st),
                      "alpha");
  assert_int_equal(st, RBL_OK);
  assert_int_equal(f->d.errors, 0);
  assert_int_equal(f->d.warnings, 1);
  expect_line(f, "cfg.yaml:2:9: warning: list 'dead' is defunct since "
                 "2024-06-05");
}

static void
test_select_keyed_named(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f, "lists:\n  use: [keyed]\n", &st),
                      "keyed"); /* named: selected (reports later) */
  assert_int_equal(st, RBL_OK);
}

static void
test_select_keyed_tag_skipped(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  /* The tag "major" picks it, but there is no key for it. */
  assert_string_equal(select_names(f, "lists:\n  use: [major]\n", &st),
                      "alpha,gamma");
  assert_int_equal(st, RBL_OK);
  assert_int_equal(f->d.warnings, 0);
}

static void
test_select_keyed_tag_with_key(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f,
                                   "lists:\n"
                                   "  use: [major]\n"
                                   "  keys: {kk: s3cret}\n",
                                   &st),
                      "alpha,gamma,keyed");
  assert_int_equal(st, RBL_OK);
  const struct list_def *k = catalog_find(&f->cat, "keyed");
  assert_non_null(k);
  assert_string_equal(config_list_key(&f->cfg, k), "s3cret");
}

static void
test_select_custom(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  assert_string_equal(select_names(f,
                                   "lists:\n"
                                   "  use: [policy]\n"
                                   "  custom:\n"
                                   "    - name: corp-bl\n"
                                   "      zone: bl.corp.example\n"
                                   "      type: ip4\n"
                                   "      codes:\n"
                                   "        127.0.0.2: {meaning: x, "
                                   "severity: warning}\n",
                                   &st),
                      "beta,corp-bl");
  assert_int_equal(st, RBL_OK);
}

static void
test_select_custom_duplicate_zone(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  select_names(f,
               "lists:\n"
               "  custom:\n"
               "    - name: corp-bl\n"
               "      zone: alpha.example\n"
               "      type: ip4\n"
               "      codes:\n"
               "        127.0.0.2: {meaning: x, severity: warning}\n",
               &st);
  assert_int_equal(st, RBL_ECONFIG);
  expect_line(f, "cfg.yaml:3:7: error: list 'corp-bl': duplicate zone "
                 "'alpha.example' (already defined at ");
}

static void
test_unused_key_warns(void **state)
{
  struct fx *f = *state;
  rbl_status st;
  select_names(f, "lists:\n  use: [alpha]\n  keys: {nobody: x}\n", &st);
  assert_int_equal(st, RBL_OK);
  assert_int_equal(f->d.warnings, 1);
  expect_line(f, "cfg.yaml:3:18: warning: lists.keys: no list uses a key "
                 "named 'nobody'");
}

/* ---- keys ----------------------------------------------------------------- */
static void
test_list_key_env_expansion(void **state)
{
  struct fx *f = *state;
  assert_int_equal(load(f, "lists:\n  keys:\n    kk: \"${RBLMON_TEST_VAR}\"\n"),
                   RBL_OK);
  struct list_def l;
  memset(&l, 0, sizeof(l));
  l.name = "keyed";
  l.key_name = "kk";
  l.key_env = "RBLMON_TEST_KK";
  unsetenv("RBLMON_TEST_KK");
  setenv("RBLMON_TEST_VAR", "from-env", 1);
  assert_string_equal(config_list_key(&f->cfg, &l), "from-env");
  setenv("RBLMON_TEST_VAR", "", 1);
  assert_null(config_list_key(&f->cfg, &l));
  unsetenv("RBLMON_TEST_VAR");
  assert_null(config_list_key(&f->cfg, &l));
}

static void
test_list_key_plain_and_fallback(void **state)
{
  struct fx *f = *state;
  assert_int_equal(load(f, "lists:\n  keys: {other: plain-value}\n"), RBL_OK);
  struct list_def l;
  memset(&l, 0, sizeof(l));
  l.name = "keyed";
  l.key_name = "other";
  assert_string_equal(config_list_key(&f->cfg, &l), "plain-value");

  /* No lists.keys entry: the entry's env variable. */
  l.key_name = "kk";
  l.key_env = "RBLMON_TEST_KK";
  unsetenv("RBLMON_TEST_KK");
  assert_null(config_list_key(&f->cfg, &l));
  setenv("RBLMON_TEST_KK", "env-key", 1);
  assert_string_equal(config_list_key(&f->cfg, &l), "env-key");
  unsetenv("RBLMON_TEST_KK");

  /* A list without a key has none. */
  l.key_name = NULL;
  l.key_env = NULL;
  assert_null(config_list_key(&f->cfg, &l));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_good),
    T(test_defaults),
    T(test_server_forms),
    T(test_unknown_top_key),
    T(test_unknown_watchlist_key),
    T(test_ips_wrong_type),
    T(test_bad_ip),
    T(test_domain_under_ips),
    T(test_email_targets),
    T(test_bad_cidr),
    T(test_ip6_range_too_large),
    T(test_host_bits),
    T(test_duplicate_target),
    T(test_duplicate_yaml_key),
    T(test_duplicate_yaml_key_among_many),
    T(test_duplicate_watchlist_name),
    T(test_missing_watchlist_name),
    T(test_server_hostname),
    T(test_server_hostname_port),
    T(test_server_port),
    T(test_timeout_words),
    T(test_timeout_range),
    T(test_tries_zero),
    T(test_tries_not_number),
    T(test_version_2),
    T(test_version_10),
    T(test_custom_code_outside_127),
    T(test_custom_bad_severity),
    T(test_yaml_syntax_error),
    T(test_yaml_alias),
    T(test_all_errors_reported),
    T(test_select_default_major),
    T(test_select_by_tag),
    T(test_select_by_tag_ip),
    T(test_select_by_name),
    T(test_select_exclude_tag),
    T(test_select_exclude_name),
    T(test_select_unknown),
    T(test_select_defunct_named),
    T(test_select_keyed_named),
    T(test_select_keyed_tag_skipped),
    T(test_select_keyed_tag_with_key),
    T(test_select_custom),
    T(test_select_custom_duplicate_zone),
    T(test_unused_key_warns),
    T(test_list_key_env_expansion),
    T(test_list_key_plain_and_fallback),
    /* Last: it crashes the process while the bug is there. */
    T(test_watchlist_name_wrong_type),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
