/* pb_rollup: per-bucket min/max/sum/count/last of every catalogued number, written at seal. */
#ifndef PB_ROLLUP_H
#define PB_ROLLUP_H

/* Owner: issue 13. When a segment is sealed (pb_sealed_seal), every sys and
 * proc frame of it also goes through a pb_rollup: for each series (host,
 * frame type, pid for proc, catalogued number outside lists: the numbers
 * pb_frame_reader gives) and each bucket of PB_ROLLUP_FINE_S and
 * PB_ROLLUP_COARSE_S seconds of the frames' envelope ts, the min, max, sum and
 * count of the values, and the last value (by ts: for counters, what makes
 * rates across buckets exact). Min, max, sum and count of any window made of
 * whole buckets are exact. The rollups go into segment-N.pbr next to
 * segment-N.pbz (schemas/STORAGE.md, "Rollups"):
 *
 *   header, 32 bytes: "PBROLLUP" | u32 version (1) | u32 0 | u32 comp_len |
 *                     u32 raw_len | u32 crc of the comp_len bytes | u32 0
 *   then one zstd frame of raw_len bytes:
 *     u32 nseries, then per series: u16 len + host | u8 type (1 sys, 2 proc) |
 *     u64 pid (0 for sys) | u16 len + comm | u16 len + field path | u8 kind
 *     (0 counter, 1 gauge, 2 rate) | for the fine, then the coarse buckets:
 *     u32 n, then n x (u64 start_s | f64 min | f64 max | f64 sum | u64 count |
 *     f64 last), in order of start_s.
 * All integers and doubles little-endian. */

#include <stddef.h>
#include <stdint.h>

#define PB_ROLLUP_MAGIC    "PBROLLUP"
#define PB_ROLLUP_VERSION  1
#define PB_ROLLUP_HEAD     32
#define PB_ROLLUP_FINE_S   60
#define PB_ROLLUP_COARSE_S 3600
#define PB_ROLLUP_MAX_RAW  (1u << 30) /* a larger raw_len is damage */

typedef struct pb_rollup pb_rollup_t;

/* A new empty rollup, or NULL on ENOMEM. */
pb_rollup_t *pb_rollup_new(void);
void pb_rollup_destroy(pb_rollup_t **self_p);

/* Adds one frame's numbers (a record's payload). Frames that are not sys or
 * proc, or do not decode, are left out (the reader reports damage). 0 or
 * -ENOMEM. */
int pb_rollup_add(pb_rollup_t *self, const void *payload, size_t len);

/* Series so far. */
size_t pb_rollup_series(const pb_rollup_t *self);

/* Writes the rollup to path (created with mode 0640, fsynced). 0 or -errno. */
int pb_rollup_write(const pb_rollup_t *self, const char *path);

/* One bucket as read back. */
typedef struct {
    uint64_t start_s, count;
    double min, max, sum, last;
} pb_rollup_bucket_t;

/* Reads path and calls fn once per bucket of every series (coarse != 0 for
 * the coarse buckets); host, comm and field are borrowed for the call.
 * 0, -EBADMSG (damaged: header, CRC, zstd or layout) or -errno. */
typedef int(pb_rollup_fn)(const char *host, int type, uint64_t pid, const char *comm,
                          const char *field, int kind, int coarse, const pb_rollup_bucket_t *b,
                          void *arg);
int pb_rollup_read(const char *path, pb_rollup_fn *fn, void *arg);

/* pb_rollup_read of the series want asks for: called once per series, it
 * returns which resolutions fn gets (bit 0: fine, bit 1: coarse; 0 skips the
 * series; negative: stop, and that is returned). The skipped buckets are
 * still checked to be there, so whether the file reads (0 or -EBADMSG) does
 * not depend on want. NULL: all. */
typedef int(pb_rollup_want_fn)(const char *host, int type, uint64_t pid, const char *comm,
                               const char *field, int kind, void *arg);
int pb_rollup_read_some(const char *path, pb_rollup_want_fn *want, pb_rollup_fn *fn, void *arg);

/* A reader for many files (pb_rollup_read_some, keeping its buffers and zstd
 * context from one to the next). new: NULL on ENOMEM; read: as
 * pb_rollup_read_some. */
typedef struct pb_rollup_reader pb_rollup_reader_t;
pb_rollup_reader_t *pb_rollup_reader_new(void);
void pb_rollup_reader_destroy(pb_rollup_reader_t **self_p);
int pb_rollup_reader_read(pb_rollup_reader_t *self, const char *path, pb_rollup_want_fn *want,
                          pb_rollup_fn *fn, void *arg);

#endif
