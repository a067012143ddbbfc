/* pb_segment: one segment file of a stored run — CRC-checked records of verbatim frames. */
#ifndef PB_SEGMENT_H
#define PB_SEGMENT_H

/* Owner: issue 3 (subscriber/recorder). Read by the CLI and the reporter.
 * Format (schemas/STORAGE.md is the full description):
 *
 *   file header, 16 bytes: magic "PBSEGMNT", u32 LE version (1), u32 LE 0
 *   record:   u32 LE len     bytes after the crc field: 8 + 2 + topic + payload
 *             u32 LE crc     CRC-32 (IEEE 802.3, zlib's crc32) of those len bytes
 *             u64 LE recv_ts ns since the Unix epoch, when the recorder got it
 *             u16 LE tlen    topic length
 *             topic bytes, then payload bytes: the msgpack frame exactly as
 *             received from the wire (never re-encoded).
 *
 * Invariants of the reader: a record whose length runs past the end of the
 * file is a torn tail (a crash mid-write) and ends the segment; a record whose
 * CRC does not match is skipped — first by trusting its length, and if the
 * record after it does not check either, by scanning byte by byte for the
 * next record that does, in time linear in the bytes skipped (see the damage
 * recovery notes in pb_segment.c). Every skip is counted and reported, never
 * fatal. */

#include <stddef.h>
#include <stdint.h>

#define PB_SEGMENT_MAGIC       "PBSEGMNT"
#define PB_SEGMENT_VERSION     1
#define PB_SEGMENT_HEADER_SIZE 16
#define PB_SEGMENT_RECORD_HEAD 18                  /* len + crc + recv_ts + tlen */
#define PB_SEGMENT_MAX_RECORD  (64u * 1024 * 1024) /* larger len fields are corrupt */
/* Stored frames name processes and their command lines: owner and group
 * only, whatever the umask (STORAGE.md, "Permissions"). */
#define PB_SEGMENT_FILE_MODE 0640

/* One record; every pointer is borrowed from the reader and valid until the
 * next call on it. topic is NUL-terminated. */
typedef struct {
    uint64_t recv_ts;
    const char *topic;
    size_t topic_len;
    const void *payload;
    size_t payload_len;
    uint64_t offset; /* byte offset of the record in its segment file (sealed: of its block) */
} pb_record_t;

/* Damage found while reading (cumulative). */
typedef struct {
    uint64_t records;       /* good records returned */
    uint64_t corrupt;       /* records skipped for a CRC or length mismatch */
    uint64_t torn;          /* torn tails (0 or 1 per segment) */
    uint64_t skipped_bytes; /* bytes not returned as records */
    uint64_t bad_header;    /* files with a missing or wrong header */
} pb_segment_damage_t;

/* Called for every problem, with the file, the offset and a one-line message.
 * All strings are borrowed for the duration of the call. */
typedef void(pb_segment_problem_fn)(const char *path, uint64_t offset, const char *message,
                                    void *arg);

/* ---- writer ---- */
typedef struct pb_segment_writer pb_segment_writer_t;

/* Creates path (must not exist) with mode PB_SEGMENT_FILE_MODE exactly and
 * writes the header. On error NULL is returned and errno says why. */
pb_segment_writer_t *pb_segment_writer_new(const char *path);

/* Flushes what is buffered, closes the file; accepts NULL, sets *self_p NULL. */
void pb_segment_writer_destroy(pb_segment_writer_t **self_p);

/* Appends a record to the in-memory batch (nothing reaches the file before
 * pb_segment_writer_flush). Returns 0, -EINVAL (topic > 65535 bytes or record
 * > PB_SEGMENT_MAX_RECORD) or -ENOMEM. */
int pb_segment_writer_append(pb_segment_writer_t *self, uint64_t recv_ts, const char *topic,
                             size_t topic_len, const void *payload, size_t payload_len);

/* Writes the batch with write(2) (the kernel then has it: a kill -9 loses
 * nothing written); with sync != 0 also fdatasync(2)s. 0 or -errno. */
int pb_segment_writer_flush(pb_segment_writer_t *self, int sync);

/* Size the file will have once flushed (header + all records). */
uint64_t pb_segment_writer_size(const pb_segment_writer_t *self);

/* Bytes one record takes (head + topic + payload), and writes one at dst. */
size_t pb_segment_record_size(size_t topic_len, size_t payload_len);
void pb_segment_record_put(unsigned char *dst, uint64_t recv_ts, const char *topic,
                           size_t topic_len, const void *payload, size_t payload_len);

/* ---- reader ---- */
typedef struct pb_segment_reader pb_segment_reader_t;

/* Opens a segment for reading: format 1 (.pbl, this header) or a sealed
 * format-2 file (.pbz, pb_sealed.h), told apart by the magic. A file with a bad header or empty
 * file opens fine and yields no records (counted in bad_header and reported). On error NULL is
 * returned and errno says why (ENOENT, EACCES, ENOMEM...). */
pb_segment_reader_t *pb_segment_reader_new(const char *path);
void pb_segment_reader_destroy(pb_segment_reader_t **self_p);

/* Problems are reported to fn (default: none; counting always happens). */
void pb_segment_reader_set_problem_fn(pb_segment_reader_t *self, pb_segment_problem_fn *fn,
                                      void *arg);

/* Sealed segments: only blocks whose [first_ts, last_ts] meets [from_ns,
 * to_ns] are decoded (the time index says where they are). Records are not
 * filtered one by one: the caller still checks recv_ts. */
void pb_segment_reader_set_window(pb_segment_reader_t *self, uint64_t from_ns, uint64_t to_ns);

/* Reads the next good record into *rec. Returns 1 (a record), 0 (end of the
 * segment) or -ENOMEM. Damage is skipped, counted and reported. */
int pb_segment_reader_next(pb_segment_reader_t *self, pb_record_t *rec);

/* Damage seen so far in this segment. This function can't fail. */
pb_segment_damage_t pb_segment_reader_damage(const pb_segment_reader_t *self);

/* CRC-32 as zlib's crc32(crc, buf, len); start with crc = 0. */
uint32_t pb_segment_crc32(uint32_t crc, const void *buf, size_t len);

#endif
