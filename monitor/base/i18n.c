#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

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
    /* beside the binary (a relocated prefix, the build tree), else
     * where the installation put it */
    static char beside[PATH_MAX];
    dir = util_beside_exe("../share/locale", beside, sizeof(beside))
            ? beside : RBLMON_LOCALEDIR;
  }
  bindtextdomain("rblmon", dir);
  bind_textdomain_codeset("rblmon", "UTF-8");
  textdomain("rblmon");
}
