/* pb_sealed: seals format-1 segments into zstd blocks with a time index, and reads them back. */
#include "pb_sealed.h"

#include "pb_fdio.h"
#include "pb_le.h"
#include "pb_log.h"
#include "pb_rollup.h"
#include "pb_segment.h"

#include <zstd.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- reading ---- */

int pb_sealed_is_sealed(const void *map, size_t size)
{
    const unsigned char *p = map;
    return size >= PB_SEGMENT_HEADER_SIZE && memcmp(p, PB_SEALED_MAGIC, 8) == 0 &&
           pb_le_get(p + 8, 4) == PB_SEALED_VERSION;
}

/* Index entries must lie in the block area, in order, each span sane. */
static int s_entries_ok(const pb_sealed_index_t *idx)
{
    uint64_t prev = PB_SEGMENT_HEADER_SIZE;
    for (uint32_t i = 0; i < idx->nblocks; i++) {
        uint64_t off, first, last;
        pb_sealed_entry(idx, i, &off, &first, &last);
        /* off is read from the file: compare without adding to it (it may be near 2^64) */
        if (off < prev || off > idx->index_offset ||
            idx->index_offset - off < PB_SEALED_BLOCK_HEAD || first > last)
            return 0;
        prev = off + PB_SEALED_BLOCK_HEAD;
    }
    return 1;
}

/* The index's offset from the trailer t of a sealed file of size bytes (its header checked);
 * 0 when the trailer does not check. */
static uint64_t s_index_at(const unsigned char *t, uint64_t size)
{
    uint64_t at = pb_le_get(t, 8);
    if (size < PB_SEGMENT_HEADER_SIZE + PB_SEALED_INDEX_HEAD + PB_SEALED_TRAILER ||
        memcmp(t + 12, "PBZE", 4) != 0 || at < PB_SEGMENT_HEADER_SIZE ||
        at > size - PB_SEALED_TRAILER - PB_SEALED_INDEX_HEAD)
        return 0;
    return at;
}

/* Whether h[0..len), the index bytes, check against trailer t: CRC, magic, entry count. */
static int s_index_ok(const unsigned char *h, size_t len, const unsigned char *t)
{
    return pb_segment_crc32(0, h, len) == (uint32_t)pb_le_get(t + 8, 4) &&
           memcmp(h, "PBZI", 4) == 0 &&
           pb_le_get(h + 4, 4) * PB_SEALED_INDEX_ENTRY == len - PB_SEALED_INDEX_HEAD;
}

int pb_sealed_index(const void *map, size_t size, pb_sealed_index_t *out)
{
    const unsigned char *p = map;
    if (!pb_sealed_is_sealed(map, size) || size < PB_SEALED_TRAILER)
        return -EBADMSG;
    const unsigned char *t = p + size - PB_SEALED_TRAILER;
    uint64_t at = s_index_at(t, size);
    size_t len = at ? size - PB_SEALED_TRAILER - (size_t)at : 0;
    if (!at || !s_index_ok(p + at, len, t))
        return -EBADMSG;
    const unsigned char *h = p + at;
    out->nblocks = (uint32_t)pb_le_get(h + 4, 4);
    out->records = pb_le_get(h + 8, 8);
    out->raw_bytes = pb_le_get(h + 16, 8);
    out->first_ts = pb_le_get(h + 24, 8);
    out->last_ts = pb_le_get(h + 32, 8);
    out->index_offset = at;
    out->entries = h + PB_SEALED_INDEX_HEAD;
    return s_entries_ok(out) ? 0 : -EBADMSG;
}

void pb_sealed_entry(const pb_sealed_index_t *idx, uint32_t i, uint64_t *offset, uint64_t *first_ts,
                     uint64_t *last_ts)
{
    const unsigned char *e = idx->entries + (size_t)i * PB_SEALED_INDEX_ENTRY;
    *offset = pb_le_get(e, 8);
    *first_ts = pb_le_get(e + 8, 8);
    *last_ts = pb_le_get(e + 16, 8);
}

