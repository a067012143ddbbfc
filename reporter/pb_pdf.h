/* pb_pdf: the PDF report (libharu) — cover, summary, charts, processes, profiles, page numbers. */
#ifndef PB_PDF_H
#define PB_PDF_H

#include "pb_model.h"

#include <stddef.h>
#include <stdio.h>

/* Renders the report of model to out. source names what was read (a run id
 * or "store DIR, FROM..TO"); it is shown on the cover. Text is converted to
 * Latin-1 ('?' for what the standard fonts cannot show) and cut with "..."
 * where it would overflow its box. Returns 0, -ENOMEM, -EIO (writing out)
 * or -EPROTO (libharu failed; its error code is in err). */
int pb_pdf_write(FILE *out, const pb_model_t *model, const char *source, char *err, size_t errlen);

#endif
