/* i18n.h - messages for people (reminders, findings) through gettext:
 * English in the source, French in po/fr.po; more languages can follow.
 * Only LC_MESSAGES and LC_CTYPE follow the locale: numbers in JSON,
 * Prometheus and Nagios output stay in the C locale. */
#ifndef RBL_I18N_H
#define RBL_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* Binds the "rblmon" domain to $RBLMON_LOCALEDIR, the installed locale
 * directory, or the build tree's. */
void i18n_init(void);

#endif
