#include "diag.h"

#include <stdio.h>
#include <string.h>

void
diag_init(struct diag *d)
{
  memset(d, 0, sizeof(*d));
  sbuf_init(&d->text, 1 << 20);
}

static void diag_add(struct diag *d, const char *kind, const char *file,
                     unsigned line, unsigned col, const char *fmt, va_list ap)
  __attribute__((format(printf, 6, 0)));

static void
diag_add(struct diag *d, const char *kind, const char *file, unsigned line,
         unsigned col, const char *fmt, va_list ap)
{
  if (file != NULL && d->cap_file != NULL && strcmp(file, d->cap_file) == 0) {
    if (++d->cap_count > DIAG_MAX_PER_FILE) {
      d->suppressed++;
      return;
    }
  } else {
    d->cap_file = file;
    d->cap_count = 1;
  }
  if (d->log_tag != NULL)
    sbuf_addf(&d->text, "<%d>%s: ", strcmp(kind, "error") == 0 ? 3 : 4,
              d->log_tag);
  if (file != NULL && line > 0)
    sbuf_addf(&d->text, "%s:%u:%u: %s: ", file, line, col, kind);
  else if (file != NULL)
    sbuf_addf(&d->text, "%s: %s: ", file, kind);
  else
    sbuf_addf(&d->text, "%s: ", kind);
  sbuf_vaddf(&d->text, fmt, ap);
  sbuf_add(&d->text, "\n", 1);
}

void
diag_error(struct diag *d, const char *file, unsigned line, unsigned col,
           const char *fmt, ...)
{
  va_list ap;
  d->errors++;
  va_start(ap, fmt);
  diag_add(d, "error", file, line, col, fmt, ap);
  va_end(ap);
}

void
diag_warn(struct diag *d, const char *file, unsigned line, unsigned col,
          const char *fmt, ...)
{
  va_list ap;
  d->warnings++;
  va_start(ap, fmt);
  diag_add(d, "warning", file, line, col, fmt, ap);
  va_end(ap);
}

void
diag_print(struct diag *d)
{
  fputs(sbuf_str(&d->text), stderr);
  if (d->suppressed > 0)
    fprintf(stderr, "%s%s%s(%u more messages suppressed)\n",
            d->log_tag ? "<4>" : "", d->log_tag ? d->log_tag : "",
            d->log_tag ? ": " : "", d->suppressed);
  sbuf_reset(&d->text);
  d->suppressed = 0;
}

void
diag_free(struct diag *d)
{
  sbuf_free(&d->text);
}
