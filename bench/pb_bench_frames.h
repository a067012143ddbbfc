/* pb_bench_frames: captured wire frames reused as templates, seq and ts patched in place per send.
 */
#ifndef PB_BENCH_FRAMES_H
#define PB_BENCH_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One template: a [topic][payload] pair whose envelope seq and ts are encoded
 * as msgpack uint64 (0xcf + 8 big-endian bytes), so that a new value is 8
 * byte stores and the frame stays valid msgpack of the same size. */
typedef struct {
    char topic[128];
    size_t topic_len;
    unsigned char *payload;
    size_t payload_len;
    size_t seq_at, ts_at; /* offsets of the 8 value bytes in payload */
    bool is_sys;
} pb_bench_frame_t;

typedef struct pb_bench_frames pb_bench_frames_t;

/* An empty set; frames get host `host` and src `src` (copied). NULL on ENOMEM. */
pb_bench_frames_t *pb_bench_frames_new(const char *host, const char *src);
void pb_bench_frames_destroy(pb_bench_frames_t **self_p);

/* Adds a template made from a received payload (a sys or proc frame).
 * pid > 0 replaces a proc frame's pid (and topic tail). Returns 0, -EBADMSG
 * (not a decodable frame), -EINVAL (not sys/proc) or -ENOMEM. */
int pb_bench_frames_add(pb_bench_frames_t *self, const void *payload, size_t len, uint64_t pid);

/* Number of templates; the template at i (borrowed, NULL when out of range). */
size_t pb_bench_frames_count(const pb_bench_frames_t *self);
const pb_bench_frame_t *pb_bench_frames_at(const pb_bench_frames_t *self, size_t i);

/* Writes seq and ts into template i; returns it (borrowed) or NULL when i is
 * out of range. */
const pb_bench_frame_t *pb_bench_frames_stamp(pb_bench_frames_t *self, size_t i, uint64_t seq,
                                              uint64_t ts);

/* Mean payload size in bytes over the templates (0 when empty). */
double pb_bench_frames_mean_bytes(const pb_bench_frames_t *self);

/* Capture files: payloads, each prefixed by its length (u32 little-endian).
 * save returns 0 or -errno. load builds one sys template and nprocs proc
 * templates (pids 4000000 + i, cycling over the captured proc frames); it
 * returns NULL with errno set (ENOENT, EBADMSG: damaged or no sys/proc frame). */
int pb_bench_frames_save_raw(const char *path, const void *const *payloads, const size_t *lens,
                             size_t n);
pb_bench_frames_t *pb_bench_frames_load(const char *path, size_t nprocs, const char *host,
                                        const char *src);

#endif
