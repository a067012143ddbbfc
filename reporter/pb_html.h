/* pb_html: the HTML report — one self-contained file, inline SVG and CSS, no network. */
#ifndef PB_HTML_H
#define PB_HTML_H

#include "pb_model.h"

#include <stddef.h>
#include <stdio.h>

/* Renders the report of model to out: the same cover, summary, charts and
 * tables as the PDF, one <svg> per chart (viewBox + width:100%, readable at
 * phone width), no external URL and no script. All model text is escaped.
 * Returns 0, -ENOMEM or -EIO with a message in err. */
int pb_html_write(FILE *out, const pb_model_t *model, const char *source, char *err, size_t errlen);

#endif
