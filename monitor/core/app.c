/* app.c - what every command reads before it works: the configuration,
 * the catalog and the list selection, once; and the state and resolver
 * they name. */
#include "app.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "loop.h"
#include "store.h"

#ifndef RBLMON_DATADIR
#define RBLMON_DATADIR "/usr/local/share/rblmon"
#endif

const char *
app_catalog_dir(const struct app *a)
{
  const char *env = getenv("RBLMON_CATALOG");
  if (env != NULL && *env != '\0')
    return env;
  if (a->have_config && a->cfg.catalog_dir != NULL)
    return a->cfg.catalog_dir;
  /* beside the binary (installed, a relocated prefix, or the build
   * tree), then where the installation put it */
  static char beside[PATH_MAX];
  if (util_beside_exe("../share/rblmon/lists", beside, sizeof(beside)))
    return beside;
  return RBLMON_DATADIR "/lists";
}

int
app_load(struct app *a, const struct app_source *src, bool need_config)
{
  struct diag d;
  int rc = RBL_EXIT_OK;
  memset(a, 0, sizeof(*a));
  config_init(&a->cfg);
  catalog_init(&a->cat);
  diag_init(&d);
  d.log_tag = src->log_tag;
  bool explicit;
  bool found = config_find(src->path, a->config_path,
                           sizeof(a->config_path), &explicit);
  if (src->text != NULL) { /* pinned by rblmon run */
    a->have_config = true;
    if (src->st != NULL) {
      a->cfg.file_st = *src->st;
      a->cfg.have_file_st = true;
    }
    if (config_load_string(&a->cfg, a->config_path, src->text,
                           src->len, &d) != RBL_OK) {
      rc = RBL_EXIT_UNKNOWN;
      goto done;
    }
  } else if (found) {
    a->have_config = true;
    if (config_load(&a->cfg, a->config_path, &d) != RBL_OK) {
      rc = RBL_EXIT_UNKNOWN;
      goto done;
    }
  } else if (need_config) {
    fprintf(stderr,
            "rblmon: no configuration found (looked for $RBLMON_CONFIG, "
            "~/.config/rblmon/rblmon.yaml, /etc/rblmon/rblmon.yaml).\n"
            "Copy the example (rblmon.example.yaml) there and edit it, pass "
            "-c FILE, or name targets on the command line.\n");
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
  if (a->have_config &&
      config_check_owner(&a->cfg, a->config_path, &d) != RBL_OK) {
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
  if (src->no_lists)
    goto done;
  if (catalog_load_dir(&a->cat, app_catalog_dir(a), &d) != RBL_OK) {
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
  if (config_select_lists(&a->cfg, &a->cat, &a->lists, &a->nlists, &d) !=
      RBL_OK) {
    rc = RBL_EXIT_UNKNOWN;
    goto done;
  }
done:
  diag_print(&d);
  if (rc != RBL_EXIT_OK && d.errors > 0 && src->log_tag == NULL)
    fprintf(stderr, "rblmon: %u error%s; nothing was checked\n", d.errors,
            d.errors == 1 ? "" : "s");
  diag_free(&d);
  return rc;
}

struct dns *
app_dns(const struct app *a, struct loop *l)
{
  char err[256];
  struct dns *d = NULL;
  if (dns_new(l, a->cfg.servers_csv, (unsigned)a->cfg.timeout_ms,
              (unsigned)a->cfg.tries, &d, err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s; check resolver: in %s\n", err,
            a->have_config ? a->config_path : "the configuration");
    return NULL;
  }
  return d;
}

int
app_engine(const struct app *a, struct loop **l, struct dns **d)
{
  *d = NULL;
  *l = loop_new();
  if (*l == NULL) {
    fprintf(stderr, "rblmon: out of memory\n");
    return RBL_EXIT_UNKNOWN;
  }
  *d = app_dns(a, *l);
  return *d != NULL ? RBL_EXIT_OK : RBL_EXIT_UNKNOWN;
}

/* state.path, or the default. */
static const char *
state_path(const struct app *a, char *buf, size_t size)
{
  if (a->cfg.state_path != NULL)
    return a->cfg.state_path;
  store_default_path(buf, size);
  return buf;
}

rbl_status
app_store_open(const struct app *a, bool readonly, struct store **s,
               char *err, size_t errlen)
{
  char def[STORE_PATH_MAX];
  return store_open(state_path(a, def, sizeof(def)), readonly,
                    a->cfg.lock_wait_ms, s, err, errlen);
}

struct store *
app_store_peek(const struct app *a)
{
  char def[STORE_PATH_MAX], err[512];
  const char *path = state_path(a, def, sizeof(def));
  struct store *s = NULL;
  if (access(path, R_OK) != 0 ||
      store_open(path, true, 0, &s, err, sizeof(err)) != RBL_OK)
    return NULL;
  return s;
}

struct store *
app_store(const struct app *a, bool readonly)
{
  char err[1024];
  struct store *s;
  if (app_store_open(a, readonly, &s, err, sizeof(err)) != RBL_OK) {
    fprintf(stderr, "rblmon: %s\n", err);
    return NULL;
  }
  return s;
}

void
app_free(struct app *a)
{
  free(a->lists);
  catalog_free(&a->cat);
  config_free(&a->cfg);
}
