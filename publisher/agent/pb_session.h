/* pb_session: one profiling job in one mode, over one or more runs, turned into a result map. */
#ifndef PB_SESSION_H
#define PB_SESSION_H

#include "pb_sampler.h"
#include "pb_value.h"

#include <stdbool.h>

typedef struct {
    unsigned mode; /* one PB_MODE_* of perfbus.h, or 0 for plain runs */
    pb_clock_t clock;
    unsigned hz;
    double max_seconds; /* sizes the sample ring */
} pb_session_opts_t;

typedef struct pb_session pb_session_t;

/* NULL on failure (no memory, bad options). */
pb_session_t *pb_session_new(const pb_session_opts_t *opts);
void pb_session_destroy(pb_session_t **self_p);

/* A run on the calling thread: begin, run the code, end. `root` is the frame
 * where stack walks stop (see pb_sampler_thread_start). end also cleans up
 * after a run abandoned by a fault. Return 0 or a negative errno. */
int pb_session_run_begin(pb_session_t *self, void *root, bool drop_root);
int pb_session_run_end(pb_session_t *self);

/* A run of a command in a child process (detailed mode, or plain); kills it
 * after timeout_s. Returns 0, -ETIMEDOUT, or a negative errno from spawning.
 * *exit_code is the exit status, or 128 + signal. */
int pb_session_child_run(pb_session_t *self, char *const argv[], double timeout_s, int *exit_code);

/* Another thread of the profiled code joins / leaves (sampling, tracing).
 * join returns a token > 0, 0 when the mode needs none, or a negative errno. */
int pb_session_join(pb_session_t *self, void *root);
void pb_session_leave(pb_session_t *self, int token);

unsigned pb_session_runs(const pb_session_t *self);
double pb_session_wall_s(const pb_session_t *self); /* sum of run wall times */

/* Adds run_wall_s, runs_done and the mode's section ("sampling", "tracing",
 * "detailed") to map. Symbolises; call after every run has ended. Returns 0
 * or -ENOMEM. */
int pb_session_result(pb_session_t *self, pb_value_t *map);

/* Mode names: "sampling", "tracing", "detailed", "none"; parse returns the
 * PB_MODE_* bit or -EINVAL. */
const char *pb_session_mode_name(unsigned mode);
int pb_session_mode_parse(const char *name);

#endif
