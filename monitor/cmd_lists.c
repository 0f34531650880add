/* cmd_lists.c - rblmon lists: the selected lists of the catalog. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "report.h"

int
cmd_lists(struct cli *c)
{
  const char *fmt = c->format ? c->format : "text";
  if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
    fprintf(stderr, "rblmon: lists: format must be text or json\n");
    return RBL_EXIT_UNKNOWN;
  }
  struct app a;
  int rc = app_load(&a, c, false);
  if (rc != RBL_EXIT_OK) {
    app_free(&a);
    return rc;
  }
  json_t *arr = json_array();
  if (strcmp(fmt, "text") == 0)
    printf("%-26s %-36s %-6s %-9s %s\n", "NAME", "ZONE", "TYPE", "LIMIT/DAY",
           "DELIST");
  for (size_t i = 0; i < a.nlists; i++) {
    const struct list_def *l = a.lists[i];
    char d[512];
    report_delist_str(l, d, sizeof(d));
    if (strcmp(fmt, "text") == 0) {
      char lim[24] = "-";
      if (l->queries_per_day)
        snprintf(lim, sizeof(lim), "%llu",
                 (unsigned long long)l->queries_per_day);
      printf("%-26s %-36s %-6s %-9s %s\n", l->name, l->zone,
             list_type_names[l->type], lim, d);
      continue;
    }
    json_t *tags = json_array();
    for (size_t k = 0; k < l->ntags; k++)
      json_array_append_new(tags, json_string(l->tags[k]));
    json_t *o = json_pack("{sssssssssos}", "name", l->name, "zone", l->zone,
                          "type", list_type_names[l->type], "operator",
                          l->operator_name, "tags", tags);
    json_object_set_new(o, "delist", json_string(d));
    json_object_set_new(o, "queries_per_day",
                        l->queries_per_day
                          ? json_integer((json_int_t)l->queries_per_day)
                          : json_null());
    json_array_append_new(arr, o);
  }
  if (strcmp(fmt, "json") == 0) {
    json_t *top = json_pack("{so}", "lists", arr);
    json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(top);
  } else {
    json_decref(arr);
    printf("%zu lists selected (of %zu in %s)\n", a.nlists, a.cat.n,
           app_catalog_dir(&a));
  }
  app_free(&a);
  return RBL_EXIT_OK;
}
