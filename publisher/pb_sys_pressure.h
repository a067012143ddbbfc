/* pb_sys_pressure: pressure stall information (/proc/pressure/{cpu,memory,io,irq}) as counters. */
#ifndef PB_SYS_PRESSURE_H
#define PB_SYS_PRESSURE_H

#include "pb_sys_metric.h"

#include <stdbool.h>
#include <stdint.h>

/* One /proc/pressure file: the total= of its "some" and "full" lines, in microseconds. */
typedef struct {
    uint64_t some, full;
    bool has_some, has_full;
} pb_sys_pressure_t;

/* Parses the text of a /proc/pressure file ("some avg10=0.00 avg60=0.00 avg300=0.00
 * total=123\nfull ...\n"). Either line may be missing (cpu has no "full" before Linux 5.13,
 * irq no "some"). Returns 0, or -EINVAL when neither line is there or a total is malformed. */
int pb_sys_pressure_parse(const char *text, pb_sys_pressure_t *out);

/* Adds the "pressure" map with what the files give; a file that is missing (a kernel without
 * PSI, or without irq accounting) leaves its fields out, and all missing the map. */
extern const pb_sys_metric_t pb_sys_pressure_metric;

#endif
