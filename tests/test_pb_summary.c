/* Unit tests of pb_summary: statistics on known data, percentiles, the summary map. */
#include "pb_summary.h"

#include "pb_frame.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9

START_TEST(one_to_ten)
{
    /* Expected values worked out by hand: numpy.percentile(range(1, 11), p),
     * rank = p/100 * 9: p50 -> 4.5 -> 5.5; p95 -> 8.55 -> 9.55; p99 -> 8.91 -> 9.91;
     * population variance = (2*(4.5^2+3.5^2+2.5^2+1.5^2+0.5^2))/10 = 8.25. */
    uint64_t ts[10];
    double v[10] = {7, 3, 10, 1, 5, 9, 2, 8, 4, 6}; /* unsorted on purpose */
    for (int i = 0; i < 10; i++)
        ts[i] = 100 + (uint64_t)i;
    pb_summary_t s;
    ck_assert_int_eq(pb_summary_compute(ts, v, 10, 0, UINT64_MAX, &s), 0);
    ck_assert_uint_eq(s.count, 10);
    ck_assert_double_eq(s.min, 1);
    ck_assert_double_eq(s.max, 10);
    ck_assert_double_eq_tol(s.mean, 5.5, EPS);
    ck_assert_double_eq_tol(s.stddev, sqrt(8.25), EPS);
    ck_assert_double_eq_tol(s.p50, 5.5, EPS);
    ck_assert_double_eq_tol(s.p95, 9.55, EPS);
    ck_assert_double_eq_tol(s.p99, 9.91, EPS);
    ck_assert_uint_eq(s.first_ts, 100);
    ck_assert_uint_eq(s.last_ts, 109);
}
END_TEST

START_TEST(window_and_absent_values)
{
    uint64_t ts[6] = {10, 20, 30, 40, 50, 60};
    double v[6] = {100, NAN, 2, 4, NAN, 200};
    pb_summary_t s;
    ck_assert_int_eq(pb_summary_compute(ts, v, 6, 20, 50, &s), 0);
    ck_assert_uint_eq(s.count, 2); /* 2 and 4: NaN and out-of-window samples skipped */
    ck_assert_double_eq_tol(s.mean, 3, EPS);
    ck_assert_double_eq_tol(s.stddev, 1, EPS);
    ck_assert_double_eq_tol(s.p50, 3, EPS);
    ck_assert_uint_eq(s.first_ts, 30);
    ck_assert_uint_eq(s.last_ts, 40);
}
END_TEST

START_TEST(no_data_and_one_value)
{
    pb_summary_t s;
    uint64_t ts[1] = {5};
    double v[1] = {NAN};
    ck_assert_int_eq(pb_summary_compute(ts, v, 0, 0, UINT64_MAX, &s), -ENODATA);
    ck_assert_int_eq(pb_summary_compute(ts, v, 1, 0, UINT64_MAX, &s), -ENODATA);
    ck_assert_uint_eq(s.count, 0);
    v[0] = 42;
    ck_assert_int_eq(pb_summary_compute(ts, v, 1, 6, 9, &s), -ENODATA);
    ck_assert_int_eq(pb_summary_compute(ts, v, 1, 0, UINT64_MAX, &s), 0);
    ck_assert_double_eq(s.p99, 42);
    ck_assert_double_eq(s.stddev, 0);
}
END_TEST

START_TEST(percentile_edges)
{
    double s[4] = {10, 20, 30, 40};
    ck_assert_double_eq(pb_summary_percentile(s, 4, 0), 10);
    ck_assert_double_eq(pb_summary_percentile(s, 4, 100), 40);
    ck_assert_double_eq_tol(pb_summary_percentile(s, 4, 25), 17.5, EPS); /* rank 0.75 */
    ck_assert(isnan(pb_summary_percentile(s, 0, 50)));
}
END_TEST

START_TEST(to_value_has_every_key)
{
    pb_summary_t s = {3, 1, 3, 2, 0.5, 2, 2.9, 2.98, 7, 9};
    pb_value_t *v = pb_summary_to_value(&s);
    uint64_t u = 0;
    double d = 0;
    ck_assert_int_eq(pb_value_map_get_u64(v, "count", &u), 0);
    ck_assert_uint_eq(u, 3);
    ck_assert_int_eq(pb_value_map_get_f64(v, "p95", &d), 0);
    ck_assert_double_eq(d, 2.9);
    ck_assert_int_eq(pb_value_map_get_u64(v, "last_ts", &u), 0);
    ck_assert_uint_eq(u, 9);
    ck_assert_uint_eq(pb_value_len(v), 10);
    pb_value_destroy(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_summary");
    TCase *tc = tcase_create("summary");
    tcase_add_test(tc, one_to_ten);
    tcase_add_test(tc, window_and_absent_values);
    tcase_add_test(tc, no_data_and_one_value);
    tcase_add_test(tc, percentile_edges);
    tcase_add_test(tc, to_value_has_every_key);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
