/* pb_sys_mem: memory and swap from /proc/meminfo, with the definitions of free(1) (procps-ng 4). */
#ifndef PB_SYS_MEM_H
#define PB_SYS_MEM_H

#include "pb_sys_metric.h"

#include <stdint.h>

/* The meminfo values perfbus uses, in bytes. */
typedef struct {
    uint64_t total, free, available, buffers, cached, sreclaimable, shmem, swap_total, swap_free;
    uint64_t swap_cached, slab, page_tables, hw_corrupted; /* node_exporter's alone */
    unsigned seen; /* PB_SYS_MEM_HAS_* bits of the lines found */
} pb_sys_mem_t;

/* The lines whose absence (an old or stripped-down kernel) leaves their field out of the frame. */
enum {
    PB_SYS_MEM_HAS_CACHED = 1u << 4,
    PB_SYS_MEM_HAS_SRECLAIMABLE = 1u << 5,
    PB_SYS_MEM_HAS_SWAP_CACHED = 1u << 9,
    PB_SYS_MEM_HAS_SLAB = 1u << 10,
    PB_SYS_MEM_HAS_PAGE_TABLES = 1u << 11,
    PB_SYS_MEM_HAS_HW_CORRUPTED = 1u << 12
};

/* Parses /proc/meminfo text. Returns 0, or -EINVAL when MemTotal or MemFree
 * is missing, MemTotal is 0, or a used key has a malformed value. A kernel
 * without MemAvailable (before 3.14) gets available = MemFree, as does an
 * available above the total (a container showing host values), like free(1).
 * A MemFree above MemTotal is clamped to the total. */
int pb_sys_mem_parse(const char *text, pb_sys_mem_t *out);

/* used = total - available (free(1) of procps-ng 4); never negative. */
uint64_t pb_sys_mem_used(const pb_sys_mem_t *mem);

extern const pb_sys_metric_t pb_sys_mem_metric;

#endif
