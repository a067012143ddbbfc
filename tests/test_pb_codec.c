/* Check suite for pb_codec: msgpack round trips and every way a payload can be bad. */
#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_json.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Encodes, decodes and compares through the JSON rendering. */
static void s_assert_round_trip(const pb_value_t *v)
{
    char *buf;
    size_t len;
    ck_assert_int_eq(pb_codec_encode(v, &buf, &len), 0);
    pb_value_t *back = NULL;
    char err[128] = "";
    ck_assert_int_eq(pb_codec_decode(buf, len, &back, err, sizeof err), 0);
    char *a = pb_json_encode(v, 0), *b = pb_json_encode(back, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(buf);
    pb_value_destroy(&back);
}

static pb_value_t *s_frame(const char *type)
{
    return pb_frame_new(type, "host-1", "perfbusd-abc", 41, 1763900000123456789ull);
}

START_TEST(round_trips_every_value_type)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_t *arr = pb_value_array_new();
    pb_value_t *item = pb_value_nil_new();
    pb_value_array_push(arr, &item);
    item = pb_value_bin_new("\x00\xff", 2);
    pb_value_array_push(arr, &item);
    pb_value_map_put(m, "list", &arr);
    pb_value_map_put_bool(m, "yes", true);
    pb_value_map_put_int(m, "neg", INT64_MIN);
    pb_value_map_put_uint(m, "big", UINT64_MAX);
    pb_value_map_put_float(m, "pi", 3.14159265358979);
    pb_value_map_put_str(m, "utf8", "caf\xc3\xa9 \xe2\x82\xac");
    s_assert_round_trip(m);
    pb_value_destroy(&m);
}
END_TEST

START_TEST(round_trips_each_frame_type)
{
    pb_value_t *sys = s_frame("sys");
    pb_value_t *cpu = pb_value_map_new();
    pb_value_map_put_uint(cpu, "ncpu", 2);
    pb_value_map_put(sys, "cpu", &cpu);
    pb_value_map_put_float(sys, "interval_s", 1.0);
    pb_value_map_put_bool(sys, "first", false);
    s_assert_round_trip(sys);
    pb_value_destroy(&sys);

    pb_value_t *proc = s_frame("proc");
    pb_value_map_put_uint(proc, "pid", 4242);
    pb_value_map_put_str(proc, "comm", "my (odd) proc");
    pb_value_map_put_int(proc, "nice", -5);
    pb_value_map_put_float(proc, "cpu_pct", 150.5);
    s_assert_round_trip(proc);
    pb_value_destroy(&proc);

    pb_value_t *hb = s_frame("hb");
    pb_value_map_put_str(hb, "version", PB_VERSION);
    pb_value_map_put_float(hb, "uptime_s", 12.5);
    s_assert_round_trip(hb);
    pb_value_destroy(&hb);
}
END_TEST

static int s_decode(const char *bytes, size_t len, char *err, size_t errlen)
{
    pb_value_t *v = (pb_value_t *)1; /* must be reset to NULL on failure */
    int rc = pb_codec_decode(bytes, len, &v, err, errlen);
    if (rc < 0)
        ck_assert_ptr_null(v);
    pb_value_destroy(&v);
    return rc;
}

START_TEST(rejects_truncated_and_garbage)
{
    char err[128];
    ck_assert_int_eq(s_decode("\x82\xa1"
                              "a",
                              3, err, sizeof err),
                     -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    ck_assert_int_eq(s_decode("\xc1", 1, err, sizeof err), -EBADMSG); /* never-used byte */
    ck_assert_ptr_nonnull(strstr(err, "malformed"));
    ck_assert_int_eq(s_decode("", 0, err, sizeof err), -EBADMSG);
    ck_assert_str_eq(err, "empty payload");
    ck_assert_int_eq(s_decode("\x01\x02", 2, err, sizeof err), -E2BIG);
    ck_assert_int_eq(s_decode("\x81\x01\x02", 3, err, sizeof err), -EBADMSG); /* int key */
    ck_assert_int_eq(s_decode("\xd4\x01\x00", 3, NULL, 0), -EBADMSG);         /* ext type */
}
END_TEST

START_TEST(rejects_deep_nesting)
{
    char deep[200];
    memset(deep, 0x91, sizeof deep - 1); /* fixarray of one element, nested */
    deep[sizeof deep - 1] = 0x00;
    char err[128];
    ck_assert_int_eq(s_decode(deep, sizeof deep, err, sizeof err), -ELOOP);
    ck_assert_ptr_nonnull(strstr(err, "deeper"));
    /* 32 levels is the limit, inclusive */
    ck_assert_int_eq(s_decode(deep + sizeof deep - 32, 32, err, sizeof err), 0);
    ck_assert_int_eq(s_decode(deep + sizeof deep - 34, 34, err, sizeof err), -ELOOP);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trips_every_value_type);
    tcase_add_test(tc, round_trips_each_frame_type);
    tcase_add_test(tc, rejects_truncated_and_garbage);
    tcase_add_test(tc, rejects_deep_nesting);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
