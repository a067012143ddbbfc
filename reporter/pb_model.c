/* pb_model: folds sys, proc and hb frames into per-host series for the renderers.
 *
 * Every sys frame appends one row to its host's table: a timestamp and one
 * value per metric, NaN where the frame lacks it, so all system series of a
 * host share one time axis (stacking and CSV rows rely on that). Each process
 * keeps its own rows. Lost frames are counted from `seq` gaps per `src`. */
#include "pb_model.h"
#include "pb_model_priv.h"

#include "pb_bucket.h"
#include "pb_codec.h"
#include "pb_frame_reader.h"
#include "pb_grow.h"
#include "pb_outage.h"
#include "pb_profile.h"
#include "pb_view.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the model reads, from the views (schemas/pb_view.def), resolved once: the metric
 * table (REPORT_SYS), the interval fields (REPORT_INTERVAL) and the process fields
 * (REPORT_PROC). An entry the view lacks reads as "", a path no frame has. */
static pb_metric_t s_metrics[PB_VIEW_MAX_ENTRIES];
static size_t s_nmetrics;
static const char *s_hb_interval = "";
static const pb_catalog_field_t *s_sys_interval, *s_proc_cpu, *s_proc_rss;
static int s_metric_of[PB_CATALOG_MAX]; /* by catalogue index: the metric, -1 for none */
static pthread_once_t s_metrics_once = PTHREAD_ONCE_INIT;

static const pb_group_t s_groups[] = {[PB_VG_NONE] = PB_GROUP_COUNT,
                                      [PB_VG_CPU] = PB_GROUP_CPU,
                                      [PB_VG_MEM] = PB_GROUP_MEM,
                                      [PB_VG_DISK] = PB_GROUP_DISK,
                                      [PB_VG_NET] = PB_GROUP_NET};

pb_unit_t pb_model_unit(const pb_catalog_field_t *field)
{
    switch (field ? field->unit : PB_CU_NONE) {
    case PB_CU_PCT:
        return PB_UNIT_PCT;
    case PB_CU_BYTES:
        return PB_UNIT_BYTES;
    case PB_CU_BYTES_PER_S:
        return PB_UNIT_BYTES_PER_S;
    default:
        return PB_UNIT_PLAIN;
    }
}

/* The field of view's entry in frames of type frame; NULL when it has none. */
static const pb_catalog_field_t *s_view_field(pb_view_id_t view, pb_catalog_frame_t frame)
{
    pb_view_entry_t e;
    return pb_view_entry_of(view, frame, &e) == 0 ? e.field : NULL;
}

const pb_catalog_field_t *pb_model_proc_field(pb_order_t order)
{
    pb_view_entry_t e;
    size_t i = order == PB_ORDER_CPU ? 0 : 1;
    return pb_view_entry(PB_VIEW_REPORT_PROC, i, &e) == 0 ? e.field : NULL;
}

/* pb_view_entry fails only for a path the catalogue lacks, which test_pb_view rules out. */
static void s_metrics_build(void)
{
    pb_view_entry_t e;
    for (size_t i = 0; i < PB_CATALOG_MAX; i++)
        s_metric_of[i] = -1;
    for (size_t i = 0; pb_view_entry(PB_VIEW_REPORT_SYS, i, &e) == 0; i++) {
        s_metric_of[e.field->index] = (int)s_nmetrics;
        s_metrics[s_nmetrics++] = (pb_metric_t){
            e.path, e.name, e.label, pb_model_unit(e.field), s_groups[e.group], e.field};
    }
    s_sys_interval = s_view_field(PB_VIEW_REPORT_INTERVAL, PB_FT_SYS);
    const pb_catalog_field_t *hb = s_view_field(PB_VIEW_REPORT_INTERVAL, PB_FT_HB);
    s_hb_interval = hb ? hb->path : "";
    s_proc_cpu = pb_model_proc_field(PB_ORDER_CPU);
    s_proc_rss = pb_model_proc_field(PB_ORDER_RSS);
}

size_t pb_model_metric_count(void)
{
    pthread_once(&s_metrics_once, s_metrics_build);
    return s_nmetrics;
}

const pb_metric_t *pb_model_metric(size_t i)
{
    return i < pb_model_metric_count() ? &s_metrics[i] : NULL;
}

/* Grows *items (of size `size`) so that it holds at least n + 1 entries. */
static int s_reserve(void **items, size_t *cap, size_t n, size_t size)
{
    size_t old = *cap;
    if (pb_grow(items, cap, n, size, 16) < 0)
        return -ENOMEM;
    memset((char *)*items + old * size, 0, (*cap - old) * size);
    return 0;
}

