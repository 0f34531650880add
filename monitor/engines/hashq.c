#include "hashq.h"

#include "target.h"

#include <glib.h>
#include <string.h>

rbl_status
hashq_normalize(const char *address, char *out, size_t size)
{
  size_t n = strlen(address);
  if (n + 1 > size)
    return RBL_ETOOBIG;
  for (size_t i = 0; i <= n; i++) {
    char c = address[i];
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  return RBL_OK;
}

/* The GLib checksum of each hash function, by enum list_hash. */
static const struct {
  GChecksumType type;
  size_t len;                     /* digest bytes */
} hash_fn[] = {
  [LIST_HASH_MD5] = {G_CHECKSUM_MD5, 16},
  [LIST_HASH_SHA1] = {G_CHECKSUM_SHA1, 20},
  [LIST_HASH_SHA256] = {G_CHECKSUM_SHA256, 32},
};

/* RFC 4648 section 6, without the "=" padding (a DNS label takes none):
 * what Spamhaus's encode_base32 writes. */
static size_t
base32(const guint8 *d, size_t n, char *out)
{
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  size_t o = 0;
  unsigned acc = 0, bits = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 8) | d[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = abc[(acc >> bits) & 31];
    }
  }
  if (bits > 0)
    out[o++] = abc[(acc << (5 - bits)) & 31];
  out[o] = '\0';
  return o;
}

static size_t
hex(const guint8 *d, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
  return 2 * n;
}

rbl_status
hashq_label(const char *address, enum list_hash fn, enum list_hash_enc enc,
            char *out, size_t size)
{
  char norm[256];
  guint8 digest[32];
  char label[HASHQ_LABEL_MAX + 8];
  if (fn == LIST_HASH_NONE || (size_t)fn >= G_N_ELEMENTS(hash_fn))
    return RBL_ECONFIG;
  if (hashq_normalize(address, norm, sizeof(norm)) != RBL_OK)
    return RBL_ETOOBIG;
  GChecksum *ck = g_checksum_new(hash_fn[fn].type);
  if (ck == NULL)
    return RBL_ECONFIG;
  gsize dlen = sizeof(digest);
  g_checksum_update(ck, (const guchar *)norm, (gssize)strlen(norm));
  g_checksum_get_digest(ck, digest, &dlen);
  g_checksum_free(ck);
  size_t n = enc == LIST_ENC_BASE32 ? base32(digest, dlen, label)
                                    : hex(digest, dlen, label);
  if (n > 63)
    return RBL_ECONFIG;  /* RFC 1035 2.3.4: a label is at most 63 octets */
  if (n + 1 > size)
    return RBL_ETOOBIG;
  memcpy(out, label, n + 1);
  return RBL_OK;
}

rbl_status
hashq_qname(const char *address, enum list_hash fn, enum list_hash_enc enc,
            const char *zone, char *buf, size_t size)
{
  char label[HASHQ_LABEL_MAX];
  rbl_status st = hashq_label(address, fn, enc, label, sizeof(label));
  if (st != RBL_OK)
    return st;
  return target_qname_domain(label, zone, buf, size);
}
