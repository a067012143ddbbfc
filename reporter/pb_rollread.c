/* pb_rollread: stages a sealed segment's rollups, then merges them into a bucketed model. */
#include "pb_rollread.h"

#include "pb_catalog.h"
#include "pb_grow.h"
#include "pb_log.h"
#include "pb_rollup.h"
#include "pb_run.h"
#include "pb_sealed.h"
#include "pb_segment.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *host, *comm;
    pb_catalog_frame_t type;
    uint64_t pid;
    const pb_catalog_field_t *field;
} s_series_t;

typedef struct {
    size_t series;
    uint64_t width_s, start_s, count;
    double min, max, sum;
} s_stage_t;

struct pb_rollread {
    pb_model_t *model;
    const pb_model_filter_t *filter;
    uint64_t from_ns, to_ns;
    s_series_t *series; /* of the segment being staged */
    size_t nseries, capseries;
    s_stage_t *stage;
    size_t nstage, capstage;
    pb_rollread_stats_t stats;
    pb_rollup_reader_t *reader; /* kept from file to file */
};

uint64_t pb_rollread_width(uint64_t span_s)
{
    if (span_s > PB_ROLLREAD_COARSE_AFTER_S)
        return PB_ROLLUP_COARSE_S;
    return span_s > PB_ROLLREAD_FINE_AFTER_S ? PB_ROLLUP_FINE_S : 0;
}

pb_rollread_t *pb_rollread_new(pb_model_t *model, const pb_model_filter_t *filter, uint64_t from_ns,
                               uint64_t to_ns)
{
    pb_rollread_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->model = model;
    self->filter = filter;
    self->from_ns = from_ns;
    self->to_ns = to_ns;
    if (!(self->reader = pb_rollup_reader_new()))
        pb_rollread_destroy(&self);
    return self;
}

static void s_unstage(pb_rollread_t *self)
{
    for (size_t i = 0; i < self->nseries; i++) {
        free(self->series[i].host);
        free(self->series[i].comm);
    }
    self->nseries = 0;
    self->nstage = 0;
}

void pb_rollread_destroy(pb_rollread_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_rollread_t *self = *self_p;
    s_unstage(self);
    free(self->series);
    free(self->stage);
    pb_rollup_reader_destroy(&self->reader);
    free(self);
    *self_p = NULL;
}

void pb_rollread_stats(const pb_rollread_t *self, pb_rollread_stats_t *out)
{
    *out = self->stats;
}

/* ---- staging ---- */

static int s_filtered_out(const pb_model_filter_t *f, const char *host, int type, uint64_t pid)
{
    if (!f)
        return 0;
    if (f->host && strcmp(f->host, host) != 0)
        return 1;
    if (type != PB_FT_PROC || f->npids == 0)
        return 0;
    for (size_t i = 0; i < f->npids; i++)
        if (f->pids[i] == pid)
            return 0;
    return 1;
}

/* pb_rollup_want_fn: the series the model keeps, in the model's resolution. */
static int s_want(const char *host, int type, uint64_t pid, const char *comm, const char *field,
                  int kind, void *arg)
{
    (void)kind;
    pb_rollread_t *self = arg;
    pb_catalog_frame_t frame = type == 1 ? PB_FT_SYS : PB_FT_PROC;
    const pb_catalog_field_t *f = type == 1 || type == 2 ? pb_catalog_find(frame, field) : NULL;
    if (!f || !pb_model_wants(frame, f) || s_filtered_out(self->filter, host, frame, pid))
        return 0;
    if (pb_grow((void **)&self->series, &self->capseries, self->nseries, sizeof *self->series, 64) <
        0)
        return -ENOMEM;
    s_series_t *s = &self->series[self->nseries];
    *s = (s_series_t){strdup(host), strdup(comm), frame, pid, f};
    if (!s->host || !s->comm) {
        free(s->host);
        free(s->comm);
        return -ENOMEM;
    }
    self->nseries++;
    uint64_t width = pb_model_bucket_s(self->model), pct = pb_model_pct_bucket_s(self->model);
    if (frame == PB_FT_PROC)
        pct = 0; /* the model keeps percentile buckets of the hosts only */
    return (width == PB_ROLLUP_COARSE_S || pct == PB_ROLLUP_COARSE_S ? 2 : 0) |
           (width == PB_ROLLUP_FINE_S || pct == PB_ROLLUP_FINE_S ? 1 : 0);
}