int pb_sealed_block_at(const void *map, size_t end, uint64_t offset, pb_sealed_block_t *out)
{
    if (offset > end || end - offset < PB_SEALED_BLOCK_HEAD)
        return 0; /* before any pointer is made: offset may come from a damaged index */
    const unsigned char *h = (const unsigned char *)map + offset;
    if (memcmp(h, "PBZB", 4) != 0 || pb_segment_crc32(0, h, 36) != (uint32_t)pb_le_get(h + 36, 4))
        return 0;
    out->offset = offset;
    out->comp_len = (uint32_t)pb_le_get(h + 4, 4);
    out->raw_len = (uint32_t)pb_le_get(h + 8, 4);
    out->records = (uint32_t)pb_le_get(h + 12, 4);
    out->first_ts = pb_le_get(h + 16, 8);
    out->last_ts = pb_le_get(h + 24, 8);
    out->data_crc = (uint32_t)pb_le_get(h + 32, 4);
    return out->comp_len <= end - offset - PB_SEALED_BLOCK_HEAD &&
           out->raw_len <= PB_SEALED_MAX_RAW && out->first_ts <= out->last_ts;
}

/* Candidates are found by their magic first: the header CRC (36 bytes) is
 * taken only where "PBZB" stands, so the scan is linear. */
uint64_t pb_sealed_scan(const void *map, size_t end, uint64_t after)
{
    const unsigned char *p = map;
    pb_sealed_block_t b;
    for (uint64_t at = after + 1; at + PB_SEALED_BLOCK_HEAD <= end; at++) {
        const unsigned char *hit = memchr(p + at, 'P', end - PB_SEALED_BLOCK_HEAD + 1 - at);
        if (!hit)
            break;
        at = (uint64_t)(hit - p);
        if (pb_sealed_block_at(map, end, at, &b))
            return at;
    }
    return end;
}

static int s_grow(unsigned char **buf_p, size_t *cap_p, size_t need)
{
    if (need <= *cap_p && *buf_p)
        return 0;
    size_t cap = *cap_p * 2 > need ? *cap_p * 2 : need ? need : 1;
    unsigned char *buf = realloc(*buf_p, cap);
    if (!buf)
        return -ENOMEM;
    *buf_p = buf;
    *cap_p = cap;
    return 0;
}

