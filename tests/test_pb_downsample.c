/* Tests of pb_downsample: min/max per bucket keeps every spike and dip. */
#include "pb_downsample.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#define DAY (24 * 3600)

static size_t *s_idx(size_t n, size_t buckets)
{
    size_t *idx = malloc(pb_downsample_capacity(n, buckets) * sizeof(size_t) + 1);
    ck_assert_ptr_nonnull(idx);
    return idx;
}

static int s_contains(const size_t *idx, size_t count, size_t want)
{
    for (size_t i = 0; i < count; i++)
        if (idx[i] == want)
            return 1;
    return 0;
}

START_TEST(one_second_spike_in_a_day_survives)
{
    double *y = malloc(DAY * sizeof(double));
    for (size_t i = 0; i < DAY; i++)
        y[i] = 10 + sin((double)i / 600.0);
    y[43210] = 97;
    size_t *idx = s_idx(DAY, 300);
    size_t count = pb_downsample_minmax(y, DAY, 300, idx);
    ck_assert_uint_le(count, 2 * 300 + 2);
    ck_assert_uint_gt(count, 300);
    ck_assert(s_contains(idx, count, 43210));
    ck_assert_uint_eq(idx[0], 0);
    ck_assert_uint_eq(idx[count - 1], DAY - 1);
    for (size_t i = 1; i < count; i++)
        ck_assert_uint_lt(idx[i - 1], idx[i]);
    free(idx);
    free(y);
}
END_TEST

START_TEST(a_dip_survives_too)
{
    double y[10000];
    for (size_t i = 0; i < 10000; i++)
        y[i] = 50;
    y[7777] = -3;
    size_t idx[2 * 10 + 2];
    size_t count = pb_downsample_minmax(y, 10000, 10, idx);
    ck_assert(s_contains(idx, count, 7777));
}
END_TEST

START_TEST(short_series_are_kept_whole)
{
    double y[] = {1, 2, 3, 4, 5};
    size_t idx[5];
    ck_assert_uint_eq(pb_downsample_minmax(y, 5, 3, idx), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(idx[i], i);
}
END_TEST

START_TEST(missing_values_are_skipped)
{
    double y[2000];
    for (size_t i = 0; i < 2000; i++)
        y[i] = i % 3 == 0 ? NAN : (double)i;
    y[0] = NAN;
    y[1999] = NAN;
    size_t idx[2 * 20 + 2];
    size_t count = pb_downsample_minmax(y, 2000, 20, idx);
    ck_assert_uint_gt(count, 0);
    for (size_t i = 0; i < count; i++)
        ck_assert(isfinite(y[idx[i]]));
    ck_assert_uint_eq(idx[0], 1);
    ck_assert_uint_eq(idx[count - 1], 1997); /* 1998 is a multiple of 3 */
}
END_TEST

START_TEST(nothing_to_draw)
{
    double y[3] = {NAN, NAN, NAN};
    size_t idx[8];
    ck_assert_uint_eq(pb_downsample_minmax(y, 3, 3, idx), 0);
    ck_assert_uint_eq(pb_downsample_minmax(y, 0, 3, idx), 0);
    ck_assert_uint_eq(pb_downsample_minmax(y, 3, 0, idx), 0);
    ck_assert_uint_eq(pb_downsample_capacity(3, 100), 3);
    ck_assert_uint_eq(pb_downsample_capacity(1000, 10), 22);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_downsample");
    TCase *tc = tcase_create("minmax");
    tcase_add_test(tc, one_second_spike_in_a_day_survives);
    tcase_add_test(tc, a_dip_survives_too);
    tcase_add_test(tc, short_series_are_kept_whole);
    tcase_add_test(tc, missing_values_are_skipped);
    tcase_add_test(tc, nothing_to_draw);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
