#include "i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef RBLMON_LOCALEDIR
#define RBLMON_LOCALEDIR "/usr/local/share/locale"
#endif

void
i18n_init(void)
{
  setlocale(LC_MESSAGES, "");
  setlocale(LC_CTYPE, "");
  const char *dir = getenv("RBLMON_LOCALEDIR");
  if (dir == NULL || *dir == '\0') {
    dir = RBLMON_LOCALEDIR;
#ifdef RBLMON_BUILD_LOCALEDIR
    if (access(RBLMON_LOCALEDIR "/fr/LC_MESSAGES/rblmon.mo", R_OK) != 0)
      dir = RBLMON_BUILD_LOCALEDIR;
#endif
  }
  bindtextdomain("rblmon", dir);
  bind_textdomain_codeset("rblmon", "UTF-8");
  textdomain("rblmon");
}
