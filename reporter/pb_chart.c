/* pb_chart: turns model series into what both renderers draw, so PDF and HTML agree.
 *
 * Axes always start at 0. Byte units are scaled by powers of 1024 so tick
 * labels stay short and the unit goes on the axis; ticks come at 1-2-2.5-5
 * steps. Time ticks land on whole seconds/minutes/hours in UTC. */
#include "pb_chart.h"

#include "pb_downsample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned s_palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                     0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

static const char *const s_group_titles[PB_GROUP_COUNT] = {
    "CPU by state (% of all cores, stacked)", "Memory", "Disk read/write", "Network rx/tx"};

unsigned pb_chart_color(size_t i)
{
    return s_palette[i % (sizeof(s_palette) / sizeof(s_palette[0]))];
}

unsigned pb_chart_flame_color(const char *name)
{
    unsigned hash = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        hash = (hash ^ *p) * 16777619u;
    unsigned r = 205 + hash % 50, g = 90 + (hash >> 8) % 130, b = 30 + (hash >> 16) % 50;
    return r << 16 | g << 8 | b;
}

void pb_chart_destroy(pb_chart_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t l = 0; l < (*self_p)->nlines; l++) {
        free((*self_p)->lines[l].x);
        free((*self_p)->lines[l].y);
    }
    free(*self_p);
    *self_p = NULL;
}

