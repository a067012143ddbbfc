/* pb_html: writes the report as one HTML page with inline SVG charts.
 *
 * Charts use a fixed 480x270 viewBox scaled to the page width, with 13-unit
 * text, so they stay readable on a 400 px phone; tables scroll sideways inside their own box.
 * Hovering a line or area shows its name through an SVG <title>. Every
 * string from a frame goes through pb_text (UTF-8 repair, escaping). */
#include "pb_html.h"

#include "pb_outage.h"

#include "pb_chart.h"
#include "pb_profile.h"
#include "pb_table.h"
#include "pb_text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define S_VW 480.0
#define S_VH 270.0
#define S_X0 50.0
#define S_X1 472.0
#define S_Y0 226.0 /* bottom of the plot */
#define S_Y1 24.0  /* top of the plot */

static const char s_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;"
    "max-width:980px;padding:12px;color:#222;background:#fff;line-height:1.4}"
    "h1{color:#1f4e79;margin:.2em 0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;"
    "margin-top:1.6em}h3{margin:.2em 0;font-size:1em}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;white-space:nowrap;"
    "border-bottom:1px solid #eee}th{text-align:left;background:#f3f5f8}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.t{max-width:18em;overflow:hidden;text-overflow:ellipsis}"
    "table.cover td:first-child{font-weight:bold}"
    "figure{margin:1em 0}svg{width:100%;height:auto;display:block}"
    "svg text{font-size:13px;fill:#444}svg .grid{stroke:#ddd;stroke-width:.6}"
    "svg .axis{stroke:#444;fill:none;stroke-width:.8}"
    "ul.legend{list-style:none;padding:0;margin:.3em 0 0 0;font-size:13px}"
    "ul.legend li{display:inline-block;margin-right:1em;max-width:100%;overflow:hidden;"
    "text-overflow:ellipsis;white-space:nowrap}"
    "ul.legend span{display:inline-block;width:.8em;height:.8em;margin-right:.3em}"
    "footer{color:#777;font-size:12px;margin-top:2em}";

/* Escaped text, repaired to valid UTF-8 and cut to max_chars. */
static void s_text(FILE *out, const char *s, size_t max_chars)
{
    char buf[1024];
    pb_text_truncate_utf8(s, max_chars, buf, sizeof(buf));
    pb_text_html(out, buf);
}

static double s_px(const pb_chart_t *c, double x)
{
    double f = (x - c->x0) / (c->x1 - c->x0);
    return S_X0 + (f < 0 ? 0 : f > 1 ? 1 : f) * (S_X1 - S_X0);
}

static double s_py(const pb_chart_t *c, double y)
{
    double f = (y - c->y0) / (c->y1 - c->y0);
    return S_Y0 - (f < 0 ? 0 : f > 1 ? 1 : f) * (S_Y0 - S_Y1);
}

static void s_axes(FILE *out, const pb_chart_t *c)
{
    for (size_t t = 0; t < c->nyticks; t++) {
        double y = s_py(c, c->yticks[t].at);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", S_X0,
                y, S_X1, y);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", S_X0 - 5, y + 4,
                c->yticks[t].label);
    }
    for (size_t t = 0; t < c->nxticks; t++) {
        double x = s_px(c, c->xticks[t].at);
        fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
                S_Y0, x, S_Y0 + 4);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, S_Y0 + 17,
                c->xticks[t].label);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", S_X0 - 5, S_Y1 - 8,
            c->unit);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">time (UTC)</text>", S_X1,
            S_Y0 + 36);
    fprintf(out, "<rect class=\"axis\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
            S_X0, S_Y1, S_X1 - S_X0, S_Y0 - S_Y1);
}

static void s_title(FILE *out, const pb_chart_line_t *line)
{
    fputs("<title>", out);
    s_text(out, line->label, 200);
    fputs("</title>", out);
}

/* A stacked layer: along its top edge, back along the layer below. */
static void s_area(FILE *out, const pb_chart_t *c, size_t l)
{
    const pb_chart_line_t *top = &c->lines[l];
    if (top->n == 0)
        return;
    fprintf(out, "<path fill=\"#%06x\" d=\"M", top->rgb);
    for (size_t i = 0; i < top->n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " L" : "", s_px(c, top->x[i]), s_py(c, top->y[i]));
    for (size_t i = top->n; i > 0; i--) {
        double below = l > 0 ? c->lines[l - 1].y[i - 1] : 0;
        fprintf(out, " L%.1f,%.1f", s_px(c, top->x[i - 1]), s_py(c, below));
    }
    fputs(" Z\">", out);
    s_title(out, top);
    fputs("</path>\n", out);
}

