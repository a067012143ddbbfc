/* pb_rollup: buckets of every catalogued number of a segment's frames, and their file. */
#include "pb_rollup.h"

#include "pb_bytes.h"
#include "pb_fdio.h"
#include "pb_le.h"
#include "pb_frame_reader.h"
#include "pb_grow.h"
#include "pb_rollmark.h"
#include "pb_segment.h"

#include <zstd.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uint64_t start_s, count, last_ts;
    double min, max, sum, last;
} s_bucket_t;

typedef struct {
    s_bucket_t *b;
    size_t n, cap;
} s_buckets_t;

typedef struct {
    char *host, *comm;
    int type;
    uint64_t pid;
    const pb_catalog_field_t *field;
    s_buckets_t res[2]; /* fine, coarse */
} s_series_t;

/* A host's fine buckets' receive spans (pb_rollup_span_t), in order of start_s. */
typedef struct {
    char *name;
    pb_rollup_span_t *at;
    size_t n, cap;
} s_host_t;

struct pb_rollup {
    pb_frame_reader_t *reader;
    s_series_t *series;
    size_t n, cap;
    size_t *table; /* open addressing: series index + 1, 0 empty */
    size_t tcap;
    s_host_t *hosts; /* few: found by a walk from the last one used */
    size_t nhosts, caphosts, last_host;
    uint64_t seg_records, seg_first, seg_last; /* pb_rollup_set_segment's */
    pb_rollmark_t *marks;                      /* what the numbers do not say */
};

static const uint64_t s_bucket_s[2] = {PB_ROLLUP_FINE_S, PB_ROLLUP_COARSE_S};

pb_rollup_t *pb_rollup_new(void)
{
    pb_rollup_t *self = calloc(1, sizeof *self);
    if (self && (!(self->reader = pb_frame_reader_new()) || !(self->marks = pb_rollmark_new())))
        pb_rollup_destroy(&self);
    return self;
}

void pb_rollup_destroy(pb_rollup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_rollup_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->series[i].host);
        free(self->series[i].comm);
        free(self->series[i].res[0].b);
        free(self->series[i].res[1].b);
    }
    for (size_t i = 0; i < self->nhosts; i++) {
        free(self->hosts[i].name);
        free(self->hosts[i].at);
    }
    free(self->hosts);
    free(self->series);
    free(self->table);
    pb_rollmark_destroy(&self->marks);
    pb_frame_reader_destroy(&self->reader);
    free(self);
    *self_p = NULL;
}

size_t pb_rollup_series(const pb_rollup_t *self)
{
    return self->n;
}

void pb_rollup_set_segment(pb_rollup_t *self, uint64_t records, uint64_t first_ns, uint64_t last_ns)
{
    self->seg_records = records;
    self->seg_first = first_ns;
    self->seg_last = last_ns;
}

/* ---- the series table ---- */

static size_t s_hash(const char *host, int type, uint64_t pid, const pb_catalog_field_t *field)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = host; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ (uint64_t)type) * 1099511628211ull;
    h = (h ^ pid) * 1099511628211ull;
    h = (h ^ (uint64_t)(uintptr_t)field) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static int s_same(const s_series_t *s, const char *host, int type, uint64_t pid,
                  const pb_catalog_field_t *field)
{
    return s->field == field && s->type == type && s->pid == pid && strcmp(s->host, host) == 0;
}

static int s_rehash(pb_rollup_t *self)
{
    size_t cap = self->tcap ? self->tcap * 2 : 1024;
    size_t *table = calloc(cap, sizeof *table);
    if (!table)
        return -ENOMEM;
    for (size_t i = 0; i < self->n; i++) {
        const s_series_t *s = &self->series[i];
        size_t at = s_hash(s->host, s->type, s->pid, s->field) & (cap - 1);
        while (table[at])
            at = (at + 1) & (cap - 1);
        table[at] = i + 1;
    }
    free(self->table);
    self->table = table;
    self->tcap = cap;
    return 0;
}

