/* pb_model_merge: the bucketed side of pb_model — settings, rollup buckets merged in, its info. */
#include "pb_model.h"
#include "pb_model_priv.h"

#include "pb_outage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Samples of a bucket table, and its span into first/last (bucket start, end). */
static uint64_t s_bucket_span(const pb_bucket_t *bk, uint64_t width_ns, pb_model_info_t *out)
{
    size_t n = pb_bucket_rows(bk);
    uint64_t samples = 0;
    for (size_t r = 0; r < n; r++)
        samples += pb_bucket_samples(bk, r);
    if (n == 0)
        return 0;
    const uint64_t *ts = pb_bucket_ts(bk);
    if (out->frames == 0 || ts[0] < out->first_ns)
        out->first_ns = ts[0];
    if (out->frames == 0 || ts[n - 1] + width_ns > out->last_ns)
        out->last_ns = ts[n - 1] + width_ns;
    out->frames += samples;
    return samples;
}

/* The bucketed model's frames and span; the buckets' mean intervals into self->intervals. */
void pb_model_bucket_info(const pb_model_t *self, pb_model_info_t *out, vec_t *intervals)
{
    uint64_t width_ns = self->bucket_s * 1000000000u;
    for (size_t h = 0; h < self->nhosts; h++) {
        const host_t *host = &self->hosts[h];
        s_bucket_span(host->bk, width_ns, out);
        for (size_t p = 0; p < host->nprocs; p++)
            s_bucket_span(host->procs[p].bk, width_ns, out);
        pb_bucket_col_t col = pb_bucket_col(host->bk, pb_model_metric_count()); /* interval */
        for (size_t r = 0; r < pb_bucket_rows(host->bk); r++)
            if (col.count[r] && col.mean[r] > 0 && pb_model_vec_push(intervals, col.mean[r]) < 0)
                return;
    }
}

void pb_model_set_bucket(pb_model_t *self, uint64_t width_s)
{
    pb_model_set_buckets(self, width_s, 0);
}

void pb_model_set_buckets(pb_model_t *self, uint64_t width_s, uint64_t pct_s)
{
    self->bucket_s = width_s;
    self->pct_s = width_s && pct_s < width_s ? pct_s : 0;
}

void pb_model_set_span(pb_model_t *self, uint64_t span_s)
{
    self->span_s = span_s < 400ull * 86400 ? span_s : 400ull * 86400;
}

uint64_t pb_model_pct_bucket_s(const pb_model_t *self)
{
    return self->pct_s;
}

uint64_t pb_model_bucket_s(const pb_model_t *self)
{
    return self->bucket_s;
}

int pb_model_skipped(pb_model_t *self, const char *host, uint64_t from_ns, uint64_t to_ns)
{
    for (size_t s = 0; s < self->nsrcs; s++)
        free(self->srcs[s].id);
    self->nsrcs = 0;
    if (to_ns > self->run_last_ns)
        self->run_last_ns = to_ns;
    return pb_outage_skip(self->outage, host, from_ns, to_ns, 0);
}

int pb_model_present(pb_model_t *self, const char *host, uint64_t from_ns, uint64_t to_ns,
                     uint64_t period_ns)
{
    if (to_ns > self->run_last_ns)
        self->run_last_ns = to_ns;
    return pb_outage_skip(self->outage, host, from_ns, to_ns, period_ns);
}

static int s_merge_wanted(const pb_model_bucket_t *b, const pb_model_filter_t *filter)
{
    if (!filter)
        return 1;
    if (filter->host && strcmp(b->host, filter->host) != 0)
        return 0;
    if (b->type != PB_FT_PROC || filter->npids == 0)
        return 1;
    for (size_t i = 0; i < filter->npids; i++)
        if (filter->pids[i] == b->pid)
            return 1;
    return 0;
}

/* The process of a merged bucket, its comm set. */
static proc_t *s_merge_proc(pb_model_t *self, host_t *host, const pb_model_bucket_t *b)
{
    proc_t *proc = pb_model_proc_of(self, host, b->pid);
    if (!proc || pb_model_comm_set(proc, b->comm && *b->comm ? b->comm : "?") < 0)
        return NULL;
    return proc;
}