/* The power of 1024 that keeps max below 1024 in that unit. */
static double s_scale(double max, pb_unit_t unit, const char **name)
{
    static const char *const bytes[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    static const char *const rates[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
    *name = unit == PB_UNIT_PCT ? "%" : "";
    if (unit != PB_UNIT_BYTES && unit != PB_UNIT_BYTES_PER_S)
        return 1;
    size_t k = 0;
    double scale = 1;
    while (k < 4 && max / scale >= 1024) {
        scale *= 1024;
        k++;
    }
    *name = unit == PB_UNIT_BYTES ? bytes[k] : rates[k];
    return scale;
}

void pb_chart_format(double value, pb_unit_t unit, char *buf, size_t size)
{
    const char *name;
    if (!isfinite(value)) {
        snprintf(buf, size, "-");
        return;
    }
    double scale = s_scale(fabs(value), unit, &name);
    if (unit == PB_UNIT_PCT)
        snprintf(buf, size, "%.2f %%", value);
    else if (unit == PB_UNIT_PLAIN)
        snprintf(buf, size, "%.2f", value);
    else
        snprintf(buf, size, "%.2f %s", value / scale, name);
}

void pb_chart_format_time(double t, char *buf, size_t size)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    if (!isfinite(t) || !gmtime_r(&secs, &tm) ||
        strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, size, "-");
}

static double s_nice_step(double range, int nticks)
{
    double raw = range / nticks;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return step * mag;
}

static void s_y_axis(pb_chart_t *chart, double max, pb_unit_t unit)
{
    const char *name;
    if (!(max > 0) || !isfinite(max)) /* inf only from absurd frames: draw something sane */
        max = unit == PB_UNIT_PCT ? 100 : 1;
    if (chart->stacked && unit == PB_UNIT_PCT && max <= 100.5)
        max = 100 / 1.04; /* CPU by state tops out at exactly 100 % */
    max *= 1.04;          /* headroom: a flat line at the maximum must not hide in the frame */
    double scale = s_scale(max, unit, &name);
    double step = s_nice_step(max / scale, 5);
    snprintf(chart->unit, sizeof(chart->unit), "%s", name);
    chart->y0 = 0;
    chart->y1 = ceil(max / scale / step - 1e-9) * step * scale;
    for (size_t k = 0; k < PB_CHART_MAX_TICKS; k++) {
        double at = (double)k * step;
        if (at * scale > chart->y1 * (1 + 1e-9))
            break;
        chart->yticks[k].at = at * scale;
        snprintf(chart->yticks[k].label, sizeof(chart->yticks[k].label), "%g", at);
        chart->nyticks = k + 1;
    }
}

static const char *s_time_format(double step, double span)
{
    if (step >= 86400)
        return "%m-%d";
    if (span > 86400)
        return "%d %H:%M";
    return step >= 60 ? "%H:%M" : "%H:%M:%S";
}

static void s_x_axis(pb_chart_t *chart, double x0, double x1)
{
    static const double steps[] = {1,     2,     5,     10,    15,     30,     60,
                                   120,   300,   600,   900,   1800,   3600,   7200,
                                   10800, 21600, 43200, 86400, 172800, 604800, 2592000};
    if (!(x1 > x0))
        x1 = x0 + 1;
    chart->x0 = x0;
    chart->x1 = x1;
    size_t s = 0;
    while (s + 1 < sizeof(steps) / sizeof(steps[0]) && (x1 - x0) / steps[s] > 6)
        s++;
    const char *fmt = s_time_format(steps[s], x1 - x0);
    for (double at = ceil(x0 / steps[s]) * steps[s]; at <= x1 && chart->nxticks < 8;
         at += steps[s]) {
        pb_chart_tick_t *tick = &chart->xticks[chart->nxticks++];
        time_t secs = (time_t)at;
        struct tm tm;
        tick->at = at;
        if (!gmtime_r(&secs, &tm) || strftime(tick->label, sizeof(tick->label), fmt, &tm) == 0)
            snprintf(tick->label, sizeof(tick->label), "?");
    }
}

/* Fills line with the samples idx[0..count) of (ts, v). */
static int s_line_fill(pb_chart_line_t *line, const uint64_t *ts, const double *v,
                       const size_t *idx, size_t count)
{
    line->x = malloc((count ? count : 1) * sizeof(double));
    line->y = malloc((count ? count : 1) * sizeof(double));
    if (!line->x || !line->y)
        return -1;
    for (size_t i = 0; i < count; i++) {
        line->x[i] = (double)ts[idx[i]] / 1e9;
        line->y[i] = v[idx[i]];
    }
    line->n = count;
    return 0;
}

static double s_line_max(const pb_chart_line_t *line, double max)
{
    for (size_t i = 0; i < line->n; i++)
        if (line->y[i] > max)
            max = line->y[i];
    return max;
}

/* Adds one line reduced on its own values; returns 0 or -1 (ENOMEM). */
static int s_add_line(pb_chart_t *chart, const char *label, pb_series_t series, size_t buckets)
{
    pb_chart_line_t *line = &chart->lines[chart->nlines];
    snprintf(line->label, sizeof(line->label), "%s", label);
    line->rgb = pb_chart_color(chart->nlines);
    chart->nlines++;
    size_t *idx = malloc((pb_downsample_capacity(series.n, buckets) + 1) * sizeof(size_t));
    if (!idx)
        return -1;
    size_t count = pb_downsample_minmax(series.v, series.n, buckets, idx);
    int rc = s_line_fill(line, series.ts, series.v, idx, count);
    free(idx);
    return rc;
}

/* Every chart spans the whole report period, so they line up when compared. */
static void s_finish(pb_chart_t *chart, const pb_model_t *model, pb_unit_t unit)
{
    pb_model_info_t info;
    pb_model_info(model, &info);
    double max = 0;
    bool any = false;
    for (size_t l = 0; l < chart->nlines; l++) {
        max = s_line_max(&chart->lines[l], max);
        any = any || chart->lines[l].n > 0;
    }
    chart->empty = !any;
    s_y_axis(chart, max, unit);
    s_x_axis(chart, (double)info.first_ns / 1e9, (double)info.last_ns / 1e9);
}

/* Sum of the finite values of the group per row; NaN where none is finite. */
static double *s_stack_total(const pb_series_t *series, size_t nseries, size_t n)
{
    double *total = malloc((n ? n : 1) * sizeof(double));
    if (!total)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        total[i] = NAN;
        for (size_t s = 0; s < nseries; s++)
            if (isfinite(series[s].v[i]))
                total[i] = (isnan(total[i]) ? 0 : total[i]) + series[s].v[i];
    }
    return total;
}

