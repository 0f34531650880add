/* authrec.h - reading authentication records (pure; unit tested): DMARC
 * (RFC 7489) and DKIM key records (RFC 6376, RFC 8463), and whether a PTR
 * name looks generic (assigned by an access provider to any customer). */
#ifndef RBL_AUTHREC_H
#define RBL_AUTHREC_H

#include <stdbool.h>
#include <stddef.h>
#include "target.h"

/* A name such as 10-2-0-192.dsl.example.net, host192-0-2-10.pool.isp,
 * dyn-…, dhcp…: built from the address or with an access-network word. */
bool authrec_ptr_generic(const char *name, const struct addr *a);

struct dmarc_rec {
  char p[16], sp[16];             /* none, quarantine, reject */
  char adkim, aspf;               /* 'r' or 's' */
  unsigned pct;
  char rua[512], ruf[512];        /* as written */
  bool p_defaulted;               /* p= missing or wrong, or sp= wrong,
                                     with a rua=: taken as p=none sp=none
                                     (RFC 7489 6.6.3) */
  char ignored[200];              /* broken adkim, aspf, pct values taken
                                     as their defaults (RFC 7489 6.3):
                                     "pct=500 (taken as 100)"; "" if none */
  char error[200];                /* why the record is not valid */
};
/* true for a valid record; false with error set: no v=DMARC1 first, a
 * duplicated tag, or no valid p=/sp= and no rua= URI to fall back on. */
bool authrec_dmarc(const char *txt, struct dmarc_rec *out);
/* Whether a TXT string is a DMARC record: v=DMARC1 first (v or V, spaces
 * around '=' allowed), then ';' or the end. */
bool authrec_is_dmarc(const char *txt);
/* The domains of the mailto: addresses in a rua/ruf list, into doms (at
 * most max); other URIs are ignored.  Returns how many. */
int authrec_dmarc_domains(const char *uris, char doms[][256], size_t max);

struct dkim_rec {
  char k[16];                     /* rsa, ed25519, or as written */
  char h[32];                     /* h= as written; "" when absent */
  unsigned bits;                  /* rsa: modulus size; ed25519: 256;
                                     0 for an unknown k= */
  bool revoked;                   /* p= is empty */
  bool testing;                   /* t=y */
  bool sha1_only;                 /* h= given without sha256: only sha1,
                                     which receivers reject (RFC 8301) */
  bool k_unknown;                 /* k= neither rsa nor ed25519: no
                                     receiver verifies with it */
  char error[200];
};
/* Reads one DKIM key record (RFC 6376 3.6.1).  true for a record a
 * receiver can read, whatever it says (revoked, unknown k=, h=sha1 only:
 * the judge tells those apart); false with error set when it is not a
 * key record: a duplicated tag, v= not DKIM1 or not first, no p=, a p=
 * that is not base64 or not a key of its k=. */
bool authrec_dkim(const char *txt, struct dkim_rec *out);

/* What the TXT records at one DKIM selector mean to a receiver, worst
 * first (the judge of auth:dkim; pure). */
enum dkim_finding {
  DKIM_MISSING, DKIM_MULTIPLE, DKIM_INVALID, DKIM_REVOKED, DKIM_KEYTYPE,
  DKIM_WEAK, DKIM_SHA1, DKIM_SHORT, DKIM_TESTING, DKIM_FINE, DKIM_NFINDINGS
};
struct dkim_judgement {
  enum dkim_finding finding;
  char what[160];                 /* "rsa 2048 bits", "no key record",
                                     ", t=y" added in test mode */
  bool usable;                    /* a key a receiver verifies with */
};
void authrec_dkim_judge(const char *const *strs, size_t n,
                        struct dkim_judgement *out);

#endif
