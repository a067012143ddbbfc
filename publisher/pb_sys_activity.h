/* pb_sys_activity: context switches, interrupts, forks and process counts (/proc/stat, /proc). */
#ifndef PB_SYS_ACTIVITY_H
#define PB_SYS_ACTIVITY_H

#include "pb_sys_metric.h"

#include <stdint.h>

typedef struct {
    uint64_t ctxt;    /* context switches since boot */
    uint64_t intr;    /* interrupts since boot (first number of the intr line) */
    uint64_t forks;   /* "processes": forks since boot */
    uint64_t running; /* procs_running; 0 when the kernel does not say */
    uint64_t blocked; /* procs_blocked; 0 when the kernel does not say */
    uint64_t btime;   /* boot time, seconds since the Unix epoch; 0 when the kernel does not say */
} pb_sys_activity_t;

/* Parses the non-cpu lines of /proc/stat. Returns 0, or -EINVAL when ctxt,
 * intr or processes is missing or any of the six is malformed. */
int pb_sys_activity_parse(const char *text, pb_sys_activity_t *out);

/* Adds ctxt_/intr_/forks_ counters and rates, boot_time_s (when btime is there) and "procs". */
extern const pb_sys_metric_t pb_sys_activity_metric;

#endif