int pb_sealed_decode(const void *map, const pb_sealed_block_t *b, void *dctx, unsigned char **buf_p,
                     size_t *cap_p, char *why, size_t whylen)
{
    const unsigned char *data = (const unsigned char *)map + b->offset + PB_SEALED_BLOCK_HEAD;
    if (pb_segment_crc32(0, data, b->comp_len) != b->data_crc) {
        snprintf(why, whylen, "CRC mismatch in the compressed data");
        return -EBADMSG;
    }
    if (ZSTD_getFrameContentSize(data, b->comp_len) != b->raw_len) {
        snprintf(why, whylen, "the zstd frame does not hold the %u bytes the header says",
                 b->raw_len);
        return -EBADMSG;
    }
    if (s_grow(buf_p, cap_p, b->raw_len) < 0)
        return -ENOMEM;
    size_t n = ZSTD_decompressDCtx(dctx, *buf_p, b->raw_len, data, b->comp_len);
    if (ZSTD_isError(n) || n != b->raw_len) {
        snprintf(why, whylen, "zstd: %s", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame");
        return -EBADMSG;
    }
    return 0;
}

void *pb_sealed_dctx_new(void)
{
    return ZSTD_createDCtx();
}

void pb_sealed_dctx_destroy(void **dctx_p)
{
    if (!dctx_p || !*dctx_p)
        return;
    ZSTD_freeDCtx(*dctx_p);
    *dctx_p = NULL;
}

/* ---- sealing ---- */

typedef struct {
    int fd;
    int level;
    ZSTD_CCtx *cctx;
    unsigned char *raw, *comp, *index; /* the block being gathered, its output, the entries */
    size_t raw_len, raw_cap, comp_cap, index_len, index_cap;
    uint32_t block_records, nblocks;
    uint64_t first, last, seg_first, seg_last, records, raw_total, offset;
    pb_rollup_t *rollup; /* NULL once it failed: the seal goes on without rollups */
} s_sealer_t;

/* Test hook (PERFBUS_TEST_SEAL_STALL=mid|renamed): the sealer stops at that
 * point for good, so a test can kill -9 the recorder exactly there
 * (tests/py/test_sub_kill9_seal.py). */
static void s_stall(const char *point, const char *path)
{
    const char *want = getenv("PERFBUS_TEST_SEAL_STALL");
    if (!want || strcmp(want, point) != 0)
        return;
    pb_log_warn("test stall while sealing %s (%s)", path, point);
    for (;;)
        nanosleep(&(struct timespec){0, 100000000}, NULL);
}

static int s_index_entry(s_sealer_t *s)
{
    if (s_grow(&s->index, &s->index_cap, s->index_len + PB_SEALED_INDEX_ENTRY) < 0)
        return -ENOMEM;
    unsigned char *e = s->index + s->index_len;
    pb_le_put(e, s->offset, 8);
    pb_le_put(e + 8, s->first, 8);
    pb_le_put(e + 16, s->last, 8);
    s->index_len += PB_SEALED_INDEX_ENTRY;
    return 0;
}

static int s_flush_block(s_sealer_t *s)
{
    if (s->block_records == 0)
        return 0;
    size_t bound = ZSTD_compressBound(s->raw_len);
    if (s_grow(&s->comp, &s->comp_cap, PB_SEALED_BLOCK_HEAD + bound) < 0)
        return -ENOMEM;
    size_t n = ZSTD_compressCCtx(s->cctx, s->comp + PB_SEALED_BLOCK_HEAD, bound, s->raw, s->raw_len,
                                 s->level);
    if (ZSTD_isError(n) || n > UINT32_MAX)
        return -EIO;
    unsigned char *h = s->comp;
    memcpy(h, "PBZB", 4);
    pb_le_put(h + 4, n, 4);
    pb_le_put(h + 8, s->raw_len, 4);
    pb_le_put(h + 12, s->block_records, 4);
    pb_le_put(h + 16, s->first, 8);
    pb_le_put(h + 24, s->last, 8);
    pb_le_put(h + 32, pb_segment_crc32(0, h + PB_SEALED_BLOCK_HEAD, n), 4);
    pb_le_put(h + 36, pb_segment_crc32(0, h, 36), 4);
    int rc = s_index_entry(s);
    rc = rc < 0 ? rc : pb_fdio_write_all(s->fd, h, PB_SEALED_BLOCK_HEAD + n);
    s->offset += PB_SEALED_BLOCK_HEAD + n;
    s->nblocks++;
    s->raw_total += s->raw_len;
    s->raw_len = 0;
    s->block_records = 0;
    return rc;
}

static int s_add_record(s_sealer_t *s, const pb_record_t *rec)
{
    size_t size = pb_segment_record_size(rec->topic_len, rec->payload_len);
    if (s->raw_len > 0 && s->raw_len + size > PB_SEALED_BLOCK_RAW) {
        int rc = s_flush_block(s);
        if (rc < 0)
            return rc;
    }
    if (s_grow(&s->raw, &s->raw_cap, s->raw_len + size) < 0)
        return -ENOMEM;
    pb_segment_record_put(s->raw + s->raw_len, rec->recv_ts, rec->topic, rec->topic_len,
                          rec->payload, rec->payload_len);
    s->raw_len += size;
    if (s->block_records == 0 || rec->recv_ts < s->first)
        s->first = rec->recv_ts;
    if (s->block_records == 0 || rec->recv_ts > s->last)
        s->last = rec->recv_ts;
    if (s->records == 0 || rec->recv_ts < s->seg_first)
        s->seg_first = rec->recv_ts;
    if (s->records == 0 || rec->recv_ts > s->seg_last)
        s->seg_last = rec->recv_ts;
    s->block_records++;
    s->records++;
    return 0;
}

static int s_write_index(s_sealer_t *s)
{
    unsigned char h[PB_SEALED_INDEX_HEAD], t[PB_SEALED_TRAILER];
    memcpy(h, "PBZI", 4);
    pb_le_put(h + 4, s->nblocks, 4);
    pb_le_put(h + 8, s->records, 8);
    pb_le_put(h + 16, s->raw_total, 8);
    pb_le_put(h + 24, s->seg_first, 8);
    pb_le_put(h + 32, s->seg_last, 8);
    uint32_t crc = pb_segment_crc32(pb_segment_crc32(0, h, sizeof h), s->index, s->index_len);
    pb_le_put(t, s->offset, 8);
    pb_le_put(t + 8, crc, 4);
    memcpy(t + 12, "PBZE", 4);
    int rc = pb_fdio_write_all(s->fd, h, sizeof h);
    rc = rc < 0 ? rc : pb_fdio_write_all(s->fd, s->index, s->index_len);
    return rc < 0 ? rc : pb_fdio_write_all(s->fd, t, sizeof t);
}

static int s_header(s_sealer_t *s)
{
    unsigned char head[PB_SEGMENT_HEADER_SIZE] = {0};
    memcpy(head, PB_SEALED_MAGIC, 8);
    pb_le_put(head + 8, PB_SEALED_VERSION, 4);
    s->offset = sizeof head;
    return pb_fdio_write_all(s->fd, head, sizeof head);
}

/* Writes every good record of reader into s->fd as blocks, then the index. */
static int s_seal_records(s_sealer_t *s, pb_segment_reader_t *reader, const char *path)
{
    pb_record_t rec;
    int rc = s_header(s), more;
    while (rc == 0 && (more = pb_segment_reader_next(reader, &rec)) == 1) {
        rc = s_add_record(s, &rec);
        if (s->rollup && pb_rollup_add(s->rollup, rec.recv_ts, rec.payload, rec.payload_len) < 0) {
            pb_log_warn("no rollups for %s: out of memory", path);
            pb_rollup_destroy(&s->rollup);
        }
    }
    if (rc == 0 && more < 0)
        rc = more;
    rc = rc < 0 ? rc : s_flush_block(s);
    if (rc == 0)
        s_stall("mid", path); /* blocks written, no index yet */
    rc = rc < 0 ? rc : s_write_index(s);
    if (rc == 0 && fsync(s->fd) < 0)
        rc = -errno;
    return rc;
}

static void s_sealer_free(s_sealer_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    ZSTD_freeCCtx(s->cctx);
    pb_rollup_destroy(&s->rollup);
    free(s->raw);
    free(s->comp);
    free(s->index);
}

/* Writes the rollups to <stem>.pbr through a temp file; a failure only loses them (logged). */
static void s_write_rollup(const pb_rollup_t *rollup, const char *pbr)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", pbr);
    int rc = rollup ? pb_rollup_write(rollup, tmp) : -ENOMEM;
    if (rc == 0 && rename(tmp, pbr) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        pb_log_warn("no rollups in %s: %s", pbr, strerror(-rc));
    }
}

