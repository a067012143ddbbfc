/* pb_rollup_read: a segment's rollup file (.pbr) read back, section by section as asked. */
#include "pb_rollup.h"

#include "pb_bytes.h"
#include "pb_fdio.h"
#include "pb_grow.h"
#include "pb_le.h"
#include "pb_rollmark.h"
#include "pb_segment.h"

#include <zstd.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_BUCKET_BYTES 48 /* start_s, min, max, sum, count, last */
#define S_SPAN_BYTES   24 /* start_s, recv_min_ns, recv_max_ns */

static void s_get_bucket(pb_rcur_t *c, pb_rollup_bucket_t *b)
{
    b->start_s = pb_rcur_le(c, 8);
    b->min = pb_rcur_f64(c);
    b->max = pb_rcur_f64(c);
    b->sum = pb_rcur_f64(c);
    b->count = pb_rcur_le(c, 8);
    b->last = pb_rcur_f64(c);
}

/* ---- the reader ---- */

typedef struct {
    uint64_t comp, raw, crc, offset;
    int present;
    unsigned char *body; /* decompressed, once asked for */
    size_t cap;
    int loaded;
} s_section_t;

/* A series of the loaded file: its strings in the arena (offsets), its mask from want. */
typedef struct {
    size_t host, comm, field; /* offsets into arena */
    int type, kind, mask;
    uint64_t pid;
} s_desc_t;

struct pb_rollup_reader {
    unsigned char *file; /* the loaded file, as read */
    size_t filecap, filelen;
    int version; /* of the loaded file; 0: none loaded */
    s_section_t sec[PB_ROLLUP_MAX_SECS];
    s_desc_t *desc;
    size_t ndesc, capdesc;
    char *arena;
    size_t narena, caparena;
    pb_rollup_span_t *spans;
    size_t capspans;
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
    pb_rollup_reader_t *self = *self_p;
    for (int i = 0; i < PB_ROLLUP_MAX_SECS; i++)
        free(self->sec[i].body);
    ZSTD_freeDCtx(self->dctx);
    free(self->file);
    free(self->desc);
    free(self->arena);
    free(self->spans);
    free(self);
    *self_p = NULL;
}

