/* pb_frame_reader: a frame's envelope and catalogued numbers, read from its msgpack bytes without a
 * tree. */
#ifndef PB_FRAME_READER_H
#define PB_FRAME_READER_H

/* What C consumers of the bus (perfbus-sub's history, the reporter's model)
 * need of a frame is its envelope, a process's identity and the numbers the
 * catalogue describes. The reader takes them straight from the bytes with
 * pb_mpread: nothing is allocated per frame and no string is compared per
 * field, because each key's catalogue entry is cached by its position in the
 * frame (a publisher writes the keys of a frame type in the same order every
 * time) and checked against the key's bytes; a miss costs one catalogue hash
 * lookup and refreshes the cache.
 *
 * Numbers are the fields of kind counter, gauge and rate outside lists
 * (cpu.total.user_pct, mem.used_bytes, rss_bytes), in wire order. Keys the
 * catalogue does not know, attrs, lists (cpu.cores, disk.devices) and the
 * contents of uncatalogued maps are skipped (counted in `skipped`): a generic
 * consumer that wants them decodes the same bytes into a pb_value tree. A
 * catalogued number whose value is not a number is skipped too (counted in
 * `mistyped`).
 *
 * Errors are the ones pb_codec_decode and pb_frame_envelope give for the same
 * bytes, in two classes: -EBADMSG, the bytes are not one well-formed msgpack
 * object within the frame limits (truncated, trailing bytes, 0xc1, ext types,
 * a key that is not a str, deeper than PB_MPREAD_MAX_DEPTH); -EINVAL, well
 * formed but not a frame (not a map, an envelope key missing or of the wrong
 * type), and, stricter than the tree: a host, src or comm longer than
 * PB_FRAME_TEXT_MAX bytes or holding a NUL byte. */

#include "pb_catalog.h"
#include "pb_frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_FRAME_TEXT_MAX    255 /* longest host, src, type or comm, in bytes once sanitized */
#define PB_FRAME_NUMBERS_MAX 256 /* numbers kept per frame; later ones are skipped */

typedef struct {
    const pb_catalog_field_t *field; /* static: keep it for the life of the process */
    double value;
} pb_frame_number_t;

/* One frame as read. Strings are valid UTF-8 (U+FFFD for bad bytes, as the
 * tree gives them) and NUL-terminated; everything is owned by the reader and
 * valid until its next read. */
typedef struct {
    pb_envelope_t env;       /* its strings point at the buffers below */
    pb_catalog_frame_t type; /* PB_FT_COUNT for a type the catalogue does not know */
    bool first;              /* sys, proc: the series' first sample (no rates) */
    bool has_pid;            /* proc: pid was an unsigned integer */
    uint64_t pid;
    bool gone;     /* proc: the final {pid, comm, gone: true} frame */
    bool has_comm; /* proc: comm was a str */
    char comm[PB_FRAME_TEXT_MAX + 1];
    char type_name[PB_FRAME_TEXT_MAX + 1], host[PB_FRAME_TEXT_MAX + 1], src[PB_FRAME_TEXT_MAX + 1];
    size_t nnumbers;
    pb_frame_number_t numbers[PB_FRAME_NUMBERS_MAX];
    size_t skipped;  /* keys and list items not read as numbers */
    size_t mistyped; /* catalogued numbers whose value was not a number */
} pb_frame_view_t;

typedef struct pb_frame_reader pb_frame_reader_t;

/* Returns a reader with an empty cache, or NULL on ENOMEM. */
pb_frame_reader_t *pb_frame_reader_new(void);
void pb_frame_reader_destroy(pb_frame_reader_t **self_p);

/* Reads the frame in buf[0..len). Returns 0 with *view_p set (owned by the
 * reader, valid until the next call), or -EBADMSG / -EINVAL (see above) with
 * a one-line reason in err (if non-NULL). Allocates nothing. */
int pb_frame_reader_read(pb_frame_reader_t *self, const void *buf, size_t len,
                         const pb_frame_view_t **view_p, char *err, size_t errlen);

/* Cache statistics since the reader was made: keys found by position, keys
 * that needed a catalogue lookup. */
void pb_frame_reader_stats(const pb_frame_reader_t *self, uint64_t *hits, uint64_t *misses);

/* An hb frame's heartbeat period in ns (the view FLEET_HEARTBEAT's field,
 * taken when 0 < s < 1e6), PB_FRAME_HB_DEFAULT_NS when it has none; 0 for
 * any other frame. Can't fail. */
#define PB_FRAME_HB_DEFAULT_NS 1000000000ull
uint64_t pb_frame_view_heartbeat_ns(const pb_frame_view_t *frame);

#endif
