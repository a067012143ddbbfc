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
 * whole buckets are exact. For each host and fine bucket it also keeps the
 * span of receive times (recv_ts) of the frames in it, so that a reader can
 * tell which buckets lie wholly inside a window of recv_ts.
 *
 * The rollups go into segment-N.pbr next to segment-N.pbz, in sections that
 * are zstd frames of their own, so a reader decompresses only what it uses
 * (a month's report: the series, the coarse buckets and the hosts' fine
 * ones, about a quarter of the file). schemas/STORAGE.md, "Rollups", has
 * the layout of version 2 (written) and version 1 (still read: one zstd
 * frame of series with both resolutions inline, no receive spans). */

#include <stddef.h>
#include <stdint.h>

#define PB_ROLLUP_MAGIC    "PBROLLUP"
#define PB_ROLLUP_VERSION  2
#define PB_ROLLUP_HEAD     32
#define PB_ROLLUP_FINE_S   60
#define PB_ROLLUP_COARSE_S 3600
#define PB_ROLLUP_MAX_RAW  (1u << 30) /* a larger raw_len is damage */

/* Version 2's sections, in file order (a reader ignores ids it does not know). */
typedef enum {
    PB_ROLLUP_SEC_SERIES = 1,    /* the series: host, type, pid, comm, field, kind */
    PB_ROLLUP_SEC_COARSE = 2,    /* every series' coarse buckets */
    PB_ROLLUP_SEC_FINE_SYS = 3,  /* the sys series' fine buckets */
    PB_ROLLUP_SEC_FINE_PROC = 4, /* the proc series' fine buckets */
    PB_ROLLUP_SEC_SPANS = 5,     /* each host's fine buckets' receive spans */
    PB_ROLLUP_SEC_SEGMENT = 6,   /* the sealed segment's records and recv_ts span */
    PB_ROLLUP_SEC_MARKS = 7,     /* its hb and prof frames, seq spans, hosts' stretches */
} pb_rollup_section_t;
#define PB_ROLLUP_SEC_ENTRY 24 /* u32 id | u32 comp_len | u32 raw_len | u32 crc | u64 offset */
#define PB_ROLLUP_MAX_SECS  16 /* more is damage */

typedef struct pb_rollup pb_rollup_t;

/* A new empty rollup, or NULL on ENOMEM. */
pb_rollup_t *pb_rollup_new(void);
void pb_rollup_destroy(pb_rollup_t **self_p);

/* Adds one record's payload, received at recv_ns (every record of the
 * segment, in file order): the numbers of sys and proc frames, and of every
 * frame what pb_rollmark keeps. Payloads that do not decode are left out
 * (the reader reports damage). 0 or -ENOMEM. */
int pb_rollup_add(pb_rollup_t *self, uint64_t recv_ns, const void *payload, size_t len);

/* Series so far. */
size_t pb_rollup_series(const pb_rollup_t *self);

/* The sealed segment's index says it holds records records received from
 * first_ns to last_ns (every record, not only sys and proc): written along,
 * so a reader can tell whether a window covers the segment without opening
 * it. Can't fail. */
void pb_rollup_set_segment(pb_rollup_t *self, uint64_t records, uint64_t first_ns,
                           uint64_t last_ns);

/* Writes the rollup to path (created with mode 0640, fsynced). 0 or -errno. */
int pb_rollup_write(const pb_rollup_t *self, const char *path);

/* One bucket as read back. */
typedef struct {
    uint64_t start_s, count;
    double min, max, sum, last;
} pb_rollup_bucket_t;

/* A series as read back: borrowed for the call it is given to. */
typedef struct {
    size_t index; /* in the file: 0, 1, ... in the order want is called */
    const char *host, *comm, *field;
    int type; /* 1 sys, 2 proc */
    uint64_t pid;
    int kind; /* 0 counter, 1 gauge, 2 rate */
} pb_rollup_series_t;

/* Reads path and calls fn once per bucket of every series (coarse != 0 for
 * the coarse buckets). 0, -EBADMSG (damaged: header, CRC, zstd or layout) or
 * -errno. */
typedef int(pb_rollup_fn)(const pb_rollup_series_t *s, int coarse, const pb_rollup_bucket_t *b,
                          void *arg);
int pb_rollup_read(const char *path, pb_rollup_fn *fn, void *arg);

/* pb_rollup_read of the series want asks for: called once per series, in
 * file order and before any bucket, it returns which resolutions fn gets
 * (bit 0: fine, bit 1: coarse; 0 skips the series; negative: stop, and that
 * is returned). Every section read is checked whole (CRC, zstd, layout); a
 * section no series asked for is not read. NULL: all. */
typedef int(pb_rollup_want_fn)(const pb_rollup_series_t *s, void *arg);
int pb_rollup_read_some(const char *path, pb_rollup_want_fn *want, pb_rollup_fn *fn, void *arg);

/* A reader for many files, keeping its buffers and zstd context from one to
 * the next. new: NULL on ENOMEM. */
typedef struct pb_rollup_reader pb_rollup_reader_t;
pb_rollup_reader_t *pb_rollup_reader_new(void);
void pb_rollup_reader_destroy(pb_rollup_reader_t **self_p);

/* Loads path (checking its header and section table, or a version 1 file
 * whole) for the calls below. 0, -EBADMSG or -errno. */
int pb_rollup_reader_open(pb_rollup_reader_t *self, const char *path);

/* The buckets of the loaded file, as pb_rollup_read_some. */
int pb_rollup_reader_buckets(pb_rollup_reader_t *self, pb_rollup_want_fn *want, pb_rollup_fn *fn,
                             void *arg);

/* One fine bucket's receive span: the first and last recv_ts of the frames
 * (sys and proc) of its host whose envelope ts fall in it. */
typedef struct {
    uint64_t start_s, recv_min_ns, recv_max_ns;
} pb_rollup_span_t;

/* Calls fn once per host of the loaded file with its fine buckets' spans in
 * order of start_s (borrowed for the call). 0, -ENODATA (a version 1 file
 * has none), -EBADMSG, or what fn returned when negative. */
typedef int(pb_rollup_spans_fn)(const char *host, const pb_rollup_span_t *spans, size_t n,
                                void *arg);
int pb_rollup_reader_spans(pb_rollup_reader_t *self, pb_rollup_spans_fn *fn, void *arg);

/* What pb_rollup_set_segment said of the loaded file's segment. 0, -ENODATA
 * (a version 1 file, or one written without it), -EBADMSG. */
int pb_rollup_reader_segment(pb_rollup_reader_t *self, uint64_t *records, uint64_t *first_ns,
                             uint64_t *last_ns);

/* What pb_rollmark kept of the loaded file's segment, to fns (pb_rollmark.h),
 * the section checked whole first. 0, -ENODATA (a version 1 file, or one
 * written without it), -EBADMSG, or a callback's negative return. */
typedef struct pb_rollmark_fns pb_rollmark_fns_t;
int pb_rollup_reader_marks(pb_rollup_reader_t *self, const pb_rollmark_fns_t *fns, void *arg);

/* pb_rollup_reader_open, then pb_rollup_reader_buckets. */
int pb_rollup_reader_read(pb_rollup_reader_t *self, const char *path, pb_rollup_want_fn *want,
                          pb_rollup_fn *fn, void *arg);

#endif
