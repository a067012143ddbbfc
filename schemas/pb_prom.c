/* pb_prom: names catalogue fields as Prometheus samples and writes the text exposition formats. */
#include "pb_prom.h"

#include "pb_num.h"
#include "pb_utf8.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TOTAL     "_total"
#define S_TOTAL_LEN 6

bool pb_prom_is_info(const pb_catalog_field_t *field)
{
    return field->kind == PB_KIND_MAP && field->prom[0];
}

bool pb_prom_exported(const pb_catalog_field_t *field, pb_catalog_frame_t frame)
{
    bool metric =
        field->kind == PB_KIND_COUNTER || field->kind == PB_KIND_GAUGE || pb_prom_is_info(field);
    return metric && field->prom[0] && (field->frame != PB_FT_ENV || frame == PB_FT_SYS);
}

/* Every field's catalogue labels, parsed once: a scrape names thousands of
 * samples, and parsing "cpu=@id,mode=user" and finding the @id sibling by
 * name for each cost a fifth of its time. */
typedef struct {
    pb_prom_label_t label;         /* value: the constant, or the sibling's name */
    const pb_catalog_field_t *sib; /* @field: its sibling; NULL for a constant or a missing one */
    bool from_field;
} s_label_t;

static struct {
    s_label_t labels[PB_CATALOG_MAX][PB_PROM_MAX_LABELS - 1]; /* host comes first, not here */
    uint8_t n[PB_CATALOG_MAX];
} s_parsed;
static pthread_once_t s_parsed_once = PTHREAD_ONCE_INIT;

static void s_parse_field(const pb_catalog_field_t *field)
{
    bool info = pb_prom_is_info(field);
    const pb_catalog_field_t *parent = info                 ? field
                                       : field->parent >= 0 ? pb_catalog_at(field->parent)
                                                            : NULL;
    pb_catalog_label_t l;
    uint8_t n = 0;
    for (size_t i = 0; n < PB_PROM_MAX_LABELS - 1 && pb_catalog_label(field, i, &l) == 0; i++) {
        s_label_t *p = &s_parsed.labels[field->index][n++];
        p->label = (pb_prom_label_t){l.name, l.value, l.name_len, l.value_len};
        p->from_field = l.from_field;
        p->sib = l.from_field ? pb_catalog_child(field->frame, parent, l.value, l.value_len) : NULL;
    }
    s_parsed.n[field->index] = n;
}

static void s_parse_all(void)
{
    for (size_t i = 0; i < pb_catalog_size() && i < PB_CATALOG_MAX; i++)
        s_parse_field(pb_catalog_at(i));
}

int pb_prom_sample(const pb_catalog_field_t *field, double raw, double clk_tck, const char *host,
                   pb_prom_sibling_fn *fn, void *arg, pb_prom_sample_t *out)
{
    bool info = pb_prom_is_info(field);
    if (!field->prom[0] ||
        (field->kind != PB_KIND_COUNTER && field->kind != PB_KIND_GAUGE && !info))
        return -ENOENT;
    memset(out, 0, sizeof *out);
    out->field = field;
    out->name = field->prom;
    out->help = field->help;
    out->type = field->kind == PB_KIND_COUNTER ? PB_PROM_COUNTER : PB_PROM_GAUGE;
    out->value = info ? 1.0 : pb_catalog_to_base(field, raw, clk_tck > 0 ? clk_tck : 100);
    out->labels[0] = (pb_prom_label_t){"host", host, 4, strlen(host)};
    out->nlabels = 1;
    /* an info map's labels come from its own attrs, anything else's from its siblings */
    pthread_once(&s_parsed_once, s_parse_all);
    for (uint8_t i = 0; i < s_parsed.n[field->index]; i++) {
        const s_label_t *l = &s_parsed.labels[field->index][i];
        pb_prom_label_t *p = &out->labels[out->nlabels++];
        *p = l->label;
        if (l->from_field && (!l->sib || !fn || fn(l->sib, &p->value, &p->value_len, arg) < 0))
            return -ENODATA;
    }
    return 0;
}