static s_series_t *s_add_series(pb_rollup_t *self, const pb_frame_view_t *v, int type,
                                const pb_catalog_field_t *field, size_t slot)
{
    if (pb_grow((void **)&self->series, &self->cap, self->n, sizeof *self->series, 64) < 0)
        return NULL;
    s_series_t *s = &self->series[self->n];
    memset(s, 0, sizeof *s);
    s->host = strdup(v->env.host ? v->env.host : "");
    s->comm = strdup(v->has_comm ? v->comm : "");
    if (!s->host || !s->comm) {
        free(s->host);
        free(s->comm);
        return NULL;
    }
    s->type = type;
    s->pid = type == PB_FT_PROC ? v->pid : 0;
    s->field = field;
    self->table[slot] = ++self->n;
    return s;
}

static s_series_t *s_find(pb_rollup_t *self, const pb_frame_view_t *v, int type,
                          const pb_catalog_field_t *field)
{
    if ((self->n + 1) * 2 > self->tcap && s_rehash(self) < 0)
        return NULL;
    const char *host = v->env.host ? v->env.host : "";
    uint64_t pid = type == PB_FT_PROC ? v->pid : 0;
    size_t at = s_hash(host, type, pid, field) & (self->tcap - 1);
    for (; self->table[at]; at = (at + 1) & (self->tcap - 1)) {
        s_series_t *s = &self->series[self->table[at] - 1];
        if (s_same(s, host, type, pid, field))
            return s;
    }
    return s_add_series(self, v, type, field, at);
}

/* ---- buckets ---- */

/* The bucket starting at start_s, made (in order) if new. */
static s_bucket_t *s_bucket(s_buckets_t *bs, uint64_t start_s)
{
    size_t i = bs->n;
    while (i > 0 && bs->b[i - 1].start_s > start_s)
        i--; /* frames arrive in order: this loop rarely turns */
    if (i > 0 && bs->b[i - 1].start_s == start_s)
        return &bs->b[i - 1];
    if (pb_grow((void **)&bs->b, &bs->cap, bs->n, sizeof *bs->b, 8) < 0)
        return NULL;
    memmove(&bs->b[i + 1], &bs->b[i], (bs->n - i) * sizeof *bs->b);
    bs->n++;
    s_bucket_t *b = &bs->b[i];
    *b = (s_bucket_t){.start_s = start_s, .min = INFINITY, .max = -INFINITY};
    return b;
}

static int s_update(s_series_t *s, uint64_t ts, double value)
{
    for (int r = 0; r < 2; r++) {
        uint64_t secs = ts / 1000000000u;
        s_bucket_t *b = s_bucket(&s->res[r], secs - secs % s_bucket_s[r]);
        if (!b)
            return -ENOMEM;
        b->count++;
        b->sum += value;
        b->min = value < b->min ? value : b->min;
        b->max = value > b->max ? value : b->max;
        if (b->count == 1 || ts >= b->last_ts) {
            b->last = value;
            b->last_ts = ts;
        }
    }
    return 0;
}

/* ---- receive spans ---- */

static s_host_t *s_host(pb_rollup_t *self, const char *name)
{
    size_t i = pb_grow_find_name(self->hosts, self->nhosts, sizeof *self->hosts,
                                 offsetof(s_host_t, name), name, &self->last_host);
    if (i < self->nhosts)
        return &self->hosts[i];
    if (pb_grow((void **)&self->hosts, &self->caphosts, self->nhosts, sizeof *self->hosts, 4) < 0)
        return NULL;
    s_host_t *h = &self->hosts[self->nhosts];
    *h = (s_host_t){.name = strdup(name)};
    if (!h->name)
        return NULL;
    self->last_host = self->nhosts++;
    return h;
}

