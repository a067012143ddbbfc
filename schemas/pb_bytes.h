/* pb_bytes: a growing byte buffer to write and a checked cursor to read, little-endian. */
#ifndef PB_BYTES_H
#define PB_BYTES_H

/* Owner: issue 13. The storage formats' rollups (pb_rollup) and marks
 * (pb_rollmark) are written into a pb_wbuf and read back with a pb_rcur.
 * Neither reports each failure: a pb_wbuf that could not grow sets failed
 * (and ignores the rest), a pb_rcur asked for more than it holds sets bad
 * (and gives zeros), so a writer or parser checks once at the end. */

#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char *p; /* malloc'd; the owner frees it */
    size_t len, cap;
    int failed; /* out of memory: the buffer is incomplete */
} pb_wbuf_t;

/* Appends n bytes of data (zeros when data is NULL). */
void pb_wbuf_put(pb_wbuf_t *b, const void *data, size_t n);
/* The low `bytes` bytes of v, least significant first. */
void pb_wbuf_le(pb_wbuf_t *b, uint64_t v, int bytes);
void pb_wbuf_f64(pb_wbuf_t *b, double d);
/* A u16 length, then the bytes of s (cut at 65535). */
void pb_wbuf_str16(pb_wbuf_t *b, const char *s);

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    int bad; /* read past the end: what was read since is zeros */
} pb_rcur_t;

uint64_t pb_rcur_le(pb_rcur_t *c, int bytes);
double pb_rcur_f64(pb_rcur_t *c);
/* The next n bytes (borrowed), or NULL (bad) when fewer are left. */
const unsigned char *pb_rcur_take(pb_rcur_t *c, uint64_t n);
/* A u16-prefixed string: its bytes (borrowed, not NUL-terminated; "" when
 * bad) and their number in *n. */
const char *pb_rcur_str16(pb_rcur_t *c, size_t *n);

#endif
