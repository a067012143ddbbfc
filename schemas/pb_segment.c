/* pb_segment: writes and reads segment files of CRC-checked, length-prefixed frame records. */
#include "pb_segment.h"

#include "pb_fdio.h"
#include "pb_le.h"
#include "pb_sealed.h"

#include <limits.h>
#include <stdbool.h>
#include <zlib.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct pb_segment_writer {
    int fd;
    char *buf; /* the batch not yet written */
    size_t len, cap;
    uint64_t written; /* bytes already in the file */
};

/* A sealed file's blocks are walked through its index when it checks, else
 * one after the other from the header. */
typedef struct {
    pb_sealed_index_t idx;
    int has_index;
    uint32_t next_entry;
    uint64_t scan_pos, end;  /* next block without an index; end of the blocks */
    uint64_t block_off;      /* of the block being read */
    uint64_t from_ns, to_ns; /* window */
    void *dctx;
    unsigned char *buf; /* the decoded block */
    size_t buf_cap;
} s_sealed_t;

struct pb_segment_reader {
    char *path;
    const unsigned char *file; /* the whole file, read-only; NULL when empty */
    size_t file_size;
    /* the records being walked: the file (format 1) or a decoded block */
    const unsigned char *map;
    size_t size;
    size_t pos;
    s_sealed_t *sealed; /* NULL for format 1 */
    char *topic;        /* NUL-terminated copy of the current record's topic */
    size_t topic_cap;
    pb_segment_damage_t damage;
    pb_segment_problem_fn *problem_fn;
    void *problem_arg;
    uint32_t *prefix;  /* prefix CRCs every S_STRIDE bytes, from the first damage on */
    bool prefix_tried; /* built (or failed for memory) once per reader */
};

/* Stride of the prefix CRC table: a record's CRC costs at most two partial
 * CRCs of this many bytes and one crc32_combine, whatever its length; the
 * table takes 4 bytes per stride (1/32 of the file). */
#define S_STRIDE 128

/* ---- CRC-32 (reflected, polynomial 0xEDB88320: zlib's) ---- */

/* zlib's slice-by-N CRC is several times faster than a byte table: the
 * reader spends most of its time here on large runs. */
uint32_t pb_segment_crc32(uint32_t crc, const void *buf, size_t len)
{
    while (len > UINT_MAX) {
        crc = (uint32_t)crc32(crc, buf, UINT_MAX);
        buf = (const unsigned char *)buf + UINT_MAX;
        len -= UINT_MAX;
    }
    return (uint32_t)crc32(crc, buf, (uInt)len);
}

/* ---- writer ---- */

pb_segment_writer_t *pb_segment_writer_new(const char *path)
{
    pb_segment_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, PB_SEGMENT_FILE_MODE);
    unsigned char head[PB_SEGMENT_HEADER_SIZE] = {0};
    memcpy(head, PB_SEGMENT_MAGIC, 8);
    pb_le_put(head + 8, PB_SEGMENT_VERSION, 4);
    /* the umask may only have removed bits: set the mode exactly */
    int rc = self->fd < 0 || fchmod(self->fd, PB_SEGMENT_FILE_MODE) < 0
                 ? -errno
                 : pb_fdio_write_all(self->fd, head, sizeof head);
    if (rc < 0) {
        if (self->fd >= 0)
            close(self->fd);
        free(self);
        errno = -rc;
        return NULL;
    }
    self->written = sizeof head;
    return self;
}

