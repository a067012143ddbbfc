/* pb_frame_oracle: checks pb_frame_reader against the tree path (pb_codec + pb_frame) on any bytes.
 */
#ifndef PB_FRAME_ORACLE_H
#define PB_FRAME_ORACLE_H

#include <stddef.h>

/* Reads buf both ways and checks that they agree: the same error class
 * (-EBADMSG where pb_codec_decode fails, -EINVAL where pb_frame_envelope
 * does), the same envelope, and every catalogued number outside lists equal
 * to the tree's value at its path. Where the reader is documented to be
 * stricter (texts over PB_FRAME_TEXT_MAX, NUL bytes) or the frame repeats a
 * key (msgpack leaves that undefined: the tree keeps the last), only the
 * class is compared. Returns 0, or -1 with what differed in why. Used by the
 * unit suite (over the checked-in corpus) and by the fuzz harness. */
int pb_frame_oracle_check(const void *buf, size_t len, char *why, size_t whylen);

#endif