static void s_polyline(FILE *out, const pb_chart_t *c, const pb_chart_line_t *line)
{
    if (line->n == 0)
        return;
    fprintf(out, "<polyline fill=\"none\" stroke=\"#%06x\" stroke-width=\"1.3\" points=\"",
            line->rgb);
    for (size_t i = 0; i < line->n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", s_px(c, line->x[i]), s_py(c, line->y[i]));
    if (line->n == 1)
        fprintf(out, " %.1f,%.1f", s_px(c, line->x[0]) + 1, s_py(c, line->y[0]));
    fputs("\">", out);
    s_title(out, line);
    fputs("</polyline>\n", out);
}

static void s_legend(FILE *out, const pb_chart_t *c)
{
    fputs("<ul class=\"legend\">", out);
    for (size_t l = 0; l < c->nlines; l++) {
        fprintf(out, "<li><span style=\"background:#%06x\"></span>", c->lines[l].rgb);
        s_text(out, c->lines[l].label, 48);
        fputs("</li>", out);
    }
    fputs("</ul>\n", out);
}

static void s_chart(FILE *out, const pb_chart_t *c)
{
    fputs("<figure><h3>", out);
    s_text(out, c->title, 120);
    fprintf(out, "</h3>\n<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", S_VW, S_VH);
    s_text(out, c->title, 120);
    fputs("\">\n", out);
    for (size_t l = 0; l < c->nlines; l++) {
        if (c->stacked)
            s_area(out, c, l);
        else
            s_polyline(out, c, &c->lines[l]);
    }
    s_axes(out, c);
    if (c->empty)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>",
                (S_X0 + S_X1) / 2, (S_Y0 + S_Y1) / 2);
    fputs("</svg>\n", out);
    s_legend(out, c);
    fputs("</figure>\n", out);
}

/* Draws one chart and frees it; returns -ENOMEM for a NULL chart. */
static int s_chart_take(FILE *out, pb_chart_t *chart)
{
    if (!chart)
        return -ENOMEM;
    s_chart(out, chart);
    pb_chart_destroy(&chart);
    return 0;
}

static void s_row(FILE *out, const pb_table_row_t *row, int header, size_t text_col)
{
    fputs("<tr>", out);
    for (size_t c = 0; c < row->ncols; c++) {
        if (header)
            fputs("<th>", out);
        else
            fputs(c == text_col ? "<td class=\"t\" title=\""
                  : c == 0      ? "<td>"
                                : "<td class=\"n\">",
                  out);
        if (!header && c == text_col) {
            s_text(out, row->cell[c], 200);
            fputs("\">", out);
        }
        s_text(out, row->cell[c], 200);
        fputs(header ? "</th>" : "</td>", out);
    }
    fputs("</tr>\n", out);
}

static void s_cover(FILE *out, const pb_model_t *model, const char *source)
{
    pb_table_row_t rows[12];
    size_t n = pb_table_cover(model, source, rows, 12);
    fputs("<header><h1>perfbus report</h1>\n<p>System and process performance of a recorded "
          "run.</p>\n<div class=\"scroll\"><table class=\"cover\">\n",
          out);
    for (size_t r = 0; r < n; r++)
        s_row(out, &rows[r], 0, 1);
    fputs("</table></div></header>\n", out);
}

static void s_heading(FILE *out, const char *what, const char *host)
{
    fprintf(out, "<h2>%s - ", what);
    s_text(out, host, 120);
    fputs("</h2>\n", out);
}

static void s_tables(FILE *out, const pb_model_t *model, size_t h)
{
    pb_table_row_t row;
    s_heading(out, "Summary", pb_model_host(model, h));
    fputs("<div class=\"scroll\"><table>\n", out);
    s_row(out, pb_table_summary_header(), 1, SIZE_MAX);
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        if (pb_table_summary(model, h, m, &row) == 0)
            s_row(out, &row, 0, SIZE_MAX);
    fputs("</table></div>\n", out);
}

static void s_procs(FILE *out, const pb_model_t *model, size_t h)
{
    pb_table_row_t row;
    s_heading(out, "Top processes by CPU", pb_model_host(model, h));
    if (pb_model_proc_count(model, h) == 0) {
        fputs("<p>No process frames in this run.</p>\n", out);
        return;
    }
    fputs("<div class=\"scroll\"><table>\n", out);
    s_row(out, pb_table_proc_header(), 1, SIZE_MAX);
    for (size_t r = 0; r < 20 && pb_table_proc(model, h, r, &row) == 0; r++)
        s_row(out, &row, 0, 1);
    fputs("</table></div>\n", out);
}

#define S_OUTAGE_LINES 21 /* the summary and the first 20 down periods */

