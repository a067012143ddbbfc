/* pb_frame: the envelope every bus frame carries, and the topic grammar. */
#ifndef PB_FRAME_H
#define PB_FRAME_H

#include "pb_mpwrite.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

#define PB_WIRE_VERSION 1

/* A decoded envelope. Strings are borrowed from the frame they came from. */
typedef struct {
    uint64_t v;
    const char *type; /* "sys", "proc", "prof", "hb" */
    const char *host;
    const char *src;
    uint64_t seq;
    uint64_t ts; /* ns since the Unix epoch */
} pb_envelope_t;

/* Creates a map holding the envelope keys v, type, host, src, seq, ts, in that
 * order. Returns NULL on allocation failure. */
pb_value_t *pb_frame_new(const char *type, const char *host, const char *src, uint64_t seq,
                         uint64_t ts);

/* Opens the frame's top-level map in w (which must be empty or between
 * frames) and writes the envelope keys v, type, host, src, seq, ts, in that
 * order, the same keys and types as pb_frame_new: the publisher's one source
 * of the envelope. The caller writes the body keys and closes the map with
 * pb_mpwrite_end. Returns 0 or pb_mpwrite's error. */
int pb_frame_write_envelope(pb_mpwrite_t *w, const char *type, const char *host, const char *src,
                            uint64_t seq, uint64_t ts);

/* Reads and checks the envelope of a decoded frame. Returns 0, or -EINVAL with
 * the first problem ("missing key 'seq'", "'ts' is not an unsigned integer")
 * written into err. */
int pb_frame_envelope(const pb_value_t *frame, pb_envelope_t *out, char *err, size_t errlen);

/* Writes the topic for a frame ("sys.HOST", "proc.HOST.PID") into buf, as
 * valid UTF-8 (U+FFFD for bad bytes, as in the envelope's host). `tail` may be
 * NULL. Returns 0, -ENAMETOOLONG if buf is too small, or -ENOMEM. */
int pb_frame_topic(char *buf, size_t size, const char *type, const char *host, const char *tail);

/* Current wall-clock time in ns since the Unix epoch. */
uint64_t pb_frame_now_ns(void);

#endif