/* pb_rollup_fn: one bucket of the series s_want took last. */
static int s_bucket(const char *host, int type, uint64_t pid, const char *comm, const char *field,
                    int kind, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)host, (void)type, (void)pid, (void)comm, (void)field, (void)kind;
    pb_rollread_t *self = arg;
    if (pb_grow((void **)&self->stage, &self->capstage, self->nstage, sizeof *self->stage, 1024) <
        0)
        return -ENOMEM;
    uint64_t width = coarse ? PB_ROLLUP_COARSE_S : PB_ROLLUP_FINE_S;
    self->stage[self->nstage++] =
        (s_stage_t){self->nseries - 1, width, b->start_s, b->count, b->min, b->max, b->sum};
    return 0;
}

/* ---- merging ---- */

static int s_merge(pb_rollread_t *self)
{
    for (size_t i = 0; i < self->nstage; i++) {
        const s_stage_t *st = &self->stage[i];
        const s_series_t *s = &self->series[st->series];
        pb_model_bucket_t b = {s->host,     s->type,   s->pid,  s->comm, s->field, st->width_s,
                               st->start_s, st->count, st->min, st->max, st->sum};
        int rc = pb_model_merge(self->model, &b, self->filter);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Every host of the staged series: its records of the segment were not read one by one. */
static int s_skipped(pb_rollread_t *self, const pb_sealed_info_t *info)
{
    for (size_t i = 0; i < self->nseries; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(self->series[j].host, self->series[i].host) == 0;
        int rc = seen ? 0
                      : pb_model_skipped(self->model, self->series[i].host, info->first_ts,
                                         info->last_ts);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The .pbr of a .pbz path into out; 0, or -EINVAL for any other segment. */
static int s_rollup_path(const char *path, char *out, size_t size)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".pbz") != 0 || n >= size)
        return -EINVAL;
    memcpy(out, path, n - 4);
    memcpy(out + n - 4, ".pbr", 5);
    return 0;
}

/* ---- a sealed segment's span ---- */

/* Whether path is a sealed segment inside the window, with its index's span into info. */
static int s_covered(const pb_rollread_t *self, const char *path, pb_sealed_info_t *info)
{
    if (pb_sealed_info(path, info) < 0)
        info->sealed = 0;
    if (!info->sealed || info->records == 0)
        return 0;
    return info->first_ts >= self->from_ns && info->last_ts <= self->to_ns;
}

static int s_take(pb_rollread_t *self, const char *rollup, const pb_sealed_info_t *info)
{
    s_unstage(self);
    int rc = pb_rollup_reader_read(self->reader, rollup, s_want, s_bucket, self);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0) {
        pb_log_warn("%s: %s: reading the segment's records instead", rollup,
                    rc == -ENOENT    ? "no rollups"
                    : rc == -EBADMSG ? "damaged"
                                     : strerror(-rc));
        self->stats.unusable++;
        s_unstage(self);
        return 0;
    }
    rc = s_merge(self);
    rc = rc ? rc : s_skipped(self, info);
    s_unstage(self);
    self->stats.rolled++;
    self->stats.records += info->records;
    return rc < 0 ? rc : 1;
}

int pb_rollread_segment(const char *path, void *arg)
{
    pb_rollread_t *self = arg;
    char rollup[4096];
    pb_sealed_info_t info;
    int rc = 0;
    if (pb_model_bucket_s(self->model) && s_rollup_path(path, rollup, sizeof rollup) == 0 &&
        s_covered(self, path, &info))
        rc = s_take(self, rollup, &info);
    if (rc == 0)
        self->stats.raw++;
    return rc;
}

/* One segment file of a run into span (sealed: its index's span; open: marked). */
static void s_span_file(const char *dir, const char *name, pb_rollread_span_t *span)
{
    char path[4096];
    pb_sealed_info_t info;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return;
    if (strcmp(name + strlen(name) - 4, ".pbl") == 0) {
        span->open = 1;
        return;
    }
    if (pb_sealed_info(path, &info) < 0)
        info.sealed = 0;
    if (!info.sealed || info.records == 0)
        return;
    if (span->sealed == 0 || info.first_ts < span->first_ns)
        span->first_ns = info.first_ts;
    if (info.last_ts > span->last_ns)
        span->last_ns = info.last_ts;
    span->sealed++;
}

int pb_rollread_run_span(const char *dir, pb_rollread_span_t *span)
{
    memset(span, 0, sizeof *span);
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        if (pb_run_is_segment_name(e->d_name))
            s_span_file(dir, e->d_name, span);
    closedir(d);
    return 0;
}
