/* pb_sys_disk: disk I/O of whole disks from /proc/diskstats and /sys/block, as sar -d and iostat
 * count it. */
#include "pb_sys_disk.h"

#include "pb_grow.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_SECTOR 512 /* diskstats counts 512-byte sectors whatever the device's sector size */

/* What /sys/block said of one device of /proc/diskstats. */
typedef struct {
    char name[32];
    uint32_t major, minor;
    bool whole, counted;
    uint32_t gen; /* cycle in which the device was last looked up */
} s_dev_t;

/* One whole disk of this cycle, with its rates when it has them. */
typedef struct {
    pb_sys_disk_t d;
    uint64_t delta[PB_DISK_N];
    bool rates;
    double util;
} s_row_t;

typedef struct {
    pb_sys_series_set_t series;
    s_dev_t *devs; /* in diskstats order */
    size_t ndevs, devs_cap;
    size_t hint;   /* where the next lookup starts */
    s_row_t *rows; /* this cycle's disks: the total is written before them */
    size_t nrows, rows_cap;
} s_state_t;

/* Sums over the devices counted in the total. */
typedef struct {
    uint64_t counters[PB_DISK_N];
    uint64_t delta[PB_DISK_N];
    double util_sum;
    unsigned util_n;
} s_total_t;

static const char *const s_total_names[PB_DISK_N] = {
    "reads_total", "writes_total", "read_bytes_total", "write_bytes_total", "io_ms_total"};
static const char *const s_rate_names[] = {"reads_per_s", "writes_per_s", "read_bytes_per_s",
                                           "write_bytes_per_s", "util_pct"};

static pb_sys_section_keys_t s_k;

static int s_keys(char *err, size_t errlen)
{
    return pb_sys_metric_section_keys("disk", "devices", s_rate_names, 5, s_total_names, PB_DISK_N,
                                      &s_k, err, errlen);
}

static int s_parse_name(const char **cursor, char *name, size_t size)
{
    const char *p = *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\n");
    if (len == 0 || len >= size)
        return -EINVAL;
    memcpy(name, p, len);
    name[len] = '\0';
    *cursor = p + len;
    return 0;
}

int pb_sys_disk_parse_line(const char *line, pb_sys_disk_t *out)
{
    const char *p = line;
    uint64_t v[11];
    memset(out, 0, sizeof *out);
    uint64_t major, minor;
    if (pb_procfs_next_u64(&p, &major) < 0 || pb_procfs_next_u64(&p, &minor) < 0 ||
        s_parse_name(&p, out->name, sizeof out->name) < 0)
        return -EINVAL;
    for (int i = 0; i < 10; i++) {
        if (pb_procfs_next_u64(&p, &v[i]) < 0)
            return -EINVAL;
    }
    /* v: rd_ios rd_merges rd_sectors rd_ticks wr_ios wr_merges wr_sectors wr_ticks in_flight
     * io_ticks */
    if (major > UINT32_MAX || minor > UINT32_MAX)
        return -EINVAL;
    out->major = (uint32_t)major;
    out->minor = (uint32_t)minor;
    if (v[2] > UINT64_MAX / S_SECTOR || v[6] > UINT64_MAX / S_SECTOR)
        return -EINVAL;
    out->counters[PB_DISK_READS] = v[0];
    out->counters[PB_DISK_WRITES] = v[4];
    out->counters[PB_DISK_READ_BYTES] = v[2] * S_SECTOR;
    out->counters[PB_DISK_WRITE_BYTES] = v[6] * S_SECTOR;
    out->counters[PB_DISK_IO_MS] = v[9];
    return 0;
}

/* Writes sys/block/<name><sub>, with '/' in name spelled '!' as sysfs does. */
static int s_block_path(char *out, size_t size, const char *name, const char *sub)
{
    char dev[64];
    size_t len = strlen(name);
    if (len >= sizeof dev)
        return -ENAMETOOLONG;
    for (size_t i = 0; i <= len; i++)
        dev[i] = name[i] == '/' ? '!' : name[i];
    int n = snprintf(out, size, "sys/block/%s%s", dev, sub);
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

bool pb_sys_disk_is_whole(const char *root, const char *name)
{
    char rel[128];
    char path[PATH_MAX];
    struct stat sb;
    if (s_block_path(rel, sizeof rel, name, "") < 0 ||
        pb_procfs_path(path, sizeof path, root, rel) < 0)
        return false;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool pb_sys_disk_is_counted(const char *root, const char *name)
{
    if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0 ||
        strncmp(name, "zram", 4) == 0)
        return false;
    char rel[128];
    if (s_block_path(rel, sizeof rel, name, "/slaves") < 0)
        return false;
    return pb_procfs_count(root, rel) <= 0; /* missing or empty: not stacked */
}

static s_dev_t *s_dev_find(s_state_t *st, const char *name)
{
    for (size_t k = 0; k < st->ndevs; k++) {
        size_t i = (st->hint + k) % st->ndevs;
        if (strcmp(st->devs[i].name, name) == 0) {
            st->hint = i + 1;
            return &st->devs[i];
        }
    }
    return NULL;
}

static s_dev_t *s_dev_add(s_state_t *st)
{
    if (pb_grow((void **)&st->devs, &st->devs_cap, st->ndevs, sizeof *st->devs, 8) < 0)
        return NULL;
    return &st->devs[st->ndevs++];
}

/* The device's /sys/block verdict, looked up when the device is new to the
 * cache or has another major:minor than before; NULL on ENOMEM. */
static const s_dev_t *s_dev_lookup(s_state_t *st, pb_sys_ctx_t *ctx, const pb_sys_disk_t *d)
{
    s_dev_t *dev = s_dev_find(st, d->name);
    if (!dev || dev->major != d->major || dev->minor != d->minor) {
        dev = dev ? dev : s_dev_add(st);
        if (!dev)
            return NULL;
        snprintf(dev->name, sizeof dev->name, "%s", d->name);
        dev->major = d->major;
        dev->minor = d->minor;
        dev->whole = pb_sys_disk_is_whole(ctx->root, d->name);
        dev->counted = dev->whole && pb_sys_disk_is_counted(ctx->root, d->name);
    }
    dev->gen = ctx->gen;
    return dev;
}

/* Forgets the devices not looked up this cycle: gone, or idle since boot. */
static void s_dev_sweep(s_state_t *st, const pb_sys_ctx_t *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->ndevs; i++) {
        if (st->devs[i].gen == ctx->gen)
            st->devs[kept++] = st->devs[i];
    }
    st->ndevs = kept;
    st->hint = 0;
}

