/* pb_mpwrite: encodes msgpack straight into one reused buffer, keys taken from the catalogue. */
#ifndef PB_MPWRITE_H
#define PB_MPWRITE_H

#include "pb_catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_MPWRITE_MAX_DEPTH 16 /* open maps and arrays at once; frames need 4 */

/* The writer owns one growable buffer that reset empties and never frees, so
 * a publisher encodes every frame without allocating once the buffer has
 * grown to its largest frame. A map or array reserves a 5-byte header when it
 * opens and writes the count when it closes, in the smallest form msgpack
 * has (fix/16/32, the contents moved back over the unused bytes): the bytes
 * are those msgpack-c packs for the same tree (pb_codec). Inside a map every
 * value is put under a catalogue field, whose name is the key; in an array
 * and at the top the key is NULL. Errors are sticky: after the first every
 * call returns it and writes nothing, so callers may check once, at the end. */
typedef struct pb_mpwrite pb_mpwrite_t;

/* A new empty writer, or NULL on ENOMEM. */
pb_mpwrite_t *pb_mpwrite_new(void);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_mpwrite_destroy(pb_mpwrite_t **self_p);

/* Empties the buffer (keeping its memory) and clears the error. Can't fail. */
void pb_mpwrite_reset(pb_mpwrite_t *self);

/* The encoded bytes so far (borrowed, valid until the next call) and their length. */
const char *pb_mpwrite_data(const pb_mpwrite_t *self);
size_t pb_mpwrite_len(const pb_mpwrite_t *self);

/* Maps and arrays still open. Can't fail. */
size_t pb_mpwrite_depth(const pb_mpwrite_t *self);

/* 0, or the first error: -ENOMEM (growth), -EINVAL (a key outside a map or
 * none inside one, a close with nothing open), -ELOOP (too deep), -E2BIG (a
 * str or bin over 4 GiB). */
int pb_mpwrite_status(const pb_mpwrite_t *self);

/* Open a map or an array as the value of key; pb_mpwrite_end closes the innermost. */
int pb_mpwrite_map(pb_mpwrite_t *self, const pb_catalog_field_t *key);
int pb_mpwrite_array(pb_mpwrite_t *self, const pb_catalog_field_t *key);
int pb_mpwrite_end(pb_mpwrite_t *self);

/* Scalars. int writes a non-negative value as a uint (as pb_codec does);
 * float is always a float64. */
int pb_mpwrite_uint(pb_mpwrite_t *self, const pb_catalog_field_t *key, uint64_t v);
int pb_mpwrite_int(pb_mpwrite_t *self, const pb_catalog_field_t *key, int64_t v);
int pb_mpwrite_float(pb_mpwrite_t *self, const pb_catalog_field_t *key, double v);
int pb_mpwrite_bool(pb_mpwrite_t *self, const pb_catalog_field_t *key, bool v);

/* A str of len bytes, as valid UTF-8: bytes that are not are each replaced by
 * U+FFFD (pb_utf8_sanitize), as pb_codec does. str takes a NUL-terminated s. */
int pb_mpwrite_strn(pb_mpwrite_t *self, const pb_catalog_field_t *key, const char *s, size_t len);
int pb_mpwrite_str(pb_mpwrite_t *self, const pb_catalog_field_t *key, const char *s);

/* A bin of len bytes, as they are. */
int pb_mpwrite_bin(pb_mpwrite_t *self, const pb_catalog_field_t *key, const void *data, size_t len);

/* Resolves names[0..n) as children of the map or list at parent_path ("" for
 * the top of a frame of type frame) into out[], once, at a sampler's start.
 * Returns 0, or -ENOENT with "the catalogue has no sys field 'cpu.total.x'"
 * in err: a sampler that would publish an uncatalogued key refuses to start. */
int pb_mpwrite_resolve(pb_catalog_frame_t frame, const char *parent_path, const char *const *names,
                       size_t n, const pb_catalog_field_t **out, char *err, size_t errlen);

#endif
