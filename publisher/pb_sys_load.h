/* pb_sys_load: load averages and task counts from /proc/loadavg, uptime from /proc/uptime. */
#ifndef PB_SYS_LOAD_H
#define PB_SYS_LOAD_H

#include "pb_sys_metric.h"

#include <stdint.h>

typedef struct {
    double avg1, avg5, avg15;
    uint64_t runnable; /* tasks running or runnable now */
    uint64_t threads;  /* tasks (threads) that exist */
} pb_sys_load_t;

/* Parses "0.82 0.28 0.12 1/88 5268". Returns 0 or -EINVAL. */
int pb_sys_load_parse(const char *text, pb_sys_load_t *out);

/* Parses the first number of /proc/uptime (seconds since boot). Returns 0 or -EINVAL. */
int pb_sys_load_parse_uptime(const char *text, double *uptime_s);

/* Adds "load" and "uptime_s". */
extern const pb_sys_metric_t pb_sys_load_metric;

#endif
