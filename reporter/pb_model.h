/* pb_model: what a report shows (hosts, period, series, processes, profiles), built from frames. */
#ifndef PB_MODEL_H
#define PB_MODEL_H

#include "pb_catalog.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pb_model pb_model_t;
typedef struct pb_profile pb_profile_t; /* pb_profile.h */
typedef struct pb_outage pb_outage_t;   /* pb_outage.h */

typedef enum {
    PB_UNIT_PCT,         /* percent */
    PB_UNIT_BYTES,       /* bytes */
    PB_UNIT_BYTES_PER_S, /* bytes per second */
    PB_UNIT_PLAIN,       /* a bare number (load average) */
} pb_unit_t;

typedef enum {
    PB_GROUP_CPU, /* stacked by state */
    PB_GROUP_MEM,
    PB_GROUP_DISK,
    PB_GROUP_NET,
    PB_GROUP_COUNT, /* metrics of this group are in the summary only */
} pb_group_t;

/* One system metric of the report: an entry of the view REPORT_SYS (schemas/pb_view.def). */
typedef struct {
    const char *key;   /* its catalogue path in `sys` frames: "cpu.total.user_pct" */
    const char *label; /* legend name: "user" */
    const char *title; /* summary row name: "CPU user" */
    pb_unit_t unit;    /* from the catalogue, through pb_model_unit */
    pb_group_t group;
    const pb_catalog_field_t *field;
} pb_metric_t;

/* A time series. ts is ns since the Unix epoch (envelope ts); v[i] is NaN where the
 * frame lacked the value (rates of a first sample). Pointers are borrowed
 * from the model and valid until the next pb_model_add or destroy.
 * A bucketed model (pb_model_set_bucket) gives one point per bucket of width_s
 * seconds: ts its start, v the mean of its samples, and min, max, sum, count
 * of them (pb_bucket.h); a raw model leaves those NULL and width_s 0. A
 * model with percentile buckets (pb_model_set_buckets) also gives the finer
 * buckets' mean, min, max and count (fine_n of them) for the percentiles. */
typedef struct {
    size_t n;
    const uint64_t *ts;
    const double *v;
    const double *min, *max, *sum;
    const uint64_t *count;
    uint64_t width_s;
    size_t fine_n;
    const double *fine_mean, *fine_min, *fine_max;
    const uint64_t *fine_count;
} pb_series_t;

typedef struct {
    uint64_t frames;     /* frames accepted by pb_model_add */
    uint64_t lost;       /* frames missing by `seq` gaps, per publisher */
    uint64_t first_ns;   /* envelope ts of the earliest frame; 0 when empty */
    uint64_t last_ns;    /* and of the latest */
    double interval_s;   /* sampling interval: hb's configured one, else median of sys */
    const char *version; /* perfbus version from hb frames, or NULL; borrowed */
} pb_model_info_t;

/* A process of one host. Strings and series are borrowed from the model. */
typedef struct {
    uint64_t pid;
    const char *comm;
    pb_series_t cpu;                   /* cpu_pct: percent of one core */
    pb_series_t rss;                   /* rss_bytes */
    double cpu_mean, cpu_max, rss_max; /* NaN when no value was seen */
    uint64_t samples;                  /* proc frames with values (in all buckets) */
} pb_model_proc_t;

typedef enum {
    PB_ORDER_CPU, /* by mean cpu_pct, highest first */
    PB_ORDER_RSS, /* by peak rss_bytes, highest first */
} pb_order_t;

/* How the renderers show a catalogue field's unit: the one place the catalogue's units map
 * onto pb_unit_t (anything but %, bytes and bytes/s is a plain number). NULL gives PLAIN. */
pb_unit_t pb_model_unit(const pb_catalog_field_t *field);

/* The report's metric table: the view REPORT_SYS, in its order. pb_model_metric returns NULL
 * past the end. These can't fail. */
size_t pb_model_metric_count(void);
const pb_metric_t *pb_model_metric(size_t i);

/* The catalogue field of a process that order ranks by (the view REPORT_PROC): cpu_pct for
 * PB_ORDER_CPU, rss_bytes for PB_ORDER_RSS; what pb_model_proc_t's cpu and rss hold. Can't
 * fail (test_pb_view checks the view). */