int pb_model_vec_push(vec_t *vec, double value)
{
    if (s_reserve((void **)&vec->v, &vec->cap, vec->n, sizeof(double)) < 0)
        return -ENOMEM;
    vec->v[vec->n++] = value;
    return 0;
}

static int s_tvec_push(tvec_t *vec, uint64_t value)
{
    if (s_reserve((void **)&vec->v, &vec->cap, vec->n, sizeof(uint64_t)) < 0)
        return -ENOMEM;
    vec->v[vec->n++] = value;
    return 0;
}

static void s_host_free(host_t *host)
{
    free(host->name);
    free(host->ts.v);
    for (size_t m = 0; m < S_NMETRICS; m++)
        free(host->sys[m].v);
    for (size_t p = 0; p < host->nprocs; p++) {
        free(host->procs[p].comm);
        free(host->procs[p].ts.v);
        free(host->procs[p].cpu.v);
        free(host->procs[p].rss.v);
        pb_bucket_destroy(&host->procs[p].bk);
        pb_bucket_destroy(&host->procs[p].fk);
    }
    pb_bucket_destroy(&host->bk);
    pb_bucket_destroy(&host->fk);
    free(host->procs);
}

pb_model_t *pb_model_new(void)
{
    pb_model_metric_count(); /* resolves what pb_model_add reads */
    pb_model_t *self = calloc(1, sizeof(pb_model_t));
    if (self && (!(self->reader = pb_frame_reader_new()) || !(self->outage = pb_outage_new())))
        pb_model_destroy(&self);
    return self;
}

void pb_model_destroy(pb_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_model_t *self = *self_p;
    pb_frame_reader_destroy(&self->reader);
    pb_outage_destroy(&self->outage);
    for (size_t h = 0; h < self->nhosts; h++)
        s_host_free(&self->hosts[h]);
    free(self->hosts);
    for (size_t s = 0; s < self->nsrcs; s++)
        free(self->srcs[s].id);
    free(self->srcs);
    free(self->intervals.v);
    free(self->version);
    for (size_t p = 0; p < self->nprofiles; p++)
        pb_profile_destroy(&self->profiles[p]);
    free(self->profiles);
    free(self);
    *self_p = NULL;
}

/* A bucketed model's tables of ncols columns: buckets, and percentile buckets if kept. */
static int s_tables(const pb_model_t *self, size_t ncols, pb_bucket_t **bk, pb_bucket_t **fk)
{
    *bk = pb_bucket_new(ncols, self->bucket_s);
    *fk = self->pct_s && *bk ? pb_bucket_new(ncols, self->pct_s) : NULL;
    if (*fk && pb_bucket_reserve(*fk, (size_t)(self->span_s / self->pct_s + 2)) < 0)
        pb_bucket_destroy(fk);
    if (*bk && (*fk || !self->pct_s))
        return 0;
    pb_bucket_destroy(bk);
    return -ENOMEM;
}

host_t *pb_model_host_of(pb_model_t *self, const char *name)
{
    for (size_t h = 0; h < self->nhosts; h++)
        if (strcmp(self->hosts[h].name, name) == 0)
            return &self->hosts[h];
    if (s_reserve((void **)&self->hosts, &self->caphosts, self->nhosts, sizeof(host_t)) < 0)
        return NULL;
    host_t *host = &self->hosts[self->nhosts];
    host->name = strdup(name);
    if (self->bucket_s && host->name && (s_tables(self, s_nmetrics + 1, &host->bk, &host->fk) < 0))
        free(host->name);
    if (!host->name || (self->bucket_s && !host->bk))
        return NULL;
    self->nhosts++;
    return host;
}

/* Counts frames missing between two frames of the same publisher. */
/* src's frame numbered seq: those its seq skipped since the last are lost (a lower seq is a
 * restart); *out (may be NULL) the src. 0 or -ENOMEM. */
static int s_seq(pb_model_t *self, const char *id, uint64_t seq, src_t **out)
{
    for (size_t s = 0; s < self->nsrcs; s++) {
        src_t *src = &self->srcs[s];
        if (strcmp(src->id, id) != 0)
            continue;
        if (seq > src->last_seq + 1)
            self->lost += seq - src->last_seq - 1;
        src->last_seq = seq;
        if (out)
            *out = src;
        return 0;
    }
    if (s_reserve((void **)&self->srcs, &self->capsrcs, self->nsrcs, sizeof(src_t)) < 0)
        return -ENOMEM;
    src_t *src = &self->srcs[self->nsrcs];
    if (!(src->id = strdup(id)))
        return -ENOMEM;
    src->last_seq = seq;
    self->nsrcs++;
    if (out)
        *out = src;
    return 0;
}