/* Reads path whole into self->file (its buffer kept from file to file). */
static int s_slurp(pb_rollup_reader_t *self, const char *path)
{
    struct stat st;
    int fd = pb_fdio_open_read(path, &st);
    if (fd < 0)
        return fd;
    size_t len = (size_t)st.st_size, done = 0;
    int rc = len > PB_ROLLUP_MAX_RAW ? -EBADMSG : 0;
    if (rc == 0 && len > self->filecap) {
        unsigned char *p = realloc(self->file, len);
        rc = p ? 0 : -ENOMEM;
        if (p) {
            self->file = p;
            self->filecap = len;
        }
    }
    while (rc == 0 && done < len) {
        ssize_t n = read(fd, self->file + done, len - done);
        if (n <= 0)
            rc = n < 0 ? -errno : -EIO;
        done += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    self->filelen = rc ? 0 : len;
    return rc;
}

/* Decompresses comp bytes at src into *body (grown to raw): 0 or -EBADMSG/-ENOMEM. */
static int s_inflate(pb_rollup_reader_t *self, const unsigned char *src, uint64_t comp,
                     uint64_t raw, unsigned char **body, size_t *cap)
{
    if (raw > PB_ROLLUP_MAX_RAW || ZSTD_getFrameContentSize(src, (size_t)comp) != raw)
        return -EBADMSG;
    if (raw > *cap || !*body) {
        unsigned char *p = realloc(*body, raw ? (size_t)raw : 1);
        if (!p)
            return -ENOMEM;
        *body = p;
        *cap = (size_t)raw;
    }
    size_t n = ZSTD_decompressDCtx(self->dctx, *body, (size_t)raw, src, (size_t)comp);
    return n == raw ? 0 : -EBADMSG;
}

/* Version 1: "PBROLLUP" | u32 1 | u32 0 | u32 comp | u32 raw | u32 crc | u32 0, one
 * frame; it is decompressed at once into section 0's buffer. */
static int s_open_v1(pb_rollup_reader_t *self)
{
    pb_rcur_t h = {self->file, self->filelen, 12, 0};
    uint64_t zero = pb_rcur_le(&h, 4), comp = pb_rcur_le(&h, 4), raw = pb_rcur_le(&h, 4),
             crc = pb_rcur_le(&h, 4);
    s_section_t *s = &self->sec[0];
    if (h.bad || zero || comp != self->filelen - PB_ROLLUP_HEAD ||
        pb_segment_crc32(0, self->file + PB_ROLLUP_HEAD, (size_t)comp) != crc)
        return -EBADMSG;
    int rc = s_inflate(self, self->file + PB_ROLLUP_HEAD, comp, raw, &s->body, &s->cap);
    s->raw = raw;
    s->loaded = rc == 0;
    return rc;
}

/* One entry of version 2's section table into self->sec, checked against the file. */
static int s_open_entry(pb_rollup_reader_t *self, pb_rcur_t *t, uint64_t first_data)
{
    uint64_t id = pb_rcur_le(t, 4), comp = pb_rcur_le(t, 4), raw = pb_rcur_le(t, 4),
             crc = pb_rcur_le(t, 4), offset = pb_rcur_le(t, 8);
    if (t->bad || offset < first_data || offset > self->filelen || comp > self->filelen - offset ||
        raw > PB_ROLLUP_MAX_RAW)
        return -EBADMSG;
    if (id == 0 || id >= PB_ROLLUP_MAX_SECS)
        return 0; /* not a section this reader knows */
    s_section_t *s = &self->sec[id];
    if (s->present)
        return -EBADMSG;
    s->comp = comp, s->raw = raw, s->crc = crc, s->offset = offset, s->present = 1;
    return 0;
}

/* Version 2: "PBROLLUP" | u32 2 | u32 nsections | u32 crc of the table | u32 0 | u64 0, the
 * table, the sections. The four sections of buckets must be there. */
static int s_open_v2(pb_rollup_reader_t *self)
{
    pb_rcur_t h = {self->file, self->filelen, 12, 0};
    uint64_t nsec = pb_rcur_le(&h, 4), crc = pb_rcur_le(&h, 4),
             zero = pb_rcur_le(&h, 4) | pb_rcur_le(&h, 8);
    size_t table = (size_t)nsec * PB_ROLLUP_SEC_ENTRY;
    if (h.bad || zero || nsec > PB_ROLLUP_MAX_SECS || self->filelen - PB_ROLLUP_HEAD < table ||
        pb_segment_crc32(0, self->file + PB_ROLLUP_HEAD, table) != crc)
        return -EBADMSG;
    pb_rcur_t t = {self->file + PB_ROLLUP_HEAD, table, 0, 0};
    for (uint64_t i = 0; i < nsec; i++) {
        int rc = s_open_entry(self, &t, PB_ROLLUP_HEAD + table);
        if (rc < 0)
            return rc;
    }
    for (int id = PB_ROLLUP_SEC_SERIES; id <= PB_ROLLUP_SEC_FINE_PROC; id++)
        if (!self->sec[id].present)
            return -EBADMSG;
    return 0;
}

int pb_rollup_reader_open(pb_rollup_reader_t *self, const char *path)
{
    self->version = 0;
    for (int i = 0; i < PB_ROLLUP_MAX_SECS; i++)
        self->sec[i].present = self->sec[i].loaded = 0;
    int rc = s_slurp(self, path);
    if (rc < 0)
        return rc;
    if (self->filelen < PB_ROLLUP_HEAD || memcmp(self->file, PB_ROLLUP_MAGIC, 8) != 0)
        return -EBADMSG;
    int version = (int)pb_le_get(self->file + 8, 4);
    rc = version == 1 ? s_open_v1(self) : version == 2 ? s_open_v2(self) : -EBADMSG;
    self->version = rc == 0 ? version : 0;
    return rc;
}

/* A cursor over section id of the loaded version 2 file, decompressed (and its CRC checked)
 * the first time it is asked for. */
static int s_section(pb_rollup_reader_t *self, int id, pb_rcur_t *c)
{
    s_section_t *s = &self->sec[id];
    if (!s->present)
        return -ENODATA;
    if (!s->loaded) {
        const unsigned char *src = self->file + s->offset;
        if (pb_segment_crc32(0, src, (size_t)s->comp) != s->crc)
            return -EBADMSG;
        int rc = s_inflate(self, src, s->comp, s->raw, &s->body, &s->cap);
        if (rc < 0)
            return rc;
        s->loaded = 1;
    }
    *c = (pb_rcur_t){s->body, (size_t)s->raw, 0, 0};
    return 0;
}

/* ---- series and buckets ---- */

/* Copies n bytes of s into the arena, NUL-terminated: its offset, or SIZE_MAX on ENOMEM. */
static size_t s_keep(pb_rollup_reader_t *self, const char *s, size_t n)
{
    if (pb_grow((void **)&self->arena, &self->caparena, self->narena + n, 1, 4096) < 0)
        return SIZE_MAX;
    size_t at = self->narena;
    memcpy(self->arena + at, s, n);
    self->arena[at + n] = '\0';
    self->narena += n + 1;
    return at;
}

/* One series' description (host, type, pid, comm, field, kind) into self->desc. */
static int s_read_desc(pb_rollup_reader_t *self, pb_rcur_t *c)
{
    if (pb_grow((void **)&self->desc, &self->capdesc, self->ndesc, sizeof *self->desc, 64) < 0)
        return -ENOMEM;
    s_desc_t *d = &self->desc[self->ndesc];
    size_t n[3];
    const char *host = pb_rcur_str16(c, &n[0]);
    d->type = (int)pb_rcur_le(c, 1);
    d->pid = pb_rcur_le(c, 8);
    const char *comm = pb_rcur_str16(c, &n[1]), *field = pb_rcur_str16(c, &n[2]);
    d->kind = (int)pb_rcur_le(c, 1);
    if (c->bad || (d->type != 1 && d->type != 2))
        return -EBADMSG;
    /* the arena may move: the strings are in the file, not the arena */
    d->host = s_keep(self, host, n[0]);
    d->comm = s_keep(self, comm, n[1]);
    d->field = s_keep(self, field, n[2]);
    if (d->host == SIZE_MAX || d->comm == SIZE_MAX || d->field == SIZE_MAX)
        return -ENOMEM;
    self->ndesc++;
    return 0;
}

static pb_rollup_series_t s_series(const pb_rollup_reader_t *self, size_t i)
{
    const s_desc_t *d = &self->desc[i];
    return (pb_rollup_series_t){i,
                                self->arena + d->host,
                                self->arena + d->comm,
                                self->arena + d->field,
                                d->type,
                                d->pid,
                                d->kind};
}

/* Asks want for series i's mask. */
static int s_ask(pb_rollup_reader_t *self, size_t i, pb_rollup_want_fn *want, void *arg)
{
    pb_rollup_series_t s = s_series(self, i);
    int mask = want ? want(&s, arg) : 3;
    self->desc[i].mask = mask < 0 ? 0 : mask;
    return mask < 0 ? mask : 0;
}

/* Series i's n buckets at c: to fn when its mask has bit, else stepped over. */
static int s_buckets_of(pb_rollup_reader_t *self, pb_rcur_t *c, size_t i, int bit, pb_rollup_fn *fn,
                        void *arg)
{
    uint64_t n = pb_rcur_le(c, 4);
    if (c->bad || (c->len - c->pos) / S_BUCKET_BYTES < n)
        return -EBADMSG;
    if (!(self->desc[i].mask & bit)) {
        c->pos += (size_t)n * S_BUCKET_BYTES;
        return 0;
    }
    pb_rollup_series_t s = s_series(self, i);
    for (uint64_t k = 0; k < n; k++) {
        pb_rollup_bucket_t b;
        s_get_bucket(c, &b);
        int rc = fn(&s, bit == 2, &b, arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Version 1: series, each with its fine then its coarse buckets, in one body. */
static int s_buckets_v1(pb_rollup_reader_t *self, pb_rollup_want_fn *want, pb_rollup_fn *fn,
                        void *arg)
{
    s_section_t *body = &self->sec[0];
    pb_rcur_t c = {body->body, (size_t)body->raw, 0, 0};
    uint64_t n = pb_rcur_le(&c, 4);
    int rc = c.bad ? -EBADMSG : 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        rc = s_read_desc(self, &c);
        rc = rc ? rc : s_ask(self, self->ndesc - 1, want, arg);
        rc = rc ? rc : s_buckets_of(self, &c, self->ndesc - 1, 1, fn, arg);
        rc = rc ? rc : s_buckets_of(self, &c, self->ndesc - 1, 2, fn, arg);
    }
    return rc == 0 && c.pos != c.len ? -EBADMSG : rc;
}

/* Version 2's section id (of buckets): the series it holds, in order, to fn as asked. */
static int s_walk(pb_rollup_reader_t *self, int id, pb_rollup_fn *fn, void *arg)
{
    pb_rcur_t c;
    int rc = s_section(self, id, &c), bit = id == PB_ROLLUP_SEC_COARSE ? 2 : 1;
    int type = id == PB_ROLLUP_SEC_FINE_SYS ? 1 : id == PB_ROLLUP_SEC_FINE_PROC ? 2 : 0;
    for (size_t i = 0; i < self->ndesc && rc == 0; i++)
        if (!type || self->desc[i].type == type)
            rc = s_buckets_of(self, &c, i, bit, fn, arg);
    return rc == 0 && c.pos != c.len ? -EBADMSG : rc;
}

/* Whether a series of type (0: any) asked for bit. */
static int s_asked(const pb_rollup_reader_t *self, int type, int bit)
{
    for (size_t i = 0; i < self->ndesc; i++)
        if ((!type || self->desc[i].type == type) && (self->desc[i].mask & bit))
            return 1;
    return 0;
}

static int s_buckets_v2(pb_rollup_reader_t *self, pb_rollup_want_fn *want, pb_rollup_fn *fn,
                        void *arg)
{
    pb_rcur_t c;
    int rc = s_section(self, PB_ROLLUP_SEC_SERIES, &c);
    uint64_t n = rc ? 0 : pb_rcur_le(&c, 4);
    rc = rc ? rc : c.bad ? -EBADMSG : 0;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        rc = s_read_desc(self, &c);
    rc = rc == 0 && c.pos != c.len ? -EBADMSG : rc;
    for (size_t i = 0; i < self->ndesc && rc == 0; i++)
        rc = s_ask(self, i, want, arg);
    if (rc == 0 && s_asked(self, 0, 2))
        rc = s_walk(self, PB_ROLLUP_SEC_COARSE, fn, arg);
    if (rc == 0 && s_asked(self, 1, 1))
        rc = s_walk(self, PB_ROLLUP_SEC_FINE_SYS, fn, arg);
    if (rc == 0 && s_asked(self, 2, 1))
        rc = s_walk(self, PB_ROLLUP_SEC_FINE_PROC, fn, arg);
    return rc;
}

int pb_rollup_reader_buckets(pb_rollup_reader_t *self, pb_rollup_want_fn *want, pb_rollup_fn *fn,
                             void *arg)
{
    self->ndesc = self->narena = 0;
    if (self->version == 1)
        return s_buckets_v1(self, want, fn, arg);
    return self->version == 2 ? s_buckets_v2(self, want, fn, arg) : -EBADMSG;
}

/* ---- receive spans ---- */

/* One host's spans at c to fn, checked to be in order of start_s. */
static int s_spans_of(pb_rollup_reader_t *self, pb_rcur_t *c, pb_rollup_spans_fn *fn, void *arg)
{
    char host[256];
    size_t len;
    const char *name = pb_rcur_str16(c, &len);
    uint64_t n = pb_rcur_le(c, 4);
    if (c->bad || len >= sizeof host || (c->len - c->pos) / S_SPAN_BYTES < n)
        return -EBADMSG;
    memcpy(host, name, len);
    host[len] = '\0';
    if (pb_grow((void **)&self->spans, &self->capspans, (size_t)n, sizeof *self->spans, 64) < 0)
        return -ENOMEM;
    for (uint64_t i = 0; i < n; i++) {
        pb_rollup_span_t *sp = &self->spans[i];
        sp->start_s = pb_rcur_le(c, 8);
        sp->recv_min_ns = pb_rcur_le(c, 8);
        sp->recv_max_ns = pb_rcur_le(c, 8);
        if (sp->recv_min_ns > sp->recv_max_ns || (i > 0 && sp->start_s <= sp[-1].start_s))
            return -EBADMSG;
    }
    return fn(host, self->spans, (size_t)n, arg);
}

int pb_rollup_reader_spans(pb_rollup_reader_t *self, pb_rollup_spans_fn *fn, void *arg)
{
    if (self->version != 2)
        return self->version == 1 ? -ENODATA : -EBADMSG;
    pb_rcur_t c;
    int rc = s_section(self, PB_ROLLUP_SEC_SPANS, &c);
    uint64_t n = rc ? 0 : pb_rcur_le(&c, 4);
    rc = rc ? rc : c.bad ? -EBADMSG : 0;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        rc = s_spans_of(self, &c, fn, arg);
    return rc == 0 && c.pos != c.len ? -EBADMSG : rc;
}

int pb_rollup_reader_segment(pb_rollup_reader_t *self, uint64_t *records, uint64_t *first_ns,
                             uint64_t *last_ns)
{
    if (self->version != 2)
        return self->version == 1 ? -ENODATA : -EBADMSG;
    pb_rcur_t c;
    int rc = s_section(self, PB_ROLLUP_SEC_SEGMENT, &c);
    if (rc < 0)
        return rc;
    *records = pb_rcur_le(&c, 8);
    *first_ns = pb_rcur_le(&c, 8);
    *last_ns = pb_rcur_le(&c, 8);
    return c.bad || c.pos != c.len || *first_ns > *last_ns ? -EBADMSG : 0;
}

int pb_rollup_reader_marks(pb_rollup_reader_t *self, const pb_rollmark_fns_t *fns, void *arg)
{
    if (self->version != 2)
        return self->version == 1 ? -ENODATA : -EBADMSG;
    pb_rcur_t c;
    int rc = s_section(self, PB_ROLLUP_SEC_MARKS, &c);
    static const pb_rollmark_fns_t check; /* none: the whole section is checked first */
    rc = rc ? rc : pb_rollmark_parse(c.p, c.len, &check, NULL);
    return rc ? rc : pb_rollmark_parse(c.p, c.len, fns, arg);
}

/* ---- one-call reading ---- */

int pb_rollup_reader_read(pb_rollup_reader_t *self, const char *path, pb_rollup_want_fn *want,
                          pb_rollup_fn *fn, void *arg)
{
    int rc = pb_rollup_reader_open(self, path);
    return rc ? rc : pb_rollup_reader_buckets(self, want, fn, arg);
}

int pb_rollup_read_some(const char *path, pb_rollup_want_fn *want, pb_rollup_fn *fn, void *arg)
{
    pb_rollup_reader_t *reader = pb_rollup_reader_new();
    int rc = reader ? pb_rollup_reader_read(reader, path, want, fn, arg) : -ENOMEM;
    pb_rollup_reader_destroy(&reader);
    return rc;
}

int pb_rollup_read(const char *path, pb_rollup_fn *fn, void *arg)
{
    return pb_rollup_read_some(path, NULL, fn, arg);
}
