/* pb_codec: msgpack bytes <-> pb_value trees. The only module that calls msgpack-c. */
#ifndef PB_CODEC_H
#define PB_CODEC_H

#include "pb_value.h"

#include <stddef.h>

#define PB_CODEC_MAX_DEPTH 32            /* deeper payloads are refused */
#define PB_CODEC_MAX_BYTES (1024 * 1024) /* requests larger than this are refused */

/* Encodes self into a new buffer. On success returns 0 and sets *buf_p (the
 * caller frees it with free()) and *len_p. Returns -ENOMEM on failure. */
int pb_codec_encode(const pb_value_t *self, char **buf_p, size_t *len_p);

/* Decodes exactly one msgpack object that must span the whole buffer.
 * On success returns 0 and *out_p owns the tree. On failure returns
 * -EBADMSG (malformed or truncated), -E2BIG (trailing bytes), -ELOOP (nested
 * deeper than PB_CODEC_MAX_DEPTH) or -ENOMEM, and writes a one-line reason
 * into err (if non-NULL). */
int pb_codec_decode(const void *buf, size_t len, pb_value_t **out_p, char *err, size_t errlen);

#endif
