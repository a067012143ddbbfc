/* pb_sampler: timer-driven stack sampling of chosen threads into a preallocated ring. */
#ifndef PB_SAMPLER_H
#define PB_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SAMPLER_DEPTH   64 /* frames kept per sample, leaf first */
#define PB_SAMPLER_THREADS 32 /* threads one sampler can follow */

typedef enum { PB_CLOCK_CPU, PB_CLOCK_WALL } pb_clock_t;

typedef struct pb_sampler pb_sampler_t;

/* One captured stack: pcs[0] is the interrupted pc, the rest are return
 * addresses. `complete` is true when the walk reached the thread's root frame. */
typedef struct {
    const uintptr_t *pcs;
    unsigned depth;
    unsigned thread;
    bool complete;
} pb_sample_t;

/* Totals over the threads that ran, for the quality report. */
typedef struct {
    uint64_t received; /* samples stored */
    uint64_t dropped;  /* signals that found the ring full */
    double cpu_s;      /* CPU time of the sampled threads while armed */
    double wall_s;     /* wall time the sampled threads were armed, summed */
    unsigned threads;  /* distinct threads that were sampled */
} pb_sampler_totals_t;

/* Allocates a ring for `capacity` samples (pages are touched lazily) and
 * installs the SIGPROF handler once per process. NULL on failure. */
pb_sampler_t *pb_sampler_new(pb_clock_t clock, unsigned hz, size_t capacity);
void pb_sampler_destroy(pb_sampler_t **self_p);

/* Starts sampling the calling thread. The walk stops at the frame `root`
 * (a frame address of the caller); with drop_root the return address into
 * that frame's function is left out. Returns a slot (>= 0) for stop, or
 * -EMFILE (more than PB_SAMPLER_THREADS at once), or a negative errno from timer_create. */
int pb_sampler_thread_start(pb_sampler_t *self, void *root, bool drop_root);

/* Stops the timer of a slot started on the calling thread; 0 or -EINVAL. */
int pb_sampler_thread_stop(pb_sampler_t *self, int slot);

size_t pb_sampler_count(const pb_sampler_t *self);
/* The i-th stored sample (i < pb_sampler_count); borrowed. */
pb_sample_t pb_sampler_at(const pb_sampler_t *self, size_t i);
pb_sampler_totals_t pb_sampler_totals(const pb_sampler_t *self);

#endif
