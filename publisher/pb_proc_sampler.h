/* pb_proc_sampler: per-process frames for the selected processes — by pid, comm match, top N, or
 * all. */
#ifndef PB_PROC_SAMPLER_H
#define PB_PROC_SAMPLER_H

#include "pb_proc_body.h"
#include "pb_procfs.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_proc_sampler pb_proc_sampler_t;

/* root: "" or "/" for the real system, or a directory holding proc/ (tests use
 * tests/fixtures/proc-<case>). The string is copied. NULL on ENOMEM.
 * On a real procfs the sampler keeps /proc/PID files open between scans
 * (stat of every candidate, status and io of the selected ones) within half
 * of RLIMIT_NOFILE; destroy closes them. */
pb_proc_sampler_t *pb_proc_sampler_new(const char *root);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_proc_sampler_destroy(pb_proc_sampler_t **self_p);

/* Watches one process. Returns 0 (also when already watched), -ESRCH when no
 * such process exists, or -ENOMEM. When the process exits (or its pid is
 * found reused by another process), its gone frame is emitted once and the
 * pid leaves the watch list. */
int pb_proc_sampler_watch_pid(pb_proc_sampler_t *self, uint32_t pid);

/* Returns 0, or -ENOENT when pid is not watched. */
int pb_proc_sampler_unwatch_pid(pb_proc_sampler_t *self, uint32_t pid);

/* Watches every process whose comm matches regex (PCRE2, unanchored; the
 * caps and bounds of pb_proc_select.h). Returns 0 (also when already watched)
 * or what pb_proc_select_add_match returns, with its reason in err: -ENOSPC
 * (count cap), -E2BIG (too long or too large), -EINVAL (bad pattern), -ENOMEM. */
int pb_proc_sampler_watch_match(pb_proc_sampler_t *self, const char *regex, char *err,
                                size_t errlen);

/* Returns 0, or -ENOENT when regex (compared as a string) is not watched. */
int pb_proc_sampler_unwatch_match(pb_proc_sampler_t *self, const char *regex);

/* Also selects the n processes with the highest CPU % over the last interval
 * (ties by lower pid); 0 turns it off. A process needs two scans to rank. */
void pb_proc_sampler_set_top(pb_proc_sampler_t *self, unsigned n);

/* Selects every process (kernel threads included). */
void pb_proc_sampler_set_all(pb_proc_sampler_t *self, bool all);

/* Takes the pids of a listing pass from pids (borrowed: it must outlive the
 * sampler's scans), the listing the sys sampler makes each cycle with the
 * same monotonic time, so that /proc is listed once per cycle. NULL lists
 * alone again. */
void pb_proc_sampler_share_pidlist(pb_proc_sampler_t *self, pb_procfs_pidlist_t *pids);

/* Builds {pids: [uint], matches: [str], top: uint, all: bool}; the caller
 * owns it. NULL on ENOMEM. */
pb_value_t *pb_proc_sampler_watching(const pb_proc_sampler_t *self);

/* Receives each proc frame body; it takes ownership of *body_p and sets it to
 * NULL (a body left there is freed by the sampler). A negative return is
 * remembered and returned by scan, which still finishes the cycle. */
typedef int (*pb_proc_emit_fn)(void *arg, uint32_t pid, pb_value_t **body_p);

/* Receives each body to write (borrowed for the call): the publisher writes
 * it into its frame with pb_proc_body_write. A negative return is remembered
 * and returned by the scan, which still finishes the cycle. */
typedef int (*pb_proc_write_fn)(void *arg, uint32_t pid, const pb_proc_body_t *body);

/* One cycle: reads the processes, selects the union of watched pids, comm
 * matches, top N and all, and emits one body per selected process (fields of
 * schemas/FIELDS.md "proc", no envelope), then {pid, comm, gone: true} once
 * for each process emitted in an earlier cycle that has exited. mono_ns:
 * CLOCK_MONOTONIC now. A process vanishing mid-read is skipped quietly.
 * Rates compare with the previous frame of the same process (interval_s is
 * the time since then); its first frame, e.g. on entering the top N, has
 * first: true and no rates. CPU % is at most 100 x threads and 100 x the
 * CPUs of <root>/proc/stat (whole ticks over a short interval can show more);
 * a body whose CPU was cut has cpu_clamped: true.
 * Returns 0, or a negative errno: listing <root>/proc failed, -ENOMEM, or
 * the first error emit returned. */
int pb_proc_sampler_scan(pb_proc_sampler_t *self, uint64_t mono_ns, pb_proc_emit_fn emit,
                         void *arg);

/* The same cycle, each body handed to emit to write, never built as a tree:
 * the publisher's path (pb_proc_sampler_scan decodes what this writes). */
int pb_proc_sampler_scan_write(pb_proc_sampler_t *self, uint64_t mono_ns, pb_proc_write_fn emit,
                               void *arg);

/* Processes emitted by the last scan (gone frames not counted). Can't fail. */
size_t pb_proc_sampler_tracked(const pb_proc_sampler_t *self);

/* A new copy (caller owns) of the body last emitted for pid, or NULL when the
 * last scan did not emit pid (or on ENOMEM). */
pb_value_t *pb_proc_sampler_latest(const pb_proc_sampler_t *self, uint32_t pid);

/* One-shot read of any process: counters and gauges, first: true, no rates,
 * plus cpu_pct_since_start (CPU time over lifetime, like ps). On success
 * returns 0 and *body_p is a new map the caller owns. Returns -ENOENT when
 * there is no such process (or it exited during the read), -EINVAL when its
 * files are malformed, -ENOMEM. */
int pb_proc_read_once(const char *root, uint32_t pid, pb_value_t **body_p);

#endif
