/* libFuzzer target: the authentication records rblmon reads from DNS —
 * DMARC (RFC 7489) with its report addresses, DKIM keys (RFC 6376; the
 * key itself is DER in base64), and whether a PTR name looks generic.
 * Input: the TXT record (or name), any bytes up to the first NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authrec.h"
#include "fuzzcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';

  struct dmarc_rec d;
  bool ok = authrec_dmarc(s, &d);
  if (!ok && d.error[0] == '\0')
    __builtin_trap();
  if (ok && !authrec_is_dmarc(s))
    __builtin_trap(); /* a valid record is one by the quick test too */
  if (strlen(d.rua) >= sizeof(d.rua) || strlen(d.error) >= sizeof(d.error))
    __builtin_trap();
  fuzz_escape_check(d.error, strlen(d.error));
  char doms[8][256];
  int nd = authrec_dmarc_domains(s, doms, 8);
  if (nd < 0 || nd > 8)
    __builtin_trap();
  for (int i = 0; i < nd; i++)
    if (strnlen(doms[i], 256) == 256)
      __builtin_trap();

  struct dkim_rec k;
  if (!authrec_dkim(s, &k) && k.error[0] == '\0')
    __builtin_trap();
  fuzz_escape_check(k.error, strlen(k.error));

  struct addr v4 = {TARGET_IP4, {192, 0, 2, 10}};
  struct addr v6 = {TARGET_IP6, {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10}};
  authrec_ptr_generic(s, &v4);
  authrec_ptr_generic(s, &v6);
  free(s);
  return 0;
}
