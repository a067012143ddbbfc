/* pb_json: renders a pb_value tree as JSON text (for the CLI, dumps and exports). */
#ifndef PB_JSON_H
#define PB_JSON_H

#include "pb_value.h"

#include <stdio.h>

/* Writes self as JSON. pretty=0 gives one line. Binary values are written as
 * {"$bin": "<base64>"}; non-finite floats as null; invalid UTF-8 in strings
 * is replaced by U+FFFD. Returns 0 or -EIO if the stream failed. */
int pb_json_write(FILE *out, const pb_value_t *self, int pretty);

/* Same, into a new NUL-terminated string the caller frees; NULL on ENOMEM. */
char *pb_json_encode(const pb_value_t *self, int pretty);

#endif
