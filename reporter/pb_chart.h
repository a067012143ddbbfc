/* pb_chart: renderer-neutral chart geometry — downsampled lines, nice ticks, unit labels. */
#ifndef PB_CHART_H
#define PB_CHART_H

#include "pb_model.h"

#include <stdbool.h>
#include <stddef.h>

#define PB_CHART_MAX_LINES 10
#define PB_CHART_MAX_TICKS 12
#define PB_CHART_BUCKETS   300 /* default: 600 points at most per line */

typedef struct {
    char label[64]; /* legend text (UTF-8, may need sanitising for PDF) */
    unsigned rgb;   /* 0xRRGGBB */
    size_t n;
    double *x; /* seconds since the Unix epoch */
    double *y; /* raw values; cumulative (top edge) when stacked */
} pb_chart_line_t;

typedef struct {
    double at; /* position on the axis, in data units */
    char label[24];
} pb_chart_tick_t;

typedef struct {
    char title[96];
    char unit[16]; /* axis unit, scaled: "%", "MiB", "KiB/s", "" */
    bool stacked;  /* draw areas between consecutive lines */
    bool empty;    /* no finite point: draw a "no data" box */
    double x0, x1, y0, y1;
    size_t nxticks, nyticks, nlines;
    pb_chart_tick_t xticks[PB_CHART_MAX_TICKS];
    pb_chart_tick_t yticks[PB_CHART_MAX_TICKS];
    pb_chart_line_t lines[PB_CHART_MAX_LINES];
} pb_chart_t;

/* Chart of a metric group (CPU stacked by state, memory, disk, network) of
 * one host, each line reduced to at most 2 * buckets + 2 points with
 * pb_downsample_minmax (stacked charts pick their points on the total).
 * Returns a new chart, or NULL on allocation failure or a bad group. */
pb_chart_t *pb_chart_group(const pb_model_t *model, size_t host, pb_group_t group, size_t buckets);

/* Chart of the `top` processes of a host by order: CPU % (PB_ORDER_CPU) or
 * RSS bytes (PB_ORDER_RSS). NULL on allocation failure. */
pb_chart_t *pb_chart_procs(const pb_model_t *model, size_t host, pb_order_t order, size_t top,
                           size_t buckets);

/* Frees a chart. Accepts NULL; sets *self_p to NULL. */
void pb_chart_destroy(pb_chart_t **self_p);

/* Formats value with its unit for tables: "12.3 %", "1.50 GiB", "3.20 MiB/s",
 * "0.42". Non-finite values give "-". This function can't fail (truncates). */
void pb_chart_format(double value, pb_unit_t unit, char *buf, size_t size);

/* Formats an epoch time as "YYYY-MM-DD HH:MM:SS UTC". Can't fail. */
void pb_chart_format_time(double t, char *buf, size_t size);

/* The i-th colour of the palette, 0xRRGGBB (cycles). */
unsigned pb_chart_color(size_t i);

/* A warm flame-graph colour derived from a function name, the same in
 * every renderer and every report. */
unsigned pb_chart_flame_color(const char *name);

#endif