static double s_util(const uint64_t *delta, double interval_s)
{
    double pct = (double)delta[PB_DISK_IO_MS] / (interval_s * 1000.0) * 100.0;
    return pct > 100.0 ? 100.0 : pct;
}

static void s_put_disk(pb_mpwrite_t *w, const pb_sys_state_keys_t *k, const uint64_t *counters,
                       const uint64_t *delta, double util, double interval_s)
{
    if (delta) {
        pb_sys_metric_put_rates(w, k->rates, delta, 4, 1.0, interval_s);
        pb_mpwrite_float(w, k->rates[4], util);
    }
    pb_sys_metric_put_u64s(w, k->counters, counters, PB_DISK_N);
}

static void s_total_add(s_total_t *t, const pb_sys_disk_t *d, const uint64_t *delta, double util)
{
    for (int i = 0; i < PB_DISK_N; i++) {
        t->counters[i] += d->counters[i];
        t->delta[i] += delta ? delta[i] : 0;
    }
    if (delta) {
        t->util_sum += util;
        t->util_n++;
    }
}

static s_row_t *s_row_add(s_state_t *st)
{
    if (pb_grow((void **)&st->rows, &st->rows_cap, st->nrows, sizeof *st->rows, 8) < 0)
        return NULL;
    return &st->rows[st->nrows++];
}

/* Records one whole disk as a row, and adds it to the total when it counts. */
static int s_add_disk(s_state_t *st, pb_sys_ctx_t *ctx, const pb_sys_disk_t *d, bool counted,
                      s_total_t *total)
{
    s_row_t *row = s_row_add(st);
    if (!row)
        return -ENOMEM;
    int rates = pb_sys_metric_delta(ctx, &st->series, d->name, d->counters, PB_DISK_N, row->delta);
    if (rates < 0)
        return rates;
    row->d = *d;
    row->rates = rates == 1;
    row->util = row->rates ? s_util(row->delta, ctx->interval_s) : 0.0;
    if (counted)
        s_total_add(total, d, row->rates ? row->delta : NULL, row->util);
    return 0;
}

static int s_add_lines(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, s_total_t *total)
{
    st->nrows = 0;
    for (const char *line = text; line && *line; line = pb_procfs_next_line(line)) {
        pb_sys_disk_t d;
        if (pb_sys_disk_parse_line(line, &d) < 0)
            return pb_sys_metric_bad_line(ctx, "proc/diskstats", line);
        if (d.counters[PB_DISK_READS] == 0 && d.counters[PB_DISK_WRITES] == 0)
            continue; /* sar and iostat leave out devices never used */
        const s_dev_t *dev = s_dev_lookup(st, ctx, &d);
        if (!dev)
            return -ENOMEM;
        if (!dev->whole)
            continue;
        int rc = s_add_disk(st, ctx, &d, dev->counted, total);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void s_write(const s_state_t *st, const pb_sys_ctx_t *ctx, const s_total_t *total,
                    pb_mpwrite_t *w)
{
    double util = total->util_n ? total->util_sum / total->util_n : 0.0;
    pb_mpwrite_map(w, s_k.section);
    pb_mpwrite_map(w, s_k.total_map);
    s_put_disk(w, &s_k.total, total->counters, ctx->first ? NULL : total->delta, util,
               ctx->interval_s);
    pb_mpwrite_end(w);
    pb_mpwrite_array(w, s_k.list);
    for (size_t i = 0; i < st->nrows; i++) {
        const s_row_t *row = &st->rows[i];
        pb_mpwrite_map(w, NULL);
        pb_mpwrite_str(w, s_k.item.name, row->d.name);
        s_put_disk(w, &s_k.item, row->d.counters, row->rates ? row->delta : NULL, row->util,
                   ctx->interval_s);
        pb_mpwrite_end(w);
    }
    pb_mpwrite_end(w);
    pb_mpwrite_end(w);
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/diskstats", &text);
    if (rc < 0)
        return rc;
    s_total_t total = {0};
    rc = s_add_lines(st, ctx, text, &total);
    if (rc == 0)
        s_write(st, ctx, &total, w);
    pb_sys_metric_sweep(ctx, &st->series);
    s_dev_sweep(st, ctx);
    return rc < 0 ? rc : pb_mpwrite_status(w);
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
    free(st->devs);
    free(st->rows);
}

const pb_sys_metric_t pb_sys_disk_metric = {"disk", sizeof(s_state_t), s_keys, s_sample, s_release};