static int s_track_seq(pb_model_t *self, const pb_envelope_t *env)
{
    return s_seq(self, env->src, env->seq, NULL);
}

int pb_model_seq_span(pb_model_t *self, const char *src, uint64_t first, uint64_t last,
                      uint64_t lost)
{
    src_t *s = NULL;
    int rc = s_seq(self, src, first, &s);
    if (rc == 0) {
        self->lost += lost;
        s->last_seq = last;
    }
    return rc;
}

static double s_number(const pb_value_t *frame, const char *path)
{
    double value;
    if (pb_value_get_f64(pb_value_path(frame, path), &value) < 0)
        return NAN;
    return value;
}

/* The value of field in a frame read by pb_frame_reader; NaN when absent. */
static double s_view_number(const pb_frame_view_t *frame, const pb_catalog_field_t *field)
{
    for (size_t i = 0; field && i < frame->nnumbers; i++)
        if (frame->numbers[i].field == field)
            return frame->numbers[i].value;
    return NAN;
}

/* One frame's values (row, then last) into the bucket of ts. */
static int s_bucket_row(pb_bucket_t *bk, uint64_t ts, const double *row, double last, size_t n)
{
    size_t r;
    if (pb_bucket_row(bk, ts, &r) < 0)
        return -ENOMEM;
    for (size_t c = 0; c + 1 < n; c++)
        pb_bucket_add(bk, r, c, row[c]);
    pb_bucket_add(bk, r, n - 1, last);
    return 0;
}

static int s_add_sys(pb_model_t *self, host_t *host, const pb_frame_view_t *frame)
{
    double row[PB_VIEW_MAX_ENTRIES], interval = NAN;
    for (size_t m = 0; m < s_nmetrics; m++)
        row[m] = NAN;
    for (size_t i = 0; i < frame->nnumbers; i++) {
        const pb_frame_number_t *n = &frame->numbers[i];
        int m = s_metric_of[n->field->index];
        if (m >= 0)
            row[m] = n->value;
        if (n->field == s_sys_interval)
            interval = n->value;
    }
    if (host->fk && s_bucket_row(host->fk, frame->env.ts, row, interval, s_nmetrics + 1) < 0)
        return -ENOMEM;
    if (host->bk)
        return s_bucket_row(host->bk, frame->env.ts, row, interval, s_nmetrics + 1);
    int rc = s_tvec_push(&host->ts, frame->env.ts);
    for (size_t m = 0; m < s_nmetrics && rc == 0; m++)
        rc = pb_model_vec_push(&host->sys[m], row[m]);
    if (rc == 0 && isfinite(interval) && interval > 0)
        rc = pb_model_vec_push(&self->intervals, interval);
    return rc;
}

proc_t *pb_model_proc_of(const pb_model_t *self, host_t *host, uint64_t pid)
{
    for (size_t p = host->nprocs; p > 0; p--)
        if (host->procs[p - 1].pid == pid)
            return &host->procs[p - 1];
    if (s_reserve((void **)&host->procs, &host->capprocs, host->nprocs, sizeof(proc_t)) < 0)
        return NULL;
    proc_t *proc = &host->procs[host->nprocs];
    if (self->bucket_s && !(proc->bk = pb_bucket_new(2, self->bucket_s)))
        return NULL; /* no percentile buckets: only the JSON export shows processes' percentiles */
    host->nprocs++;
    proc->pid = pid;
    proc->cpu_max = NAN;
    proc->rss_max = NAN;
    return proc;
}

int pb_model_comm_set(proc_t *proc, const char *comm)
{
    if (proc->comm && strcmp(proc->comm, comm) == 0)
        return 0;
    char *copy = strdup(comm);
    if (!copy)
        return -ENOMEM;
    free(proc->comm);
    proc->comm = copy;
    return 0;
}

/* cpu: a sum and the largest of count values (one sample: the value itself). */
void pb_model_track_cpu(proc_t *proc, double sum, double max, uint64_t count)
{
    if (count == 0 || !isfinite(sum))
        return;
    proc->cpu_sum += sum;
    proc->cpu_count += count;
    if (!(max <= proc->cpu_max))
        proc->cpu_max = max;
}

