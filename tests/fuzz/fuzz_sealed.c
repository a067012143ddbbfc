/* fuzz_sealed: the sealed-segment (format 2) and rollup readers over any file — blocks, index,
 * zstd frames, rollup series. */
#include "fuzz_util.h"
#include "pb_rollmark.h"
#include "pb_rollup.h"
#include "pb_sealed.h"
#include "pb_segment.h"

#include <errno.h>
#include <zlib.h>

/* Input: [u8 mode][u64 LE window start][file]. mode bit 0: the harness first
 * rewrites every CRC the file's layout implies (block headers, block data,
 * index), so mutations reach the zstd decoder, the index checks and the
 * record walk inside decoded blocks instead of stopping at a CRC. Bit 1: a
 * window [start, start + 2^32] is set. */

static void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t s_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* A rollup file: version 1's one CRC; version 2's sections' and the table's. */
static void s_fix_rollup_crcs(uint8_t *f, size_t size)
{
    if (s_get(f + 8, 4) == 1) {
        s_put32(f + 24, (uint32_t)crc32(0, f + PB_ROLLUP_HEAD, (uInt)(size - PB_ROLLUP_HEAD)));
        return;
    }
    uint64_t nsec = s_get(f + 12, 4);
    if (nsec > PB_ROLLUP_MAX_SECS || nsec * PB_ROLLUP_SEC_ENTRY > size - PB_ROLLUP_HEAD)
        return;
    for (uint64_t i = 0; i < nsec; i++) {
        uint8_t *e = f + PB_ROLLUP_HEAD + i * PB_ROLLUP_SEC_ENTRY;
        uint64_t comp = s_get(e + 4, 4), at = s_get(e + 16, 8);
        if (at <= size && comp <= size - at)
            s_put32(e + 12, (uint32_t)crc32(0, f + at, (uInt)comp));
    }
    s_put32(f + 16, (uint32_t)crc32(0, f + PB_ROLLUP_HEAD, (uInt)(nsec * PB_ROLLUP_SEC_ENTRY)));
}

static void s_fix_crcs(uint8_t *f, size_t size)
{
    if (size >= PB_ROLLUP_HEAD && memcmp(f, PB_ROLLUP_MAGIC, 8) == 0) {
        s_fix_rollup_crcs(f, size);
        return;
    }
    size_t at = PB_SEGMENT_HEADER_SIZE;
    while (at + PB_SEALED_BLOCK_HEAD <= size && memcmp(f + at, "PBZB", 4) == 0) {
        uint64_t comp = s_get(f + at + 4, 4);
        if (comp > size - at - PB_SEALED_BLOCK_HEAD)
            break;
        s_put32(f + at + 32, (uint32_t)crc32(0, f + at + PB_SEALED_BLOCK_HEAD, (uInt)comp));
        s_put32(f + at + 36, (uint32_t)crc32(0, f + at, 36));
        at += PB_SEALED_BLOCK_HEAD + (size_t)comp;
    }
    if (size < PB_SEGMENT_HEADER_SIZE + PB_SEALED_TRAILER)
        return;
    uint64_t idx = s_get(f + size - PB_SEALED_TRAILER, 8);
    if (idx >= PB_SEGMENT_HEADER_SIZE && idx <= size - PB_SEALED_TRAILER)
        s_put32(f + size - 8, (uint32_t)crc32(0, f + idx, (uInt)(size - PB_SEALED_TRAILER - idx)));
}

static void s_problem(const char *path, uint64_t offset, const char *message, void *arg)
{
    (void)path;
    (void)offset;
    FUZZ_CHECK(message && message[0], "problem reported without a message");
    (*(size_t *)arg)++;
}

static void s_read(const char *path, size_t size, int window, uint64_t from)
{
    pb_segment_reader_t *reader = pb_segment_reader_new(path);
    FUZZ_CHECK(reader != NULL, "reader_new failed on a readable file");
    size_t problems = 0;
    pb_segment_reader_set_problem_fn(reader, s_problem, &problems);
    if (window)
        pb_segment_reader_set_window(reader, from, from + (1ull << 32));
    pb_record_t rec;
    uint64_t n = 0;
    int rc;
    while ((rc = pb_segment_reader_next(reader, &rec)) == 1) {
        FUZZ_CHECK(rec.offset < size, "record offset %llu past a %zu-byte file",
                   (unsigned long long)rec.offset, size);
        FUZZ_CHECK(rec.topic[rec.topic_len] == '\0', "topic not NUL-terminated");
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < rec.payload_len; i++)
            sum ^= ((const unsigned char *)rec.payload)[i]; /* ASan checks every byte */
        (void)sum;
        n++;
    }
    FUZZ_CHECK(rc == 0, "reader_next returned %d", rc);
    pb_segment_damage_t d = pb_segment_reader_damage(reader);
    FUZZ_CHECK(d.records == n, "damage says %llu records, %llu returned",
               (unsigned long long)d.records, (unsigned long long)n);
    FUZZ_CHECK(problems >= (d.corrupt > 0) + (d.torn > 0), "damage counted but not reported");
    pb_segment_reader_destroy(&reader);
}

