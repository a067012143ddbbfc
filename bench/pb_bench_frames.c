/* pb_bench_frames: captured wire frames reused as templates, seq and ts patched in place per send.
 */
#include "pb_bench_frames.h"

#include "pb_codec.h"
#include "pb_frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SEQ_MARK  (1ull << 40) /* any value >= 2^32 is encoded as 0xcf + 8 bytes */
#define S_TS_MARK   (1ull << 62)
#define S_FIRST_PID 4000000u

struct pb_bench_frames {
    char host[64], src[64];
    pb_bench_frame_t *items;
    size_t n, cap;
};

pb_bench_frames_t *pb_bench_frames_new(const char *host, const char *src)
{
    pb_bench_frames_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->host, sizeof self->host, "%s", host);
    snprintf(self->src, sizeof self->src, "%s", src);
    return self;
}

void pb_bench_frames_destroy(pb_bench_frames_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_bench_frames_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->items[i].payload);
    free(self->items);
    free(self);
    *self_p = NULL;
}

static void s_put_be64(unsigned char *at, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        at[i] = (unsigned char)(v & 0xff);
}

/* Offset of the 8 value bytes after the key `mark` (msgpack fixstr key then
 * 0xcf), or 0 when absent. */
static size_t s_find(const unsigned char *buf, size_t len, const char *mark, size_t mark_len)
{
    const unsigned char *at = memmem(buf, len, mark, mark_len);
    if (!at || (size_t)(at - buf) + mark_len + 8 > len)
        return 0;
    return (size_t)(at - buf) + mark_len;
}

/* Rewrites the envelope (host, src, placeholders) and the pid of a frame. */
static int s_rewrite(const pb_bench_frames_t *self, pb_value_t *frame, uint64_t pid)
{
    int rc = pb_value_map_put_str(frame, "host", self->host);
    rc = rc ? rc : pb_value_map_put_str(frame, "src", self->src);
    rc = rc ? rc : pb_value_map_put_uint(frame, "seq", S_SEQ_MARK);
    rc = rc ? rc : pb_value_map_put_uint(frame, "ts", S_TS_MARK);
    if (rc == 0 && pid > 0)
        rc = pb_value_map_put_uint(frame, "pid", pid);
    return rc;
}

/* Checks that stamping template t really changes the decoded seq and ts. */
static int s_verify(pb_bench_frame_t *t)
{
    s_put_be64(t->payload + t->seq_at, 0x123456789aull);
    s_put_be64(t->payload + t->ts_at, 0x1122334455667788ull);
    pb_value_t *frame = NULL;
    pb_envelope_t env;
    int rc = pb_codec_decode(t->payload, t->payload_len, &frame, NULL, 0);
    rc = rc < 0 ? rc : pb_frame_envelope(frame, &env, NULL, 0);
    if (rc == 0 && (env.seq != 0x123456789aull || env.ts != 0x1122334455667788ull))
        rc = -EBADMSG;
    pb_value_destroy(&frame);
    return rc < 0 ? -EBADMSG : 0;
}

static int s_topic(const pb_bench_frames_t *self, const pb_value_t *frame, pb_bench_frame_t *t)
{
    const char *type = "";
    uint64_t pid = 0;
    char tail[32] = "";
    pb_value_map_get_str(frame, "type", &type);
    t->is_sys = strcmp(type, "sys") == 0;
    if (!t->is_sys && strcmp(type, "proc") != 0)
        return -EINVAL;
    if (!t->is_sys && pb_value_map_get_u64(frame, "pid", &pid) < 0)
        return -EBADMSG;
    snprintf(tail, sizeof tail, "%llu", (unsigned long long)pid);
    int rc = pb_frame_topic(t->topic, sizeof t->topic, type, self->host, t->is_sys ? NULL : tail);
    t->topic_len = strlen(t->topic);
    return rc < 0 ? -EINVAL : 0;
}

static int s_build(pb_bench_frames_t *self, pb_value_t *frame, uint64_t pid, pb_bench_frame_t *t)
{
    int rc = s_rewrite(self, frame, pid);
    rc = rc ? rc : s_topic(self, frame, t);
    char *buf = NULL;
    rc = rc ? rc : pb_codec_encode(frame, &buf, &t->payload_len);
    if (rc < 0)
        return rc;
    t->payload = (unsigned char *)buf;
    t->seq_at = s_find(t->payload, t->payload_len, "\xa3seq\xcf", 5);
    t->ts_at = s_find(t->payload, t->payload_len, "\xa2ts\xcf", 4);
    rc = t->seq_at && t->ts_at ? s_verify(t) : -EBADMSG;
    if (rc < 0)
        free(t->payload);
    return rc;
}