void pb_model_track_rss(proc_t *proc, double max)
{
    if (isfinite(max) && !(max <= proc->rss_max))
        proc->rss_max = max;
}

static int s_add_proc(pb_model_t *self, host_t *host, const pb_frame_view_t *frame)
{
    proc_t *proc = pb_model_proc_of(self, host, frame->pid);
    if (!proc || pb_model_comm_set(proc, frame->has_comm ? frame->comm : "?") < 0)
        return -ENOMEM;
    if (frame->gone)
        return 0;
    double cpu = s_view_number(frame, s_proc_cpu), rss = s_view_number(frame, s_proc_rss);
    pb_model_track_cpu(proc, cpu, cpu, isfinite(cpu));
    pb_model_track_rss(proc, rss);
    if (proc->fk && s_bucket_row(proc->fk, frame->env.ts, &cpu, rss, 2) < 0)
        return -ENOMEM;
    if (proc->bk)
        return s_bucket_row(proc->bk, frame->env.ts, &cpu, rss, 2);
    int rc = s_tvec_push(&proc->ts, frame->env.ts);
    if (rc == 0)
        rc = pb_model_vec_push(&proc->cpu, cpu);
    if (rc == 0)
        rc = pb_model_vec_push(&proc->rss, rss);
    return rc;
}

static int s_add_hb(pb_model_t *self, const pb_value_t *frame)
{
    double interval = s_number(frame, s_hb_interval);
    if (isfinite(interval) && interval > 0)
        self->hb_interval_s = interval;
    const char *version;
    if (pb_value_map_get_str(frame, "version", &version) < 0)
        return 0;
    if (self->version && strcmp(self->version, version) == 0)
        return 0;
    char *copy = strdup(version);
    if (!copy)
        return -ENOMEM;
    free(self->version);
    self->version = copy;
    return 0;
}

static int s_add_prof(pb_model_t *self, const pb_value_t *frame, char *err, size_t errlen)
{
    pb_profile_t *profile = NULL;
    int rc = pb_profile_parse(frame, &profile, err, errlen);
    if (rc == -ENODATA)
        return 0;
    if (rc == 0 && s_reserve((void **)&self->profiles, &self->capprofiles, self->nprofiles,
                             sizeof(pb_profile_t *)) < 0)
        rc = -ENOMEM;
    if (rc < 0) {
        pb_profile_destroy(&profile);
        return rc;
    }
    self->profiles[self->nprofiles++] = profile;
    return 0;
}

static void s_track_time(pb_model_t *self, uint64_t ts)
{
    if (self->frames == 0 || ts < self->first_ns)
        self->first_ns = ts;
    if (self->frames == 0 || ts > self->last_ns)
        self->last_ns = ts;
    self->frames++;
}

static bool s_host_wanted(const pb_frame_view_t *frame, const pb_model_filter_t *filter)
{
    return !filter || !filter->host || strcmp(frame->env.host, filter->host) == 0;
}

/* After s_host_wanted: a --pid filter drops other processes' frames, but only after their
 * seq has been counted (lost is the publisher's gaps, not what the filter left out). */
static bool s_wanted(const pb_frame_view_t *frame, const pb_model_filter_t *filter)
{
    if (!filter || frame->type != PB_FT_PROC || filter->npids == 0)
        return true;
    for (size_t i = 0; i < filter->npids; i++)
        if (frame->has_pid && filter->pids[i] == frame->pid)
            return true;
    return false;
}

/* hb and prof frames (a few per minute) as the tree their readers take. */
static int s_add_tree(pb_model_t *self, pb_catalog_frame_t type, const void *payload, size_t len,
                      char *err, size_t errlen)
{
    pb_value_t *frame = NULL;
    int rc = pb_codec_decode(payload, len, &frame, err, errlen);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return -EBADMSG; /* the reader has checked these bytes already */
    rc = type == PB_FT_HB ? s_add_hb(self, frame) : s_add_prof(self, frame, err, errlen);
    pb_value_destroy(&frame);
    return rc;
}

int pb_model_add(pb_model_t *self, const void *payload, size_t len, const pb_model_filter_t *filter,
                 char *err, size_t errlen)
{
    return pb_model_add_at(self, 0, payload, len, filter, err, errlen);
}

