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

/* What one decode may cost. pb_codec checks these with a linear scan of the
 * raw bytes before msgpack-c allocates anything: every container header and
 * str/bin length against the bytes that remain, the depth and the number of
 * msgpack objects (map keys and values both count, as do array items). */
typedef struct {
    size_t max_bytes;   /* longer payloads are refused (-EMSGSIZE); 0 = no limit */
    size_t max_objects; /* more objects are refused (-EOVERFLOW) */
    unsigned max_depth; /* a top-level scalar is depth 1; capped at PB_CODEC_MAX_DEPTH */
} pb_codec_limits_t;

#define PB_CODEC_REQUEST_OBJECTS 4096       /* no real request comes near */
#define PB_CODEC_FRAME_OBJECTS   (1u << 24) /* far above any frame a publisher writes */

/* Requests on a ROUTER socket: PB_CODEC_MAX_BYTES, PB_CODEC_REQUEST_OBJECTS. */
extern const pb_codec_limits_t pb_codec_request_limits;
/* Frames, replies and stored records: no byte limit (the transport has one),
 * PB_CODEC_FRAME_OBJECTS. */
extern const pb_codec_limits_t pb_codec_frame_limits;

/* Decodes exactly one msgpack object that must span the whole buffer, within
 * limits. On success returns 0 and *out_p owns the tree. On failure returns
 * -EBADMSG (malformed or truncated, including a header that claims more than
 * the bytes remaining), -E2BIG (trailing bytes), -ELOOP (nested deeper than
 * the limit), -EOVERFLOW (too many objects), -EMSGSIZE (too many bytes) or
 * -ENOMEM, and writes a one-line reason into err (if non-NULL). */
int pb_codec_decode_limited(const void *buf, size_t len, const pb_codec_limits_t *limits,
                            pb_value_t **out_p, char *err, size_t errlen);

/* pb_codec_decode_limited with pb_codec_frame_limits. */
int pb_codec_decode(const void *buf, size_t len, pb_value_t **out_p, char *err, size_t errlen);

#endif
