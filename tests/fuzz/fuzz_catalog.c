/* libFuzzer target: the catalog parser (the files in lists/), then every
 * list it accepted reading a few answers with its own codes, errors and
 * bitmask. */
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "dnsbl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct catalog cat;
  struct diag d;
  catalog_init(&cat);
  diag_init(&d);
  if (catalog_load_string(&cat, "fuzz.yaml", (const char *)data, size, &d) ==
      RBL_OK) {
    static const uint32_t answers[][3] = {
      {0x7f000002, 0, 0}, {0x7f000004, 0x7f00000a, 0},
      {0x7f0000ff, 0x7f000002, 0x7f000003}, {0x7fffffff, 0, 0},
      {0x0a000001, 0, 0}, {0x7f010203, 0x7f7f7f7f, 0x7f000080}};
    for (size_t i = 0; i < cat.n; i++)
      for (size_t k = 0; k < sizeof(answers) / sizeof(answers[0]); k++) {
        struct interp in;
        dnsbl_interpret(cat.lists[i], answers[k], 1 + k % 3, &in);
        if (in.ncodes > RESULT_MAX_CODES || in.nreasons > RESULT_MAX_CODES)
          __builtin_trap();
      }
  }
  diag_free(&d);
  catalog_free(&cat);
  return 0;
}
