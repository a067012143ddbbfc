/* Check suite for pb_events_buf: FIFO order across the ring's wrap, growth, the hard bound. */
#include "pb_events_buf.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(bytes_come_out_in_order_across_the_wrap)
{
    pb_events_buf_t *b = pb_events_buf_new(10000);
    char out[8192];
    unsigned next_in = 0, next_out = 0;
    for (int round = 0; round < 200; round++) { /* sizes that do not divide the ring */
        char chunk[97];
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (char)(next_in++ % 251);
        ck_assert_int_eq(pb_events_buf_put(b, chunk, sizeof chunk), 0);
        size_t n = pb_events_buf_take(b, out, (size_t)(round % 3) * 61 + 1);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq((unsigned char)out[i], next_out++ % 251);
    }
    size_t n = pb_events_buf_take(b, out, sizeof out);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq((unsigned char)out[i], next_out++ % 251);
    ck_assert_uint_eq(next_in, next_out);
    ck_assert_uint_eq(pb_events_buf_len(b), 0);
    ck_assert_uint_eq(pb_events_buf_take(b, out, sizeof out), 0);
    pb_events_buf_destroy(&b);
    ck_assert_ptr_null(b);
}
END_TEST

START_TEST(an_append_past_the_bound_fails_whole)
{
    pb_events_buf_t *b = pb_events_buf_new(100);
    char data[100] = {0}, out[100];
    ck_assert_int_eq(pb_events_buf_put(b, data, 60), 0);
    ck_assert_int_eq(pb_events_buf_put(b, data, 41), -ENOBUFS);
    ck_assert_uint_eq(pb_events_buf_len(b), 60); /* unchanged */
    ck_assert_int_eq(pb_events_buf_put(b, data, 40), 0);
    ck_assert_int_eq(pb_events_buf_put(b, data, 1), -ENOBUFS);
    ck_assert_uint_eq(pb_events_buf_peak(b), 100);
    ck_assert_uint_eq(pb_events_buf_take(b, out, 30), 30);
    ck_assert_int_eq(pb_events_buf_put(b, data, 30), 0); /* room again once read */
    ck_assert_int_eq(pb_events_buf_put(b, data, 0), 0);
    ck_assert_ptr_null(pb_events_buf_new(0));
    pb_events_buf_destroy(&b);
    pb_events_buf_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_events_buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bytes_come_out_in_order_across_the_wrap);
    tcase_add_test(tc, an_append_past_the_bound_fails_whole);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
