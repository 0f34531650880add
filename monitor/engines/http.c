#include "http.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

#ifndef RBLMON_VERSION
#define RBLMON_VERSION "dev"
#endif

struct xfer {
  struct http *h;
  CURL *easy;
  struct curl_slist *hdrs, *connect_to;
  struct sbuf body;
  char content_type[96];
  char retry_after[64], ratelimit_reset[64];
  bool too_big;
  size_t max_body;
  uint64_t timeout_ms;
  char errbuf[CURL_ERROR_SIZE];
  http_cb cb;
  void *arg;
  struct xfer *prev, *next;
};

struct http {
  struct loop *loop;
  CURLM *multi;
  unsigned timer;
  struct xfer *all;
};

static unsigned global_users;

static void finish(struct http *h);

static void
on_io(void *arg, int fd, short revents)
{
  struct http *h = arg;
  int mask = 0, running;
  if (revents & POLLIN)
    mask |= CURL_CSELECT_IN;
  if (revents & POLLOUT)
    mask |= CURL_CSELECT_OUT;
  if (revents & (POLLERR | POLLHUP | POLLNVAL))
    mask |= CURL_CSELECT_ERR;
  curl_multi_socket_action(h->multi, fd, mask, &running);
  finish(h);
}

static int
on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
  (void)e;
  (void)socketp;
  struct http *h = userp;
  short ev = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    ev |= POLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    ev |= POLLOUT;
  return loop_watch(h->loop, s, what == CURL_POLL_REMOVE ? 0 : ev, on_io, h)
             == RBL_OK ? 0 : -1;
}

static uint64_t
on_timeout(void *arg)
{
  struct http *h = arg;
  int running;
  h->timer = 0;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  finish(h);
  return 0;
}

static int
on_timer_set(CURLM *m, long timeout_ms, void *userp)
{
  (void)m;
  struct http *h = userp;
  if (h->timer != 0)
    loop_timer_cancel(h->loop, h->timer);
  h->timer = 0;
  if (timeout_ms >= 0 &&
      (h->timer = loop_timer(h->loop, (uint64_t)timeout_ms, on_timeout, h))
        == 0)
    return -1;
  return 0;
}

struct http *
http_new(struct loop *l, char *err, size_t errlen)
{
  if (global_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
    snprintf(err, errlen, "libcurl cannot be initialised");
    return NULL;
  }
  global_users++;
  struct http *h = calloc(1, sizeof(*h));
  if (h == NULL || (h->multi = curl_multi_init()) == NULL) {
    snprintf(err, errlen, "out of memory");
    free(h);
    if (--global_users == 0)
      curl_global_cleanup();
    return NULL;
  }
  h->loop = l;
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  /* Be a polite client: a few connections per host at most; HTTP/2
   * multiplexes the rest over them. */
  curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
  return h;
}

static void
xfer_free(struct xfer *x)
{
  struct http *h = x->h;
  if (x->prev != NULL)
    x->prev->next = x->next;
  else
    h->all = x->next;
  if (x->next != NULL)
    x->next->prev = x->prev;
  curl_multi_remove_handle(h->multi, x->easy);
  curl_easy_cleanup(x->easy);
  curl_slist_free_all(x->hdrs);
  curl_slist_free_all(x->connect_to);
  sbuf_free(&x->body);
  free(x);
}

void
http_cancel_all(struct http *h)
{
  while (h->all != NULL)
    xfer_free(h->all);
}

void
http_free(struct http *h)
{
  if (h == NULL)
    return;
  http_cancel_all(h);
  curl_multi_cleanup(h->multi); /* may still call on_socket, on_timer_set */
  if (h->timer != 0)
    loop_timer_cancel(h->loop, h->timer);
  free(h);
  if (--global_users == 0)
    curl_global_cleanup();
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
  struct xfer *x = arg;
  if (sbuf_add(&x->body, p, n) != RBL_OK) {
    x->too_big = true;
    return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
  }
  (void)size;
  return n;
}

