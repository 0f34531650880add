/* A fixture for scripts/checksrc (ctest lint.checksrc-finds): every call
 * below must be reported; the ones in comments and strings must not be:
 * sprintf(buf, "x"); atoi("1") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fixture(char *buf, const char *s)
{
  const char *quoted = "strcpy(a, b) in a string";
  sprintf(buf, "%s", quoted);
  strcpy(buf, s);
  return atoi(s);
}