const pb_catalog_field_t *pb_model_proc_field(pb_order_t order);

/* Returns a new empty model, or NULL on allocation failure. */
pb_model_t *pb_model_new(void);

/* Frees the model. Accepts NULL; sets *self_p to NULL. */
void pb_model_destroy(pb_model_t **self_p);

/* Makes the model keep buckets of width_s seconds (PB_ROLLUP_FINE_S or
 * PB_ROLLUP_COARSE_S) rather than every sample; 0 keeps every sample (the
 * default). Call before the first add. In a bucketed model the info's frames
 * count sys and proc samples only, first_ns/last_ns are the start of the
 * first bucket and the end of the last, and the interval is the median of
 * the buckets' mean sys interval (hb's configured one first, as always). */
void pb_model_set_bucket(pb_model_t *self, uint64_t width_s);
uint64_t pb_model_bucket_s(const pb_model_t *self);

/* pb_model_set_bucket, and also buckets of pct_s seconds (finer than width_s;
 * 0: none) kept only for the summaries' percentiles of the hosts' metrics: a
 * month drawn from 1 h buckets estimates them from its 1 min ones. (Processes
 * keep none: their percentiles, in the JSON export only, come from the
 * buckets.) */
void pb_model_set_buckets(pb_model_t *self, uint64_t width_s, uint64_t pct_s);
uint64_t pb_model_pct_bucket_s(const pb_model_t *self);

/* The span the window is expected to cover (seconds; only room is made
 * for its percentile buckets at once, up to 400 days of them). Can't fail. */
void pb_model_set_span(pb_model_t *self, uint64_t span_s);

/* Which frames a model takes; pass NULL to pb_model_add for all. */
typedef struct {
    const char *host;     /* only this host's frames; NULL = all */
    const uint64_t *pids; /* only these processes' proc frames; */
    size_t npids;         /* 0 = all processes */
} pb_model_filter_t;

/* Adds one frame, as msgpack bytes (a run's record payload; the model copies
 * what it keeps). sys and proc frames, nearly all of a run, are read without
 * a tree (pb_frame_reader); hb and prof frames are decoded. Frames the filter
 * leaves out, of types the model does not draw (or from future versions) and
 * prof frames without a result (failed jobs) are ignored; only frames past
 * the filter are counted. Returns 0, -EBADMSG (not one msgpack object) or
 * -EINVAL (not a frame, or a known frame malformed) with a reason in err, or
 * -ENOMEM. */
int pb_model_add(pb_model_t *self, const void *payload, size_t len, const pb_model_filter_t *filter,
                 char *err, size_t errlen);

/* pb_model_add of a record received at recv_ns (its recv_ts in the run;
 * 0: unknown): the receive times give the hosts' down periods (pb_outage.h).
 * Records of one run must come in the order the recorder wrote them. */
int pb_model_add_at(pb_model_t *self, uint64_t recv_ns, const void *payload, size_t len,
                    const pb_model_filter_t *filter, char *err, size_t errlen);

/* A whole rollup bucket of a series (pb_rollup.h), for a bucketed model. */
typedef struct {
    const char *host;
    pb_catalog_frame_t type; /* PB_FT_SYS or PB_FT_PROC */
    uint64_t pid;            /* proc only */
    const char *comm;        /* proc only */
    const pb_catalog_field_t *field;
    uint64_t width_s; /* the bucket's own width */
    uint64_t into_s;  /* the table it goes into: the model's bucket width, or its percentile
                       * buckets' (a whole number of width_s); 0: width_s */
    uint64_t start_s, count;
    double min, max, sum;
} pb_model_bucket_t;

/* Whether the model keeps field of frames of type (cheap; for skipping the
 * rollup series nothing reads). */
int pb_model_wants(pb_catalog_frame_t type, const pb_catalog_field_t *field);

/* Merges b into the bucketed model: into its buckets or its percentile
 * buckets, by b's into_s (any other table, a width that does not divide it,
 * or a start off the width: -EINVAL); a finer bucket adds to the row that
 * holds it. Series the model does not keep and those the filter leaves out
 * are ignored. 0, -EINVAL or -ENOMEM. */
