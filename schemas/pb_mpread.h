/* pb_mpread: a cursor over msgpack bytes that never allocates, and a leaf walk of frames over it.
 */
#ifndef PB_MPREAD_H
#define PB_MPREAD_H

#include "pb_value.h" /* pb_type_t only: the reader builds no tree */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_MPREAD_MAX_DEPTH 32               /* a top-level scalar is depth 1; deeper is -ELOOP */
#define PB_MPREAD_MAX_KEY   PB_VALUE_KEY_MAX /* longest map key in bytes (perfbus's rule) */

/* One msgpack object as its header says. Numbers are decoded; str and bin
 * point into the buffer (never NUL-terminated, never NULL, even when empty);
 * a container gives its count and its items follow it in the stream. As in
 * pb_value, non-negative integers of any encoding are PB_UINT and negative
 * ones PB_INT (i and u both hold the value), float32 is widened to double.
 * Fields that do not apply to the type are zero. */
typedef struct {
    pb_type_t type;
    size_t offset;  /* of the type byte */
    unsigned depth; /* 1 = the top-level object */
    bool is_key;    /* a map key (always PB_STR: other key types are refused) */
    bool b;
    int64_t i;
    uint64_t u;
    double f;
    const char *data; /* PB_STR, PB_BIN */
    uint32_t len;     /* bytes of PB_STR/PB_BIN, entries of PB_MAP, items of PB_ARRAY */
} pb_mpread_item_t;

/* The cursor. Its fields are private: the struct is public only so that it
 * can live on the caller's stack (no allocation). It reads exactly one
 * top-level object and keeps a stack of the objects still owed by each open
 * container, so nesting never recurses and depth is checked before a byte of
 * the deeper object is read. Every header is checked against the bytes that
 * remain: a str/bin body must fit, and a container may not declare more
 * objects than there are bytes left (each needs at least one). */
typedef struct {
    const unsigned char *p;
    size_t len, off;
    unsigned max_depth;
    int top;  /* index of the innermost open level; -1 once the object is complete */
    int fail; /* the first error, sticky */
    uint64_t owed[PB_MPREAD_MAX_DEPTH + 1];
    bool in_map[PB_MPREAD_MAX_DEPTH + 1];
    char err[160];
} pb_mpread_t;

/* Starts a cursor over buf[0..len) (borrowed for the cursor's life). Nesting
 * deeper than max_depth (capped at PB_MPREAD_MAX_DEPTH) is refused. Can't fail. */
void pb_mpread_init(pb_mpread_t *self, const void *buf, size_t len, unsigned max_depth);

/* Reads the next object's header (and body, for anything but a container)
 * into *item. Returns 0, or on failure (sticky: every later call returns the
 * same code) -ENODATA (truncated: a header or body runs past the end),
 * -EBADMSG (type byte 0xc1, an ext type, a map key that is not a str, longer
 * than PB_MPREAD_MAX_KEY or holding a NUL), -ELOOP (too deep), or -ENOENT
 * once the top-level object is complete (not sticky: nothing is left to read). */
int pb_mpread_next(pb_mpread_t *self, pb_mpread_item_t *item);

/* Reads a map entry: the next object, which must be a map key, and its value's
 * header, as two calls of pb_mpread_next would (one call: readers of frames
 * go entry by entry). Returns what pb_mpread_next returns, and -EBADMSG
 * (sticky) when the next object is not a map key. */
int pb_mpread_next_entry(pb_mpread_t *self, pb_mpread_item_t *key, pb_mpread_item_t *value);

/* Skips what remains of the container item that pb_mpread_next just returned
 * (all its descendants); does nothing for a scalar or an empty container.
 * Returns 0 or the error pb_mpread_next met on the way. */
int pb_mpread_skip(pb_mpread_t *self, const pb_mpread_item_t *item);

/* True once the whole top-level object has been read (or an error was met). */
bool pb_mpread_done(const pb_mpread_t *self);

/* After the last object: 0 if it ended exactly at the end of the buffer,
 * -E2BIG if bytes trail it, the sticky error if one was met, -ENODATA if the
 * object is not complete yet. */
int pb_mpread_finish(pb_mpread_t *self);

/* The offset of the next byte to read (of the failing header after an error). */
size_t pb_mpread_offset(const pb_mpread_t *self);

/* A one-line reason for the last error, naming the offset and the header; ""
 * when there was none. Borrowed from self. */
const char *pb_mpread_error(const pb_mpread_t *self);

/* One leaf of a frame: a scalar, or a container without items below the top
 * (an empty frame has no leaves). The path joins
 * map keys with '.' and marks array items with "[]"; their indices, outermost
 * first, are in index[0..nindex). cpu.cores[3].user_pct is the path
 * "cpu.cores[].user_pct" with index {3}. Keys are raw wire bytes (pb_value
 * would turn invalid UTF-8 into U+FFFD), and a duplicated key reaches the
 * callback once per entry. Everything is borrowed for the call only. */
typedef struct {
    const char *path; /* NUL-terminated */
    size_t path_len;
    uint64_t path_hash; /* pb_mpread_hash(path, path_len), computed as the path is built */
    const uint32_t *index;
    unsigned nindex;
    size_t ordinal; /* 0 for the frame's first leaf, then 1, 2, ... */
    pb_mpread_item_t item;
} pb_mpread_leaf_t;

/* Returns 0 to go on; anything else stops the walk and is returned by it. */
typedef int (*pb_mpread_leaf_fn)(const pb_mpread_leaf_t *leaf, void *arg);

/* Calls fn for every leaf of the frame in buf, in wire order. The frame must
 * be one map with string keys spanning the buffer; paths are built in a fixed
 * buffer on the stack, so nothing is allocated. Returns 0, fn's non-zero
 * return, or the codes of pb_mpread_next and pb_mpread_finish (-EBADMSG also
 * for a top level that is not a map), writing a one-line reason into err (if
 * non-NULL). Leaves before an error have already been delivered: a consumer
 * that must take all or nothing stages them until the walk returns 0. */
int pb_mpread_walk(const void *buf, size_t len, pb_mpread_leaf_fn fn, void *arg, char *err,
                   size_t errlen);

/* 64-bit FNV-1a of s[0..len): what pb_mpread_walk gives as path_hash, so a
 * consumer can hash its own paths (a catalogue) once and compare numbers. */
uint64_t pb_mpread_hash(const char *s, size_t len);

#endif