static int s_bucket(const pb_rollup_series_t *s, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)coarse, (void)b;
    FUZZ_CHECK(strlen(s->host) <= UINT16_MAX && strlen(s->comm) <= UINT16_MAX &&
                   strlen(s->field) <= UINT16_MAX,
               "string longer than its u16 length");
    (*(int *)arg)++;
    return 0;
}

static int s_span(const char *host, const pb_rollup_span_t *sp, size_t n, void *arg)
{
    (void)arg;
    FUZZ_CHECK(strlen(host) < 256, "long host");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(sp[i].recv_min_ns <= sp[i].recv_max_ns &&
                       (i == 0 || sp[i].start_s > sp[i - 1].start_s),
                   "span out of order");
    return 0;
}

static int s_mark_record(uint64_t recv_ns, const void *payload, size_t len, void *arg)
{
    (void)recv_ns, (void)arg;
    FUZZ_CHECK(payload != NULL || len == 0, "a kept record without bytes");
    return 0;
}

static int s_mark_seq(const char *src, const char *host, uint64_t first, uint64_t last,
                      uint64_t lost, void *arg)
{
    (void)first, (void)last, (void)lost, (void)arg;
    FUZZ_CHECK(strlen(src) < 256 && strlen(host) < 256, "long src or host");
    return 0;
}

static int s_mark_stretch(const char *host, uint64_t from_ns, uint64_t to_ns, uint64_t period_ns,
                          void *arg)
{
    (void)period_ns, (void)arg;
    FUZZ_CHECK(strlen(host) < 256 && from_ns <= to_ns, "bad stretch");
    return 0;
}

/* The rollup reader over the file: all buckets, the spans, the segment, the marks. */
static void s_read_rollup(const char *path)
{
    int n = 0, rc = pb_rollup_read(path, s_bucket, &n);
    FUZZ_CHECK(rc == 0 || rc == -EBADMSG, "pb_rollup_read returned %d", rc);
    pb_rollup_reader_t *r = pb_rollup_reader_new();
    rc = r ? pb_rollup_reader_open(r, path) : -ENOMEM;
    FUZZ_CHECK(rc == 0 || rc == -EBADMSG, "pb_rollup_reader_open returned %d", rc);
    if (rc == 0) {
        rc = pb_rollup_reader_spans(r, s_span, NULL);
        FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENODATA, "spans returned %d", rc);
        uint64_t records = 0, first = 0, last = 0;
        rc = pb_rollup_reader_segment(r, &records, &first, &last);
        FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENODATA, "segment returned %d", rc);
        FUZZ_CHECK(rc != 0 || first <= last, "segment span out of order");
        static const pb_rollmark_fns_t fns = {s_mark_record, s_mark_seq, s_mark_stretch};
        rc = pb_rollup_reader_marks(r, &fns, NULL);
        FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENODATA, "marks returned %d", rc);
    }
    pb_rollup_reader_destroy(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    int mode = data[0];
    uint64_t from = s_get(data + 1, 8);
    size -= 9;
    uint8_t *file = malloc(size ? size : 1);
    if (!file)
        return 0;
    memcpy(file, data + 9, size);
    if (mode & 1)
        s_fix_crcs(file, size);
    char path[64];
    int fd = fuzz_memfile(file, size, path, sizeof path);
    if (fd >= 0) {
        s_read(path, size, mode & 2, from);
        s_read_rollup(path);
        pb_sealed_info_t info;
        FUZZ_CHECK(pb_sealed_info(path, &info) == 0, "info failed on a readable file");
        FUZZ_CHECK(info.disk_bytes == size, "info says %llu bytes of %zu",
                   (unsigned long long)info.disk_bytes, size);
        close(fd);
    }
    free(file);
    return 0;
}