void pb_segment_writer_destroy(pb_segment_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_segment_writer_t *self = *self_p;
    pb_segment_writer_flush(self, 0);
    close(self->fd);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

static int s_reserve(pb_segment_writer_t *self, size_t more)
{
    if (self->len + more <= self->cap)
        return 0;
    size_t cap = self->cap ? self->cap : 65536;
    while (cap < self->len + more)
        cap *= 2;
    char *buf = realloc(self->buf, cap);
    if (!buf)
        return -ENOMEM;
    self->buf = buf;
    self->cap = cap;
    return 0;
}

size_t pb_segment_record_size(size_t topic_len, size_t payload_len)
{
    return PB_SEGMENT_RECORD_HEAD + topic_len + payload_len;
}

void pb_segment_record_put(unsigned char *rec, uint64_t recv_ts, const char *topic,
                           size_t topic_len, const void *payload, size_t payload_len)
{
    size_t body = 8 + 2 + topic_len + payload_len;
    pb_le_put(rec, body, 4);
    pb_le_put(rec + 8, recv_ts, 8);
    pb_le_put(rec + 16, topic_len, 2);
    memcpy(rec + PB_SEGMENT_RECORD_HEAD, topic, topic_len);
    if (payload_len > 0)
        memcpy(rec + PB_SEGMENT_RECORD_HEAD + topic_len, payload, payload_len);
    pb_le_put(rec + 4, pb_segment_crc32(0, rec + 8, body), 4);
}

int pb_segment_writer_append(pb_segment_writer_t *self, uint64_t recv_ts, const char *topic,
                             size_t topic_len, const void *payload, size_t payload_len)
{
    if (topic_len > UINT16_MAX || payload_len > PB_SEGMENT_MAX_RECORD)
        return -EINVAL;
    size_t size = pb_segment_record_size(topic_len, payload_len);
    if (size - 8 > PB_SEGMENT_MAX_RECORD)
        return -EINVAL;
    if (s_reserve(self, size) < 0)
        return -ENOMEM;
    pb_segment_record_put((unsigned char *)self->buf + self->len, recv_ts, topic, topic_len,
                          payload, payload_len);
    self->len += size;
    return 0;
}

int pb_segment_writer_flush(pb_segment_writer_t *self, int sync)
{
    int rc = pb_fdio_write_all(self->fd, self->buf, self->len);
    if (rc < 0)
        return rc;
    self->written += self->len;
    self->len = 0;
    if (sync && fdatasync(self->fd) < 0)
        return -errno;
    return 0;
}

uint64_t pb_segment_writer_size(const pb_segment_writer_t *self)
{
    return self->written + self->len;
}

/* ---- reader ---- */

static void s_problem(pb_segment_reader_t *self, uint64_t offset, const char *fmt, uint64_t a)
{
    if (!self->problem_fn)
        return;
    char msg[160], where[220];
    snprintf(msg, sizeof msg, fmt, (unsigned long long)a);
    if (self->sealed && self->map != self->file) {
        snprintf(where, sizeof where, "%s (at byte %llu of the block decoded from offset %llu)",
                 msg, (unsigned long long)offset, (unsigned long long)self->sealed->block_off);
        offset = self->sealed->block_off;
    } else
        snprintf(where, sizeof where, "%s", msg);
    self->problem_fn(self->path, offset, where, self->problem_arg);
}

static int s_map_file(pb_segment_reader_t *self, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    self->size = (size_t)st.st_size;
    if (self->size == 0)
        return 0;
    void *map = mmap(NULL, self->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return -errno;
    self->map = self->file = map;
    self->file_size = self->size;
    return 0;
}

/* A sealed file: its records come block by block (s_next_block); until the
 * first block the span to walk is empty. */
static int s_sealed_init(pb_segment_reader_t *self)
{
    s_sealed_t *z = calloc(1, sizeof *z);
    if (!z || !(z->dctx = pb_sealed_dctx_new())) {
        free(z);
        return -ENOMEM;
    }
    self->sealed = z;
    z->to_ns = UINT64_MAX;
    z->has_index = pb_sealed_index(self->file, self->file_size, &z->idx) == 0;
    z->end = z->has_index ? z->idx.index_offset : self->file_size;
    z->scan_pos = PB_SEGMENT_HEADER_SIZE;
    self->size = self->pos = 0;
    return 0;
}

static void s_check_header(pb_segment_reader_t *self)
{
    if (self->size >= PB_SEGMENT_HEADER_SIZE && memcmp(self->map, PB_SEGMENT_MAGIC, 8) == 0 &&
        pb_le_get(self->map + 8, 4) == PB_SEGMENT_VERSION) {
        self->pos = PB_SEGMENT_HEADER_SIZE;
        return;
    }
    self->damage.bad_header = 1;
    self->damage.skipped_bytes = self->size;
    self->pos = self->size;
}

pb_segment_reader_t *pb_segment_reader_new(const char *path)
{
    pb_segment_reader_t *self = calloc(1, sizeof *self);
    if (!self || !(self->path = strdup(path))) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -errno : s_map_file(self, fd);
    if (fd >= 0)
        close(fd);
    if (rc == 0 && pb_sealed_is_sealed(self->file, self->file_size))
        rc = s_sealed_init(self);
    else if (rc == 0)
        s_check_header(self);
    if (rc < 0) {
        pb_segment_reader_destroy(&self);
        errno = -rc;
        return NULL;
    }
    return self;
}

void pb_segment_reader_destroy(pb_segment_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_segment_reader_t *self = *self_p;
    if (self->file)
        munmap((void *)self->file, self->file_size);
    if (self->sealed) {
        pb_sealed_dctx_destroy(&self->sealed->dctx);
        free(self->sealed->buf);
        free(self->sealed);
    }
    free(self->path);
    free(self->topic);
    free(self->prefix);
    free(self);
    *self_p = NULL;
}

void pb_segment_reader_set_problem_fn(pb_segment_reader_t *self, pb_segment_problem_fn *fn,
                                      void *arg)
{
    self->problem_fn = fn;
    self->problem_arg = arg;
    if (self->damage.bad_header)
        s_problem(self, 0, "not a perfbus segment (bad or missing header, %llu bytes)", self->size);
    if (self->sealed && !self->sealed->has_index)
        s_problem(self, self->file_size,
                  "time index missing or damaged: blocks read in order (%llu bytes)",
                  self->file_size);
}

void pb_segment_reader_set_window(pb_segment_reader_t *self, uint64_t from_ns, uint64_t to_ns)
{
    if (self->sealed) {
        self->sealed->from_ns = from_ns;
        self->sealed->to_ns = to_ns;
    }
}

/* ---- damage recovery ----
 *
 * Reading good records CRCs each byte once. Once damage is seen the reader
 * must try candidate records at every offset, and each candidate's length
 * field (up to PB_SEGMENT_MAX_RECORD) would cost that many bytes of CRC:
 * cubic in the damage. So at the first damage the reader builds prefix CRCs
 * of the whole file, one per S_STRIDE bytes (one pass), and from then on
 * the CRC of any range [a, b) is crc32_combine(crc[0,a), crc[0,b), b - a)
 * (CRC-32 is linear: crc(A||B) = shift(crc A, |B|) ^ crc B), each prefix
 * being a table entry plus under S_STRIDE bytes. A candidate then costs
 * O(S_STRIDE) and a scan is linear in the bytes it passes. Lengths are
 * bounded by the bytes left in the file before any CRC is computed. */

static void s_build_prefix(pb_segment_reader_t *self)
{
    if (self->prefix_tried)
        return;
    self->prefix_tried = true;
    size_t n = self->size / S_STRIDE + 1;
    uint32_t *crc = malloc(n * sizeof *crc);
    if (!crc)
        return; /* direct CRCs: slower, still correct */
    crc[0] = 0;
    for (size_t i = 1; i < n; i++)
        crc[i] = pb_segment_crc32(crc[i - 1], self->map + (i - 1) * S_STRIDE, S_STRIDE);
    self->prefix = crc;
}

/* CRC of the first end bytes of the file, from the table. */
static uint32_t s_prefix_crc(const pb_segment_reader_t *self, size_t end)
{
    size_t i = end / S_STRIDE;
    return pb_segment_crc32(self->prefix[i], self->map + i * S_STRIDE, end - i * S_STRIDE);
}

static uint32_t s_range_crc(const pb_segment_reader_t *self, size_t at, size_t len)
{
    if (!self->prefix)
        return pb_segment_crc32(0, self->map + at, len);
    uLong head = s_prefix_crc(self, at), whole = s_prefix_crc(self, at + len);
    return (uint32_t)crc32_combine(head, whole, (z_off_t)len);
}

/* What is at pos: 1 a valid record of total size *total, 0 a corrupt one,
 * -1 a record running past the end of the file (torn). */
static int s_probe(const pb_segment_reader_t *self, size_t pos, size_t *total)
{
    size_t left = self->size - pos;
    if (left < PB_SEGMENT_RECORD_HEAD)
        return -1;
    uint64_t body = pb_le_get(self->map + pos, 4);
    if (body < 10 || body > PB_SEGMENT_MAX_RECORD)
        return 0;
    if (body + 8 > left)
        return -1;
    uint64_t tlen = pb_le_get(self->map + pos + 16, 2);
    if (tlen + 10 > body)
        return 0;
    *total = (size_t)body + 8;
    uint32_t crc = (uint32_t)pb_le_get(self->map + pos + 4, 4);
    return s_range_crc(self, pos + 8, (size_t)body) == crc;
}

/* Offset of the first valid record after pos, or the end of the file. */
static size_t s_scan(const pb_segment_reader_t *self, size_t pos)
{
    size_t total = 0;
    for (size_t p = pos + 1; p + PB_SEGMENT_RECORD_HEAD <= self->size; p++)
        if (s_probe(self, p, &total) == 1)
            return p;
    return self->size;
}

/* After a corrupt record at pos: trust its length if the record after it
 * checks, else scan byte by byte. */
static size_t s_resync(const pb_segment_reader_t *self, size_t pos)
{
    size_t total = 0;
    uint64_t body = pb_le_get(self->map + pos, 4);
    if (body + 8 <= self->size - pos && s_probe(self, pos + (size_t)body + 8, &total) == 1)
        return pos + (size_t)body + 8;
    return s_scan(self, pos);
}

static int s_fill(pb_segment_reader_t *self, size_t pos, size_t total, pb_record_t *rec)
{
    const unsigned char *p = self->map + pos;
    size_t tlen = (size_t)pb_le_get(p + 16, 2);
    if (tlen + 1 > self->topic_cap) {
        char *t = realloc(self->topic, tlen + 1);
        if (!t)
            return -ENOMEM;
        self->topic = t;
        self->topic_cap = tlen + 1;
    }
    memcpy(self->topic, p + PB_SEGMENT_RECORD_HEAD, tlen);
    self->topic[tlen] = '\0';
    rec->recv_ts = pb_le_get(p + 8, 8);
    rec->topic = self->topic;
    rec->topic_len = tlen;
    rec->payload = p + PB_SEGMENT_RECORD_HEAD + tlen;
    rec->payload_len = total - PB_SEGMENT_RECORD_HEAD - tlen;
    rec->offset = pos;
    return 1;
}

/* Skips the damage at pos (kind as s_probe said); 0 on, or 1 at a torn end. */
static int s_skip_damage(pb_segment_reader_t *self, size_t pos, int kind)
{
    s_build_prefix(self);
    size_t next = kind < 0 ? s_scan(self, pos) : s_resync(self, pos);
    self->pos = next;
    self->damage.skipped_bytes += next - pos;
    if (kind < 0 && next == self->size) {
        self->damage.torn++;
        s_problem(self, pos, "torn last record (%llu bytes) skipped", next - pos);
        return 1;
    }
    self->damage.corrupt++;
    s_problem(self, pos, "corrupt record (CRC or length mismatch), %llu bytes skipped", next - pos);
    return 0;
}

/* ---- sealed files: one block at a time ---- */

/* Where the next block in the window starts: 1 (*b filled), 0 none left. */
static int s_find_block(pb_segment_reader_t *self, pb_sealed_block_t *b)
{
    s_sealed_t *z = self->sealed;
    for (;;) {
        uint64_t at = 0, first = 0, last = 0;
        if (z->has_index) {
            if (z->next_entry >= z->idx.nblocks)
                return 0;
            pb_sealed_entry(&z->idx, z->next_entry++, &at, &first, &last);
            if (last < z->from_ns || first > z->to_ns)
                continue;
        } else if ((at = z->scan_pos) >= z->end ||
                   (z->end - at >= 4 && memcmp(self->file + at, "PBZI", 4) == 0))
            return 0; /* the end, or the (damaged, already reported) index after the blocks */
        z->block_off = at;
        if (pb_sealed_block_at(self->file, z->end, at, b)) {
            z->scan_pos = at + PB_SEALED_BLOCK_HEAD + b->comp_len;
            if (z->has_index || (b->last_ts >= z->from_ns && b->first_ts <= z->to_ns))
                return 1;
            continue;
        }
        uint64_t next = z->has_index ? at : pb_sealed_scan(self->file, z->end, at);
        self->damage.corrupt++;
        self->damage.skipped_bytes += z->has_index ? PB_SEALED_BLOCK_HEAD : next - at;
        s_problem(self, at, "damaged block header, %llu bytes skipped",
                  z->has_index ? PB_SEALED_BLOCK_HEAD : next - at);
        z->scan_pos = next;
    }
}

/* Decodes the next block in the window into the span: 1, 0 at the end, or -ENOMEM. */
static int s_next_block(pb_segment_reader_t *self)
{
    s_sealed_t *z = self->sealed;
    pb_sealed_block_t b;
    char why[120];
    while (s_find_block(self, &b)) {
        int rc = pb_sealed_decode(self->file, &b, z->dctx, &z->buf, &z->buf_cap, why, sizeof why);
        if (rc == -ENOMEM)
            return rc;
        free(self->prefix);
        self->prefix = NULL;
        self->prefix_tried = false;
        self->map = self->file;
        if (rc == 0) {
            self->map = z->buf;
            self->size = b.raw_len;
            self->pos = 0;
            return 1;
        }
        self->damage.corrupt++;
        self->damage.skipped_bytes += PB_SEALED_BLOCK_HEAD + b.comp_len;
        char msg[300];
        snprintf(msg, sizeof msg, "damaged compressed block (%s): its %u records skipped", why,
                 b.records);
        if (self->problem_fn)
            self->problem_fn(self->path, b.offset, msg, self->problem_arg);
    }
    return 0;
}

int pb_segment_reader_next(pb_segment_reader_t *self, pb_record_t *rec)
{
    for (;;) {
        while (self->pos < self->size) {
            size_t total = 0, pos = self->pos;
            int kind = s_probe(self, pos, &total);
            if (kind == 1) {
                self->pos += total;
                self->damage.records++;
                int rc = s_fill(self, pos, total, rec);
                if (self->sealed)
                    rec->offset = self->sealed->block_off;
                return rc;
            }
            if (s_skip_damage(self, pos, kind))
                break;
        }
        if (!self->sealed)
            return 0;
        int rc = s_next_block(self);
        if (rc <= 0)
            return rc;
    }
}

pb_segment_damage_t pb_segment_reader_damage(const pb_segment_reader_t *self)
{
    return self->damage;
}