/* Widens the receive span of the host's fine bucket holding ts (made, in order, if new). */
static int s_note_recv(pb_rollup_t *self, const char *host, uint64_t ts, uint64_t recv_ns)
{
    s_host_t *h = s_host(self, host);
    if (!h)
        return -ENOMEM;
    uint64_t start = ts / 1000000000u / PB_ROLLUP_FINE_S * PB_ROLLUP_FINE_S;
    size_t i = h->n;
    while (i > 0 && h->at[i - 1].start_s > start)
        i--; /* frames arrive in order: this loop rarely turns */
    if (i == 0 || h->at[i - 1].start_s != start) {
        if (pb_grow((void **)&h->at, &h->cap, h->n, sizeof *h->at, 64) < 0)
            return -ENOMEM;
        memmove(&h->at[i + 1], &h->at[i], (h->n - i) * sizeof *h->at);
        h->n++;
        h->at[i++] = (pb_rollup_span_t){start, recv_ns, recv_ns};
    }
    pb_rollup_span_t *sp = &h->at[i - 1];
    sp->recv_min_ns = recv_ns < sp->recv_min_ns ? recv_ns : sp->recv_min_ns;
    sp->recv_max_ns = recv_ns > sp->recv_max_ns ? recv_ns : sp->recv_max_ns;
    return 0;
}

