/* engine.c - the table of engines a cycle runs (engine.h): a new engine
 * is one file and one line here. */
#include "engine.h"

#include "auth.h"
#include "dnsbl.h"
#include "feed.h"
#include "reputation.h"

const struct engine *const engines[] = {
  &engine_feed,      /* first: it reads files before any query is out */
  &engine_dnsbl,
  &engine_reputation,
  &engine_auth,
  NULL,
};
_Static_assert(sizeof(engines) / sizeof(engines[0]) - 1 <= ENGINES_MAX,
               "a cycle keeps one run per engine: raise ENGINES_MAX");
