/* dns.h - asynchronous DNS queries through c-ares (1.18 API only), driven
 * by the event loop: c-ares tells us its sockets (sock_state_cb), the
 * loop polls them, and a prepare hook processes c-ares' timeouts. */
#ifndef RBL_DNS_H
#define RBL_DNS_H

#include <stddef.h>
#include "loop.h"
#include "util.h"

struct dns;

/* status is an ARES_* code; abuf/alen the raw answer when status is
 * ARES_SUCCESS.  Called exactly once per query, also on dns_free()
 * (ARES_EDESTRUCTION) and dns_cancel() (ARES_ECANCELLED). */
typedef void (*dns_cb)(void *arg, int status, const unsigned char *abuf,
                       int alen);

/* servers_csv: "" for the system's resolver, else "ip:port,[ip6]:port".
 * On failure returns RBL_EDNS with the reason in err. */
rbl_status dns_new(struct loop *l, const char *servers_csv,
                   unsigned timeout_ms, unsigned tries, struct dns **out,
                   char *err, size_t errlen);
/* Cancels what is outstanding (callbacks see ARES_EDESTRUCTION) and frees
 * d; NULL is fine. */
void dns_free(struct dns *d);

/* Sends a query of type (ns_t_a, ns_t_txt) for name, class IN, no search
 * list. */
void dns_query(struct dns *d, const char *name, int type, dns_cb cb,
               void *arg);
/* Cancels every outstanding query. */
void dns_cancel(struct dns *d);

/* The status an answer earns beyond c-ares' own checks: ARES_EBADRESP
 * for a message that is not a standard answer (QR clear, an opcode other
 * than QUERY, QDCOUNT not 1) or an NXDOMAIN that holds records of the
 * type asked for; else status unchanged.  Applied to every answer before
 * the callback sees it. */
int dns_answer_status(int status, int type, const unsigned char *abuf,
                      int alen);

/* Text for an ARES_* status, in a postmaster's words. */
const char *dns_strerror(int status);

/* Parsers for answers (lenient, bounded). A records in host byte order,
 * at most max; returns how many (0 for none or a malformed answer). */
size_t dns_parse_a(const unsigned char *abuf, int alen, uint32_t *out,
                   size_t max);
/* TXT strings joined ("; " between records) into buf (NUL-terminated,
 * truncated to size; a NUL byte in the strings reads as U+FFFD).
 * Returns false when malformed. */
bool dns_parse_txt(const unsigned char *abuf, int alen, char *buf,
                   size_t size);
/* Appends one TXT string to b, a NUL byte as U+FFFD; RBL_ETOOBIG when b
 * is full (what was appended stays: the caller decides). */
rbl_status dns_txt_append(struct sbuf *b, const unsigned char *s, size_t n);

#endif
