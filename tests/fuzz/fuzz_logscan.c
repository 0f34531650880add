/* libFuzzer target: the MTA line parsers and the journald adapters.
 * Input: one line (any bytes).  Built with -fsanitize=fuzzer when
 * RBLMON_FUZZ is on; otherwise replay.c runs the seed corpus
 * (tests/fuzz/logscan/) in the normal test suite. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "logscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct logclock c;
  struct rejection r;
  logclock_init(&c, 1767607200);
  const char *line = (const char *)data;
  if (logscan_line(&c, line, size, &r)) {
    /* every string field is terminated and bounded */
    if (strlen(r.text) >= sizeof(r.text) || strlen(r.host) >= sizeof(r.host))
      __builtin_trap();
  }
  journal_json_line(line, size, &r);
  struct journal_export e;
  memset(&e, 0, sizeof(e));
  journal_export_line(&e, line, size, &r);
  journal_export_line(&e, "", 0, &r);
  return 0;
}
