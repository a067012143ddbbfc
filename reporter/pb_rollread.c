/* pb_rollread: stages a sealed segment's rollups, then merges them into a bucketed model. */
#include "pb_rollread.h"

#include "pb_catalog.h"
#include "pb_grow.h"
#include "pb_log.h"
#include "pb_rollmark.h"
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

/* A host's part of a segment the window cuts: its fine buckets [from_s, to_s)
 * are taken from the rollups (all their frames were received inside the
 * window, from recv_lo to recv_hi); empty when from_s == to_s. */
typedef struct {
    char host[256];
    uint64_t from_s, to_s, recv_lo, recv_hi;
} s_part_t;

/* A host heard from from_ns to to_ns without a silence, its heartbeat period then. */
typedef struct {
    char host[256];
    uint64_t from_ns, to_ns, period_ns;
} s_heard_t;

/* How a segment is taken: whole, or the part before (after) the window's
 * end (start) cuts it. */
typedef enum { S_WHOLE, S_HEAD, S_TAIL } s_cut_t;

struct pb_rollread {
    pb_model_t *model;
    const pb_model_filter_t *filter;
    uint64_t from_ns, to_ns;
    s_series_t *series; /* of the segment being staged */
    size_t nseries, capseries;
    size_t *map; /* a file's series index -> staged series + 1, 0: not wanted */
    size_t capmap;
    s_stage_t *stage;
    size_t nstage, capstage;
    pb_model_bucket_t *run; /* one series' staged buckets, as pb_model_merge_run takes them */
    size_t caprun;
    s_cut_t cut;     /* of the segment being staged */
    s_part_t *parts; /* its hosts' parts, when cut */
    size_t nparts, capparts;
    s_heard_t *heard; /* a cut segment's rolled part, told once its records are read */
    size_t nheard, capheard;
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
    free(self->map);
    free(self->parts);
    free(self->heard);
    free(self->stage);
    free(self->run);
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

static const s_part_t *s_part_of(const pb_rollread_t *self, const char *host)
{
    for (size_t i = 0; i < self->nparts; i++)
        if (strcmp(self->parts[i].host, host) == 0)
            return &self->parts[i];
    return NULL;
}

/* The resolutions (pb_rollup_want_fn's mask) a kept series is read in: a whole segment
 * in the model's; a cut one in fine buckets, which the model adds to its rows. */
static int s_mask(const pb_rollread_t *self, pb_catalog_frame_t frame, const char *host)
{
    if (self->cut != S_WHOLE) {
        const s_part_t *part = s_part_of(self, host);
        return part && part->to_s > part->from_s ? 1 : 0;
    }
    uint64_t width = pb_model_bucket_s(self->model), pct = pb_model_pct_bucket_s(self->model);
    if (frame == PB_FT_PROC)
        pct = 0; /* the model keeps percentile buckets of the hosts only */
    return (width == PB_ROLLUP_COARSE_S || pct == PB_ROLLUP_COARSE_S ? 2 : 0) |
           (width == PB_ROLLUP_FINE_S || pct == PB_ROLLUP_FINE_S ? 1 : 0);
}

/* pb_rollup_want_fn: the series the model keeps, staged, in s_mask's resolutions. */
static int s_want(const pb_rollup_series_t *rs, void *arg)
{
    pb_rollread_t *self = arg;
    pb_catalog_frame_t frame = rs->type == 1 ? PB_FT_SYS : PB_FT_PROC;
    const pb_catalog_field_t *f = pb_catalog_find(frame, rs->field);
    if (pb_grow((void **)&self->map, &self->capmap, rs->index, sizeof *self->map, 256) < 0)
        return -ENOMEM;
    self->map[rs->index] = 0;
    int mask =
        f && pb_model_wants(frame, f) && !s_filtered_out(self->filter, rs->host, frame, rs->pid)
            ? s_mask(self, frame, rs->host)
            : 0;
    if (!mask)
        return 0;
    if (pb_grow((void **)&self->series, &self->capseries, self->nseries, sizeof *self->series, 64) <
        0)
        return -ENOMEM;
    s_series_t *s = &self->series[self->nseries];
    *s = (s_series_t){strdup(rs->host), strdup(rs->comm), frame, rs->pid, f};
    if (!s->host || !s->comm) {
        free(s->host);
        free(s->comm);
        return -ENOMEM;
    }
    self->map[rs->index] = ++self->nseries;
    return mask;
}

/* pb_rollup_fn: one bucket of a staged series (of a cut segment: inside its host's part). */
static int s_bucket(const pb_rollup_series_t *rs, int coarse, const pb_rollup_bucket_t *b,
                    void *arg)
{
    pb_rollread_t *self = arg;
    size_t series = self->map[rs->index] - 1;
    if (self->cut != S_WHOLE) {
        const s_part_t *part = s_part_of(self, rs->host);
        if (!part || b->start_s < part->from_s || b->start_s >= part->to_s)
            return 0;
    }
    if (pb_grow((void **)&self->stage, &self->capstage, self->nstage, sizeof *self->stage, 1024) <
        0)
        return -ENOMEM;
    uint64_t width = coarse ? PB_ROLLUP_COARSE_S : PB_ROLLUP_FINE_S;
    self->stage[self->nstage++] =
        (s_stage_t){series, width, b->start_s, b->count, b->min, b->max, b->sum};
    return 0;
}

/* ---- merging ---- */

/* The staged buckets [from, to) (of one series and width) into the table of into_s. */
static int s_merge_run(pb_rollread_t *self, size_t from, size_t to, uint64_t into_s)
{
    size_t n = to - from;
    if (pb_grow((void **)&self->run, &self->caprun, n, sizeof *self->run, 64) < 0)
        return -ENOMEM;
    const s_series_t *s = &self->series[self->stage[from].series];
    for (size_t i = 0; i < n; i++) {
        const s_stage_t *st = &self->stage[from + i];
        self->run[i] =
            (pb_model_bucket_t){s->host, s->type,     s->pid,    s->comm, s->field, st->width_s,
                                into_s,  st->start_s, st->count, st->min, st->max,  st->sum};
    }
    return pb_model_merge_run(self->model, self->run, n, self->filter);
}

/* The staged run [from, to): a whole segment's into its own width's table; a cut one's
 * fine buckets into the model's rows, and the hosts' into their percentile ones too. */
static int s_merge_staged(pb_rollread_t *self, size_t from, size_t to)
{
    const s_stage_t *st = &self->stage[from];
    if (self->cut == S_WHOLE)
        return s_merge_run(self, from, to, st->width_s);
    uint64_t pct = pb_model_pct_bucket_s(self->model);
    int rc = s_merge_run(self, from, to, pb_model_bucket_s(self->model));
    if (rc == 0 && pct == st->width_s && self->series[st->series].type == PB_FT_SYS)
        rc = s_merge_run(self, from, to, pct);
    return rc;
}

static int s_merge(pb_rollread_t *self)
{
    int rc = 0;
    for (size_t i = 0, j; i < self->nstage && rc == 0; i = j) {
        const s_stage_t *st = &self->stage[i];
        for (j = i + 1; j < self->nstage && self->stage[j].series == st->series &&
                        self->stage[j].width_s == st->width_s;)
            j++;
        rc = s_merge_staged(self, i, j);
    }
    return rc;
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

/* ---- what a whole segment held besides numbers (pb_rollmark.h) ---- */

static int s_kept(uint64_t recv_ns, const void *payload, size_t len, void *arg)
{
    (void)recv_ns;
    pb_rollread_t *self = arg;
    char err[160];
    int rc = pb_model_add_kept(self->model, payload, len, self->filter, err, sizeof err);
    return rc == -ENOMEM ? rc : 0; /* the sealer kept what decoded; the model says the rest */
}

static int s_host_kept(const pb_rollread_t *self, const char *host)
{
    return !self->filter || !self->filter->host || strcmp(self->filter->host, host) == 0;
}

static int s_seq_span(const char *src, const char *host, uint64_t first, uint64_t last,
                      uint64_t lost, void *arg)
{
    pb_rollread_t *self = arg;
    return s_host_kept(self, host) ? pb_model_seq_span(self->model, src, first, last, lost) : 0;
}

static int s_stretch(const char *host, uint64_t from_ns, uint64_t to_ns, uint64_t period_ns,
                     void *arg)
{
    pb_rollread_t *self = arg;
    return s_host_kept(self, host) ? pb_model_present(self->model, host, from_ns, to_ns, period_ns)
                                   : 0;
}

/* A whole segment's hb and prof frames, seqs and hosts' stretches into the model; one whose
 * rollups do not keep them (written before they did, or damaged there) is only taken as
 * heard from throughout, with no seq gap (pb_model_skipped). */
static int s_whole_marks(pb_rollread_t *self, const char *rollup, const pb_sealed_info_t *info)
{
    static const pb_rollmark_fns_t fns = {s_kept, s_seq_span, s_stretch};
    int rc = pb_rollup_reader_marks(self->reader, &fns, self);
    if (rc == -EBADMSG)
        pb_log_warn("%s: damaged hb, prof and seq marks: its lost frames, down periods and "
                    "profiles are not in the report",
                    rollup);
    return rc == -EBADMSG || rc == -ENODATA ? s_skipped(self, info) : rc;
}

/* ---- a cut segment's rolled part, beside its numbers ---- */

static int s_heard(pb_rollread_t *self, const char *host, uint64_t from_ns, uint64_t to_ns,
                   uint64_t period_ns)
{
    if (pb_grow((void **)&self->heard, &self->capheard, self->nheard, sizeof *self->heard, 8) < 0)
        return -ENOMEM;
    s_heard_t *h = &self->heard[self->nheard++];
    snprintf(h->host, sizeof h->host, "%s", host);
    h->from_ns = from_ns, h->to_ns = to_ns, h->period_ns = period_ns;
    return 0;
}

/* pb_rollmark_fns_t's stretch: the part of it inside its host's rolled part. */
static int s_part_stretch(const char *host, uint64_t from_ns, uint64_t to_ns, uint64_t period_ns,
                          void *arg)
{
    pb_rollread_t *self = arg;
    const s_part_t *p = s_part_of(self, host);
    if (!p || p->to_s == p->from_s || !s_host_kept(self, host))
        return 0;
    uint64_t from = from_ns > p->recv_lo ? from_ns : p->recv_lo;
    uint64_t to = to_ns < p->recv_hi ? to_ns : p->recv_hi;
    return from <= to ? s_heard(self, host, from, to, period_ns) : 0;
}

/* What the model is told of the rolled parts: each host's stretches inside its part (its
 * silences there count), or, from rollups without marks, the part as heard throughout. */
static int s_parts_heard(pb_rollread_t *self)
{
    static const pb_rollmark_fns_t fns = {NULL, NULL, s_part_stretch};
    self->nheard = 0;
    int rc = pb_rollup_reader_marks(self->reader, &fns, self);
    if (rc != -ENODATA && rc != -EBADMSG)
        return rc;
    self->nheard = 0;
    for (size_t i = 0; i < self->nparts && rc != -ENOMEM; i++) {
        const s_part_t *p = &self->parts[i];
        rc = p->to_s > p->from_s && s_host_kept(self, p->host)
                 ? s_heard(self, p->host, p->recv_lo, p->recv_hi, 0)
                 : 0;
    }
    return rc == -ENOMEM ? rc : 0;
}

/* Tells the model what was heard in the rolled part, in time order with the records read
 * (so after those of a part the window's start cut), and that the seqs there were not
 * seen: the next record's gap is not a loss. */
static int s_tell_heard(pb_rollread_t *self)
{
    int rc = 0;
    for (size_t i = 0; i < self->nheard && rc == 0; i++) {
        const s_heard_t *h = &self->heard[i];
        rc = pb_model_present(self->model, h->host, h->from_ns, h->to_ns, h->period_ns);
    }
    if (rc == 0 && self->nheard) {
        const s_heard_t *last = &self->heard[self->nheard - 1];
        rc = pb_model_skipped(self->model, last->host, last->to_ns, last->to_ns);
    }
    self->nheard = 0;
    return rc;
}

/* The cut segment's hosts: their rolled parts are left out of the records to read; what was
 * heard there is told now when those records follow it, else after them. */
static int s_parts_taken(pb_rollread_t *self)
{
    int rc = 0;
    for (size_t i = 0; i < self->nparts && rc == 0; i++) {
        const s_part_t *p = &self->parts[i];
        if (p->to_s > p->from_s)
            rc = pb_model_take(self->model, p->host, p->from_s, p->to_s);
    }
    rc = rc ? rc : s_parts_heard(self);
    return rc == 0 && self->cut == S_HEAD ? s_tell_heard(self) : rc;
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

/* ---- the parts of a cut segment ---- */

/* pb_rollup_spans_fn: a host's part of a segment cut at the window's end (the
 * buckets received before it: a prefix) or start (after it: a suffix). The
 * spans must follow one another (each bucket received after the one before):
 * then every frame outside the part was received outside [recv_lo, recv_hi],
 * and reading the rest of the window's records finds all of them. Otherwise
 * -ERANGE: the segment is read record by record. */
static int s_part(const char *host, const pb_rollup_span_t *sp, size_t n, void *arg)
{
    pb_rollread_t *self = arg;
    for (size_t i = 1; i < n; i++)
        if (sp[i].recv_min_ns < sp[i - 1].recv_max_ns)
            return -ERANGE;
    if (strlen(host) >= sizeof self->parts->host ||
        pb_grow((void **)&self->parts, &self->capparts, self->nparts, sizeof *self->parts, 8) < 0)
        return strlen(host) >= sizeof self->parts->host ? -ERANGE : -ENOMEM;
    size_t lo = 0, hi = n; /* the part: spans [lo, hi) */
    if (self->cut == S_HEAD)
        for (hi = 0; hi < n && sp[hi].recv_max_ns <= self->to_ns;)
            hi++;
    else
        for (lo = n; lo > 0 && sp[lo - 1].recv_min_ns >= self->from_ns;)
            lo--;
    s_part_t *p = &self->parts[self->nparts++];
    *p = (s_part_t){0};
    strcpy(p->host, host);
    if (lo < hi) {
        p->from_s = sp[lo].start_s;
        p->to_s = sp[hi - 1].start_s + PB_ROLLUP_FINE_S;
        p->recv_lo = sp[lo].recv_min_ns;
        p->recv_hi = sp[hi - 1].recv_max_ns;
    }
    return 0;
}

/* The records still to read of the cut segment: from the earliest host's part's end (or to
 * the latest one's start); a host with no part, the whole window. */
static void s_narrow(const pb_rollread_t *self, uint64_t *from_ns, uint64_t *to_ns)
{
    uint64_t from = UINT64_MAX, to = 0;
    for (size_t i = 0; i < self->nparts; i++) {
        const s_part_t *p = &self->parts[i];
        int empty = p->to_s == p->from_s;
        uint64_t a = empty ? *from_ns : p->recv_hi, b = empty ? *to_ns : p->recv_lo;
        from = a < from ? a : from;
        to = b > to ? b : to;
    }
    if (self->cut == S_HEAD && from != UINT64_MAX && from > *from_ns)
        *from_ns = from;
    if (self->cut == S_TAIL && self->nparts && to < *to_ns)
        *to_ns = to;
}

/* ---- a sealed segment ---- */

/* The segment's span from its rollups (section 6), else from its own index. */
static void s_info(pb_rollread_t *self, const char *path, int opened, pb_sealed_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (opened == 0 && pb_rollup_reader_segment(self->reader, &info->records, &info->first_ts,
                                                &info->last_ts) == 0)
        info->sealed = 1;
    else if (pb_sealed_info(path, info) < 0)
        info->sealed = 0;
}

/* How the window covers the sealed segment of info: 1 whole, 2 cut at one edge only, 0
 * otherwise (not sealed, empty, outside, or cut at both edges); self->cut says which. */
static int s_covered(pb_rollread_t *self, const pb_sealed_info_t *info)
{
    if (!info->sealed || info->records == 0 || info->last_ts < self->from_ns ||
        info->first_ts > self->to_ns)
        return 0;
    int head = info->first_ts >= self->from_ns, tail = info->last_ts <= self->to_ns;
    self->cut = head && tail ? S_WHOLE : head ? S_HEAD : tail ? S_TAIL : S_WHOLE;
    return head && tail ? 1 : head || tail ? 2 : 0;
}

static void s_unusable(pb_rollread_t *self, const char *rollup, int rc)
{
    pb_log_warn("%s: %s: reading the segment's records instead", rollup,
                rc == -ENOENT    ? "no rollups"
                : rc == -EBADMSG ? "damaged"
                                 : strerror(-rc));
    self->stats.unusable++;
}

/* Stages the opened rollup as self->cut says; 0, or -ERANGE when a cut segment's spans do
 * not allow it, -EBADMSG, -ENOMEM. */
static int s_stage(pb_rollread_t *self)
{
    self->nparts = 0;
    int rc = self->cut == S_WHOLE ? 0 : pb_rollup_reader_spans(self->reader, s_part, self);
    if (rc == -ENODATA)
        rc = -ERANGE; /* a version 1 file: no spans */
    return rc ? rc : pb_rollup_reader_buckets(self->reader, s_want, s_bucket, self);
}

/* The opened rollup into the model: 1 when the segment was taken whole, 0 when (the rest of)
 * its records are to be read. */
static int s_take(pb_rollread_t *self, const char *rollup, const pb_sealed_info_t *info,
                  uint64_t *from_ns, uint64_t *to_ns)
{
    s_unstage(self);
    int rc = s_stage(self);
    if (rc < 0) {
        if (rc != -ENOMEM && rc != -ERANGE)
            s_unusable(self, rollup, rc);
        s_unstage(self);
        return rc == -ENOMEM ? rc : 0;
    }
    rc = s_merge(self);
    rc = rc ? rc : self->cut == S_WHOLE ? s_whole_marks(self, rollup, info) : s_parts_taken(self);
    s_unstage(self);
    if (self->cut != S_WHOLE) {
        s_narrow(self, from_ns, to_ns);
        self->stats.partial++;
        return rc < 0 ? rc : 0;
    }
    self->stats.rolled++;
    self->stats.records += info->records;
    return rc < 0 ? rc : 1;
}

/* A sealed segment (path, its rollups at rollup) into the model as far as the window allows. */
static int s_sealed_segment(pb_rollread_t *self, const char *path, const char *rollup,
                            uint64_t *from_ns, uint64_t *to_ns)
{
    pb_sealed_info_t info;
    int opened = pb_rollup_reader_open(self->reader, rollup);
    if (opened == -ENOMEM)
        return -ENOMEM;
    s_info(self, path, opened, &info);
    if (!s_covered(self, &info))
        return 0;
    if (opened < 0) {
        s_unusable(self, rollup, opened);
        return 0;
    }
    return s_take(self, rollup, &info, from_ns, to_ns);
}

int pb_rollread_end_run(pb_rollread_t *self)
{
    return s_tell_heard(self);
}

int pb_rollread_segment(const char *path, uint64_t *from_ns, uint64_t *to_ns, void *arg)
{
    pb_rollread_t *self = arg;
    char rollup[4096];
    uint64_t partial = self->stats.partial;
    pb_model_untake(self->model);
    int rc = s_tell_heard(self); /* the last segment's rolled tail, after its records */
    if (rc == 0 && pb_model_bucket_s(self->model) &&
        s_rollup_path(path, rollup, sizeof rollup) == 0)
        rc = s_sealed_segment(self, path, rollup, from_ns, to_ns);
    if (rc == 0 && partial == self->stats.partial)
        self->stats.raw++;
    return rc;
}

/* One sealed segment's index span into span. */
static void s_span_file(const char *dir, const char *name, pb_rollread_span_t *span)
{
    char path[4096];
    pb_sealed_info_t info;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return;
    if (pb_sealed_info(path, &info) < 0)
        info.sealed = 0;
    if (!info.sealed || info.records == 0)
        return;
    if (span->first_ns == 0 || info.first_ts < span->first_ns)
        span->first_ns = info.first_ts;
    if (info.last_ts > span->last_ns)
        span->last_ns = info.last_ts;
}

/* Segment names sort by number (pb_run names them with as many digits). */
static int s_later(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la > lb : strcmp(a, b) > 0;
}

int pb_rollread_run_span(const char *dir, pb_rollread_span_t *span)
{
    memset(span, 0, sizeof *span);
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    /* the first and the last sealed segment: a run's records are in segment order, and the
     * span only picks the resolution, so the 700 indexes between are not read */
    char first[256] = "", last[256] = "";
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        const char *name = e->d_name;
        size_t n = strlen(name);
        if (!pb_run_is_segment_name(name) || n >= sizeof first)
            continue;
        if (strcmp(name + n - 4, ".pbl") == 0) {
            span->open = 1;
            continue;
        }
        span->sealed++;
        if (!first[0] || s_later(first, name))
            memcpy(first, name, n + 1);
        if (!last[0] || s_later(name, last))
            memcpy(last, name, n + 1);
    }
    closedir(d);
    if (first[0])
        s_span_file(dir, first, span);
    if (last[0] && strcmp(first, last) != 0)
        s_span_file(dir, last, span);
    if (span->first_ns == 0 && span->last_ns == 0)
        span->sealed = 0; /* none with records */
    return 0;
}
