/* Check suite for pb_prompb: remote_write TimeSeries entries, decoded back by a reader written
 * here. */
#include "pb_prompb.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small protobuf reader, independent of the encoder ---- */

typedef struct {
    const unsigned char *p, *end;
} s_rd_t;

static uint64_t s_rd_varint(s_rd_t *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->p < r->end; shift += 7) {
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    ck_abort_msg("truncated varint");
    return 0;
}

/* The next length-delimited field: its number, and its bytes as a sub-reader. */
static unsigned s_rd_field(s_rd_t *r, s_rd_t *sub)
{
    uint64_t key = s_rd_varint(r);
    ck_assert_int_eq(key & 7, 2);
    uint64_t n = s_rd_varint(r);
    ck_assert_uint_le(n, (uint64_t)(r->end - r->p));
    *sub = (s_rd_t){r->p, r->p + n};
    r->p += n;
    return (unsigned)(key >> 3);
}

typedef struct {
    char labels[512]; /* "name=value,..." in wire order */
    double value;
    int64_t ts;
    int nsamples;
} s_series_t;

static void s_rd_label(s_rd_t *r, s_series_t *out)
{
    size_t n = strlen(out->labels);
    while (r->p < r->end) {
        s_rd_t s;
        unsigned f = s_rd_field(r, &s);
        n += (size_t)snprintf(out->labels + n, sizeof out->labels - n, "%s%.*s",
                              f == 1 ? (n ? "," : "") : "=", (int)(s.end - s.p), s.p);
    }
}

static void s_rd_sample(s_rd_t *r, s_series_t *out)
{
    while (r->p < r->end) {
        uint64_t key = s_rd_varint(r);
        if (key == 0x09) {
            uint64_t bits = 0;
            for (int i = 0; i < 8; i++)
                bits |= (uint64_t)r->p[i] << (8 * i);
            r->p += 8;
            memcpy(&out->value, &bits, sizeof bits);
        } else {
            ck_assert_uint_eq(key, 0x10);
            out->ts = (int64_t)s_rd_varint(r);
        }
    }
    out->nsamples++;
}

/* Decodes one WriteRequest entry (field 1, a TimeSeries). */
static void s_decode(const char *buf, size_t len, s_series_t *out)
{
    memset(out, 0, sizeof *out);
    s_rd_t r = {(const unsigned char *)buf, (const unsigned char *)buf + len}, ts, item;
    ck_assert_uint_eq(s_rd_field(&r, &ts), 1);
    ck_assert(r.p == r.end);
    while (ts.p < ts.end) {
        unsigned f = s_rd_field(&ts, &item);
        if (f == 1)
            s_rd_label(&item, out);
        else
            s_rd_sample(&item, out);
    }
}

/* ---- samples ---- */

static pb_prom_sample_t s_sample(const char *name, double value)
{
    pb_prom_sample_t s;
    memset(&s, 0, sizeof s);
    s.name = name;
    s.value = value;
    return s;
}

static void s_label(pb_prom_sample_t *s, const char *name, const char *value)
{
    s->labels[s->nlabels++] = (pb_prom_label_t){name, value, strlen(name), strlen(value)};
}

