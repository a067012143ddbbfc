/* pb_sealer: a thread that seals closed segments in order, off the recorder's intake path. */
#ifndef PB_SEALER_H
#define PB_SEALER_H

/* Owner: issue 13. The recorder pushes each segment it closes; one thread
 * seals them (pb_sealed_seal) in the order pushed. A push never waits for a
 * seal: when segments close faster than they seal (a burst), they queue up
 * as .pbl files, readable all along. A failed seal is logged and leaves the
 * segment as it was. */

#include <stddef.h>

typedef struct pb_sealer pb_sealer_t;

/* A sealer compressing at zstd level (1..19); its thread starts at the first push. NULL on ENOMEM.
 */
pb_sealer_t *pb_sealer_new(int level);

/* Seals everything pushed (waits for it), stops the thread, frees. Accepts NULL. */
void pb_sealer_destroy(pb_sealer_t **self_p);

/* Queues path (a closed segment-N.pbl). If the queue or the thread cannot be
 * had, seals here instead. 0, or pb_sealed_seal's error when sealed here. */
int pb_sealer_push(pb_sealer_t *self, const char *path);

/* Segments pushed and not sealed yet (the one being sealed included). */
size_t pb_sealer_pending(pb_sealer_t *self);

#endif
