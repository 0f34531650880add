/* cmd_config.c - rblmon config check. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"

int
cmd_config(struct cli *c)
{
  if (strcmp(c->args[0], "check") != 0) { /* one argument: main */
    fputs(c->misuse, stderr);
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = cmd_app_load(&a, c, true);
  if (rc == RBL_EXIT_OK) {
    uint64_t addrs = 0;
    size_t wide = 0, fed = 0;
    for (size_t i = 0; i < a.cfg.nitems; i++) {
      if (target_dns_checkable(&a.cfg.items[i].spec))
        addrs += target_count(&a.cfg.items[i].spec);
      else
        wide++;  /* counted apart: an IPv6 /32 has 2^96 addresses */
    }
    for (size_t i = 0; i < a.nlists; i++)
      fed += a.lists[i]->feed != NULL;
    printf("configuration OK: %s: %zu watchlist%s, %zu targets (%llu "
           "addresses and domains", a.config_path, a.cfg.nwatchlists,
           a.cfg.nwatchlists == 1 ? "" : "s", a.cfg.nitems,
           (unsigned long long)addrs);
    if (wide > 0)
      printf(", and %zu wider range%s for the feeds", wide,
             wide == 1 ? "" : "s");
    printf("), %zu lists selected", a.nlists);
    if (fed > 0)
      printf(" (%zu read from feeds)", fed);
    printf(" from %s", app_catalog_dir(&a));
    if (a.cfg.nproviders > 0)
      printf(", %zu reputation provider%s", a.cfg.nproviders,
             a.cfg.nproviders == 1 ? "" : "s");
    for (unsigned k = 0, n = 0; a.cfg.auth_on && k < AUTH_NCHECKS; k++)
      if ((a.cfg.auth_checks >> k) & 1u)
        printf("%s%s", n++ ? " " : ", authentication checks: ",
               auth_check_names[k]);
    putchar('\n');
    /* Secrets are read at each check; say now what would be missing. */
    for (size_t i = 0; i < a.cfg.nproviders; i++) {
      struct rep_secrets sec;
      char err[320];
      if (!provider_secrets(a.cfg.providers[i], &sec, err, sizeof(err)))
        fprintf(stderr, "%s: warning: %s; here rblmon check would skip it\n",
                a.config_path, err);
      memset(&sec, 0, sizeof(sec));
    }
    if (a.cfg.nitems == 0)
      fprintf(stderr, "%s: warning: no watchlist has ips: or domains:; "
              "rblmon check will need targets on the command line\n",
              a.config_path);
    if (a.nlists == 0 && a.cfg.nproviders == 0)
      fprintf(stderr, "%s: warning: no list is selected (lists.use, "
              "lists.exclude); rblmon check would have nothing to ask\n",
              a.config_path);
  }
  app_free(&a);
  return rc;
}