int pb_model_add_at(pb_model_t *self, uint64_t recv_ns, const void *payload, size_t len,
                    const pb_model_filter_t *filter, char *err, size_t errlen)
{
    const pb_frame_view_t *frame = NULL;
    int rc = pb_frame_reader_read(self->reader, payload, len, &frame, err, errlen);
    if (recv_ns > self->run_last_ns)
        self->run_last_ns = recv_ns;
    if (rc < 0 || !s_host_wanted(frame, filter))
        return rc;
    if (recv_ns && pb_outage_note(self->outage, frame->env.host, recv_ns,
                                  pb_frame_view_heartbeat_ns(frame)) < 0)
        return -ENOMEM;
    if (s_track_seq(self, &frame->env) < 0)
        return -ENOMEM;
    if (!s_wanted(frame, filter))
        return 0;
    if (!self->bucket_s)
        s_track_time(self, frame->env.ts);
    if (frame->type == PB_FT_PROC && !frame->has_pid) {
        snprintf(err, errlen, "proc frame without an unsigned 'pid'");
        return -EINVAL;
    }
    if (frame->type == PB_FT_HB || frame->type == PB_FT_PROF)
        return s_add_tree(self, frame->type, payload, len, err, errlen);
    if (frame->type != PB_FT_SYS && frame->type != PB_FT_PROC)
        return 0;
    host_t *host = pb_model_host_of(self, frame->env.host);
    if (!host)
        return -ENOMEM;
    uint64_t ts_s = frame->env.ts / 1000000000u;
    if (ts_s >= host->take_from_s && ts_s < host->take_to_s)
        return 0; /* merged from the segment's rollups */
    return frame->type == PB_FT_SYS ? s_add_sys(self, host, frame) : s_add_proc(self, host, frame);
}

