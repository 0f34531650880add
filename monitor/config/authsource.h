/* authsource.h - the five authentication checks (ptr, spf, dmarc, dkim,
 * mx) as sources of results: below the configuration, which names them,
 * and the auth engine, which runs them. */
#ifndef RBL_AUTHSOURCE_H
#define RBL_AUTHSOURCE_H

#include "catalog.h"

enum auth_check { AUTH_PTR, AUTH_SPF, AUTH_DMARC, AUTH_DKIM, AUTH_MX,
                  AUTH_NCHECKS };
extern const char *const auth_check_names[]; /* "ptr", ... NULL */
#define AUTH_ALL ((1u << AUTH_NCHECKS) - 1)

/* The source of each check ("auth:ptr", ...), for results, state and the
 * catalog (so status and reminders find them). */
struct list_def *auth_source(enum auth_check k);

#endif
