/* pb_detail: per-run resource usage (CPU, RSS, faults, I/O, context switches) and its time series.
 */
#ifndef PB_DETAIL_H
#define PB_DETAIL_H

#include "pb_value.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Counters from /proc/<pid>/io. */
typedef struct {
    uint64_t rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes;
} pb_detail_io_t;

/* One run. Deltas are over the run; RSS values are of the whole process. */
typedef struct {
    double wall_s, user_s, sys_s;
    uint64_t rss_before, rss_after, rss_peak;
    uint64_t minflt, majflt, vol_ctxsw, invol_ctxsw;
    pb_detail_io_t io;
    const char *peak_source; /* "hwm", "series" or "rusage" (see below) */
} pb_detail_run_t;

/* Parsers over /proc text; each returns 0 or -EINVAL when a field is missing
 * or malformed. Sizes are converted to bytes. */
int pb_detail_parse_status(const char *text, uint64_t *rss_bytes, uint64_t *hwm_bytes);
int pb_detail_parse_io(const char *text, pb_detail_io_t *out);

typedef struct pb_detail pb_detail_t;

/* A collector for one job: measures runs of either the calling thread
 * (pid 0) or a child process, and samples RSS, CPU and I/O every interval_s
 * on a helper thread while a run is open. NULL on failure. */
pb_detail_t *pb_detail_new(double interval_s);
void pb_detail_destroy(pb_detail_t **self_p);

/* In-process run on the calling thread: begin, run the code, end. */
int pb_detail_thread_begin(pb_detail_t *self);
int pb_detail_thread_end(pb_detail_t *self, pb_detail_run_t *out);

/* Child-process run: begin right after spawning; end once the child has
 * exited (waitid WNOWAIT) — end reaps it with wait4 and stores its wait
 * status in *status. CPU, faults and context switches come from wait4's
 * rusage; I/O is what reaping adds to this process's /proc/self/io (the
 * kernel folds a reaped child's counters into its parent; a zombie's own io
 * file reads 0), so I/O done meanwhile by other threads of this process
 * would be counted too; peak RSS is the highest VmHWM seen while it ran
 * (ru_maxrss after exec also holds the parent's RSS at spawn, so it is only
 * the fallback, source "rusage", for a child too short to be sampled). */
int pb_detail_child_begin(pb_detail_t *self, pid_t pid);
int pb_detail_child_end(pb_detail_t *self, pid_t pid, int *status, pb_detail_run_t *out);

/* A run as a map {wall_s, user_s, ...}; NULL on ENOMEM. */
pb_value_t *pb_detail_run_value(const pb_detail_run_t *run);
/* The series [{t_s, run, rss_bytes, cpu_pct, read_bytes, write_bytes}];
 * t_s counts from the first run's start. NULL on ENOMEM. */
pb_value_t *pb_detail_series(const pb_detail_t *self);

#endif