/* Each layer's top edge at the rows chosen on the total. */
static int s_stack_lines(pb_chart_t *chart, const pb_series_t *series, const size_t *idx,
                         size_t count)
{
    for (size_t l = 0; l < chart->nlines; l++) {
        pb_chart_line_t *line = &chart->lines[l];
        if (s_line_fill(line, series[l].ts, series[l].v, idx, count) < 0)
            return -1;
        for (size_t i = 0; i < count; i++) {
            double below = l > 0 ? chart->lines[l - 1].y[i] : 0;
            line->y[i] = below + (isfinite(line->y[i]) ? line->y[i] : 0);
        }
    }
    return 0;
}

static int s_stacked(pb_chart_t *chart, const pb_series_t *series, size_t buckets)
{
    size_t n = series[0].n;
    double *total = s_stack_total(series, chart->nlines, n);
    size_t *idx = malloc((pb_downsample_capacity(n, buckets) + 1) * sizeof(size_t));
    int rc = -1;
    if (total && idx)
        rc = s_stack_lines(chart, series, idx, pb_downsample_minmax(total, n, buckets, idx));
    free(total);
    free(idx);
    return rc;
}

static int s_group_lines(pb_chart_t *chart, const pb_model_t *model, size_t host, pb_group_t group,
                         size_t buckets, pb_unit_t *unit)
{
    pb_series_t series[PB_CHART_MAX_LINES];
    for (size_t m = 0; m < pb_model_metric_count() && chart->nlines < PB_CHART_MAX_LINES; m++) {
        const pb_metric_t *metric = pb_model_metric(m);
        if (metric->group != group)
            continue;
        *unit = metric->unit;
        series[chart->nlines] = pb_model_sys(model, host, m);
        if (chart->stacked) {
            pb_chart_line_t *line = &chart->lines[chart->nlines];
            snprintf(line->label, sizeof(line->label), "%s", metric->label);
            line->rgb = pb_chart_color(chart->nlines);
            chart->nlines++;
        } else if (s_add_line(chart, metric->label, series[chart->nlines], buckets) < 0) {
            return -1;
        }
    }
    if (chart->stacked && chart->nlines > 0)
        return s_stacked(chart, series, buckets);
    return 0;
}

pb_chart_t *pb_chart_group(const pb_model_t *model, size_t host, pb_group_t group, size_t buckets)
{
    if (group >= PB_GROUP_COUNT)
        return NULL;
    pb_chart_t *chart = calloc(1, sizeof(pb_chart_t));
    if (!chart)
        return NULL;
    snprintf(chart->title, sizeof(chart->title), "%s", s_group_titles[group]);
    chart->stacked = group == PB_GROUP_CPU;
    pb_unit_t unit = PB_UNIT_PLAIN;
    if (s_group_lines(chart, model, host, group, buckets, &unit) < 0) {
        pb_chart_destroy(&chart);
        return NULL;
    }
    s_finish(chart, model, unit);
    return chart;
}

pb_chart_t *pb_chart_procs(const pb_model_t *model, size_t host, pb_order_t order, size_t top,
                           size_t buckets)
{
    pb_chart_t *chart = calloc(1, sizeof(pb_chart_t));
    if (!chart)
        return NULL;
    snprintf(chart->title, sizeof(chart->title), "%s",
             order == PB_ORDER_CPU ? "Top processes by CPU (% of one core)"
                                   : "Top processes by RSS");
    pb_model_proc_t proc;
    char label[64];
    for (size_t r = 0; r < top && r < PB_CHART_MAX_LINES; r++) {
        if (pb_model_proc(model, host, order, r, &proc) < 0)
            break;
        snprintf(label, sizeof(label), "%s (%llu)", proc.comm, (unsigned long long)proc.pid);
        if (s_add_line(chart, label, order == PB_ORDER_CPU ? proc.cpu : proc.rss, buckets) < 0) {
            pb_chart_destroy(&chart);
            return NULL;
        }
    }
    s_finish(chart, model, pb_model_unit(pb_model_proc_field(order)));
    return chart;
}
