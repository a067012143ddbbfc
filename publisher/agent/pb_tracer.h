/* pb_tracer: exact call counts and times from -finstrument-functions hooks. */
#ifndef PB_TRACER_H
#define PB_TRACER_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_tracer pb_tracer_t;

/* One function, merged over the traced threads (cProfile's columns):
 * ncalls counts every call, primcalls the non-recursive ones; cumtime counts
 * only the outermost active call of a function, so recursion is not counted
 * twice; tottime excludes time in callees. */
typedef struct {
    void *fn;
    uint64_t ncalls, primcalls;
    double tottime_s, cumtime_s;
} pb_trace_fn_t;

pb_tracer_t *pb_tracer_new(void); /* NULL on ENOMEM */
void pb_tracer_destroy(pb_tracer_t **self_p);

/* Starts tracing the calling thread into self. Returns 0, -EBUSY when the
 * thread is already traced, -ENOMEM. */
int pb_tracer_thread_start(pb_tracer_t *self);
/* Stops tracing the calling thread (a no-op when it is not traced). */
void pb_tracer_thread_stop(void);

/* Merged per-function figures in a new array (caller frees) sorted by
 * cumtime, descending; returns the count or -ENOMEM. Call after every thread
 * has stopped. */
long pb_tracer_functions(const pb_tracer_t *self, pb_trace_fn_t **out_p);

/* Calls lost: beyond the shadow-stack depth, or with the function table full. */
uint64_t pb_tracer_lost(const pb_tracer_t *self);
/* Threads that were traced. */
unsigned pb_tracer_threads(const pb_tracer_t *self);

/* The measured cost of one traced call (enter + exit hooks), in ns, and the
 * calibrated TSC frequency; measured once per process. */
double pb_tracer_hook_ns(void);
double pb_tracer_tsc_hz(void);

#endif