/* The host's down periods (pb_outage), when its publisher sent heartbeats. */
static void s_updown(FILE *out, const pb_model_t *model, size_t h)
{
    char lines[S_OUTAGE_LINES][PB_OUTAGE_LINE];
    size_t n =
        pb_outage_lines(pb_model_outage(model), pb_model_host(model, h), lines, S_OUTAGE_LINES);
    if (n == 0)
        return;
    s_heading(out, "Publisher up/down", pb_model_host(model, h));
    fputs("<p class=\"updown\">", out);
    s_text(out, lines[0], PB_OUTAGE_LINE);
    fputs("</p>\n", out);
    if (n > 1)
        fputs("<ul class=\"down\">\n", out);
    for (size_t i = 1; i < n; i++) {
        fputs("<li>", out);
        s_text(out, lines[i], PB_OUTAGE_LINE);
        fputs("</li>\n", out);
    }
    if (n > 1)
        fputs("</ul>\n", out);
}

static int s_host(FILE *out, const pb_model_t *model, size_t h)
{
    int rc = 0;
    fputs("<section>\n", out);
    s_tables(out, model, h);
    s_updown(out, model, h);
    s_heading(out, "Charts", pb_model_host(model, h));
    for (size_t g = 0; g < PB_GROUP_COUNT && rc == 0; g++)
        rc = s_chart_take(out, pb_chart_group(model, h, (pb_group_t)g, PB_CHART_BUCKETS));
    if (rc == 0 && pb_model_proc_count(model, h) > 0) {
        rc = s_chart_take(out, pb_chart_procs(model, h, PB_ORDER_CPU, 5, PB_CHART_BUCKETS));
        rc = rc ? rc
                : s_chart_take(out, pb_chart_procs(model, h, PB_ORDER_RSS, 5, PB_CHART_BUCKETS));
    }
    s_procs(out, model, h);
    fputs("</section>\n", out);
    return rc;
}

#define S_FLAME_ROW 18.0

static void s_flame_box(FILE *out, const pb_profile_box_t *box, double height)
{
    double x = box->x * S_VW, w = box->w * S_VW;
    double y = height - (double)(box->depth + 1) * S_FLAME_ROW;
    fprintf(out,
            "<g><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
            "fill=\"#%06x\"><title>",
            x, y, w > 0.6 ? w - 0.4 : 0.2, S_FLAME_ROW - 1, pb_chart_flame_color(box->name));
    s_text(out, box->name, 200);
    fprintf(out, " - %llu samples (%.2f %%), %.4f s</title></rect>", (unsigned long long)box->count,
            box->w * 100, box->seconds);
    size_t chars = w > 14 ? (size_t)((w - 6) / 7.0) : 0;
    if (chars > 0) {
        fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"12\" fill=\"#000\">", x + 3, y + 13);
        s_text(out, box->name, chars);
        fputs("</text>", out);
    }
    fputs("</g>\n", out);
}

static void s_flame(FILE *out, const pb_profile_t *p)
{
    double height = (double)p->depth * S_FLAME_ROW;
    fprintf(out,
            "<figure><h3>Flame graph</h3>\n<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"flame graph\">\n",
            S_VW, height);
    for (size_t b = 0; b < p->nboxes; b++)
        s_flame_box(out, &p->boxes[b], height);
    fputs("</svg><p>Width is the share of samples; hover a box for its name and time.</p>"
          "</figure>\n",
          out);
}

static void s_profiles(FILE *out, const pb_model_t *model)
{
    if (pb_model_profile_count(model) == 0)
        return;
    fputs("<section>\n<h2>Profiles</h2>\n", out);
    for (size_t i = 0; i < pb_model_profile_count(model); i++) {
        const pb_profile_t *p = pb_model_profile(model, i);
        fputs("<h3>", out);
        s_text(out, p->name, 120);
        fputs(" (", out);
        s_text(out, p->mode, 20);
        fputs(") - ", out);
        s_text(out, p->host, 120);
        fputs("</h3>\n<p>", out);
        s_text(out, p->about, 200);
        fputs("</p>\n<div class=\"scroll\"><table>\n", out);
        s_row(out, &p->header, 1, SIZE_MAX);
        for (size_t r = 0; r < p->nrows; r++)
            s_row(out, &p->rows[r], 0, 0);
        fputs("</table></div>\n", out);
        if (p->nboxes > 0)
            s_flame(out, p);
    }
    fputs("</section>\n", out);
}

int pb_html_write(FILE *out, const pb_model_t *model, const char *source, char *err, size_t errlen)
{
    int rc = 0;
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>perfbus report</title>\n<style>%s</style></head>\n<body>\n",
            s_css);
    s_cover(out, model, source);
    for (size_t h = 0; h < pb_model_host_count(model) && rc == 0; h++)
        rc = s_host(out, model, h);
    s_profiles(out, model);
    fputs("<footer>Generated by perfbus-report " PB_VERSION ". Charts are downsampled with "
          "min/max per bucket, so peaks are kept.</footer>\n</body></html>\n",
          out);
    if (rc == 0 && ferror(out))
        rc = -EIO;
    if (rc < 0)
        snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : "writing HTML failed");
    return rc;
}