START_TEST(an_entry_holds_name_sorted_labels_value_and_ms_timestamp)
{
    pb_prom_sample_t s = s_sample("node_cpu_seconds_total", 1234.5);
    s_label(&s, "host", "web-1");
    s_label(&s, "cpu", "3");
    s_label(&s, "mode", "idle");
    pb_prom_out_t out = {0};
    ck_assert_int_eq(pb_prompb_append(&out, &s, 1700000000123), 0);
    ck_assert_uint_eq(pb_prompb_entry_size(out.data, out.len), out.len);
    s_series_t d;
    s_decode(out.data, out.len, &d);
    ck_assert_str_eq(d.labels, "__name__=node_cpu_seconds_total,cpu=3,host=web-1,mode=idle");
    ck_assert_int_eq(d.nsamples, 1);
    ck_assert(d.value == 1234.5);
    ck_assert_int_eq(d.ts, 1700000000123);
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(entries_concatenate_into_a_request_and_sizes_walk_them)
{
    pb_prom_out_t out = {0};
    const double values[] = {0, -1.5, INFINITY, 1e300};
    for (int i = 0; i < 4; i++) {
        pb_prom_sample_t s = s_sample("node_load1", values[i]);
        s_label(&s, "host", "h");
        ck_assert_int_eq(pb_prompb_append(&out, &s, 1000 + i), 0);
    }
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        size_t n = pb_prompb_entry_size(out.data + off, out.len - off);
        ck_assert_uint_gt(n, 0);
        s_series_t d;
        s_decode(out.data + off, n, &d);
        ck_assert_str_eq(d.labels, "__name__=node_load1,host=h");
        ck_assert(d.value == values[i]);
        ck_assert_int_eq(d.ts, 1000 + i);
        off += n;
    }
    ck_assert_uint_eq(off, out.len);
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(labels_sort_bytewise_with_capitals_before_name_and_empty_values_are_left_out)
{
    pb_prom_sample_t s = s_sample("perfbus_process_rss_bytes", 4096);
    s_label(&s, "pid", "42");
    s_label(&s, "comm", "");
    s_label(&s, "Zone", "a");
    s_label(&s, "host", "h");
    pb_prom_out_t out = {0};
    ck_assert_int_eq(pb_prompb_append(&out, &s, 5), 0);
    s_series_t d;
    s_decode(out.data, out.len, &d);
    /* 'Z' (0x5a) sorts before '_' (0x5f), which sorts before lower case */
    ck_assert_str_eq(d.labels, "Zone=a,__name__=perfbus_process_rss_bytes,host=h,pid=42");
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(bad_utf8_in_a_value_becomes_replacement_characters)
{
    pb_prom_sample_t s = s_sample("perfbus_process_rss_bytes", 1);
    s_label(&s, "comm",
            "a\xff"
            "b");
    pb_prom_out_t out = {0};
    ck_assert_int_eq(pb_prompb_append(&out, &s, 5), 0);
    s_series_t d;
    s_decode(out.data, out.len, &d);
    ck_assert_str_eq(d.labels, "__name__=perfbus_process_rss_bytes,comm=a\xef\xbf\xbd"
                               "b");
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(long_values_take_multi_byte_lengths)
{
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pb_prom_sample_t s = s_sample("node_load1", 2);
    s_label(&s, "host", big);
    pb_prom_out_t out = {0};
    ck_assert_int_eq(pb_prompb_append(&out, &s, 1), 0);
    ck_assert_uint_eq(pb_prompb_entry_size(out.data, out.len), out.len);
    s_series_t d;
    s_decode(out.data, out.len, &d);
    ck_assert_uint_eq(strlen(d.labels), strlen("__name__=node_load1,host=") + 299);
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(entry_size_refuses_what_is_not_one_whole_entry)
{
    pb_prom_sample_t s = s_sample("node_load1", 2);
    pb_prom_out_t out = {0};
    ck_assert_int_eq(pb_prompb_append(&out, &s, 1), 0);
    ck_assert_uint_eq(pb_prompb_entry_size(out.data, out.len - 1), 0);
    ck_assert_uint_eq(pb_prompb_entry_size(out.data, 1), 0);
    ck_assert_uint_eq(pb_prompb_entry_size("\x12\x00", 2), 0);
    ck_assert_uint_eq(pb_prompb_entry_size("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), 0);
    ck_assert_uint_eq(pb_prompb_entry_size(NULL, 0), 0);
    pb_prom_out_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_prompb");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, an_entry_holds_name_sorted_labels_value_and_ms_timestamp);
    tcase_add_test(tc, entries_concatenate_into_a_request_and_sizes_walk_them);
    tcase_add_test(tc,
                   labels_sort_bytewise_with_capitals_before_name_and_empty_values_are_left_out);
    tcase_add_test(tc, bad_utf8_in_a_value_becomes_replacement_characters);
    tcase_add_test(tc, long_values_take_multi_byte_lengths);
    tcase_add_test(tc, entry_size_refuses_what_is_not_one_whole_entry);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
