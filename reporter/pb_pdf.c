/* pb_pdf: draws the report with libharu — the only module that calls HPDF_*.
 *
 * Pages are A4 portrait; a cursor walks down each page and a block that does
 * not fit starts a new one. Every string passes through s_text, which turns
 * it into Latin-1 and cuts it to its box, so nothing can overflow or hit a
 * glyph the standard fonts lack. Page numbers are written last, once the
 * page count is known. libharu errors are latched by the handler and turn
 * into -EPROTO at the end (no longjmp). */
#include "pb_pdf.h"

#include "pb_outage.h"

#include "pb_chart.h"
#include "pb_profile.h"
#include "pb_table.h"
#include "pb_text.h"

#include <errno.h>
#include <hpdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_W       595.276
#define S_H       841.89
#define S_MARGIN  48.0
#define S_LEFT    S_MARGIN
#define S_RIGHT   (S_W - S_MARGIN)
#define S_TOP     (S_H - S_MARGIN)
#define S_BOTTOM  (S_MARGIN + 10)
#define S_CHART_H 250.0
#define S_ROW_H   12.0

typedef struct {
    HPDF_Doc doc;
    HPDF_Font font, bold;
    HPDF_Page page;
    HPDF_Page *pages;
    size_t npages, cappages;
    double y; /* cursor: the top of the next block */
    HPDF_STATUS error, detail;
    int enomem;
} pdf_t;

typedef enum { S_ALIGN_LEFT, S_ALIGN_RIGHT, S_ALIGN_CENTER } align_t;

static void s_on_error(HPDF_STATUS error, HPDF_STATUS detail, void *arg)
{
    pdf_t *pdf = arg;
    if (pdf->error == HPDF_OK) {
        pdf->error = error;
        pdf->detail = detail;
    }
}