const pb_catalog_field_t *pb_prom_clock_field(void)
{
    for (const pb_catalog_field_t *f = pb_catalog_next(PB_FT_SYS, NULL); f;
         f = pb_catalog_next(PB_FT_SYS, f))
        if (f->kind == PB_KIND_ATTR && f->unit == PB_CU_HZ)
            return f;
    return NULL;
}

static bool s_strip_total(const char *name, size_t n, pb_prom_type_t type, pb_prom_format_t format)
{
    return format == PB_PROM_OPENMETRICS && type == PB_PROM_COUNTER && n > S_TOTAL_LEN &&
           strcmp(name + n - S_TOTAL_LEN, S_TOTAL) == 0;
}

static size_t s_family_len(const char *name, pb_prom_type_t type, pb_prom_format_t format)
{
    size_t n = strlen(name);
    return s_strip_total(name, n, type, format) ? n - S_TOTAL_LEN : n;
}

size_t pb_prom_family(const pb_catalog_field_t *field, pb_prom_format_t format, char *buf,
                      size_t size)
{
    pb_prom_type_t type = field->kind == PB_KIND_COUNTER ? PB_PROM_COUNTER : PB_PROM_GAUGE;
    size_t n = s_family_len(field->prom, type, format);
    if (size > 0)
        snprintf(buf, size, "%.*s", (int)n, field->prom);
    return n;
}

/* ---- the output buffer ---- */

void pb_prom_out_reset(pb_prom_out_t *out)
{
    out->len = 0;
    out->failed = false;
}

void pb_prom_out_free(pb_prom_out_t *out)
{
    free(out->data);
    memset(out, 0, sizeof *out);
}

static bool s_reserve(pb_prom_out_t *out, size_t n)
{
    if (out->failed)
        return false;
    if (out->len + n <= out->cap)
        return true;
    size_t cap = out->cap ? out->cap : 4096;
    while (cap < out->len + n)
        cap *= 2;
    char *data = realloc(out->data, cap);
    if (!data) {
        out->failed = true;
        return false;
    }
    out->data = data;
    out->cap = cap;
    return true;
}

void pb_prom_out_append(pb_prom_out_t *out, const char *s, size_t n)
{
    if (n == 0 || !s_reserve(out, n))
        return;
    memcpy(out->data + out->len, s, n);
    out->len += n;
}

static void s_puts(pb_prom_out_t *out, const char *s)
{
    pb_prom_out_append(out, s, strlen(s));
}

/* ---- escaping ---- */

/* s[0..n) with `\` and newline (and `"` when quote) escaped, bad UTF-8 as U+FFFD. */
static void s_escape(pb_prom_out_t *out, const char *s, size_t n, bool quote)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] != '\\' && s[run] != '\n' && !(quote && s[run] == '"') &&
               (unsigned char)s[run] < 0x80)
            run++;
        pb_prom_out_append(out, s + i, run - i);
        if ((i = run) >= n)
            break;
        int32_t cp = 0;
        size_t take = pb_utf8_next(s + i, n - i, &cp);
        if (cp == '\\' || cp == '"')
            pb_prom_out_append(out, cp == '\\' ? "\\\\" : "\\\"", 2);
        else if (cp == '\n')
            pb_prom_out_append(out, "\\n", 2);
        else if (cp == PB_UTF8_INVALID)
            pb_prom_out_append(out, PB_UTF8_REPLACEMENT, PB_UTF8_REPLACEMENT_LEN);
        else
            pb_prom_out_append(out, s + i, take);
        i += take;
    }
}

void pb_prom_write_label_value(pb_prom_out_t *out, const char *s, size_t n)
{
    s_escape(out, s, n, true);
}