int pb_rollup_add(pb_rollup_t *self, uint64_t recv_ns, const void *payload, size_t len)
{
    const pb_frame_view_t *v = NULL;
    if (pb_frame_reader_read(self->reader, payload, len, &v, NULL, 0) < 0)
        return 0;
    if (pb_rollmark_add(self->marks, recv_ns, v, payload, len) < 0)
        return -ENOMEM;
    int type = (int)v->type;
    if ((type != PB_FT_SYS && type != PB_FT_PROC) || (type == PB_FT_PROC && !v->has_pid))
        return 0;
    if (s_note_recv(self, v->env.host ? v->env.host : "", v->env.ts, recv_ns) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < v->nnumbers; i++) {
        const pb_frame_number_t *num = &v->numbers[i];
        if (!isfinite(num->value))
            continue;
        s_series_t *s = s_find(self, v, type, num->field);
        if (!s || s_update(s, v->env.ts, num->value) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- the file ---- */

static int s_kind_code(const pb_catalog_field_t *f)
{
    return f->kind == PB_KIND_COUNTER ? 0 : f->kind == PB_KIND_GAUGE ? 1 : 2;
}

static void s_put_series(pb_wbuf_t *b, const s_series_t *s)
{
    pb_wbuf_str16(b, s->host);
    pb_wbuf_le(b, s->type == PB_FT_SYS ? 1 : 2, 1);
    pb_wbuf_le(b, s->pid, 8);
    pb_wbuf_str16(b, s->comm);
    pb_wbuf_str16(b, s->field->path);
    pb_wbuf_le(b, (uint64_t)s_kind_code(s->field), 1);
}

static void s_put_buckets(pb_wbuf_t *b, const s_buckets_t *bs)
{
    pb_wbuf_le(b, bs->n, 4);
    for (size_t i = 0; i < bs->n; i++) {
        const s_bucket_t *k = &bs->b[i];
        pb_wbuf_le(b, k->start_s, 8);
        pb_wbuf_f64(b, k->min);
        pb_wbuf_f64(b, k->max);
        pb_wbuf_f64(b, k->sum);
        pb_wbuf_le(b, k->count, 8);
        pb_wbuf_f64(b, k->last);
    }
}

static void s_put_spans(pb_wbuf_t *b, const s_host_t *h)
{
    pb_wbuf_str16(b, h->name);
    pb_wbuf_le(b, h->n, 4);
    for (size_t i = 0; i < h->n; i++) {
        pb_wbuf_le(b, h->at[i].start_s, 8);
        pb_wbuf_le(b, h->at[i].recv_min_ns, 8);
        pb_wbuf_le(b, h->at[i].recv_max_ns, 8);
    }
}

#define S_NSECS 7

/* The raw bytes of section id (pb_rollup_section_t) into b. */
static void s_build_section(const pb_rollup_t *self, int id, pb_wbuf_t *b)
{
    if (id == PB_ROLLUP_SEC_MARKS) {
        unsigned char *raw = NULL;
        size_t len = 0;
        if (pb_rollmark_bytes(self->marks, &raw, &len) < 0)
            b->failed = 1;
        else
            pb_wbuf_put(b, raw, len);
        free(raw);
        return;
    }
    if (id == PB_ROLLUP_SEC_SEGMENT) {
        pb_wbuf_le(b, self->seg_records, 8);
        pb_wbuf_le(b, self->seg_first, 8);
        pb_wbuf_le(b, self->seg_last, 8);
        return;
    }
    size_t n = id == PB_ROLLUP_SEC_SPANS ? self->nhosts : self->n;
    if (id == PB_ROLLUP_SEC_SERIES || id == PB_ROLLUP_SEC_SPANS)
        pb_wbuf_le(b, n, 4);
    for (size_t i = 0; i < n; i++) {
        const s_series_t *s = id == PB_ROLLUP_SEC_SPANS ? NULL : &self->series[i];
        if (id == PB_ROLLUP_SEC_SERIES)
            s_put_series(b, s);
        else if (id == PB_ROLLUP_SEC_COARSE)
            s_put_buckets(b, &s->res[1]);
        else if (id == PB_ROLLUP_SEC_FINE_SYS && s->type == PB_FT_SYS)
            s_put_buckets(b, &s->res[0]);
        else if (id == PB_ROLLUP_SEC_FINE_PROC && s->type == PB_FT_PROC)
            s_put_buckets(b, &s->res[0]);
        else if (id == PB_ROLLUP_SEC_SPANS)
            s_put_spans(b, &self->hosts[i]);
    }
}

/* Compresses raw as one zstd frame onto file, with its entry in the section table. */
static void s_add_section(pb_wbuf_t *file, int id, const pb_wbuf_t *raw, ZSTD_CCtx *cctx)
{
    size_t bound = ZSTD_compressBound(raw->len), at = file->len;
    pb_wbuf_put(file, NULL, bound); /* room, trimmed below */
    if (file->failed || raw->failed || raw->len > UINT32_MAX) {
        file->failed = 1;
        return;
    }
    unsigned char *entry = file->p + PB_ROLLUP_HEAD + (size_t)(id - 1) * PB_ROLLUP_SEC_ENTRY;
    size_t n = ZSTD_compressCCtx(cctx, file->p + at, bound, raw->p, raw->len, 3);
    if (ZSTD_isError(n) || n > UINT32_MAX) {
        file->failed = 1;
        return;
    }
    file->len = at + n;
    pb_le_put(entry, (uint64_t)id, 4);
    pb_le_put(entry + 4, n, 4);
    pb_le_put(entry + 8, raw->len, 4);
    pb_le_put(entry + 12, pb_segment_crc32(0, file->p + at, n), 4);
    pb_le_put(entry + 16, at, 8);
}

/* The whole file, in memory: header, section table, sections. */
static void s_build_file(const pb_rollup_t *self, pb_wbuf_t *file, ZSTD_CCtx *cctx)
{
    size_t table = (size_t)S_NSECS * PB_ROLLUP_SEC_ENTRY;
    pb_wbuf_put(file, PB_ROLLUP_MAGIC, 8);
    pb_wbuf_le(file, PB_ROLLUP_VERSION, 4);
    pb_wbuf_le(file, S_NSECS, 4);
    pb_wbuf_put(file, NULL, 16 + table); /* the table's CRC and zeros; the table */
    for (int id = 1; id <= S_NSECS && !file->failed; id++) {
        pb_wbuf_t raw = {0};
        s_build_section(self, id, &raw);
        s_add_section(file, id, &raw, cctx);
        free(raw.p);
    }
    if (!file->failed)
        pb_le_put(file->p + 16, pb_segment_crc32(0, file->p + PB_ROLLUP_HEAD, table), 4);
}

static int s_write_bytes(const char *path, const pb_wbuf_t *file)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PB_SEGMENT_FILE_MODE);
    int rc = fd < 0 || fchmod(fd, PB_SEGMENT_FILE_MODE) < 0 ? -errno : 0;
    rc = rc ? rc : pb_fdio_write_all(fd, file->p, file->len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    return rc;
}

int pb_rollup_write(const pb_rollup_t *self, const char *path)
{
    pb_wbuf_t file = {0};
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (cctx)
        s_build_file(self, &file, cctx);
    int rc = !cctx || file.failed ? -ENOMEM : s_write_bytes(path, &file);
    ZSTD_freeCCtx(cctx);
    free(file.p);
    return rc;
}