/* Keeps the headers rblmon reads, from the last response only. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
  struct xfer *x = arg;
  (void)size;
  static const struct {
    const char *name;
    size_t off;
  } keep[] = {
    {"retry-after:", offsetof(struct xfer, retry_after)},
    {"x-ratelimit-reset:", offsetof(struct xfer, ratelimit_reset)},
  };
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    x->retry_after[0] = x->ratelimit_reset[0] = '\0';
    return n;
  }
  for (size_t i = 0; i < UTIL_ARRAY_LEN(keep); i++) {
    size_t kl = strlen(keep[i].name);
    if (n <= kl || strncasecmp(p, keep[i].name, kl) != 0)
      continue;
    const char *v = p + kl;
    size_t vl = n - kl;
    while (vl > 0 && (*v == ' ' || *v == '\t'))
      v++, vl--;
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
                      v[vl - 1] == ' '))
      vl--;
    char *dst = (char *)x + keep[i].off;
    snprintf(dst, 64, "%.*s", (int)(vl < 63 ? vl : 63), v);
  }
  return n;
}

rbl_status
http_get(struct http *h, const struct http_req *req, http_cb cb, void *arg)
{
  struct xfer *x = calloc(1, sizeof(*x));
  if (x == NULL || (x->easy = curl_easy_init()) == NULL) {
    free(x);
    return RBL_ENOMEM;
  }
  x->h = h;
  x->cb = cb;
  x->arg = arg;
  x->max_body = req->max_body;
  x->timeout_ms = req->timeout_ms;
  sbuf_init(&x->body, req->max_body);
  for (const char *const *p = req->headers; p != NULL && *p != NULL; p++) {
    struct curl_slist *s = curl_slist_append(x->hdrs, *p);
    if (s == NULL)
      goto oom;
    x->hdrs = s;
  }
  for (const char *const *p = req->connect_to; p != NULL && *p != NULL; p++) {
    struct curl_slist *s = curl_slist_append(x->connect_to, *p);
    if (s == NULL)
      goto oom;
    x->connect_to = s;
  }
  CURL *e = x->easy;
  curl_easy_setopt(e, CURLOPT_URL, req->url);
  if (x->connect_to != NULL)
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->connect_to);
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   (long)(req->timeout_ms < 10000 ? req->timeout_ms : 10000));
  curl_easy_setopt(e, CURLOPT_USERAGENT, "rblmon/" RBLMON_VERSION);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP |
                                                CURLPROTO_HTTPS));
#endif
  if (req->ca_file != NULL) { /* instead of the system's CAs, not besides */
    curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
  }
  /* wait for a connection that may multiplex (HTTP/2) rather than open
   * one per request at once */
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  if (req->method != NULL && strcmp(req->method, "POST") == 0) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
  }
  if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
    goto oom;
  x->next = h->all;
  if (h->all != NULL)
    h->all->prev = x;
  h->all = x;
  return RBL_OK;
oom:
  curl_slist_free_all(x->hdrs);
  curl_slist_free_all(x->connect_to);
  curl_easy_cleanup(x->easy);
  sbuf_free(&x->body);
  free(x);
  return RBL_ENOMEM;
}

/* The reason for a failed transfer, in a postmaster's words. */
static void
describe(const struct xfer *x, CURLcode rc, char *buf, size_t size)
{
  static const struct {
    CURLcode rc;
    const char *what;
  } words[] = {
    {CURLE_OPERATION_TIMEDOUT, "no complete answer in time (timeout)"},
    {CURLE_COULDNT_CONNECT, "cannot connect"},
    {CURLE_COULDNT_RESOLVE_HOST, "host name not found"},
    {CURLE_PEER_FAILED_VERIFICATION, "TLS: the server's certificate is not "
                                     "trusted (a private CA goes in ca_file)"},
    {CURLE_SSL_CACERT_BADFILE, "TLS: cannot read the CA file (ca_file)"},
    {CURLE_SSL_CONNECT_ERROR, "TLS handshake failed"},
    {CURLE_GOT_NOTHING, "the server closed the connection without an answer"},
    {CURLE_RECV_ERROR, "the connection broke while receiving"},
    {CURLE_UNSUPPORTED_PROTOCOL, "only http:// and https:// URLs are allowed"},
  };
  const char *what = curl_easy_strerror(rc);
  for (size_t i = 0; i < UTIL_ARRAY_LEN(words); i++)
    if (words[i].rc == rc)
      what = words[i].what;
  if (rc == CURLE_OPERATION_TIMEDOUT)
    snprintf(buf, size, "no complete answer within %llu ms (timeout)",
             (unsigned long long)x->timeout_ms);
  else if (x->errbuf[0] != '\0')
    snprintf(buf, size, "%s (%s)", what, x->errbuf);
  else
    snprintf(buf, size, "%s", what);
}

static void
finish(struct http *h)
{
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE)
      continue;
    struct xfer *x = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode rc = m->data.result;
    struct http_answer a;
    memset(&a, 0, sizeof(a));
    a.body = sbuf_str(&x->body);
    a.len = x->body.len;
    if (rc == CURLE_OK) {
      a.ok = true;
      curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &a.status);
      char *ct = NULL;
      if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
          ct != NULL)
        snprintf(a.content_type, sizeof(a.content_type), "%s", ct);
      snprintf(a.retry_after, sizeof(a.retry_after), "%s", x->retry_after);
      snprintf(a.ratelimit_reset, sizeof(a.ratelimit_reset), "%s",
               x->ratelimit_reset);
    } else if (x->too_big) {
      a.too_big = true;
      snprintf(a.error, sizeof(a.error), "the answer is larger than %zu "
               "bytes", x->max_body);
    } else {
      describe(x, rc, a.error, sizeof(a.error));
    }
    http_cb cb = x->cb;
    void *arg = x->arg;
    cb(arg, &a);
    xfer_free(x);
  }
}

int64_t
http_parse_retry(const char *v, int64_t now)
{
  uint64_t n;
  if (v == NULL || *v == '\0')
    return -1;
  if (util_parse_u64(v, UINT64_MAX / 2, &n) == RBL_OK) {
    if (n > 1000000000) /* an epoch time, as X-RateLimit-Reset often is */
      return (int64_t)n > now ? (int64_t)n - now : 0;
    return (int64_t)n;
  }
  time_t t = curl_getdate(v, NULL);
  if (t == (time_t)-1)
    return -1;
  return (int64_t)t > now ? (int64_t)t - now : 0;
}
