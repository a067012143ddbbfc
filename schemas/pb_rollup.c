/* pb_rollup: buckets of every catalogued number of a segment's frames, and their file. */
#include "pb_rollup.h"

#include "pb_fdio.h"
#include "pb_le.h"
#include "pb_frame_reader.h"
#include "pb_grow.h"
#include "pb_segment.h"

#include <zstd.h>

#include <errno.h>
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

struct pb_rollup {
    pb_frame_reader_t *reader;
    s_series_t *series;
    size_t n, cap;
    size_t *table; /* open addressing: series index + 1, 0 empty */
    size_t tcap;
};

static const uint64_t s_bucket_s[2] = {PB_ROLLUP_FINE_S, PB_ROLLUP_COARSE_S};

pb_rollup_t *pb_rollup_new(void)
{
    pb_rollup_t *self = calloc(1, sizeof *self);
    if (self && !(self->reader = pb_frame_reader_new())) {
        free(self);
        self = NULL;
    }
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
    free(self->series);
    free(self->table);
    pb_frame_reader_destroy(&self->reader);
    free(self);
    *self_p = NULL;
}

size_t pb_rollup_series(const pb_rollup_t *self)
{
    return self->n;
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

int pb_rollup_add(pb_rollup_t *self, const void *payload, size_t len)
{
    const pb_frame_view_t *v = NULL;
    if (pb_frame_reader_read(self->reader, payload, len, &v, NULL, 0) < 0)
        return 0;
    int type = (int)v->type;
    if ((type != PB_FT_SYS && type != PB_FT_PROC) || (type == PB_FT_PROC && !v->has_pid))
        return 0;
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

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int failed;
} s_buf_t;

static void s_put(s_buf_t *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void s_put_le(s_buf_t *b, uint64_t v, int bytes)
{
    unsigned char le[8];
    pb_le_put(le, v, bytes);
    s_put(b, le, (size_t)bytes);
}

static void s_put_f64(s_buf_t *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    s_put_le(b, v, 8);
}

static void s_put_str(s_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    n = n > UINT16_MAX ? UINT16_MAX : n;
    s_put_le(b, n, 2);
    s_put(b, s, n);
}

static int s_kind_code(const pb_catalog_field_t *f)
{
    return f->kind == PB_KIND_COUNTER ? 0 : f->kind == PB_KIND_GAUGE ? 1 : 2;
}

static void s_put_series(s_buf_t *b, const s_series_t *s)
{
    s_put_str(b, s->host);
    s_put_le(b, s->type == PB_FT_SYS ? 1 : 2, 1);
    s_put_le(b, s->pid, 8);
    s_put_str(b, s->comm);
    s_put_str(b, s->field->path);
    s_put_le(b, (uint64_t)s_kind_code(s->field), 1);
    for (int r = 0; r < 2; r++) {
        s_put_le(b, s->res[r].n, 4);
        for (size_t i = 0; i < s->res[r].n; i++) {
            const s_bucket_t *k = &s->res[r].b[i];
            s_put_le(b, k->start_s, 8);
            s_put_f64(b, k->min);
            s_put_f64(b, k->max);
            s_put_f64(b, k->sum);
            s_put_le(b, k->count, 8);
            s_put_f64(b, k->last);
        }
    }
}

/* Header + zstd frame of body into path, fsynced. */
static int s_write_file(const char *path, const s_buf_t *body)
{
    size_t bound = ZSTD_compressBound(body->len);
    unsigned char *out = malloc(PB_ROLLUP_HEAD + bound);
    if (!out)
        return -ENOMEM;
    size_t n = ZSTD_compress(out + PB_ROLLUP_HEAD, bound, body->p, body->len, 3);
    s_buf_t head = {0};
    s_put(&head, PB_ROLLUP_MAGIC, 8);
    s_put_le(&head, PB_ROLLUP_VERSION, 4);
    s_put_le(&head, 0, 4);
    s_put_le(&head, n, 4);
    s_put_le(&head, body->len, 4);
    s_put_le(&head, pb_segment_crc32(0, out + PB_ROLLUP_HEAD, ZSTD_isError(n) ? 0 : n), 4);
    s_put_le(&head, 0, 4);
    int rc = ZSTD_isError(n) || head.failed || body->len > UINT32_MAX ? -EIO : 0;
    int fd = rc ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PB_SEGMENT_FILE_MODE);
    if (rc == 0 && (fd < 0 || fchmod(fd, PB_SEGMENT_FILE_MODE) < 0))
        rc = -errno;
    if (rc == 0)
        memcpy(out, head.p, PB_ROLLUP_HEAD);
    rc = rc ? rc : pb_fdio_write_all(fd, out, PB_ROLLUP_HEAD + n);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(head.p);
    free(out);
    return rc;
}

int pb_rollup_write(const pb_rollup_t *self, const char *path)
{
    s_buf_t body = {0};
    s_put_le(&body, self->n, 4);
    for (size_t i = 0; i < self->n; i++)
        s_put_series(&body, &self->series[i]);
    int rc = body.failed ? -ENOMEM : s_write_file(path, &body);
    free(body.p);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    int bad;
} s_cur_t;

static uint64_t s_get(s_cur_t *c, int bytes)
{
    if (c->bad || c->len - c->pos < (size_t)bytes) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = pb_le_get(c->p + c->pos, bytes);
    c->pos += (size_t)bytes;
    return v;
}

static double s_get_f64(s_cur_t *c)
{
    uint64_t v = s_get(c, 8);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* A u16-prefixed string copied into out (NUL-terminated, cut at outlen - 1). */
static void s_get_str(s_cur_t *c, char *out, size_t outlen)
{
    size_t n = (size_t)s_get(c, 2);
    if (c->bad || c->len - c->pos < n) {
        c->bad = 1;
        out[0] = '\0';
        return;
    }
    size_t keep = n < outlen - 1 ? n : outlen - 1;
    memcpy(out, c->p + c->pos, keep);
    out[keep] = '\0';
    c->pos += n;
}

#define S_BUCKET_BYTES 48 /* start_s, min, max, sum, count, last */

/* Steps over n buckets nobody asked for (checking that they are there). */
static void s_skip_buckets(s_cur_t *c, uint64_t n)
{
    if (c->bad || (c->len - c->pos) / S_BUCKET_BYTES < n)
        c->bad = 1;
    else
        c->pos += (size_t)n * S_BUCKET_BYTES;
}

typedef struct {
    pb_rollup_want_fn *want;
    pb_rollup_fn *fn;
    void *arg;
} s_read_t;

static int s_read_series(s_cur_t *c, const s_read_t *rd)
{
    char host[256], comm[256], field[256];
    s_get_str(c, host, sizeof host);
    int type = (int)s_get(c, 1);
    uint64_t pid = s_get(c, 8);
    s_get_str(c, comm, sizeof comm);
    s_get_str(c, field, sizeof field);
    int kind = (int)s_get(c, 1);
    int mask = c->bad ? 0 : rd->want ? rd->want(host, type, pid, comm, field, kind, rd->arg) : 3;
    if (mask < 0)
        return mask;
    pb_rollup_fn *fn = rd->fn;
    void *arg = rd->arg;
    for (int r = 0; r < 2 && !c->bad; r++) {
        uint64_t n = s_get(c, 4);
        if (!(mask & (1 << r))) {
            s_skip_buckets(c, n);
            continue;
        }
        for (uint64_t i = 0; i < n && !c->bad; i++) {
            pb_rollup_bucket_t b;
            b.start_s = s_get(c, 8);
            b.min = s_get_f64(c);
            b.max = s_get_f64(c);
            b.sum = s_get_f64(c);
            b.count = s_get(c, 8);
            b.last = s_get_f64(c);
            int rc = c->bad ? 0 : fn(host, type, pid, comm, field, kind, r, &b, arg);
            if (rc < 0)
                return rc;
        }
    }
    return c->bad ? -EBADMSG : 0;
}

static int s_read_body(const unsigned char *body, size_t len, const s_read_t *rd)
{
    s_cur_t c = {body, len, 0, 0};
    uint64_t n = s_get(&c, 4);
    int rc = c.bad ? -EBADMSG : 0;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        rc = s_read_series(&c, rd);
    return rc == 0 && c.pos != c.len ? -EBADMSG : rc;
}

static int s_slurp(const char *path, unsigned char **buf_p, size_t *len_p)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    size_t len = (size_t)st.st_size, done = 0;
    unsigned char *buf = malloc(len ? len : 1);
    while (buf && done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    if (!buf || done != len) {
        free(buf);
        return buf ? -EIO : -ENOMEM;
    }
    *buf_p = buf;
    *len_p = len;
    return 0;
}

int pb_rollup_read(const char *path, pb_rollup_fn *fn, void *arg)
{
    return pb_rollup_read_some(path, NULL, fn, arg);
}

/* Buffers and a zstd context kept from one file to the next: a month is 720
 * files of some 240 KB each, and fresh buffers would fault in every page again. */
struct pb_rollup_reader {
    unsigned char *body;
    size_t cap, len; /* len: the loaded body's */
    ZSTD_DCtx *dctx;
};

pb_rollup_reader_t *pb_rollup_reader_new(void)
{
    pb_rollup_reader_t *self = calloc(1, sizeof *self);
    if (self && !(self->dctx = ZSTD_createDCtx())) {
        free(self);
        self = NULL;
    }
    return self;
}

void pb_rollup_reader_destroy(pb_rollup_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ZSTD_freeDCtx((*self_p)->dctx);
    free((*self_p)->body);
    free(*self_p);
    *self_p = NULL;
}

/* Checks the header of the len bytes of file; the body's sizes into comp and raw. */
static int s_check_head(const unsigned char *file, size_t len, uint64_t *comp, uint64_t *raw)
{
    if (len < PB_ROLLUP_HEAD)
        return -EBADMSG;
    s_cur_t h = {file, len, 8, 0};
    uint64_t version = s_get(&h, 4), zero = s_get(&h, 4);
    *comp = s_get(&h, 4);
    *raw = s_get(&h, 4);
    uint64_t crc = s_get(&h, 4);
    int bad = h.bad || memcmp(file, PB_ROLLUP_MAGIC, 8) != 0 || version != PB_ROLLUP_VERSION ||
              zero || *comp != len - PB_ROLLUP_HEAD ||
              pb_segment_crc32(0, file + PB_ROLLUP_HEAD, (size_t)*comp) != crc ||
              ZSTD_getFrameContentSize(file + PB_ROLLUP_HEAD, (size_t)*comp) != *raw ||
              *raw > PB_ROLLUP_MAX_RAW;
    return bad ? -EBADMSG : 0;
}

static int s_body_room(pb_rollup_reader_t *self, size_t raw)
{
    if (raw <= self->cap && self->body)
        return 0;
    unsigned char *p = realloc(self->body, raw ? raw : 1);
    if (!p)
        return -ENOMEM;
    self->body = p;
    self->cap = raw;
    return 0;
}

/* Reads, checks and decompresses path into self->body: 0, -EBADMSG or -errno. */
static int s_load(pb_rollup_reader_t *self, const char *path)
{
    unsigned char *file = NULL;
    size_t len = 0;
    uint64_t comp = 0, raw = 0;
    self->len = 0;
    int rc = s_slurp(path, &file, &len);
    rc = rc ? rc : s_check_head(file, len, &comp, &raw);
    rc = rc ? rc : s_body_room(self, (size_t)raw);
    if (rc == 0 && ZSTD_decompressDCtx(self->dctx, self->body, (size_t)raw, file + PB_ROLLUP_HEAD,
                                       (size_t)comp) != (size_t)raw)
        rc = -EBADMSG;
    free(file);
    self->len = rc ? 0 : (size_t)raw;
    return rc;
}

int pb_rollup_reader_read(pb_rollup_reader_t *self, const char *path, pb_rollup_want_fn *want,
                          pb_rollup_fn *fn, void *arg)
{
    s_read_t rd = {want, fn, arg};
    int rc = s_load(self, path);
    return rc ? rc : s_read_body(self->body, self->len, &rd);
}

int pb_rollup_read_some(const char *path, pb_rollup_want_fn *want, pb_rollup_fn *fn, void *arg)
{
    pb_rollup_reader_t *reader = pb_rollup_reader_new();
    int rc = reader ? pb_rollup_reader_read(reader, path, want, fn, arg) : -ENOMEM;
    pb_rollup_reader_destroy(&reader);
    return rc;
}
