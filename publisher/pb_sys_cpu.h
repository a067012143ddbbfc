/* pb_sys_cpu: CPU time per state from /proc/stat, as percentages the way sar -u computes them. */
#ifndef PB_SYS_CPU_H
#define PB_SYS_CPU_H

#include "pb_sys_metric.h"

#include <stdint.h>

/* Columns of a cpu line of /proc/stat, in kernel order (USER_HZ ticks). */
enum {
    PB_CPU_USER,
    PB_CPU_NICE,
    PB_CPU_SYSTEM,
    PB_CPU_IDLE,
    PB_CPU_IOWAIT,
    PB_CPU_IRQ,
    PB_CPU_SOFTIRQ,
    PB_CPU_STEAL,
    PB_CPU_GUEST,
    PB_CPU_GUEST_NICE,
    PB_CPU_NSTATES
};

typedef struct {
    int64_t id; /* core number, or -1 for the "cpu" line (all cores) */
    uint64_t ticks[PB_CPU_NSTATES];
} pb_sys_cpu_line_t;

/* Percentages of one interval. user excludes guest and nice excludes
 * guest_nice (both are already counted in user/nice); busy = 100 - idle - iowait. */
typedef struct {
    double user, nice, system, iowait, irq, softirq, steal, idle, busy;
} pb_sys_cpu_pct_t;

/* Parses one line of /proc/stat. Returns 0 for a cpu line, -ENOENT when the
 * line is not a cpu line, -EINVAL when it is malformed (fewer than 4 columns,
 * not a number, bad core id). Columns an older kernel lacks (steal, guest,
 * guest_nice; iowait, irq, softirq before 2.6) are 0. */
int pb_sys_cpu_parse_line(const char *line, pb_sys_cpu_line_t *out);

/* Computes percentages from the tick deltas of one interval (sar -u: the
 * total is user+nice+system+idle+iowait+irq+softirq+steal). A zero total
 * (no tick elapsed) reads as 100 % idle. This function can't fail. */
void pb_sys_cpu_pct(const uint64_t *delta, pb_sys_cpu_pct_t *out);

extern const pb_sys_metric_t pb_sys_cpu_metric;

#endif
