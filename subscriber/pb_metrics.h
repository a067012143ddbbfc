/* pb_metrics: the text of GET /metrics, from the latest frames perfbus-sub holds. */
#ifndef PB_METRICS_H
#define PB_METRICS_H

/* Each series' latest payload (pb_history_each_latest) is walked into
 * samples by pb_samples (the walk remote_write shares: names, labels, base
 * units, clk_tck). Samples go into one buffer per family (kept between
 * scrapes, so a steady scrape allocates nothing), written out in catalogue
 * order after one # HELP / # TYPE each, so all series of a name are together
 * across hosts and processes.
 *
 * perfbus-sub's own health follows, from the small table in pb_metrics.c (not
 * frame fields, so not in the catalogue): perfbus_sub_{frames,bytes,lost,
 * decode_errors}_total labelled with the subscriber's own host name (only
 * when no host is asked for), per publisher perfbus_sub_up (only for those
 * judged by heartbeats) and perfbus_sub_last_seen_timestamp_seconds labelled
 * host and src, and per host perfbus_sub_host_up and
 * perfbus_sub_host_down_total: the up/down state of pb_sources, the same
 * that `stats` and `health` show. */

#include "pb_history.h"
#include "pb_prom.h"
#include "pb_sources.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const pb_history_t *history;
    const pb_sources_t *sources;
    uint64_t frames, bytes, lost, decode_errors; /* perfbus-sub's counters */
    uint64_t now_ns;                             /* the local clock (pb_frame_now_ns) */
    const char *self_host; /* the subscriber's host name, for its own series */
} pb_metrics_input_t;

typedef struct pb_metrics pb_metrics_t;

/* Returns a renderer with empty buffers, or NULL on ENOMEM. */
pb_metrics_t *pb_metrics_new(void);
void pb_metrics_destroy(pb_metrics_t **self_p);

/* Renders the exposition of every host (host NULL) or of one. Returns 0 with
 * *text_p / *len_p borrowed until the next call, -ENOENT when host is not
 * NULL and perfbus-sub has heard nothing of it, or -ENOMEM. Payloads that do
 * not walk are skipped and counted (pb_metrics_skipped). */
int pb_metrics_render(pb_metrics_t *self, const pb_metrics_input_t *in, const char *host,
                      pb_prom_format_t format, const char **text_p, size_t *len_p);

/* Payloads that could not be walked, since the renderer was made. */
uint64_t pb_metrics_skipped(const pb_metrics_t *self);

#endif
