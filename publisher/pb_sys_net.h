/* pb_sys_net: network I/O per interface from /proc/net/dev, as sar -n DEV and EDEV count it. */
#ifndef PB_SYS_NET_H
#define PB_SYS_NET_H

#include "pb_sys_metric.h"

#include <stdint.h>

/* Counter order inside pb_sys_net_t.counters. */
enum {
    PB_NET_RX_BYTES,
    PB_NET_TX_BYTES,
    PB_NET_RX_PACKETS,
    PB_NET_TX_PACKETS,
    PB_NET_RX_ERRORS,
    PB_NET_TX_ERRORS,
    PB_NET_RX_DROPS,
    PB_NET_TX_DROPS,
    PB_NET_N
};

typedef struct {
    char name[32];
    uint64_t counters[PB_NET_N];
} pb_sys_net_t;

/* Parses one interface line of /proc/net/dev ("  eth0: 29457410 1171 0 ...").
 * Returns 0, -ENOENT for a header line, or -EINVAL when the line is malformed
 * or has fewer than the 16 columns. */
int pb_sys_net_parse_line(const char *line, pb_sys_net_t *out);

/* Adds "net": every interface, and a total without lo. */
extern const pb_sys_metric_t pb_sys_net_metric;

#endif
