/* pb_events_buf: one event-stream client's bounded byte queue. */
#ifndef PB_EVENTS_BUF_H
#define PB_EVENTS_BUF_H

/* A FIFO of bytes that grows (doubling) up to a bound and never past it: an
 * append that would pass the bound fails whole and changes nothing, so the
 * caller can drop the client instead of buffering without limit. Storage is
 * a ring: taking bytes out never moves the rest. */

#include <stddef.h>

typedef struct pb_events_buf pb_events_buf_t;

/* bound: the most bytes held (>= 1). NULL on ENOMEM. */
pb_events_buf_t *pb_events_buf_new(size_t bound);
void pb_events_buf_destroy(pb_events_buf_t **self_p);

/* Appends data[0..len) whole. 0, -ENOBUFS (it would pass the bound) or -ENOMEM. */
int pb_events_buf_put(pb_events_buf_t *self, const void *data, size_t len);

/* Moves up to max of the oldest bytes into out; returns how many. */
size_t pb_events_buf_take(pb_events_buf_t *self, void *out, size_t max);

/* Bytes held now; the most ever held at once. */
size_t pb_events_buf_len(const pb_events_buf_t *self);
size_t pb_events_buf_peak(const pb_events_buf_t *self);

#endif
