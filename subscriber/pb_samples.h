/* pb_samples: a frame payload's Prometheus samples — the one walk /metrics and remote_write share.
 */
#ifndef PB_SAMPLES_H
#define PB_SAMPLES_H

/* The payload (a sys or proc frame's msgpack bytes) is walked with
 * pb_mpread and every leaf resolved in the catalogue. Each number whose field
 * has a Prometheus name becomes a sample through pb_prom_sample, its @field
 * labels taken from the sibling attrs of the same map or list item (which may
 * come after it in the frame, so the frame is staged first). Counters are the
 * frames' cumulative *_total fields; rates are not exported. Ticks are
 * divided by the clk_tck of the host's latest sys frame walked here (100,
 * USER_HZ on every Linux port, before one came); up to PB_SAMPLES_MAX_HOSTS
 * hosts' clocks are remembered, later hosts use 100. The staging buffers are
 * kept between calls, so a steady stream allocates nothing. */

#include "pb_prom.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SAMPLES_MAX_HOSTS 1024

typedef struct pb_samples pb_samples_t;

/* Returns a walker with empty buffers, or NULL on ENOMEM. */
pb_samples_t *pb_samples_new(void);
void pb_samples_destroy(pb_samples_t **self_p);

/* Called once per sample, in frame order; the sample's labels are borrowed
 * from the payload and the walker for the call only. */
typedef void(pb_samples_fn)(const pb_prom_sample_t *sample, void *arg);

/* Walks payload[0..len), a frame of host (sys when sys is true, else proc),
 * calling fn for each sample. Returns the number of samples, or -EBADMSG when
 * the payload does not walk (nothing is called). Staging that fails for
 * memory drops leaves, never the walk. */
int pb_samples_each(pb_samples_t *self, const char *host, bool sys, const void *payload, size_t len,
                    pb_samples_fn *fn, void *arg);

#endif