/* The host and process (NULL for sys) of b: the previous call's when b is of the
 * same series (rollups come series by series), so a series costs one lookup. */
static int s_merge_target(pb_model_t *self, const pb_model_bucket_t *b, host_t **host,
                          proc_t **proc)
{
    *host = self->last_host ? &self->hosts[self->last_host - 1] : NULL;
    *proc = *host && self->last_proc ? &(*host)->procs[self->last_proc - 1] : NULL;
    int same = *host && strcmp((*host)->name, b->host) == 0 &&
               (b->type == PB_FT_PROC ? *proc && (*proc)->pid == b->pid : !*proc);
    if (same)
        return 0;
    self->last_host = self->last_proc = 0;
    if (!(*host = pb_model_host_of(self, b->host)))
        return -ENOMEM;
    *proc = b->type == PB_FT_PROC ? s_merge_proc(self, *host, b) : NULL;
    if (b->type == PB_FT_PROC && !*proc)
        return -ENOMEM;
    self->last_host = (size_t)(*host - self->hosts) + 1;
    self->last_proc = *proc ? (size_t)(*proc - (*host)->procs) + 1 : 0;
    return 0;
}

/* The table of b (bucket_s or pct_s) and whether it is the percentile one; -EINVAL. */
static int s_merge_table(const pb_model_t *self, const pb_model_bucket_t *b, int *fine)
{
    uint64_t into = b->into_s ? b->into_s : b->width_s;
    *fine = self->pct_s && into == self->pct_s;
    if (!self->bucket_s || (into != self->bucket_s && !*fine) || !b->width_s ||
        into % b->width_s != 0 || b->start_s % b->width_s != 0)
        return -EINVAL;
    return 0;
}

int pb_model_merge(pb_model_t *self, const pb_model_bucket_t *b, const pb_model_filter_t *filter)
{
    return pb_model_merge_run(self, b, 1, filter);
}

/* One bucket of the run into (bk, col) of its target; procs also track their cpu and rss. */
static int s_merge_into(pb_bucket_t *bk, int col, proc_t *proc, int fine,
                        const pb_model_bucket_t *b)
{
    size_t row;
    if (b->start_s % b->width_s != 0)
        return -EINVAL;
    if (b->count == 0)
        return 0;
    if (pb_bucket_row(bk, b->start_s * 1000000000u, &row) < 0)
        return -ENOMEM;
    pb_bucket_merge(bk, row, (size_t)col, b->min, b->max, b->sum, b->count);
    if (proc && !fine && col == 0)
        pb_model_track_cpu(proc, b->sum, b->max, b->count);
    else if (proc && !fine)
        pb_model_track_rss(proc, b->max);
    return 0;
}

int pb_model_merge_run(pb_model_t *self, const pb_model_bucket_t *b, size_t n,
                       const pb_model_filter_t *filter)
{
    int col = n ? pb_model_column(b->type, b->field) : -1, fine;
    if (n && s_merge_table(self, b, &fine) < 0)
        return -EINVAL;
    if (col < 0 || !s_merge_wanted(b, filter))
        return 0;
    host_t *host;
    proc_t *proc;
    if (s_merge_target(self, b, &host, &proc) < 0)
        return -ENOMEM;
    pb_bucket_t *bk = proc ? (fine ? proc->fk : proc->bk) : (fine ? host->fk : host->bk);
    if (!bk)
        return fine ? 0 : -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_merge_into(bk, col, proc, fine, &b[i]);
    return rc;
}

int pb_model_take(pb_model_t *self, const char *host, uint64_t from_s, uint64_t to_s)
{
    host_t *h = pb_model_host_of(self, host);
    if (!h)
        return -ENOMEM;
    h->take_from_s = from_s;
    h->take_to_s = to_s;
    return 0;
}

void pb_model_untake(pb_model_t *self)
{
    for (size_t i = 0; i < self->nhosts; i++)
        self->hosts[i].take_from_s = self->hosts[i].take_to_s = 0;
}
