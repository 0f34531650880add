/* libFuzzer target: the strict YAML configuration parser (which also
 * parses custom list entries with the catalog's entry parser). */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct config cfg;
  struct diag d;
  config_init(&cfg);
  diag_init(&d);
  config_load_string(&cfg, "fuzz.yaml", (const char *)data, size, &d);
  diag_free(&d);
  config_free(&cfg);
  return 0;
}
