/* pb_rw_queue: remote_write's bounded sample queue — encoded entries, oldest dropped first. */
#ifndef PB_RW_QUEUE_H
#define PB_RW_QUEUE_H

/* Samples wait here as pb_prompb entries (one TimeSeries of one sample
 * each), in the order they came, which keeps each series in timestamp order.
 * The queue holds at most max_samples: a push beyond it drops the oldest
 * entries first (a receiver that comes back gets the newest data, and a
 * Prometheus TSDB would refuse samples much older than its head anyway) and
 * counts them. Entries live in 64 KiB blocks, reused once emptied, so a
 * steady stream allocates nothing. Not locked: its one owner (pb_rw_sender)
 * guards it. */

#include "pb_prom.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pb_rw_queue pb_rw_queue_t;

/* Returns an empty queue bounded at max_samples (at least 1), or NULL on ENOMEM. */
pb_rw_queue_t *pb_rw_queue_new(size_t max_samples);
void pb_rw_queue_destroy(pb_rw_queue_t **self_p);

/* Appends the entries in buf[0..len) (a run of whole pb_prompb entries) and
 * drops the oldest beyond the bound. Returns the number of entries added, or
 * -EINVAL when buf is not whole entries (nothing is added), or -ENOMEM (the
 * entries before the one that found no memory are queued). */
int pb_rw_queue_push(pb_rw_queue_t *self, const void *buf, size_t len);

/* Moves up to max of the oldest entries to the end of out (a WriteRequest
 * body once out holds only entries). Returns how many were moved; 0 when the
 * queue is empty or out failed for memory (the entries then stay queued). */
size_t pb_rw_queue_take(pb_rw_queue_t *self, pb_prom_out_t *out, size_t max);

/* Entries queued now; entries dropped for the bound since the queue was made. */
size_t pb_rw_queue_len(const pb_rw_queue_t *self);
uint64_t pb_rw_queue_dropped(const pb_rw_queue_t *self);

#endif