static int s_seal_to(const char *pbl_path, const char *tmp, const char *pbr, int level)
{
    s_sealer_t s = {.fd = -1, .level = level};
    pb_segment_reader_t *reader = pb_segment_reader_new(pbl_path);
    if (!reader)
        return -errno;
    s.rollup = pb_rollup_new();
    s.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PB_SEGMENT_FILE_MODE);
    s.cctx = ZSTD_createCCtx();
    int rc = s.fd < 0 || fchmod(s.fd, PB_SEGMENT_FILE_MODE) < 0 ? -errno : !s.cctx ? -ENOMEM : 0;
    rc = rc < 0 ? rc : s_seal_records(&s, reader, pbl_path);
    if (rc == 0 && s.rollup)
        pb_rollup_set_segment(s.rollup, s.records, s.seg_first, s.seg_last);
    if (rc == 0)
        s_write_rollup(s.rollup, pbr);
    s_sealer_free(&s);
    pb_segment_reader_destroy(&reader);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* The rename is durable only once the directory is synced. */
static void s_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int pb_sealed_seal(const char *pbl_path, int level)
{
    char dst[PATH_MAX], tmp[PATH_MAX + 8], pbr[PATH_MAX];
    size_t n = strlen(pbl_path);
    if (n < 4 || n >= sizeof dst || strcmp(pbl_path + n - 4, ".pbl") != 0)
        return -EINVAL;
    memcpy(dst, pbl_path, n - 4);
    memcpy(dst + n - 4, ".pbz", 5);
    memcpy(pbr, dst, n + 1);
    pbr[n - 1] = 'r';
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int rc = s_seal_to(pbl_path, tmp, pbr, level);
    if (rc < 0)
        return rc;
    if (rename(tmp, dst) < 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    s_sync_dir(dst);
    s_stall("renamed", pbl_path);
    return unlink(pbl_path) < 0 ? -errno : 0;
}

/* ---- sizes ---- */

/* The index (from its offset to the end of the file) read with pread into a new buffer,
 * checked as pb_sealed_index checks it but for the entries (magics, CRC, count): a few
 * hundred bytes, where a map would fault in the file. 0 with *buf_p owned by the caller. */
static int s_index_bytes(int fd, uint64_t size, unsigned char **buf_p, size_t *len_p)
{
    unsigned char head[PB_SEGMENT_HEADER_SIZE], t[PB_SEALED_TRAILER];
    uint64_t at = 0;
    if (size >= sizeof head + sizeof t && pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
        pb_sealed_is_sealed(head, sizeof head) &&
        pread(fd, t, sizeof t, (off_t)(size - sizeof t)) == (ssize_t)sizeof t)
        at = s_index_at(t, size);
    if (!at)
        return -EBADMSG;
    size_t len = (size_t)(size - PB_SEALED_TRAILER - at);
    unsigned char *buf = malloc(len);
    if (!buf || pread(fd, buf, len, (off_t)at) != (ssize_t)len || !s_index_ok(buf, len, t)) {
        free(buf);
        return buf ? -EBADMSG : -ENOMEM;
    }
    *buf_p = buf;
    *len_p = len;
    return 0;
}

int pb_sealed_info(const char *path, pb_sealed_info_t *info)
{
    memset(info, 0, sizeof *info);
    struct stat st;
    int fd = pb_fdio_open_read(path, &st);
    if (fd < 0)
        return fd;
    info->disk_bytes = info->raw_bytes = (uint64_t)st.st_size;
    unsigned char *idx = NULL;
    size_t len = 0;
    if (S_ISREG(st.st_mode) && s_index_bytes(fd, (uint64_t)st.st_size, &idx, &len) == 0) {
        info->sealed = 1;
        info->records = pb_le_get(idx + 8, 8);
        info->raw_bytes = PB_SEGMENT_HEADER_SIZE + pb_le_get(idx + 16, 8);
        info->first_ts = pb_le_get(idx + 24, 8);
        info->last_ts = pb_le_get(idx + 32, 8);
    } else if (S_ISREG(st.st_mode) && st.st_size >= PB_SEGMENT_HEADER_SIZE) {
        unsigned char head[PB_SEGMENT_HEADER_SIZE];
        info->sealed = pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
                       pb_sealed_is_sealed(head, sizeof head); /* its index unusable */
    }
    free(idx);
    close(fd);
    return 0;
}