void pb_prom_write_help(pb_prom_out_t *out, const char *s, pb_prom_format_t format)
{
    s_escape(out, s, strlen(s), format == PB_PROM_OPENMETRICS);
}

size_t pb_prom_format_value(double v, char buf[32])
{
    if (isnan(v))
        return (size_t)snprintf(buf, 32, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, 32, v > 0 ? "+Inf" : "-Inf");
    return pb_num_format(v, buf);
}

/* ---- lines ---- */

void pb_prom_write_header(pb_prom_out_t *out, const char *family, pb_prom_type_t type,
                          const char *help, pb_prom_format_t format)
{
    s_puts(out, "# HELP ");
    s_puts(out, family);
    s_puts(out, " ");
    pb_prom_write_help(out, help, format);
    s_puts(out, "\n# TYPE ");
    s_puts(out, family);
    s_puts(out, type == PB_PROM_COUNTER ? " counter\n" : " gauge\n");
}

void pb_prom_write_family(pb_prom_out_t *out, const pb_catalog_field_t *field,
                          pb_prom_format_t format)
{
    char family[256];
    pb_prom_family(field, format, family, sizeof family);
    pb_prom_write_header(out, family,
                         field->kind == PB_KIND_COUNTER ? PB_PROM_COUNTER : PB_PROM_GAUGE,
                         field->help, format);
}

void pb_prom_write_line(pb_prom_out_t *out, const char *family, pb_prom_type_t type,
                        const pb_prom_label_t *labels, size_t nlabels, double value,
                        pb_prom_format_t format)
{
    size_t n = s_family_len(family, type, format);
    pb_prom_out_append(out, family, n);
    if (format == PB_PROM_OPENMETRICS && type == PB_PROM_COUNTER)
        s_puts(out, S_TOTAL);
    for (size_t i = 0; i < nlabels; i++) {
        pb_prom_out_append(out, i ? "," : "{", 1);
        pb_prom_out_append(out, labels[i].name, labels[i].name_len);
        pb_prom_out_append(out, "=\"", 2);
        pb_prom_write_label_value(out, labels[i].value, labels[i].value_len);
        pb_prom_out_append(out, "\"", 1);
    }
    if (nlabels)
        pb_prom_out_append(out, "}", 1);
    char num[32];
    size_t len = pb_prom_format_value(value, num);
    pb_prom_out_append(out, " ", 1);
    pb_prom_out_append(out, num, len);
    pb_prom_out_append(out, "\n", 1);
}

void pb_prom_write_sample(pb_prom_out_t *out, const pb_prom_sample_t *sample,
                          pb_prom_format_t format)
{
    pb_prom_write_line(out, sample->name, sample->type, sample->labels, sample->nlabels,
                       sample->value, format);
}

void pb_prom_write_end(pb_prom_out_t *out, pb_prom_format_t format)
{
    if (format == PB_PROM_OPENMETRICS)
        s_puts(out, "# EOF\n");
}

/* ---- names ---- */

static bool s_name_valid(const char *s, size_t n, bool colon)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (colon && c == ':');
        if (!ok)
            return false;
    }
    return true;
}

bool pb_prom_metric_name_valid(const char *s, size_t n)
{
    return s_name_valid(s, n, true);
}

bool pb_prom_label_name_valid(const char *s, size_t n)
{
    return s_name_valid(s, n, false) && !(n >= 2 && s[0] == '_' && s[1] == '_');
}

const char *pb_prom_content_type(pb_prom_format_t format)
{
    return format == PB_PROM_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; "
                                           "charset=utf-8"
                                         : "text/plain; version=0.0.4; charset=utf-8";
}

bool pb_prom_wants_openmetrics(const char *accept)
{
    static const char want[] = "application/openmetrics-text";
    for (const char *p = accept; p && *p; p++)
        if (strncasecmp(p, want, sizeof want - 1) == 0)
            return true;
    return false;
}