int pb_model_add_kept(pb_model_t *self, const void *payload, size_t len,
                      const pb_model_filter_t *filter, char *err, size_t errlen)
{
    const pb_frame_view_t *frame = NULL;
    int rc = pb_frame_reader_read(self->reader, payload, len, &frame, err, errlen);
    if (rc < 0 || !s_host_wanted(frame, filter) || !s_wanted(frame, filter))
        return rc;
    if (frame->type == PB_FT_HB || frame->type == PB_FT_PROF)
        return s_add_tree(self, frame->type, payload, len, err, errlen);
    return 0;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double s_median_interval(const vec_t *intervals)
{
    size_t n = intervals->n;
    if (n == 0)
        return 0;
    double *copy = malloc(n * sizeof(double));
    if (!copy)
        return 0;
    memcpy(copy, intervals->v, n * sizeof(double));
    qsort(copy, n, sizeof(double), s_cmp_double);
    double median = copy[n / 2];
    free(copy);
    return median;
}

void pb_model_info(const pb_model_t *self, pb_model_info_t *out)
{
    vec_t intervals = {0};
    out->frames = self->frames;
    out->lost = self->lost;
    out->first_ns = self->first_ns;
    out->last_ns = self->last_ns;
    if (self->bucket_s)
        pb_model_bucket_info(self, out, &intervals);
    out->interval_s = self->hb_interval_s > 0
                          ? self->hb_interval_s
                          : s_median_interval(self->bucket_s ? &intervals : &self->intervals);
    out->version = self->version;
    free(intervals.v);
}

size_t pb_model_host_count(const pb_model_t *self)
{
    return self->nhosts;
}

const char *pb_model_host(const pb_model_t *self, size_t host)
{
    return host < self->nhosts ? self->hosts[host].name : NULL;
}

size_t pb_model_sys_count(const pb_model_t *self, size_t host)
{
    if (host >= self->nhosts)
        return 0;
    const host_t *h = &self->hosts[host];
    return h->bk ? pb_bucket_rows(h->bk) : h->ts.n;
}

/* Column col of a bucket table as a series, with that of the percentile buckets fk (may be NULL).
 */
static pb_series_t s_bucket_series(const pb_bucket_t *bk, const pb_bucket_t *fk, size_t col)
{
    pb_bucket_col_t c = pb_bucket_col(bk, col);
    pb_series_t s = {pb_bucket_rows(bk),
                     pb_bucket_ts(bk),
                     c.mean,
                     c.min,
                     c.max,
                     c.sum,
                     c.count,
                     pb_bucket_width_s(bk),
                     0,
                     NULL,
                     NULL,
                     NULL,
                     NULL};
    if (fk) {
        pb_bucket_col_t f = pb_bucket_col(fk, col);
        s.fine_n = pb_bucket_rows(fk);
        s.fine_mean = f.mean;
        s.fine_min = f.min;
        s.fine_max = f.max;
        s.fine_count = f.count;
    }
    return s;
}

pb_series_t pb_model_sys(const pb_model_t *self, size_t host, size_t metric)
{
    pb_series_t series;
    memset(&series, 0, sizeof series);
    if (host >= self->nhosts || metric >= pb_model_metric_count())
        return series;
    const host_t *h = &self->hosts[host];
    if (h->bk)
        return s_bucket_series(h->bk, h->fk, metric);
    series.n = h->ts.n;
    series.ts = h->ts.v;
    series.v = h->sys[metric].v;
    return series;
}

size_t pb_model_proc_count(const pb_model_t *self, size_t host)
{
    return host < self->nhosts ? self->hosts[host].nprocs : 0;
}

static void s_fill_proc(const proc_t *proc, pb_model_proc_t *out)
{
    memset(out, 0, sizeof *out);
    out->pid = proc->pid;
    out->comm = proc->comm ? proc->comm : "?";
    out->cpu.n = out->rss.n = proc->ts.n;
    out->cpu.ts = out->rss.ts = proc->ts.v;
    out->cpu.v = proc->cpu.v;
    out->rss.v = proc->rss.v;
    out->samples = proc->ts.n;
    if (proc->bk) {
        out->cpu = s_bucket_series(proc->bk, proc->fk, 0);
        out->rss = s_bucket_series(proc->bk, proc->fk, 1);
        out->samples = 0;
        for (size_t r = 0; r < out->cpu.n; r++)
            out->samples += pb_bucket_samples(proc->bk, r);
    }
    out->cpu_mean = proc->cpu_count ? proc->cpu_sum / (double)proc->cpu_count : NAN;
    out->cpu_max = proc->cpu_max;
    out->rss_max = proc->rss_max;
}

/* NaN sorts last; ties by pid keep the order stable across renders. */
static int s_rank_cmp(const void *pa, const void *pb, void *arg)
{
    const pb_model_proc_t *a = pa, *b = pb;
    pb_order_t order = *(const pb_order_t *)arg;
    double x = order == PB_ORDER_CPU ? a->cpu_mean : a->rss_max;
    double y = order == PB_ORDER_CPU ? b->cpu_mean : b->rss_max;
    if (isnan(x) != isnan(y))
        return isnan(x) ? 1 : -1;
    if (!isnan(x) && x != y)
        return x > y ? -1 : 1;
    return (a->pid > b->pid) - (a->pid < b->pid);
}

int pb_model_proc(const pb_model_t *self, size_t host, pb_order_t order, size_t rank,
                  pb_model_proc_t *out)
{
    if (host >= self->nhosts || rank >= self->hosts[host].nprocs)
        return -ENOENT;
    const host_t *h = &self->hosts[host];
    pb_model_proc_t *all = malloc(h->nprocs * sizeof(pb_model_proc_t));
    if (!all)
        return -ENOMEM;
    for (size_t p = 0; p < h->nprocs; p++)
        s_fill_proc(&h->procs[p], &all[p]);
    qsort_r(all, h->nprocs, sizeof(pb_model_proc_t), s_rank_cmp, &order);
    *out = all[rank];
    free(all);
    return 0;
}

size_t pb_model_profile_count(const pb_model_t *self)
{
    return self->nprofiles;
}

const pb_profile_t *pb_model_profile(const pb_model_t *self, size_t i)
{
    return i < self->nprofiles ? self->profiles[i] : NULL;
}

int pb_model_end_run(pb_model_t *self)
{
    int rc = pb_outage_end_run(self->outage, self->run_last_ns);
    self->run_last_ns = 0;
    return rc;
}

void pb_model_set_down_after(pb_model_t *self, unsigned n)
{
    pb_outage_set_down_after(self->outage, n);
}

const pb_outage_t *pb_model_outage(const pb_model_t *self)
{
    return self->outage;
}

/* The column of field in a host's (sys) or a process's (proc) bucket table; -1: not kept. */
int pb_model_column(pb_catalog_frame_t type, const pb_catalog_field_t *field)
{
    pb_model_metric_count();
    if (!field)
        return -1;
    if (type == PB_FT_PROC)
        return field == s_proc_cpu ? 0 : field == s_proc_rss ? 1 : -1;
    if (type != PB_FT_SYS)
        return -1;
    if (field == s_sys_interval)
        return (int)s_nmetrics;
    return s_metric_of[field->index];
}

int pb_model_wants(pb_catalog_frame_t type, const pb_catalog_field_t *field)
{
    return pb_model_column(type, field) >= 0;
}
