#include "dns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct dns {
  struct loop *loop;
  ares_channel ch;
};

static int ares_refs;

static void
on_io(void *arg, int fd, short revents)
{
  struct dns *d = arg;
  ares_socket_t r = (revents & (POLLIN | POLLERR | POLLHUP)) ? fd
                                                             : ARES_SOCKET_BAD;
  ares_socket_t w = (revents & POLLOUT) ? fd : ARES_SOCKET_BAD;
  ares_process_fd(d->ch, r, w);
}

static void
sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
  struct dns *d = arg;
  short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
  loop_watch(d->loop, fd, ev, on_io, d);
}

static uint64_t
prepare(void *arg)
{
  struct dns *d = arg;
  struct timeval tv, *t = ares_timeout(d->ch, NULL, &tv);
  if (t == NULL)
    return UINT64_MAX;
  if (t->tv_sec == 0 && t->tv_usec == 0) {
    ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    t = ares_timeout(d->ch, NULL, &tv);
    if (t == NULL)
      return UINT64_MAX;
  }
  /* Round up so we do not spin on a sub-millisecond remainder. */
  return (uint64_t)t->tv_sec * 1000 + ((uint64_t)t->tv_usec + 999) / 1000;
}

rbl_status
dns_new(struct loop *l, const char *servers_csv, unsigned timeout_ms,
        unsigned tries, struct dns **out, char *err, size_t errlen)
{
  *out = NULL;
  if (ares_refs++ == 0) {
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
      ares_refs--;
      snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
      return RBL_EDNS;
    }
  }
  struct dns *d = calloc(1, sizeof(*d));
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    if (--ares_refs == 0)
      ares_library_cleanup();
    return RBL_ENOMEM;
  }
  d->loop = l;
  struct ares_options o;
  memset(&o, 0, sizeof(o));
  o.sock_state_cb = sock_state;
  o.sock_state_cb_data = d;
  o.timeout = (int)timeout_ms;
  o.tries = (int)tries;
  /* DNSBL names are absolute: never append a search domain.  NOCHECKRESP
   * hands SERVFAIL and REFUSED to us as ARES_ESERVFAIL / ARES_EREFUSED;
   * without it c-ares 1.18 reports both as ARES_ECONNREFUSED, and "the
   * zone is not served" must not read like "nothing listens". */
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_FLAGS;
  int rc = ares_init_options(&d->ch, &o, mask);
  if (rc != ARES_SUCCESS) {
    snprintf(err, errlen, "resolver set-up failed: %s", ares_strerror(rc));
    free(d);
    if (--ares_refs == 0)
      ares_library_cleanup();
    return RBL_EDNS;
  }
  if (servers_csv != NULL && *servers_csv != '\0') {
    rc = ares_set_servers_ports_csv(d->ch, servers_csv);
    if (rc != ARES_SUCCESS) {
      snprintf(err, errlen, "resolver servers '%s': %s", servers_csv,
               ares_strerror(rc));
      dns_free(d);
      return RBL_EDNS;
    }
  }
  if (loop_prepare(l, prepare, d) != RBL_OK) {
    snprintf(err, errlen, "too many engines on the loop");
    dns_free(d);
    return RBL_EDNS;
  }
  *out = d;
  return RBL_OK;
}

void
dns_free(struct dns *d)
{
  if (d == NULL)
    return;
  if (d->ch != NULL)
    ares_destroy(d->ch);
  loop_unprepare(d->loop, prepare, d);
  free(d);
  if (--ares_refs == 0)
    ares_library_cleanup();
}

struct qctx {
  dns_cb cb;
  void *arg;
  int type;
};

/* ---- answers that are not answers --------------------------------------
 * c-ares 1.18 matches an answer to its query by ID and question, and no
 * more: a datagram with QR clear (a query), another opcode, or an
 * NXDOMAIN that carries records of the type asked for (a listing and its
 * denial at once) would be read as a verdict.  None is one. */
static bool
has_a(const unsigned char *abuf, int alen)
{
  struct ares_addrttl t[1];
  int n = 1;
  return ares_parse_a_reply(abuf, alen, NULL, t, &n) == ARES_SUCCESS && n > 0;
}

static bool
has_aaaa(const unsigned char *abuf, int alen)
{
  struct ares_addr6ttl t[1];
  int n = 1;
  return ares_parse_aaaa_reply(abuf, alen, NULL, t, &n) == ARES_SUCCESS &&
         n > 0;
}

static bool
has_txt(const unsigned char *abuf, int alen)
{
  struct ares_txt_ext *t = NULL;
  bool any = ares_parse_txt_reply_ext(abuf, alen, &t) == ARES_SUCCESS &&
             t != NULL;
  ares_free_data(t);
  return any;
}

static bool
has_ptr(const unsigned char *abuf, int alen)
{
  struct hostent *h = NULL;
  bool any = ares_parse_ptr_reply(abuf, alen, NULL, 0, AF_INET, &h) ==
             ARES_SUCCESS;
  if (h != NULL)
    ares_free_hostent(h);
  return any;
}

