/* Check suite for pb_frame: the envelope and the topic grammar. */
#include "pb_frame.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(envelope_round_trip)
{
    pb_value_t *f = pb_frame_new("sys", "web1", "src-1", 7, 99);
    pb_envelope_t env;
    char err[96];
    ck_assert_int_eq(pb_frame_envelope(f, &env, err, sizeof err), 0);
    ck_assert_uint_eq(env.v, PB_WIRE_VERSION);
    ck_assert_str_eq(env.type, "sys");
    ck_assert_str_eq(env.host, "web1");
    ck_assert_str_eq(env.src, "src-1");
    ck_assert_uint_eq(env.seq, 7);
    ck_assert_uint_eq(env.ts, 99);
    ck_assert_str_eq(pb_value_map_key_at(f, 0), "v");
    pb_value_destroy(&f);
}
END_TEST

START_TEST(envelope_names_the_problem)
{
    pb_value_t *f = pb_frame_new("sys", "web1", "src-1", 7, 99);
    pb_envelope_t env;
    char err[96];
    pb_value_map_put_int(f, "seq", -1);
    ck_assert_int_eq(pb_frame_envelope(f, &env, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "'seq' is not an unsigned integer");
    pb_value_destroy(&f);

    f = pb_value_map_new();
    pb_value_map_put_uint(f, "v", 1);
    ck_assert_int_eq(pb_frame_envelope(f, &env, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "missing key 'type'");
    pb_value_destroy(&f);

    f = pb_value_array_new();
    ck_assert_int_eq(pb_frame_envelope(f, &env, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "frame is a array, not a map");
    pb_value_destroy(&f);
}
END_TEST

START_TEST(topic_grammar)
{
    char buf[64];
    ck_assert_int_eq(pb_frame_topic(buf, sizeof buf, "proc", "db.example.org", "42"), 0);
    ck_assert_str_eq(buf, "proc.db_example_org.42");
    ck_assert_int_eq(pb_frame_topic(buf, sizeof buf, "sys", "h", NULL), 0);
    ck_assert_str_eq(buf, "sys.h");
    ck_assert_int_eq(pb_frame_topic(buf, 4, "sys", "host", NULL), -ENAMETOOLONG);
    ck_assert(pb_frame_now_ns() > 1700000000ull * 1000000000ull);
}
END_TEST

START_TEST(topic_is_valid_utf8)
{
    char buf[64];
    ck_assert_int_eq(pb_frame_topic(buf, sizeof buf, "prof", "h\xff.x", "sec\xe2\x82"), 0);
    ck_assert_str_eq(buf, "prof.h\xef\xbf\xbd_x.sec\xef\xbf\xbd");
    ck_assert_int_eq(pb_frame_topic(buf, sizeof buf, "sys", "caf\xc3\xa9", NULL), 0);
    ck_assert_str_eq(buf, "sys.caf\xc3\xa9");
    ck_assert_int_eq(pb_frame_topic(buf, 8, "sys", "h\xff\xff", NULL), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_frame");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, envelope_round_trip);
    tcase_add_test(tc, envelope_names_the_problem);
    tcase_add_test(tc, topic_grammar);
    tcase_add_test(tc, topic_is_valid_utf8);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