int pb_bench_frames_add(pb_bench_frames_t *self, const void *payload, size_t len, uint64_t pid)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        pb_bench_frame_t *items = realloc(self->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        self->items = items;
        self->cap = cap;
    }
    pb_value_t *frame = NULL;
    pb_envelope_t env;
    if (pb_codec_decode(payload, len, &frame, NULL, 0) < 0 ||
        pb_frame_envelope(frame, &env, NULL, 0) < 0) {
        pb_value_destroy(&frame);
        return -EBADMSG;
    }
    pb_bench_frame_t t = {0};
    int rc = s_build(self, frame, pid, &t);
    pb_value_destroy(&frame);
    if (rc == 0)
        self->items[self->n++] = t;
    return rc;
}

size_t pb_bench_frames_count(const pb_bench_frames_t *self)
{
    return self->n;
}

const pb_bench_frame_t *pb_bench_frames_at(const pb_bench_frames_t *self, size_t i)
{
    return i < self->n ? &self->items[i] : NULL;
}

const pb_bench_frame_t *pb_bench_frames_stamp(pb_bench_frames_t *self, size_t i, uint64_t seq,
                                              uint64_t ts)
{
    if (i >= self->n)
        return NULL;
    pb_bench_frame_t *t = &self->items[i];
    s_put_be64(t->payload + t->seq_at, seq);
    s_put_be64(t->payload + t->ts_at, ts);
    return t;
}

double pb_bench_frames_mean_bytes(const pb_bench_frames_t *self)
{
    double sum = 0;
    for (size_t i = 0; i < self->n; i++)
        sum += (double)self->items[i].payload_len;
    return self->n ? sum / (double)self->n : 0;
}

/* ---- capture files ---- */

int pb_bench_frames_save_raw(const char *path, const void *const *payloads, const size_t *lens,
                             size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -errno;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char head[4] = {lens[i] & 0xff, (lens[i] >> 8) & 0xff, (lens[i] >> 16) & 0xff,
                                 (lens[i] >> 24) & 0xff};
        if (fwrite(head, 1, 4, f) != 4 || fwrite(payloads[i], 1, lens[i], f) != lens[i])
            rc = -EIO;
    }
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static unsigned char *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf && (n += fread(buf + n, 1, cap - n, f)) == cap) {
        unsigned char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    if (!buf)
        errno = ENOMEM;
    return buf;
}

/* Splits the capture into the last sys payload and up to max proc payloads. */
static int s_split(const unsigned char *buf, size_t len, const unsigned char **sys, size_t *sys_len,
                   const unsigned char **procs, size_t *proc_lens, size_t *nproc, size_t max)
{
    size_t at = 0;
    *nproc = 0;
    while (at + 4 <= len) {
        size_t n = (size_t)buf[at] | (size_t)buf[at + 1] << 8 | (size_t)buf[at + 2] << 16 |
                   (size_t)buf[at + 3] << 24;
        if (n < 8 || n > len - at - 4)
            return -EBADMSG;
        const unsigned char *p = buf + at + 4;
        if (memmem(p, n, "\xa4type\xa3sys", 9))
            *sys = p, *sys_len = n;
        else if (memmem(p, n, "\xa4type\xa4proc", 10) && *nproc < max)
            procs[*nproc] = p, proc_lens[(*nproc)++] = n;
        at += 4 + n;
    }
    return at == len && *sys && *nproc > 0 ? 0 : -EBADMSG;
}

static int s_fill(pb_bench_frames_t *self, const unsigned char *buf, size_t len, size_t nprocs)
{
    enum { MAX = 256 };
    const unsigned char *sys = NULL, *procs[MAX];
    size_t sys_len = 0, proc_lens[MAX], nproc = 0;
    int rc = s_split(buf, len, &sys, &sys_len, procs, proc_lens, &nproc, MAX);
    rc = rc ? rc : pb_bench_frames_add(self, sys, sys_len, 0);
    for (size_t i = 0; rc == 0 && i < nprocs; i++)
        rc = pb_bench_frames_add(self, procs[i % nproc], proc_lens[i % nproc], S_FIRST_PID + i);
    return rc;
}

pb_bench_frames_t *pb_bench_frames_load(const char *path, size_t nprocs, const char *host,
                                        const char *src)
{
    size_t len = 0;
    unsigned char *buf = s_slurp(path, &len);
    if (!buf)
        return NULL;
    pb_bench_frames_t *self = pb_bench_frames_new(host, src);
    int rc = self ? s_fill(self, buf, len, nprocs) : -ENOMEM;
    free(buf);
    if (rc < 0) {
        pb_bench_frames_destroy(&self);
        errno = -rc;
    }
    return self;
}
