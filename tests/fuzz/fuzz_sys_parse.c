/* fuzz_sys_parse: the /proc text parsers of the system metrics (stat, meminfo, loadavg, uptime,
 * diskstats, net/dev), each over the whole input and line by line. */
#include "fuzz_util.h"
#include "pb_procfs.h"
#include "pb_sys_activity.h"
#include "pb_sys_cpu.h"
#include "pb_sys_disk.h"
#include "pb_sys_load.h"
#include "pb_sys_mem.h"
#include "pb_sys_net.h"

#include <errno.h>
#include <math.h>

static void s_whole(const char *text)
{
    pb_sys_activity_t act;
    int rc = pb_sys_activity_parse(text, &act);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "activity: %d", rc);
    pb_sys_mem_t mem;
    rc = pb_sys_mem_parse(text, &mem);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "meminfo: %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(mem.total > 0 && mem.available <= mem.total, "meminfo: available %llu > total",
                   (unsigned long long)mem.available);
        FUZZ_CHECK(pb_sys_mem_used(&mem) <= mem.total, "meminfo: used above total");
    }
    pb_sys_load_t load;
    rc = pb_sys_load_parse(text, &load);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "loadavg: %d", rc);
    double up;
    rc = pb_sys_load_parse_uptime(text, &up);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "uptime: %d", rc);
}

/* Percentages of any tick deltas are finite and within 0..100 (rounding aside). */
static void s_cpu_pct(const pb_sys_cpu_line_t *line)
{
    pb_sys_cpu_pct_t pct;
    pb_sys_cpu_pct(line->ticks, &pct);
    const double v[] = {pct.user,    pct.nice,  pct.system, pct.iowait, pct.irq,
                        pct.softirq, pct.steal, pct.idle,   pct.busy};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        FUZZ_CHECK(isfinite(v[i]) && v[i] >= -1e-6 && v[i] <= 100 + 1e-6, "cpu pct %zu is %g", i,
                   v[i]);
}

static void s_line(const char *line)
{
    pb_sys_cpu_line_t cpu;
    int rc = pb_sys_cpu_parse_line(line, &cpu);
    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL, "cpu line: %d", rc);
    if (rc == 0)
        s_cpu_pct(&cpu);
    pb_sys_disk_t disk;
    rc = pb_sys_disk_parse_line(line, &disk);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "diskstats line: %d", rc);
    if (rc == 0)
        FUZZ_CHECK(memchr(disk.name, '\0', sizeof disk.name), "disk name not terminated");
    pb_sys_net_t net;
    rc = pb_sys_net_parse_line(line, &net);
    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL, "net/dev line: %d", rc);
    if (rc == 0)
        FUZZ_CHECK(memchr(net.name, '\0', sizeof net.name), "interface name not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    if (!text)
        return 0;
    s_whole(text);
    for (const char *line = text; line; line = pb_procfs_next_line(line))
        s_line(line);
    free(text);
    return 0;
}
