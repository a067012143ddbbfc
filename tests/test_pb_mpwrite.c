/* Check suite for pb_mpwrite: its bytes equal pb_codec's for the same tree, at every edge. */
#include "pb_mpwrite.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_mpread.h"

#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* pb_codec's bytes for v (which is destroyed) must be exactly what w holds. */
static void s_assert_same(const pb_mpwrite_t *w, pb_value_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(pb_mpwrite_status(w), 0);
    ck_assert_uint_eq(pb_mpwrite_depth(w), 0);
    ck_assert_int_eq(pb_codec_encode(v, &buf, &len), 0);
    ck_assert_uint_eq(pb_mpwrite_len(w), len);
    ck_assert_int_eq(memcmp(pb_mpwrite_data(w), buf, len), 0);
    free(buf);
    pb_value_destroy(&v);
}

/* A proc field, as the keys of maps in these tests. */
static const pb_catalog_field_t *s_key(const char *name)
{
    const pb_catalog_field_t *f = pb_catalog_find(PB_FT_PROC, name);
    ck_assert_ptr_nonnull(f);
    return f;
}

static void s_push(pb_value_t *array, pb_value_t *item)
{
    ck_assert_int_eq(pb_value_array_push(array, &item), 0);
}

/* An array of n uints, both ways: fix/16/32 array headers. */
static void s_assert_array_of(size_t n)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    pb_value_t *v = pb_value_array_new();
    pb_mpwrite_array(w, NULL);
    for (size_t i = 0; i < n; i++) {
        pb_mpwrite_uint(w, NULL, i % 200);
        s_push(v, pb_value_uint_new(i % 200));
    }
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    s_assert_same(w, v);
    pb_mpwrite_destroy(&w);
}

START_TEST(array_headers_at_15_16_65535_65536)
{
    static const size_t counts[] = {0, 1, 15, 16, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        s_assert_array_of(counts[i]);
}
END_TEST

/* A map of n entries under the same key (the writer does not look for
 * duplicates): its header, its length and a reader's walk of it. */
static void s_assert_map_of(uint32_t n, const unsigned char *head, size_t head_len)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    const pb_catalog_field_t *pid = s_key("pid");
    pb_mpwrite_map(w, NULL);
    for (uint32_t i = 0; i < n; i++)
        pb_mpwrite_uint(w, pid, 1);
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    ck_assert_uint_eq(pb_mpwrite_len(w), head_len + (size_t)n * 5); /* "\xa3pid" 1 */
    ck_assert_int_eq(memcmp(pb_mpwrite_data(w), head, head_len), 0);
    pb_mpread_t r;
    pb_mpread_item_t item;
    pb_mpread_init(&r, pb_mpwrite_data(w), pb_mpwrite_len(w), 4);
    ck_assert_int_eq(pb_mpread_next(&r, &item), 0);
    ck_assert_uint_eq(item.len, n);
    ck_assert_int_eq(pb_mpread_skip(&r, &item), 0);
    ck_assert_int_eq(pb_mpread_finish(&r), 0);
    pb_mpwrite_destroy(&w);
}

START_TEST(map_headers_at_15_16_65535_65536)
{
    s_assert_map_of(15, (const unsigned char *)"\x8f", 1);
    s_assert_map_of(16, (const unsigned char *)"\xde\x00\x10", 3);
    s_assert_map_of(65535, (const unsigned char *)"\xde\xff\xff", 3);
    s_assert_map_of(65536, (const unsigned char *)"\xdf\x00\x01\x00\x00", 5);
}
END_TEST

START_TEST(nested_maps_shrink_inside_out)
{
    /* the inner map closes first and moves its bytes; the outer then moves them again */
    const char *names[] = {"pid",     "ppid",  "uid",        "comm",      "cmdline",     "state",
                           "threads", "nice",  "fds",        "rss_bytes", "vsize_bytes", "mem_pct",
                           "cpu_pct", "first", "interval_s", "gone",      "minflt_total"};
    pb_mpwrite_t *w = pb_mpwrite_new();
    pb_value_t *v = pb_value_map_new(), *inner = pb_value_map_new(), *list = pb_value_array_new();
    pb_mpwrite_map(w, NULL);
    pb_mpwrite_map(w, s_key("comm"));
    for (size_t i = 0; i < 17; i++) {
        pb_mpwrite_uint(w, s_key(names[i]), i);
        ck_assert_int_eq(pb_value_map_put_uint(inner, names[i], i), 0);
    }
    pb_mpwrite_end(w);
    pb_mpwrite_array(w, s_key("pid"));
    pb_mpwrite_map(w, NULL);
    pb_mpwrite_end(w);
    s_push(list, pb_value_map_new());
    pb_mpwrite_end(w);
    pb_mpwrite_bool(w, s_key("gone"), true);
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    ck_assert_int_eq(pb_value_map_put(v, "comm", &inner), 0);
    ck_assert_int_eq(pb_value_map_put(v, "pid", &list), 0);
    ck_assert_int_eq(pb_value_map_put_bool(v, "gone", true), 0);
    s_assert_same(w, v);
    pb_mpwrite_destroy(&w);
}
END_TEST

