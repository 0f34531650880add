/* http.h - HTTP(S) requests through libcurl's multi interface, driven by
 * the one event loop: curl tells us its sockets (CURLMOPT_SOCKETFUNCTION)
 * and when it wants to be woken (CURLMOPT_TIMERFUNCTION); the loop polls
 * and times.  No threads, no blocking calls.  Connections are reused and
 * HTTP/2 is used where the server offers it.  TLS peers are always
 * verified (a CA file may be given; verification cannot be turned off).
 * Redirects are not followed. */
#ifndef RBL_HTTP_H
#define RBL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loop.h"

struct http;

struct http_req {
  const char *url;
  const char *method;             /* NULL: GET */
  const char *const *headers;     /* "Name: value", NULL-terminated */
  const char *ca_file;            /* NULL: the system's CAs */
  const char *const *connect_to;  /* curl's HOST:PORT:CHOST:CPORT, NULL-
                                     terminated; NULL: none */
  uint64_t timeout_ms;            /* whole transfer */
  size_t max_body;                /* larger answers fail as too_big */
};

struct http_answer {
  bool ok;                        /* a complete HTTP answer arrived */
  long status;
  const char *body;               /* NUL-terminated; untrusted */
  size_t len;
  char content_type[96];
  char retry_after[64];           /* Retry-After, as sent ("" if none) */
  char ratelimit_reset[64];       /* X-RateLimit-Reset, as sent */
  bool too_big;                   /* the body passed max_body */
  char error[512];                /* why !ok, in a postmaster's words */
};

typedef void (*http_cb)(void *arg, const struct http_answer *a);

/* NULL with a reason in err when libcurl cannot be set up. */
struct http *http_new(struct loop *l, char *err, size_t errlen);
/* Aborts what is outstanding (callbacks are not called) and frees h. */
void http_free(struct http *h);

/* Starts a request; cb is called exactly once, from the loop (never from
 * inside http_get).  Returns RBL_OK or RBL_ENOMEM. */
rbl_status http_get(struct http *h, const struct http_req *req, http_cb cb,
                    void *arg);
/* Drops every request in flight; their callbacks are not called. */
void http_cancel_all(struct http *h);

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP
 * date) or an X-RateLimit-Reset value (epoch seconds or a delta), at
 * time now; -1 when it cannot be read. */
int64_t http_parse_retry(const char *v, int64_t now);

#endif