static void s_new_page(pdf_t *pdf)
{
    if (pdf->npages == pdf->cappages) {
        size_t cap = pdf->cappages ? pdf->cappages * 2 : 16;
        HPDF_Page *grown = realloc(pdf->pages, cap * sizeof(HPDF_Page));
        if (!grown) {
            pdf->enomem = 1;
            return;
        }
        pdf->pages = grown;
        pdf->cappages = cap;
    }
    pdf->page = HPDF_AddPage(pdf->doc);
    HPDF_Page_SetSize(pdf->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    pdf->pages[pdf->npages++] = pdf->page;
    pdf->y = S_TOP;
}

/* Starts a new page unless `height` still fits above the bottom margin. */
static void s_need(pdf_t *pdf, double height)
{
    if (pdf->y - height < S_BOTTOM)
        s_new_page(pdf);
}

typedef struct {
    HPDF_Font font;
    double size;
} measure_t;

static double s_width(const char *s, size_t len, void *arg)
{
    const measure_t *m = arg;
    HPDF_TextWidth tw = HPDF_Font_TextWidth(m->font, (const HPDF_BYTE *)s, (HPDF_UINT)len);
    return tw.width * m->size / 1000.0;
}

static void s_rgb_fill(pdf_t *pdf, unsigned rgb)
{
    HPDF_Page_SetRGBFill(pdf->page, (float)((rgb >> 16) & 0xFF) / 255.0f,
                         (float)((rgb >> 8) & 0xFF) / 255.0f, (float)(rgb & 0xFF) / 255.0f);
}

static void s_rgb_stroke(pdf_t *pdf, unsigned rgb)
{
    HPDF_Page_SetRGBStroke(pdf->page, (float)((rgb >> 16) & 0xFF) / 255.0f,
                           (float)((rgb >> 8) & 0xFF) / 255.0f, (float)(rgb & 0xFF) / 255.0f);
}

/* Draws utf8 at baseline y, cut to maxw; x is the left, right or centre edge.
 * Returns the drawn width. */
static double s_text(pdf_t *pdf, HPDF_Font font, double size, double x, double y, double maxw,
                     align_t align, const char *utf8)
{
    char latin1[512];
    measure_t m = {font, size};
    pb_text_latin1(utf8, latin1, sizeof(latin1));
    pb_text_fit(latin1, maxw, s_width, &m);
    double w = s_width(latin1, strlen(latin1), &m);
    double left = align == S_ALIGN_LEFT ? x : align == S_ALIGN_RIGHT ? x - w : x - w / 2;
    HPDF_Page_BeginText(pdf->page);
    HPDF_Page_SetFontAndSize(pdf->page, font, (float)size);
    HPDF_Page_TextOut(pdf->page, (float)left, (float)y, latin1);
    HPDF_Page_EndText(pdf->page);
    return w;
}

static void s_heading(pdf_t *pdf, const char *title)
{
    s_need(pdf, 60);
    s_rgb_fill(pdf, 0x202020);
    s_text(pdf, pdf->bold, 14, S_LEFT, pdf->y - 14, S_RIGHT - S_LEFT, S_ALIGN_LEFT, title);
    pdf->y -= 24;
}

/* One table row; widths in points, the first column left-aligned, the rest right. */
static void s_row(pdf_t *pdf, const pb_table_row_t *row, const double *widths, int bold)
{
    s_need(pdf, S_ROW_H);
    double x = S_LEFT;
    s_rgb_fill(pdf, 0x000000);
    for (size_t c = 0; c < row->ncols; c++) {
        int left = c == 0 || widths[c] > 100;
        double at = left ? x + 2 : x + widths[c] - 2;
        s_text(pdf, bold ? pdf->bold : pdf->font, 7.5, at, pdf->y - 9, widths[c] - 4,
               left ? S_ALIGN_LEFT : S_ALIGN_RIGHT, row->cell[c]);
        x += widths[c];
    }
    if (bold) {
        HPDF_Page_SetLineWidth(pdf->page, 0.5);
        s_rgb_stroke(pdf, 0x808080);
        HPDF_Page_MoveTo(pdf->page, S_LEFT, (float)(pdf->y - S_ROW_H + 1));
        HPDF_Page_LineTo(pdf->page, S_RIGHT, (float)(pdf->y - S_ROW_H + 1));
        HPDF_Page_Stroke(pdf->page);
    }
    pdf->y -= S_ROW_H;
}

static void s_cover(pdf_t *pdf, const pb_model_t *model, const char *source)
{
    pb_table_row_t rows[12];
    size_t n = pb_table_cover(model, source, rows, 12);
    s_rgb_fill(pdf, 0x1f4e79);
    s_text(pdf, pdf->bold, 30, S_LEFT, S_TOP - 120, S_RIGHT - S_LEFT, S_ALIGN_LEFT,
           "perfbus report");
    s_rgb_fill(pdf, 0x404040);
    s_text(pdf, pdf->font, 12, S_LEFT, S_TOP - 145, S_RIGHT - S_LEFT, S_ALIGN_LEFT,
           "System and process performance of a recorded run");
    pdf->y = S_TOP - 190;
    for (size_t r = 0; r < n; r++) {
        s_rgb_fill(pdf, 0x000000);
        s_text(pdf, pdf->bold, 11, S_LEFT, pdf->y, 130, S_ALIGN_LEFT, rows[r].cell[0]);
        s_text(pdf, pdf->font, 11, S_LEFT + 140, pdf->y, S_RIGHT - S_LEFT - 140, S_ALIGN_LEFT,
               rows[r].cell[1]);
        pdf->y -= 20;
    }
}

static void s_summary(pdf_t *pdf, const pb_model_t *model, size_t host)
{
    static const double widths[] = {105, 42, 58, 58, 58, 58, 58, 58};
    char title[160];
    snprintf(title, sizeof(title), "Summary - %s", pb_model_host(model, host));
    s_heading(pdf, title);
    s_row(pdf, pb_table_summary_header(), widths, 1);
    pb_table_row_t row;
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        if (pb_table_summary(model, host, m, &row) == 0)
            s_row(pdf, &row, widths, 0);
    pdf->y -= 16;
}

static void s_procs(pdf_t *pdf, const pb_model_t *model, size_t host, size_t top)
{
    static const double widths[] = {50, 185, 65, 65, 70, 60};
    char title[160];
    snprintf(title, sizeof(title), "Top processes by CPU - %s", pb_model_host(model, host));
    s_heading(pdf, title);
    s_row(pdf, pb_table_proc_header(), widths, 1);
    pb_table_row_t row;
    for (size_t r = 0; r < top && pb_table_proc(model, host, r, &row) == 0; r++)
        s_row(pdf, &row, widths, 0);
    if (pb_model_proc_count(model, host) == 0)
        s_text(pdf, pdf->font, 9, S_LEFT, pdf->y - 10, 400, S_ALIGN_LEFT,
               "No process frames in this run.");
    pdf->y -= 16;
}

/* Plot area of a chart and the data-to-page mapping. */
typedef struct {
    double x0, y0, x1, y1; /* page coordinates */
    const pb_chart_t *chart;
} plot_t;

static double s_px(const plot_t *p, double x)
{
    double f = (x - p->chart->x0) / (p->chart->x1 - p->chart->x0);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return p->x0 + f * (p->x1 - p->x0);
}

static double s_py(const plot_t *p, double y)
{
    double f = (y - p->chart->y0) / (p->chart->y1 - p->chart->y0);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return p->y0 + f * (p->y1 - p->y0);
}

static void s_line(pdf_t *pdf, double x0, double y0, double x1, double y1)
{
    HPDF_Page_MoveTo(pdf->page, (float)x0, (float)y0);
    HPDF_Page_LineTo(pdf->page, (float)x1, (float)y1);
    HPDF_Page_Stroke(pdf->page);
}

static void s_axes(pdf_t *pdf, const plot_t *p)
{
    const pb_chart_t *c = p->chart;
    HPDF_Page_SetLineWidth(pdf->page, 0.3);
    for (size_t t = 0; t < c->nyticks; t++) {
        double y = s_py(p, c->yticks[t].at);
        s_rgb_stroke(pdf, 0xd0d0d0);
        s_line(pdf, p->x0, y, p->x1, y);
        s_rgb_fill(pdf, 0x404040);
        s_text(pdf, pdf->font, 7, p->x0 - 4, y - 2.5, 40, S_ALIGN_RIGHT, c->yticks[t].label);
    }
    for (size_t t = 0; t < c->nxticks; t++) {
        double x = s_px(p, c->xticks[t].at);
        s_rgb_stroke(pdf, 0x404040);
        s_line(pdf, x, p->y0, x, p->y0 - 3);
        s_text(pdf, pdf->font, 7, x, p->y0 - 11, 60, S_ALIGN_CENTER, c->xticks[t].label);
    }
    s_text(pdf, pdf->font, 7, p->x0 - 4, p->y1 + 4, 40, S_ALIGN_RIGHT, c->unit);
    s_text(pdf, pdf->font, 7, p->x1, p->y0 - 20, 80, S_ALIGN_RIGHT, "time (UTC)");
    HPDF_Page_SetLineWidth(pdf->page, 0.6);
    s_rgb_stroke(pdf, 0x404040);
    HPDF_Page_Rectangle(pdf->page, (float)p->x0, (float)p->y0, (float)(p->x1 - p->x0),
                        (float)(p->y1 - p->y0));
    HPDF_Page_Stroke(pdf->page);
}

/* The area between layer l's top edge and the one below (or the axis). */
static void s_area(pdf_t *pdf, const plot_t *p, size_t l)
{
    const pb_chart_line_t *top = &p->chart->lines[l];
    if (top->n == 0)
        return;
    s_rgb_fill(pdf, top->rgb);
    HPDF_Page_MoveTo(pdf->page, (float)s_px(p, top->x[0]), (float)s_py(p, top->y[0]));
    for (size_t i = 1; i < top->n; i++)
        HPDF_Page_LineTo(pdf->page, (float)s_px(p, top->x[i]), (float)s_py(p, top->y[i]));
    for (size_t i = top->n; i > 0; i--) {
        double below = l > 0 ? p->chart->lines[l - 1].y[i - 1] : 0;
        HPDF_Page_LineTo(pdf->page, (float)s_px(p, top->x[i - 1]), (float)s_py(p, below));
    }
    HPDF_Page_ClosePath(pdf->page);
    HPDF_Page_Fill(pdf->page);
}

static void s_polyline(pdf_t *pdf, const plot_t *p, const pb_chart_line_t *line)
{
    if (line->n == 0)
        return;
    HPDF_Page_SetLineWidth(pdf->page, 0.8);
    s_rgb_stroke(pdf, line->rgb);
    HPDF_Page_MoveTo(pdf->page, (float)s_px(p, line->x[0]), (float)s_py(p, line->y[0]));
    for (size_t i = 1; i < line->n; i++)
        HPDF_Page_LineTo(pdf->page, (float)s_px(p, line->x[i]), (float)s_py(p, line->y[i]));
    if (line->n == 1)
        HPDF_Page_LineTo(pdf->page, (float)s_px(p, line->x[0]) + 1, (float)s_py(p, line->y[0]));
    HPDF_Page_Stroke(pdf->page);
}

/* Legend rows under the plot: a swatch and a label per line, wrapping. */
static size_t s_legend(pdf_t *pdf, const pb_chart_t *chart, double y, int draw)
{
    double x = S_LEFT + 40;
    size_t rows = chart->nlines ? 1 : 0;
    measure_t m = {pdf->font, 7.5};
    for (size_t l = 0; l < chart->nlines; l++) {
        double w = s_width(chart->lines[l].label, strlen(chart->lines[l].label), &m);
        w = 14 + (w < 150 ? w : 150) + 12;
        if (x + w > S_RIGHT && x > S_LEFT + 40) {
            x = S_LEFT + 40;
            rows++;
        }
        double at = y - (double)(rows - 1) * S_ROW_H;
        if (draw) {
            s_rgb_fill(pdf, chart->lines[l].rgb);
            HPDF_Page_Rectangle(pdf->page, (float)x, (float)at - 1, 9, 7);
            HPDF_Page_Fill(pdf->page);
            s_rgb_fill(pdf, 0x000000);
            s_text(pdf, pdf->font, 7.5, x + 13, at, 150, S_ALIGN_LEFT, chart->lines[l].label);
        }
        x += w;
    }
    return rows;
}

static void s_chart(pdf_t *pdf, const pb_chart_t *chart)
{
    double legend_h = (double)s_legend(pdf, chart, 0, 0) * S_ROW_H;
    s_need(pdf, S_CHART_H + legend_h);
    double top = pdf->y;
    plot_t p = {S_LEFT + 40, top - S_CHART_H + 32, S_RIGHT - 8, top - 30, chart};
    s_rgb_fill(pdf, 0x202020);
    s_text(pdf, pdf->bold, 10.5, S_LEFT, top - 12, S_RIGHT - S_LEFT, S_ALIGN_LEFT, chart->title);
    if (chart->stacked)
        for (size_t l = 0; l < chart->nlines; l++)
            s_area(pdf, &p, l);
    else
        for (size_t l = 0; l < chart->nlines; l++)
            s_polyline(pdf, &p, &chart->lines[l]);
    s_axes(pdf, &p);
    if (chart->empty)
        s_text(pdf, pdf->font, 10, (p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2, 200, S_ALIGN_CENTER,
               "no data");
    s_legend(pdf, chart, p.y0 - 32, 1);
    pdf->y = top - S_CHART_H - legend_h - 12;
}

/* Draws one chart and frees it; NULL (ENOMEM) is latched. */
static void s_chart_take(pdf_t *pdf, pb_chart_t *chart)
{
    if (!chart) {
        pdf->enomem = 1;
        return;
    }
    s_chart(pdf, chart);
    pb_chart_destroy(&chart);
}

#define S_OUTAGE_LINES 21 /* the summary and the first 20 down periods */

/* The host's down periods (pb_outage), when its publisher sent heartbeats. */
static void s_updown(pdf_t *pdf, const pb_model_t *model, size_t host)
{
    char lines[S_OUTAGE_LINES][PB_OUTAGE_LINE], title[160];
    size_t n =
        pb_outage_lines(pb_model_outage(model), pb_model_host(model, host), lines, S_OUTAGE_LINES);
    if (n == 0)
        return;
    snprintf(title, sizeof(title), "Publisher up/down - %s", pb_model_host(model, host));
    s_heading(pdf, title);
    for (size_t i = 0; i < n; i++) {
        s_need(pdf, 14);
        s_rgb_fill(pdf, 0x000000);
        s_text(pdf, i ? pdf->font : pdf->bold, 9, S_LEFT + (i ? 10 : 0), pdf->y - 10,
               S_RIGHT - S_LEFT - 10, S_ALIGN_LEFT, lines[i]);
        pdf->y -= 13;
    }
    pdf->y -= 10;
}

static void s_host(pdf_t *pdf, const pb_model_t *model, size_t host)
{
    char title[160];
    s_new_page(pdf);
    s_summary(pdf, model, host);
    s_updown(pdf, model, host);
    snprintf(title, sizeof(title), "Charts - %s", pb_model_host(model, host));
    s_heading(pdf, title);
    for (size_t g = 0; g < PB_GROUP_COUNT; g++)
        s_chart_take(pdf, pb_chart_group(model, host, (pb_group_t)g, PB_CHART_BUCKETS));
    if (pb_model_proc_count(model, host) > 0) {
        s_chart_take(pdf, pb_chart_procs(model, host, PB_ORDER_CPU, 5, PB_CHART_BUCKETS));
        s_chart_take(pdf, pb_chart_procs(model, host, PB_ORDER_RSS, 5, PB_CHART_BUCKETS));
    }
    s_procs(pdf, model, host, 20);
}

#define S_FLAME_ROW 13.0

/* Flame graph: the root level at the bottom, a box per function on a stack. */
static void s_flame(pdf_t *pdf, const pb_profile_t *p)
{
    double height = (double)p->depth * S_FLAME_ROW, width = S_RIGHT - S_LEFT;
    s_need(pdf, height + 20);
    double bottom = pdf->y - height;
    for (size_t b = 0; b < p->nboxes; b++) {
        const pb_profile_box_t *box = &p->boxes[b];
        double x = S_LEFT + box->x * width, w = box->w * width,
               y = bottom + box->depth * S_FLAME_ROW;
        s_rgb_fill(pdf, pb_chart_flame_color(box->name));
        HPDF_Page_Rectangle(pdf->page, (float)x, (float)y, (float)(w > 0.6 ? w - 0.4 : 0.2),
                            (float)(S_FLAME_ROW - 1));
        HPDF_Page_Fill(pdf->page);
        if (w < 16)
            continue;
        s_rgb_fill(pdf, 0x000000);
        s_text(pdf, pdf->font, 6.5, x + 2, y + 3.5, w - 4, S_ALIGN_LEFT, box->name);
    }
    pdf->y = bottom - 16;
}

static void s_profile(pdf_t *pdf, const pb_profile_t *p)
{
    static const double five[] = {215, 70, 70, 70, 70}, six[] = {175, 64, 64, 64, 64, 64};
    char title[256];
    snprintf(title, sizeof(title), "%s (%s) - %s", p->name, p->mode, p->host);
    s_need(pdf, 90);
    s_rgb_fill(pdf, 0x202020);
    s_text(pdf, pdf->bold, 11, S_LEFT, pdf->y - 11, S_RIGHT - S_LEFT, S_ALIGN_LEFT, title);
    s_text(pdf, pdf->font, 8.5, S_LEFT, pdf->y - 24, S_RIGHT - S_LEFT, S_ALIGN_LEFT, p->about);
    pdf->y -= 32;
    const double *widths = p->header.ncols == 5 ? five : six;
    s_row(pdf, &p->header, widths, 1);
    for (size_t r = 0; r < p->nrows; r++)
        s_row(pdf, &p->rows[r], widths, 0);
    pdf->y -= 10;
    if (p->nboxes > 0) {
        s_text(pdf, pdf->bold, 9, S_LEFT, pdf->y - 9, S_RIGHT - S_LEFT, S_ALIGN_LEFT,
               "Flame graph (width = share of samples, callers below callees)");
        pdf->y -= 16;
        s_flame(pdf, p);
    }
    pdf->y -= 10;
}

static void s_profiles(pdf_t *pdf, const pb_model_t *model)
{
    if (pb_model_profile_count(model) == 0)
        return;
    s_new_page(pdf);
    s_heading(pdf, "Profiles");
    for (size_t i = 0; i < pb_model_profile_count(model); i++)
        s_profile(pdf, pb_model_profile(model, i));
}

static void s_footers(pdf_t *pdf)
{
    char buf[96];
    for (size_t p = 0; p < pdf->npages; p++) {
        pdf->page = pdf->pages[p];
        snprintf(buf, sizeof(buf), "perfbus report - page %zu of %zu", p + 1, pdf->npages);
        s_rgb_fill(pdf, 0x606060);
        s_text(pdf, pdf->font, 8, S_W / 2, 24, S_RIGHT - S_LEFT, S_ALIGN_CENTER, buf);
    }
}

/* Copies the finished document from libharu's memory stream to out. */
static int s_save(pdf_t *pdf, FILE *out)
{
    if (HPDF_SaveToStream(pdf->doc) != HPDF_OK)
        return -EPROTO;
    HPDF_BYTE buf[65536];
    for (;;) {
        HPDF_UINT32 len = sizeof(buf);
        HPDF_STATUS st = HPDF_ReadFromStream(pdf->doc, buf, &len);
        if (len > 0 && fwrite(buf, 1, len, out) != len)
            return -EIO;
        if (st == HPDF_STREAM_EOF)
            break;
        if (st != HPDF_OK)
            return -EPROTO;
    }
    return fflush(out) == 0 ? 0 : -EIO;
}

static void s_document(pdf_t *pdf, const pb_model_t *model, const char *source)
{
    HPDF_SetCompressionMode(pdf->doc, HPDF_COMP_ALL);
    HPDF_SetInfoAttr(pdf->doc, HPDF_INFO_TITLE, "perfbus report");
    HPDF_SetInfoAttr(pdf->doc, HPDF_INFO_CREATOR, "perfbus-report " PB_VERSION);
    pdf->font = HPDF_GetFont(pdf->doc, "Helvetica", "WinAnsiEncoding");
    pdf->bold = HPDF_GetFont(pdf->doc, "Helvetica-Bold", "WinAnsiEncoding");
    s_new_page(pdf);
    if (pdf->error != HPDF_OK || pdf->enomem)
        return;
    s_cover(pdf, model, source);
    for (size_t h = 0; h < pb_model_host_count(model) && !pdf->enomem; h++)
        s_host(pdf, model, h);
    s_profiles(pdf, model);
    s_footers(pdf);
}

int pb_pdf_write(FILE *out, const pb_model_t *model, const char *source, char *err, size_t errlen)
{
    pdf_t pdf;
    memset(&pdf, 0, sizeof(pdf));
    pdf.doc = HPDF_New(s_on_error, &pdf);
    if (!pdf.doc) {
        snprintf(err, errlen, "libharu: out of memory");
        return -ENOMEM;
    }
    s_document(&pdf, model, source);
    int rc = pdf.enomem ? -ENOMEM : pdf.error != HPDF_OK ? -EPROTO : s_save(&pdf, out);
    if (rc == -EPROTO || (rc == 0 && pdf.error != HPDF_OK)) {
        snprintf(err, errlen, "libharu error 0x%04X (detail %u)", (unsigned)pdf.error,
                 (unsigned)pdf.detail);
        rc = -EPROTO;
    } else if (rc < 0) {
        snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : "write failed");
    }
    HPDF_Free(pdf.doc);
    free(pdf.pages);
    return rc;
}
