/* pb_sealed: sealed (format 2) segments — zstd blocks of records with a time index. */
#ifndef PB_SEALED_H
#define PB_SEALED_H

/* Owner: issue 13 (recorded runs v2). schemas/STORAGE.md is the full description:
 *
 *   header, 16 bytes:  "PBSEGZST" | u32 LE version (2) | u32 LE 0
 *   block:             u32 "PBZB" | u32 comp_len | u32 raw_len | u32 records |
 *                      u64 first_ts | u64 last_ts | u32 data_crc | u32 head_crc,
 *                      then comp_len bytes: one zstd frame whose content is raw_len
 *                      bytes of format-1 records (pb_segment.h), whole records only.
 *   index:             u32 "PBZI" | u32 nblocks | u64 records | u64 raw_bytes |
 *                      u64 first_ts | u64 last_ts | nblocks x {u64 offset,
 *                      u64 first_ts, u64 last_ts}
 *   trailer, 16 bytes: u64 index_offset | u32 index_crc | "PBZE"
 *
 * A block decodes on its own (its own zstd frame, its own CRCs): a damaged
 * block costs only its records. The index lets a windowed read go straight
 * to the blocks that overlap the window; without it (damaged, or a file cut
 * short) a reader walks the blocks from the header. Sealing writes
 * <name>.pbz.tmp, fsyncs it, writes the rollups (<name>.pbr, pb_rollup.h),
 * renames the .tmp to <name>.pbz, then unlinks <name>.pbl, so a crash leaves
 * the old segment, the new one, or both. */

#include <stddef.h>
#include <stdint.h>

#define PB_SEALED_MAGIC       "PBSEGZST"
#define PB_SEALED_VERSION     2
#define PB_SEALED_BLOCK_HEAD  40
#define PB_SEALED_INDEX_HEAD  40
#define PB_SEALED_INDEX_ENTRY 24
#define PB_SEALED_TRAILER     16
/* Records are gathered into blocks of about this many raw bytes (a record
 * is never split: a larger one makes a block of its own). */
#define PB_SEALED_BLOCK_RAW (1u << 20)
/* A block claiming more raw bytes is damage (one record of the maximum size, with headroom). */
#define PB_SEALED_MAX_RAW (80u * 1024 * 1024)

typedef struct {
    uint64_t offset; /* of the block header in the file */
    uint32_t comp_len, raw_len, records;
    uint64_t first_ts, last_ts; /* min and max recv_ts of its records */
    uint32_t data_crc;
} pb_sealed_block_t;

/* What the index says about a segment (valid only when the index checked). */
typedef struct {
    uint32_t nblocks;
    uint64_t records, raw_bytes, first_ts, last_ts;
    uint64_t index_offset; /* where blocks end */
    const unsigned char *entries;
} pb_sealed_index_t;

/* 1 when map starts with a format-2 header. */
int pb_sealed_is_sealed(const void *map, size_t size);

/* Reads the index of a mapped sealed file. 0, or -EBADMSG when it is missing or damaged. */
int pb_sealed_index(const void *map, size_t size, pb_sealed_index_t *out);

/* Offset, first and last ts of index entry i (i < nblocks). */
void pb_sealed_entry(const pb_sealed_index_t *idx, uint32_t i, uint64_t *offset, uint64_t *first_ts,
                     uint64_t *last_ts);

/* Parses the block header at offset: 1 when it checks and its data fits in
 * [0, end), else 0. */
int pb_sealed_block_at(const void *map, size_t end, uint64_t offset, pb_sealed_block_t *out);

/* First offset after `after` holding a block header that checks, or end. */
uint64_t pb_sealed_scan(const void *map, size_t end, uint64_t after);

/* Decompresses block b into *buf_p (grown as needed, *cap_p its size; the
 * caller frees it) after checking its data CRC. 0, -ENOMEM, or -EBADMSG with
 * a reason in why. */
int pb_sealed_decode(const void *map, const pb_sealed_block_t *b, void *dctx, unsigned char **buf_p,
                     size_t *cap_p, char *why, size_t whylen);

/* A zstd decompression context for pb_sealed_decode (NULL on ENOMEM); free with the next. */
void *pb_sealed_dctx_new(void);
void pb_sealed_dctx_destroy(void **dctx_p);

/* Seals the format-1 segment at pbl_path (name ending in .pbl) into the
 * format-2 file next to it (.pbz) with zstd level (1..19), crash-safely as
 * above. Damaged records of the source are dropped (the reader would skip
 * them too). On success the .pbl is gone. 0 or negative errno. */
int pb_sealed_seal(const char *pbl_path, int level);

/* Sizes of a segment file of either format, from its header and index:
 * disk bytes, the bytes its records took before compression (a format-1 or
 * unindexed file: its size), records and time span (0 when unknown). 0 or
 * negative errno. */
typedef struct {
    int sealed;
    uint64_t disk_bytes, raw_bytes, records, first_ts, last_ts;
} pb_sealed_info_t;
int pb_sealed_info(const char *path, pb_sealed_info_t *info);

#endif
