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

/* Parses /sys/class/net/IF/speed ("1000\n", Mb/s) into bytes per second. Returns 0, or
 * -ENOENT when the kernel does not know the speed (-1, or an empty file) and -EINVAL when
 * the text is not a number. */
int pb_sys_net_parse_speed(const char *text, uint64_t *bytes_per_s);

/* Adds "net": every interface (with its link speed when known), and a total without lo. */
extern const pb_sys_metric_t pb_sys_net_metric;

#endif
