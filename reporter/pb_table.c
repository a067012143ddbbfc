/* pb_table: formats cover facts, summary rows and process rows once for all renderers. */
#include "pb_table.h"

#include "pb_bucket.h"
#include "pb_chart.h"
#include "pb_summary.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const pb_table_row_t s_cover_header = {2, {"Item", "Value"}};
static const pb_table_row_t s_summary_header = {
    8, {"Metric", "Samples", "Min", "Max", "Mean", "p50", "p95", "p99"}};
static const pb_table_row_t s_proc_header = {
    6, {"PID", "Command", "CPU mean (%)", "CPU peak (%)", "RSS peak", "Samples"}};

const pb_table_row_t *pb_table_cover_header(void)
{
    return &s_cover_header;
}

const pb_table_row_t *pb_table_summary_header(void)
{
    return &s_summary_header;
}

const pb_table_row_t *pb_table_proc_header(void)
{
    return &s_proc_header;
}

static void s_set(pb_table_row_t *row, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_set(pb_table_row_t *row, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->cell[col], PB_TABLE_CELL, fmt, ap);
    va_end(ap);
    if (col >= row->ncols)
        row->ncols = col + 1;
}

static void s_hosts(const pb_model_t *model, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t h = 0; h < pb_model_host_count(model) && used < size; h++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", h ? ", " : "",
                                 pb_model_host(model, h));
    if (pb_model_host_count(model) == 0)
        snprintf(buf, size, "(none)");
}

static void s_duration(double secs, char *buf, size_t size)
{
    long s = (long)(secs + 0.5);
    snprintf(buf, size, "%ldh %02ldm %02lds (%.0f s)", s / 3600, s / 60 % 60, s % 60, secs);
}

static void s_cover_times(const pb_model_info_t *info, pb_table_row_t *rows, size_t *n)
{
    char buf[PB_TABLE_CELL];
    pb_chart_format_time((double)info->first_ns / 1e9, buf, sizeof(buf));
    s_set(&rows[*n], 0, "From");
    s_set(&rows[(*n)++], 1, "%s", buf);
    pb_chart_format_time((double)info->last_ns / 1e9, buf, sizeof(buf));
    s_set(&rows[*n], 0, "To");
    s_set(&rows[(*n)++], 1, "%s", buf);
    s_duration((double)(info->last_ns - info->first_ns) / 1e9, buf, sizeof(buf));
    s_set(&rows[*n], 0, "Duration");
    s_set(&rows[(*n)++], 1, "%s", buf);
}

size_t pb_table_cover(const pb_model_t *model, const char *source, pb_table_row_t *rows, size_t max)
{
    pb_table_row_t all[10];
    pb_model_info_t info;
    size_t n = 0;
    memset(all, 0, sizeof(all));
    pb_model_info(model, &info);
    s_set(&all[n], 0, "Source");
    s_set(&all[n++], 1, "%s", source ? source : "-");
    s_set(&all[n], 0, "Hosts");
    s_hosts(model, all[n++].cell[1], PB_TABLE_CELL);
    all[n - 1].ncols = 2;
    s_cover_times(&info, all, &n);
    s_set(&all[n], 0, "perfbus version");
    s_set(&all[n++], 1, "%s", info.version ? info.version : "unknown (no hb frame)");
    s_set(&all[n], 0, "Sampling interval");
    s_set(&all[n++], 1, info.interval_s > 0 ? "%.3g s" : "unknown", info.interval_s);
    s_set(&all[n], 0, "Frames");
    s_set(&all[n++], 1, "%" PRIu64, info.frames);
    s_set(&all[n], 0, "Lost frames");
    s_set(&all[n++], 1, "%" PRIu64, info.lost);
    if (pb_model_bucket_s(model)) {
        s_set(&all[n], 0, "Resolution");
        s_set(&all[n++], 1, "%" PRIu64 " s buckets; percentiles estimated",
              pb_model_bucket_s(model));
    }
    size_t count = n < max ? n : max;
    memcpy(rows, all, count * sizeof(pb_table_row_t));
    return count;
}

int pb_table_bucket_stats(pb_series_t s, pb_bucket_summary_t *out)
{
    int rc = pb_bucket_summarise(s.v, s.min, s.max, s.sum, s.count, s.n, out);
    if (rc == 0 && s.fine_count)
        rc =
            pb_bucket_percentiles(s.fine_mean, s.fine_min, s.fine_max, s.fine_count, s.fine_n, out);
    return rc;
}

int pb_table_stats(pb_series_t series, pb_summary_t *out)
{
    pb_bucket_summary_t b;
    if (!series.count)
        return pb_summary_compute(series.ts, series.v, series.n, 0, UINT64_MAX, out);
    int rc = pb_table_bucket_stats(series, &b);
    memset(out, 0, sizeof *out);
    if (rc < 0)
        return rc;
    *out = (pb_summary_t){b.count, b.min, b.max, b.mean, NAN, b.p[0], b.p[1], b.p[2], 0, 0};
    out->first_ts = series.ts[0];
    out->last_ts = series.ts[series.n - 1] + series.width_s * 1000000000u;
    return 0;
}

int pb_table_summary(const pb_model_t *model, size_t host, size_t metric, pb_table_row_t *row)
{
    const pb_metric_t *m = pb_model_metric(metric);
    pb_series_t series = pb_model_sys(model, host, metric);
    pb_summary_t sum;
    if (!m)
        return -ENODATA;
    int rc = pb_table_stats(series, &sum);
    if (rc < 0)
        return rc;
    double cols[] = {sum.min, sum.max, sum.mean, sum.p50, sum.p95, sum.p99};
    memset(row, 0, sizeof(*row));
    s_set(row, 0, "%s", m->title);
    s_set(row, 1, "%" PRIu64, sum.count);
    for (size_t c = 0; c < 6; c++)
        pb_chart_format(cols[c], m->unit, row->cell[2 + c], PB_TABLE_CELL);
    row->ncols = 8;
    return 0;
}

int pb_table_proc(const pb_model_t *model, size_t host, size_t rank, pb_table_row_t *row)
{
    pb_model_proc_t proc;
    int rc = pb_model_proc(model, host, PB_ORDER_CPU, rank, &proc);
    if (rc < 0)
        return rc;
    memset(row, 0, sizeof(*row));
    s_set(row, 0, "%" PRIu64, proc.pid);
    s_set(row, 1, "%s", proc.comm);
    pb_chart_format(proc.cpu_mean, PB_UNIT_PLAIN, row->cell[2], PB_TABLE_CELL);
    pb_chart_format(proc.cpu_max, PB_UNIT_PLAIN, row->cell[3], PB_TABLE_CELL);
    pb_chart_format(proc.rss_max, PB_UNIT_BYTES, row->cell[4], PB_TABLE_CELL);
    s_set(row, 5, "%" PRIu64, proc.samples);
    return 0;
}