int pb_model_merge(pb_model_t *self, const pb_model_bucket_t *b, const pb_model_filter_t *filter);

/* pb_model_merge of n buckets of one series (b[0]'s host, type, pid, comm,
 * field, width_s and into_s stand for all), the series looked up once. */
int pb_model_merge_run(pb_model_t *self, const pb_model_bucket_t *b, size_t n,
                       const pb_model_filter_t *filter);

/* host's records received from from_ns to to_ns were taken from rollups
 * (pb_model_merge), not added: the `seq` gap they leave is not a loss (the
 * last seq of every publisher is forgotten), and no down period is seen
 * inside the span (pb_outage_skip). 0 or -ENOMEM. */
int pb_model_skipped(pb_model_t *self, const char *host, uint64_t from_ns, uint64_t to_ns);

/* The sys and proc frames of host whose envelope ts lies in [from_s, to_s)
 * were merged from rollups for the segment being read: pb_model_add_at
 * leaves them out (the rest of the segment is read record by record), until
 * pb_model_untake. 0 or -ENOMEM. */
int pb_model_take(pb_model_t *self, const char *host, uint64_t from_s, uint64_t to_s);
void pb_model_untake(pb_model_t *self);

/* What a segment taken whole from rollups held besides numbers (pb_rollmark.h):
 * - pb_model_add_kept: an hb or prof frame, for the cover and the profiles
 *   (pb_model_add_at less the seq and down-period tracking); 0, -ENOMEM, or
 *   a frame that does not decode (-EBADMSG, -EINVAL: err says why);
 * - pb_model_seq_span: src sent first to last, lost frames skipped between
 *   (a gap since the src's last seq counts as records would);
 * - pb_model_present: host was heard from from_ns to to_ns with no silence
 *   (a silence before from_ns counts as records would), its heartbeat period
 *   then period_ns (0: unknown). 0 or -ENOMEM. */
int pb_model_add_kept(pb_model_t *self, const void *payload, size_t len,
                      const pb_model_filter_t *filter, char *err, size_t errlen);
int pb_model_seq_span(pb_model_t *self, const char *src, uint64_t first, uint64_t last,
                      uint64_t lost);
int pb_model_present(pb_model_t *self, const char *host, uint64_t from_ns, uint64_t to_ns,
                     uint64_t period_ns);

/* Ends the run whose records were added (pb_source calls it after each run):
 * a host silent since before the run's end is down until then. 0 or -ENOMEM. */
int pb_model_end_run(pb_model_t *self);

/* Missed heartbeats that make a host down: the run's config down_after; 0: 3. */
void pb_model_set_down_after(pb_model_t *self, unsigned n);

/* The hosts' down periods (by host name: pb_model_host), borrowed. */
const pb_outage_t *pb_model_outage(const pb_model_t *self);

void pb_model_info(const pb_model_t *self, pb_model_info_t *out);

/* Hosts, in order of first appearance. pb_model_host returns NULL past the end. */
size_t pb_model_host_count(const pb_model_t *self);
const char *pb_model_host(const pb_model_t *self, size_t host);

/* The series of metric (an index into the metric table) for a host; sys
 * frames in arrival order. An unknown host or metric gives an empty series. */
pb_series_t pb_model_sys(const pb_model_t *self, size_t host, size_t metric);

/* Number of sys samples recorded for a host (0 for an unknown host). */
size_t pb_model_sys_count(const pb_model_t *self, size_t host);

/* Processes of a host. pb_model_proc fills out with the rank-th process in
 * the given order and returns 0, or -ENOENT past the end / unknown host, or
 * -ENOMEM. Costs a sort of the host's processes. */
size_t pb_model_proc_count(const pb_model_t *self, size_t host);
int pb_model_proc(const pb_model_t *self, size_t host, pb_order_t order, size_t rank,
                  pb_model_proc_t *out);

/* Profiles (prof frames with a result), in arrival order; pb_model_profile
 * returns a borrowed profile, or NULL past the end. */
size_t pb_model_profile_count(const pb_model_t *self);
const pb_profile_t *pb_model_profile(const pb_model_t *self, size_t i);

#endif
