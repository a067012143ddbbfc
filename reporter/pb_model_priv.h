/* pb_model_priv: the model's state, shared by pb_model.c and pb_model_merge.c only. */
#ifndef PB_MODEL_PRIV_H
#define PB_MODEL_PRIV_H

#include "pb_bucket.h"
#include "pb_frame_reader.h"
#include "pb_model.h"
#include "pb_view.h"

#define S_NMETRICS PB_VIEW_MAX_ENTRIES /* a host keeps a column for each possible metric */

typedef struct {
    double *v;
    size_t n, cap;
} vec_t;

typedef struct {
    uint64_t *v;
    size_t n, cap;
} tvec_t;

typedef struct {
    uint64_t pid;
    char *comm;
    tvec_t ts;
    vec_t cpu, rss;
    double cpu_sum, cpu_max, rss_max; /* running, so ranking is cheap */
    size_t cpu_count;
    pb_bucket_t *bk, *fk; /* bucketed model: cpu, rss columns; fk: percentile buckets */
} proc_t;

typedef struct {
    char *name;
    tvec_t ts;
    vec_t sys[S_NMETRICS];
    proc_t *procs;
    size_t nprocs, capprocs;
    pb_bucket_t *bk, *fk; /* bucketed model: a column per metric, then the sys interval */
    uint64_t take_from_s, take_to_s; /* envelope ts merged from rollups (pb_model_take) */
} host_t;

typedef struct {
    char *id;
    uint64_t last_seq;
} src_t;

struct pb_model {
    pb_frame_reader_t *reader;
    host_t *hosts;
    size_t nhosts, caphosts;
    src_t *srcs;
    size_t nsrcs, capsrcs;
    uint64_t frames, lost, first_ns, last_ns;
    double hb_interval_s;
    vec_t intervals;
    char *version;
    pb_profile_t **profiles;
    size_t nprofiles, capprofiles;
    pb_outage_t *outage;         /* hosts' down periods, from receive times (pb_model_add_at) */
    uint64_t run_last_ns;        /* the latest receive time of the run being read */
    uint64_t bucket_s;           /* 0: every sample kept */
    uint64_t pct_s;              /* percentile buckets (finer); 0: none */
    uint64_t span_s;             /* the window's expected span: room for its buckets */
    size_t last_host, last_proc; /* pb_model_merge's series of the previous call, + 1 */
};

/* pb_model.c's helpers that pb_model_merge.c uses. */
int pb_model_vec_push(vec_t *vec, double value);
host_t *pb_model_host_of(pb_model_t *self, const char *name); /* found or made; NULL: ENOMEM */
proc_t *pb_model_proc_of(const pb_model_t *self, host_t *host, uint64_t pid); /* the same */
int pb_model_comm_set(proc_t *proc, const char *comm);
void pb_model_track_cpu(proc_t *proc, double sum, double max, uint64_t count);
void pb_model_track_rss(proc_t *proc, double max);
/* The column of field in a host's (sys) or a process's (proc) bucket table; -1: not kept. */
int pb_model_column(pb_catalog_frame_t type, const pb_catalog_field_t *field);

/* pb_model_merge.c's part of pb_model_info: a bucketed model's frames and span, and
 * the buckets' mean intervals into intervals. */
void pb_model_bucket_info(const pb_model_t *self, pb_model_info_t *out, vec_t *intervals);

#endif
