/* target.h - what rblmon watches: IPv4/IPv6 addresses, CIDR ranges,
 * domains and e-mail addresses; streaming iteration over ranges; RFC 5782
 * query names. */
#ifndef RBL_TARGET_H
#define RBL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define TARGET_NAME_MAX 254       /* a DNS name in text, with NUL */
#define TARGET_ADDR_MAX 46        /* INET6_ADDRSTRLEN */
#define TARGET_IP6_MIN_PREFIX 112 /* DNS: at most 65,536 IPv6 addresses a range */
#define TARGET_IP4_MIN_PREFIX 16  /* and 65,536 IPv4 addresses */
#define TARGET_IP4_FEED_MIN_PREFIX 8   /* wider ranges: data feeds only */
#define TARGET_IP6_FEED_MIN_PREFIX 16

enum target_kind { TARGET_IP4, TARGET_IP6, TARGET_DOMAIN, TARGET_EMAIL };

struct addr {
  enum target_kind kind;        /* TARGET_IP4 or TARGET_IP6 */
  uint8_t b[16];                /* IPv4 uses b[0..3] */
};

/* One watchlist entry: a single address, a range, a domain, or an e-mail
 * address (asked of hash lists). */
struct target_spec {
  enum target_kind kind;
  struct addr base;             /* for IP kinds: the (network) address */
  unsigned prefix;              /* 32/128 for a single address */
  char domain[TARGET_NAME_MAX]; /* the domain or the e-mail address: lower
                                   case, no trailing dot */
};

/* An IPv4 or IPv6 address or range (not a domain or e-mail address). */
static inline bool
target_is_ip(const struct target_spec *t)
{
  return t->kind == TARGET_IP4 || t->kind == TARGET_IP6;
}

/* Parses "192.0.2.1", "2001:db8::1", "198.51.100.0/24", "example.com",
 * "postmaster@example.com" (RFC 5321 dot-atom local part, at most 64
 * characters; a host name after the @; the whole lower-cased).
 * On error returns RBL_ESYNTAX or RBL_ECONFIG and writes the reason (what
 * to fix) into err. */
rbl_status target_parse(const char *s, struct target_spec *out, char *err,
                        size_t errlen);

/* Whether DNS (and HTTP) checks take the spec: a domain, an address, or
 * a range of at most 65,536 addresses; wider ranges are checked against
 * data feeds only. */
bool target_dns_checkable(const struct target_spec *t);

/* Why a range of kind wider than DNS checks take is not checked, and what
 * to do: for messages about a target with no feed. */
const char *target_wide_why(enum target_kind kind);

/* Number of addresses (1 for a domain; UINT64_MAX past 2^63). */
uint64_t target_count(const struct target_spec *t);

/* Streams the addresses of a spec, never materialising the range. */
struct target_iter {
  const struct target_spec *spec;
  uint64_t next, count;
};
void target_iter_init(struct target_iter *it, const struct target_spec *t);
/* Writes the next address; false when done. Not for domains. */
bool target_iter_next(struct target_iter *it, struct addr *out);

/* Whether the address lies inside the spec's range (false for domains). */
bool target_spec_contains(const struct target_spec *t, const struct addr *a);
/* Parses a literal address (no prefix). */
bool target_addr_parse(const char *s, struct addr *out);
/* Formats an address in its canonical text form. */
void target_addr_str(const struct addr *a, char *buf, size_t size);
/* The spec in text: "192.0.2.0/24", "2001:db8::1", "example.com",
 * "user@example.com". */
void target_spec_str(const struct target_spec *t, char *buf, size_t size);

/* RFC 5782 query names: reversed octets (IPv4) or 32 reversed nibbles
 * (IPv6) + "." + zone; or domain + "." + zone.  RBL_ETOOBIG when the name
 * would not fit a DNS name. */
rbl_status target_qname_addr(const struct addr *a, const char *zone,
                             char *buf, size_t size);
rbl_status target_qname_domain(const char *domain, const char *zone,
                               char *buf, size_t size);
/* Checks an e-mail address as target_parse() takes it. */
bool target_email_valid(const char *s);
/* Checks a DNS name (labels of 1-63 [A-Za-z0-9_-], total <= 253). */
bool target_domain_valid(const char *s);

#endif
