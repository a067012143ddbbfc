/* pb_prompb: one remote_write TimeSeries entry from a pb_prom sample: sorted labels, one sample. */
#include "pb_prompb.h"

#include "pb_utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Wire tags: (field << 3) | type; type 2 is length-delimited, 1 64-bit, 0 varint. */
#define S_TAG_SERIES 0x0a /* WriteRequest.timeseries, TimeSeries.labels, Label.name */
#define S_TAG_SECOND 0x12 /* TimeSeries.samples, Label.value */
#define S_TAG_VALUE  0x09 /* Sample.value, a little-endian double */
#define S_TAG_TS     0x10 /* Sample.timestamp */

/* A label once its value is valid UTF-8 (sanitized into `own` when it was not). */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
    char *own;
} s_label_t;

static size_t s_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void s_varint(pb_prom_out_t *out, uint64_t v)
{
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    buf[n++] = (char)v;
    pb_prom_out_append(out, buf, n);
}

static void s_bytes(pb_prom_out_t *out, char tag, const char *s, size_t n)
{
    pb_prom_out_append(out, &tag, 1);
    s_varint(out, n);
    pb_prom_out_append(out, s, n);
}

static size_t s_field_len(size_t n)
{
    return 1 + s_varint_len(n) + n;
}

static size_t s_label_len(const s_label_t *l)
{
    return s_field_len(l->name_len) + s_field_len(l->value_len);
}

static int s_cmp(const s_label_t *a, const s_label_t *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    return c ? c : a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

/* Collects __name__ and the non-empty labels, values made valid, sorted by name. */
static int s_collect(const pb_prom_sample_t *s, s_label_t *labels, size_t *n)
{
    labels[0] = (s_label_t){"__name__", s->name, 8, strlen(s->name), NULL};
    *n = 1;
    for (size_t i = 0; i < s->nlabels; i++) {
        const pb_prom_label_t *p = &s->labels[i];
        if (p->value_len == 0)
            continue;
        s_label_t l = {p->name, p->value, p->name_len, p->value_len, NULL};
        if (!pb_utf8_is_valid(p->value, p->value_len)) {
            l.own = pb_utf8_sanitize_new(p->value, p->value_len, &l.value_len);
            if (!l.own)
                return -ENOMEM;
            l.value = l.own;
        }
        size_t k = (*n)++;
        for (; k > 0 && s_cmp(&l, &labels[k - 1]) < 0; k--)
            labels[k] = labels[k - 1];
        labels[k] = l;
    }
    return 0;
}

static void s_write(pb_prom_out_t *out, const s_label_t *labels, size_t n, double value,
                    int64_t ts_ms)
{
    size_t sample_len = 9 + 1 + s_varint_len((uint64_t)ts_ms), series_len = 0;
    for (size_t i = 0; i < n; i++)
        series_len += s_field_len(s_label_len(&labels[i]));
    series_len += s_field_len(sample_len);
    char tag = S_TAG_SERIES;
    pb_prom_out_append(out, &tag, 1);
    s_varint(out, series_len);
    for (size_t i = 0; i < n; i++) {
        pb_prom_out_append(out, &tag, 1);
        s_varint(out, s_label_len(&labels[i]));
        s_bytes(out, S_TAG_SERIES, labels[i].name, labels[i].name_len);
        s_bytes(out, S_TAG_SECOND, labels[i].value, labels[i].value_len);
    }
    char head[12] = {S_TAG_SECOND, (char)sample_len, S_TAG_VALUE};
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 8; i++)
        head[3 + i] = (char)(bits >> (8 * i)); /* little-endian, whatever the host */
    head[11] = S_TAG_TS;
    pb_prom_out_append(out, head, sizeof head);
    s_varint(out, (uint64_t)ts_ms);
}

int pb_prompb_append(pb_prom_out_t *out, const pb_prom_sample_t *sample, int64_t ts_ms)
{
    s_label_t labels[PB_PROM_MAX_LABELS + 1];
    size_t n = 0, was = out->len;
    int rc = s_collect(sample, labels, &n);
    if (rc == 0)
        s_write(out, labels, n, sample->value, ts_ms);
    for (size_t i = 0; i < n; i++)
        free(labels[i].own);
    if (rc == 0 && !out->failed)
        return 0;
    out->failed = true;
    out->len = was;
    return -ENOMEM;
}

size_t pb_prompb_entry_size(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len < 2 || p[0] != S_TAG_SERIES)
        return 0;
    uint64_t n = 0;
    for (size_t i = 1; i < len && i <= 10; i++) {
        n |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 1));
        if (!(p[i] & 0x80))
            return n <= len - i - 1 ? (size_t)n + i + 1 : 0;
    }
    return 0;
}