/* One str of len bytes (fill), both ways. */
static void s_assert_str(const char *s, size_t len)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    ck_assert_int_eq(pb_mpwrite_strn(w, NULL, s, len), 0);
    s_assert_same(w, pb_value_strn_new(s, len));
    pb_mpwrite_destroy(&w);
}

START_TEST(strings_of_every_length_class)
{
    static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 70000};
    char *s = malloc(70000);
    memset(s, 'x', 70000);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        s_assert_str(s, lens[i]);
    free(s);
    unsigned char fix[] = {0xbf}, s8[] = {0xd9, 32}, s16[] = {0xda, 1, 0},
                  s32[] = {0xdb, 0, 1, 0, 0};
    pb_mpwrite_t *w = pb_mpwrite_new();
    const unsigned char *heads[] = {fix, s8, s16, s32};
    size_t head_lens[] = {1, 2, 3, 5}, body[] = {31, 32, 256, 65536};
    char *x = calloc(1, 65537);
    memset(x, 'y', 65536);
    for (int i = 0; i < 4; i++) {
        pb_mpwrite_reset(w);
        x[body[i]] = '\0';
        ck_assert_int_eq(pb_mpwrite_str(w, NULL, x), 0);
        ck_assert_int_eq(memcmp(pb_mpwrite_data(w), heads[i], head_lens[i]), 0);
        x[body[i]] = 'y';
    }
    free(x);
    pb_mpwrite_destroy(&w);
}
END_TEST

START_TEST(invalid_utf8_is_replaced_as_the_codec_does)
{
    s_assert_str("\xff\xfe"
                 "ab",
                 4);
    s_assert_str("caf\xc3", 4);      /* truncated sequence */
    s_assert_str("\xed\xa0\x80", 3); /* a surrogate: three U+FFFD */
    char bad[20];
    memset(bad, 0xff, sizeof bad); /* 20 bytes become 60: fixstr to str8 once replaced */
    s_assert_str(bad, sizeof bad);
    pb_mpwrite_t *w = pb_mpwrite_new();
    pb_mpwrite_strn(w, NULL, bad, sizeof bad);
    ck_assert_uint_eq((unsigned char)pb_mpwrite_data(w)[0], 0xd9);
    ck_assert_uint_eq((unsigned char)pb_mpwrite_data(w)[1], 60);
    /* a bin keeps the bytes as they are */
    pb_mpwrite_reset(w);
    ck_assert_int_eq(pb_mpwrite_bin(w, NULL, bad, sizeof bad), 0);
    s_assert_same(w, pb_value_bin_new(bad, sizeof bad));
    pb_mpwrite_destroy(&w);
}
END_TEST

START_TEST(uint_int_float_edges)
{
    static const uint64_t us[] = {0,     127,   128,        255,        256,
                                  65535, 65536, UINT32_MAX, 1ull << 32, UINT64_MAX};
    static const int64_t is[] = {
        -1,        -32, -33, -128,     -129, -32768, -32769, INT32_MIN, (int64_t)INT32_MIN - 1,
        INT64_MIN, 5,   300, INT64_MAX};
    static const double fs[] = {0.0, -0.0, 1.5, -2.25, DBL_MAX, DBL_MIN, INFINITY, -INFINITY};
    pb_mpwrite_t *w = pb_mpwrite_new();
    pb_value_t *v = pb_value_array_new();
    pb_mpwrite_array(w, NULL);
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        pb_mpwrite_uint(w, NULL, us[i]);
        s_push(v, pb_value_uint_new(us[i]));
    }
    for (size_t i = 0; i < sizeof is / sizeof is[0]; i++) {
        pb_mpwrite_int(w, NULL, is[i]);
        s_push(v, pb_value_int_new(is[i]));
    }
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        pb_mpwrite_float(w, NULL, fs[i]);
        s_push(v, pb_value_float_new(fs[i]));
    }
    pb_mpwrite_bool(w, NULL, true);
    pb_mpwrite_bool(w, NULL, false);
    s_push(v, pb_value_bool_new(true));
    s_push(v, pb_value_bool_new(false));
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    s_assert_same(w, v);
    /* a float is always a float64, even when it is whole */
    pb_mpwrite_reset(w);
    pb_mpwrite_float(w, NULL, 1.0);
    ck_assert_uint_eq(pb_mpwrite_len(w), 9);
    ck_assert_uint_eq((unsigned char)pb_mpwrite_data(w)[0], 0xcb);
    pb_mpwrite_destroy(&w);
}
END_TEST