static const struct {
  int type;
  bool (*has)(const unsigned char *, int);
} record_probes[] = {
  { 1 /* A */, has_a }, { 28 /* AAAA */, has_aaaa },
  { 16 /* TXT */, has_txt }, { 12 /* PTR */, has_ptr },
};

int
dns_answer_status(int status, int type, const unsigned char *abuf, int alen)
{
  if (abuf == NULL || (status != ARES_SUCCESS && status != ARES_ENOTFOUND &&
                       status != ARES_ENODATA))
    return status;
  if (alen < 12)
    return ARES_EBADRESP;
  unsigned flags = (unsigned)abuf[2] << 8 | abuf[3];
  unsigned qdcount = (unsigned)abuf[4] << 8 | abuf[5];
  if (!(flags & 0x8000) || ((flags >> 11) & 0xf) != 0 || qdcount != 1)
    return ARES_EBADRESP;
  if ((flags & 0xf) == 3 /* NXDOMAIN */)
    for (size_t i = 0; i < UTIL_ARRAY_LEN(record_probes); i++)
      if (record_probes[i].type == type && record_probes[i].has(abuf, alen))
        return ARES_EBADRESP;
  return status;
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
  (void)timeouts;
  struct qctx *q = arg;
  dns_cb cb = q->cb;
  void *cbarg = q->arg;
  status = dns_answer_status(status, q->type, abuf, alen);
  free(q);
  cb(cbarg, status, abuf, alen);
}

void
dns_query(struct dns *d, const char *name, int type, dns_cb cb, void *arg)
{
  struct qctx *q = malloc(sizeof(*q));
  if (q == NULL) {
    cb(arg, ARES_ENOMEM, NULL, 0);
    return;
  }
  q->cb = cb;
  q->arg = arg;
  q->type = type;
  ares_query(d->ch, name, 1 /* C_IN */, type, on_answer, q);
}

void
dns_cancel(struct dns *d)
{
  ares_cancel(d->ch);
}

const char *
dns_strerror(int status)
{
  switch (status) {
  case ARES_ETIMEOUT:      return "no answer from the resolver (timeout)";
  case ARES_ESERVFAIL:     return "SERVFAIL: the list's servers failed to answer";
  case ARES_EREFUSED:      return "REFUSED: the resolver does not serve this "
                                  "zone or refuses this client";
  case ARES_ECONNREFUSED:  return "connection refused by the resolver";
  case ARES_EBADRESP:      return "malformed DNS answer";
  case ARES_ENOTIMP:       return "NOTIMP: the resolver does not do this query";
  case ARES_EFORMERR:      return "FORMERR: the resolver rejected the query";
  case ARES_ECANCELLED:    return "cancelled (deadline reached)";
  case ARES_EDESTRUCTION:  return "cancelled (shutting down)";
  case ARES_ENOMEM:        return "out of memory";
  case ARES_EBADNAME:      return "invalid query name";
  default:                 return ares_strerror(status);
  }
}

size_t
dns_parse_a(const unsigned char *abuf, int alen, uint32_t *out, size_t max)
{
  struct ares_addrttl ttls[16];
  int n = (int)UTIL_ARRAY_LEN(ttls);
  if (abuf == NULL || ares_parse_a_reply(abuf, alen, NULL, ttls, &n) !=
                          ARES_SUCCESS)
    return 0;
  size_t cnt = 0;
  for (int i = 0; i < n && cnt < max; i++)
    out[cnt++] = ntohl(ttls[i].ipaddr.s_addr);
  return cnt;
}

rbl_status
dns_txt_append(struct sbuf *b, const unsigned char *s, size_t n)
{
  /* A NUL would end the text everywhere after this: U+FFFD stands for it,
   * as for any byte that cannot be shown. */
  rbl_status st = RBL_OK;
  for (size_t i = 0; i < n && st == RBL_OK;) {
    const unsigned char *z = memchr(s + i, '\0', n - i);
    size_t run = z ? (size_t)(z - (s + i)) : n - i;
    st = sbuf_add(b, s + i, run);
    i += run;
    if (i < n && st == RBL_OK) {
      st = sbuf_add(b, "\xef\xbf\xbd", 3);
      i++;
    }
  }
  return st;
}

bool
dns_parse_txt(const unsigned char *abuf, int alen, char *buf, size_t size)
{
  struct ares_txt_ext *txt = NULL;
  if (size == 0)
    return false;
  buf[0] = '\0';
  if (abuf == NULL || ares_parse_txt_reply_ext(abuf, alen, &txt) !=
                          ARES_SUCCESS)
    return false;
  struct sbuf b;
  sbuf_init(&b, size - 1 < 65536 ? 65536 : size - 1);
  /* as much as fits: a reason text cut short is still the list's */
  for (struct ares_txt_ext *t = txt; t != NULL && b.len < size; t = t->next) {
    if (t->record_start && t != txt && sbuf_add(&b, "; ", 2) != RBL_OK)
      break;
    if (dns_txt_append(&b, t->txt, t->length) != RBL_OK)
      break;
  }
  ares_free_data(txt);
  size_t n = b.len < size - 1 ? b.len : size - 1;
  if (n > 0)
    memcpy(buf, b.p, n);
  buf[n] = '\0';
  sbuf_free(&b);
  return true;
}
