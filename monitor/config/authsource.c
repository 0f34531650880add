/* authsource.c - the authentication checks as sources: their names, and
 * the built-in catalog entries their results, state and reminders use. */
#include "authsource.h"

const char *const auth_check_names[] = {"ptr", "spf", "dmarc", "dkim", "mx",
                                        NULL};

/* ---- the sources ------------------------------------------------------------ */
static const struct {
  const char *name, *title, *fix;
  enum list_type type;
} source_info[AUTH_NCHECKS] = {
  [AUTH_PTR] = {"auth:ptr", "Reverse DNS (PTR, forward-confirmed)",
                "the PTR record of an address is set by whoever assigned it "
                "(your hosting or access provider): ask for a name of your "
                "own that resolves back to the address", LIST_IP},
  [AUTH_SPF] = {"auth:spf", "SPF of the domain for its sending addresses",
                "edit the domain's TXT record v=spf1 ...", LIST_DOMAIN},
  [AUTH_DMARC] = {"auth:dmarc", "DMARC of the domain",
                  "edit the TXT record at _dmarc.DOMAIN", LIST_DOMAIN},
  [AUTH_DKIM] = {"auth:dkim", "DKIM keys of the configured selectors",
                 "publish SELECTOR._domainkey.DOMAIN TXT v=DKIM1; k=rsa; p=... "
                 "with a 2048-bit key from your signer", LIST_DOMAIN},
  [AUTH_MX] = {"auth:mx", "MX of the domain",
               "publish MX records for the domain", LIST_DOMAIN},
};

static struct list_def sources[AUTH_NCHECKS];

struct list_def *
auth_source(enum auth_check k)
{
  struct list_def *d = &sources[k];
  if (d->name == NULL) {
    d->name = source_info[k].name;
    d->title = source_info[k].title;
    d->zone = "dns";
    d->operator_name = "rblmon";
    d->file = "(built in)";
    d->type = source_info[k].type;
    d->custom = true;
    d->auth = true;
    d->fix_first = source_info[k].fix;
    d->delist_proc = DELIST_UNSPECIFIED;
  }
  return d;
}