START_TEST(buffer_grows_and_is_reused_after_reset)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    char *big = malloc(1 << 20);
    memset(big, 'b', 1 << 20);
    ck_assert_int_eq(pb_mpwrite_bin(w, NULL, big, 1 << 20), 0);
    ck_assert_uint_eq(pb_mpwrite_len(w), (1 << 20) + 5);
    ck_assert_int_eq(memcmp(pb_mpwrite_data(w) + 5, big, 1 << 20), 0);
    const char *before = pb_mpwrite_data(w);
    for (int round = 0; round < 3; round++) { /* same memory, fresh contents */
        pb_mpwrite_reset(w);
        ck_assert_uint_eq(pb_mpwrite_len(w), 0);
        pb_mpwrite_map(w, NULL);
        pb_mpwrite_uint(w, s_key("pid"), 7);
        ck_assert_int_eq(pb_mpwrite_end(w), 0);
        ck_assert_ptr_eq(pb_mpwrite_data(w), before);
        ck_assert_uint_eq(pb_mpwrite_len(w), 6);
        ck_assert_int_eq(memcmp(pb_mpwrite_data(w), "\x81\xa3pid\x07", 6), 0);
    }
    free(big);
    pb_mpwrite_destroy(&w);
    pb_mpwrite_destroy(&w); /* idempotent */
    pb_mpwrite_destroy(NULL);
}
END_TEST

START_TEST(misuse_is_a_sticky_error)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    ck_assert_int_eq(pb_mpwrite_end(w), -EINVAL); /* nothing open */
    pb_mpwrite_reset(w);
    pb_mpwrite_map(w, NULL);
    ck_assert_int_eq(pb_mpwrite_uint(w, NULL, 1), -EINVAL);         /* no key inside a map */
    ck_assert_int_eq(pb_mpwrite_uint(w, s_key("pid"), 1), -EINVAL); /* sticky */
    ck_assert_int_eq(pb_mpwrite_status(w), -EINVAL);
    pb_mpwrite_reset(w);
    ck_assert_int_eq(pb_mpwrite_status(w), 0);
    pb_mpwrite_array(w, NULL);
    ck_assert_int_eq(pb_mpwrite_uint(w, s_key("pid"), 1), -EINVAL); /* a key in an array */
    pb_mpwrite_reset(w);
    for (int i = 0; i < PB_MPWRITE_MAX_DEPTH; i++)
        ck_assert_int_eq(pb_mpwrite_array(w, NULL), 0);
    ck_assert_int_eq(pb_mpwrite_array(w, NULL), -ELOOP);
    ck_assert_int_eq(pb_mpwrite_end(w), -ELOOP);
    pb_mpwrite_destroy(&w);
}
END_TEST

START_TEST(resolve_names_the_missing_field)
{
    const pb_catalog_field_t *out[2];
    char err[128] = "";
    const char *good[] = {"user_pct", "idle_ticks_total"};
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_SYS, "cpu.total", good, 2, out, err, sizeof err), 0);
    ck_assert_str_eq(out[0]->path, "cpu.total.user_pct");
    const char *item[] = {"id", "busy_pct"};
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_SYS, "cpu.cores", item, 2, out, err, sizeof err), 0);
    ck_assert_str_eq(out[1]->path, "cpu.cores[].busy_pct");
    const char *bad[] = {"user_pct", "usr_pct"};
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_SYS, "cpu.total", bad, 2, out, err, sizeof err),
                     -ENOENT);
    ck_assert_str_eq(err, "the catalogue has no sys field 'cpu.total.usr_pct'");
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_SYS, "cpu.totl", good, 1, out, err, sizeof err),
                     -ENOENT);
    ck_assert_str_eq(err, "the catalogue has no sys field 'cpu.totl'");
    const char *top[] = {"v", "bogus"};
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_HB, "", top, 2, out, err, sizeof err), -ENOENT);
    ck_assert_str_eq(err, "the catalogue has no hb field 'bogus'");
}
END_TEST

START_TEST(envelope_is_pb_frame_new_byte_for_byte)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    const pb_catalog_field_t *gone = pb_catalog_find(PB_FT_PROC, "gone");
    ck_assert_int_eq(pb_frame_write_envelope(w, "proc", "web.1", "perfbusd-x", 1ull << 40,
                                             1763900000123456789ull),
                     0);
    ck_assert_uint_eq(pb_mpwrite_depth(w), 1);
    pb_mpwrite_bool(w, gone, true);
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    pb_value_t *v = pb_frame_new("proc", "web.1", "perfbusd-x", 1ull << 40, 1763900000123456789ull);
    ck_assert_int_eq(pb_value_map_put_bool(v, "gone", true), 0);
    s_assert_same(w, v);
    pb_mpwrite_destroy(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_mpwrite");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, array_headers_at_15_16_65535_65536);
    tcase_add_test(tc, map_headers_at_15_16_65535_65536);
    tcase_add_test(tc, nested_maps_shrink_inside_out);
    tcase_add_test(tc, strings_of_every_length_class);
    tcase_add_test(tc, invalid_utf8_is_replaced_as_the_codec_does);
    tcase_add_test(tc, uint_int_float_edges);
    tcase_add_test(tc, buffer_grows_and_is_reused_after_reset);
    tcase_add_test(tc, misuse_is_a_sticky_error);
    tcase_add_test(tc, resolve_names_the_missing_field);
    tcase_add_test(tc, envelope_is_pb_frame_new_byte_for_byte);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
