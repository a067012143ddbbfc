/* pb_sys_disk: disk I/O of whole disks from /proc/diskstats and /sys/block, as sar -d and iostat
 * count it. */
#ifndef PB_SYS_DISK_H
#define PB_SYS_DISK_H

#include "pb_sys_metric.h"

#include <stdbool.h>
#include <stdint.h>

/* Counter order inside pb_sys_disk_t.counters. */
enum {
    PB_DISK_READS,
    PB_DISK_WRITES,
    PB_DISK_READ_BYTES,
    PB_DISK_WRITE_BYTES,
    PB_DISK_IO_MS,
    PB_DISK_N
};

typedef struct {
    char name[32];
    uint32_t major, minor;
    uint64_t counters[PB_DISK_N]; /* bytes are 512-byte sectors * 512 */
} pb_sys_disk_t;

/* Parses one line of /proc/diskstats ("254 0 vda 30763 7844 2225890 ...").
 * Returns 0, or -EINVAL when the line is malformed or has fewer than the ten
 * statistics up to the time spent doing I/O. */
int pb_sys_disk_parse_line(const char *line, pb_sys_disk_t *out);

/* Is name a whole disk (an entry of <root>/sys/block)? */
bool pb_sys_disk_is_whole(const char *root, const char *name);

/* Does the whole disk count towards the total: not loop, ram or zram, and
 * not stacked on other disks (a non-empty /sys/block/NAME/slaves)? */
bool pb_sys_disk_is_counted(const char *root, const char *name);

/* Adds "disk": the whole disks that did I/O since boot (sar -d and iostat
 * leave out unused devices too), and their total. Whether a device is a whole
 * disk and counts is looked up in /sys/block once per device (name and
 * major:minor in /proc/diskstats), not every sample: again only when a device
 * appears or comes back under another number. */
extern const pb_sys_metric_t pb_sys_disk_metric;

#endif
