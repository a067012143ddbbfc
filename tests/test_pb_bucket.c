/* Unit tests of pb_bucket: aligned rows, merging = adding, exact summaries, bracketed percentiles.
 */
#include "pb_bucket.h"

#include "pb_summary.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_NS 1000000000ull

START_TEST(rows_are_utc_aligned_and_sorted)
{
    pb_bucket_t *bk = pb_bucket_new(2, 60);
    ck_assert_ptr_nonnull(bk);
    ck_assert_ptr_null(pb_bucket_new(1, 0));
    size_t row;
    uint64_t at[] = {125 * S_NS + 7, 61 * S_NS, 59 * S_NS, 179 * S_NS, 0};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(pb_bucket_row(bk, at[i], &row), 0);
        pb_bucket_add(bk, row, 0, (double)i);
        pb_bucket_add(bk, row, 1, NAN); /* left out */
    }
    ck_assert_uint_eq(pb_bucket_rows(bk), 3);
    const uint64_t *ts = pb_bucket_ts(bk);
    ck_assert_uint_eq(ts[0], 0);
    ck_assert_uint_eq(ts[1], 60 * S_NS);
    ck_assert_uint_eq(ts[2], 120 * S_NS);
    pb_bucket_col_t c = pb_bucket_col(bk, 0);
    ck_assert_uint_eq(c.count[0], 2); /* 59 s and 0 s */
    ck_assert_double_eq(c.min[0], 2);
    ck_assert_double_eq(c.max[0], 4);
    ck_assert_double_eq(c.mean[2], 1.5); /* 125 s and 179 s: values 0 and 3 */
    ck_assert_uint_eq(pb_bucket_col(bk, 1).count[1], 0);
    ck_assert(isnan(pb_bucket_col(bk, 1).mean[1]));
    ck_assert_uint_eq(pb_bucket_samples(bk, 0), 2);
    ck_assert_uint_eq(pb_bucket_samples(bk, 9), 0);
    ck_assert_ptr_null(pb_bucket_col(bk, 2).mean);
    pb_bucket_destroy(&bk);
    pb_bucket_destroy(&bk);
    ck_assert_ptr_null(bk);
}
END_TEST

/* A value of a known shape: a slow wave, a fast one and a spike. */
static double s_value(size_t i)
{
    return i == 4321 ? 97.0 : 20 + 10 * sin((double)i / 300.0) + 3 * sin((double)i * 1.7);
}

START_TEST(merging_a_bucket_equals_adding_its_samples)
{
    pb_bucket_t *raw = pb_bucket_new(1, 60), *merged = pb_bucket_new(1, 60);
    size_t row;
    for (size_t i = 0; i < 600; i++) {
        ck_assert_int_eq(pb_bucket_row(raw, i * S_NS, &row), 0);
        pb_bucket_add(raw, row, 0, s_value(i));
    }
    /* the same samples, as two halves of each minute (a bucket split across two segments) */
    for (size_t b = 0; b < 10; b++)
        for (size_t half = 0; half < 2; half++) {
            double lo = INFINITY, hi = -INFINITY, sum = 0;
            for (size_t i = b * 60 + half * 30; i < b * 60 + half * 30 + 30; i++) {
                lo = fmin(lo, s_value(i));
                hi = fmax(hi, s_value(i));
                sum += s_value(i);
            }
            ck_assert_int_eq(pb_bucket_row(merged, (b * 60 + half * 30) * S_NS, &row), 0);
            pb_bucket_merge(merged, row, 0, lo, hi, sum, 30);
            pb_bucket_merge(merged, row, 0, 1e9, 1e9, 1e9, 0); /* an empty bucket is nothing */
        }
    pb_bucket_col_t a = pb_bucket_col(raw, 0), m = pb_bucket_col(merged, 0);
    ck_assert_uint_eq(pb_bucket_rows(merged), 10);
    for (size_t r = 0; r < 10; r++) {
        ck_assert_uint_eq(a.count[r], m.count[r]);
        ck_assert_double_eq(a.min[r], m.min[r]);
        ck_assert_double_eq(a.max[r], m.max[r]);
        ck_assert_double_eq_tol(a.sum[r], m.sum[r], 1e-9 * fabs(a.sum[r]));
    }
    pb_bucket_destroy(&raw);
    pb_bucket_destroy(&merged);
}
END_TEST

START_TEST(weighted_percentiles_are_those_of_the_expanded_values)
{
    const double v[] = {1, 2.5, 4, 10};
    const uint64_t n[] = {3, 1, 5, 2};
    double expanded[11];
    size_t k = 0;
    for (size_t i = 0; i < 4; i++)
        for (uint64_t j = 0; j < n[i]; j++)
            expanded[k++] = v[i];
    for (double p = 0; p <= 100; p += 2.5)
        ck_assert_double_eq(pb_bucket_percentile(v, n, 4, p),
                            pb_summary_percentile(expanded, 11, p));
    const uint64_t none[] = {0, 0, 0, 0};
    ck_assert(isnan(pb_bucket_percentile(v, none, 4, 50)));
}
END_TEST

/* 24 h at 1 Hz in 1 min buckets against pb_summary over every sample. */
START_TEST(summaries_are_exact_and_percentiles_within_the_brackets)
{
    enum { N = 86400 };
    pb_bucket_t *bk = pb_bucket_new(1, 60);
    uint64_t *ts = malloc(N * sizeof *ts);
    double *vs = malloc(N * sizeof *vs);
    size_t row;
    for (size_t i = 0; i < N; i++) {
        ts[i] = (1767225600 + i) * S_NS;
        vs[i] = s_value(i);
        ck_assert_int_eq(pb_bucket_row(bk, ts[i], &row), 0);
        pb_bucket_add(bk, row, 0, vs[i]);
    }
    pb_summary_t exact;
    pb_bucket_summary_t s;
    ck_assert_int_eq(pb_summary_compute(ts, vs, N, 0, UINT64_MAX, &exact), 0);
    pb_bucket_col_t c = pb_bucket_col(bk, 0);
    ck_assert_int_eq(pb_bucket_summarise(c.mean, c.min, c.max, c.sum, c.count, 1440, &s), 0);
    ck_assert_uint_eq(s.count, exact.count);
    ck_assert_double_eq(s.min, exact.min);
    ck_assert_double_eq(s.max, 97.0);
    ck_assert_double_eq_tol(s.mean, exact.mean, 1e-12 * fabs(exact.mean));
    double want[3] = {exact.p50, exact.p95, exact.p99};
    for (size_t i = 0; i < 3; i++) {
        ck_assert(s.lo[i] <= want[i] && want[i] <= s.hi[i]);
        ck_assert(s.lo[i] <= s.p[i] && s.p[i] <= s.hi[i]);
        /* the wave moves little in a minute, the fast term by +-3: the estimate is close */
        ck_assert_double_le(fabs(s.p[i] - want[i]), 3.0);
    }
    pb_value_t *v = pb_bucket_summary_to_value(&s, 60);
    ck_assert_ptr_nonnull(v);
    uint64_t count = 0, width = 0;
    ck_assert_int_eq(pb_value_map_get_u64(v, "count", &count), 0);
    ck_assert_int_eq(pb_value_map_get_u64(v, "bucket_s", &width), 0);
    ck_assert_uint_eq(count, N);
    ck_assert_uint_eq(width, 60);
    ck_assert_ptr_nonnull(pb_value_map_get(v, "p99_hi"));
    pb_value_destroy(&v);
    free(ts);
    free(vs);
    pb_bucket_destroy(&bk);
}
END_TEST

/* 43200 buckets (a month of minutes): the histogram path, against pb_summary of every sample. */
START_TEST(many_buckets_take_the_histogram_and_stay_bounded)
{
    enum { N = 43200 * 5 };
    pb_bucket_t *bk = pb_bucket_new(1, 5);
    uint64_t *ts = malloc(N * sizeof *ts);
    double *vs = malloc(N * sizeof *vs);
    size_t row;
    for (size_t i = 0; i < N; i++) {
        ts[i] = (1767225600 + i) * S_NS;
        vs[i] = s_value(i) + (i % 977 == 0 ? 200.0 : 0); /* outliers stretch the range */
        ck_assert_int_eq(pb_bucket_row(bk, ts[i], &row), 0);
        pb_bucket_add(bk, row, 0, vs[i]);
    }
    pb_summary_t exact;
    pb_bucket_summary_t s;
    ck_assert_int_eq(pb_summary_compute(ts, vs, N, 0, UINT64_MAX, &exact), 0);
    pb_bucket_col_t c = pb_bucket_col(bk, 0);
    ck_assert_uint_eq(pb_bucket_rows(bk), 43200);
    ck_assert_int_eq(pb_bucket_summarise(c.mean, c.min, c.max, c.sum, c.count, 43200, &s), 0);
    ck_assert_uint_eq(s.count, N);
    ck_assert_double_eq(s.max, exact.max);
    double want[3] = {exact.p50, exact.p95, exact.p99};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(s.lo[i] <= want[i] && want[i] <= s.hi[i], "p%zu %g not in [%g, %g]", i,
                      want[i], s.lo[i], s.hi[i]);
        ck_assert(s.lo[i] <= s.p[i] && s.p[i] <= s.hi[i]);
        ck_assert_double_le(fabs(s.p[i] - want[i]), 3.0);
    }
    free(ts);
    free(vs);
    pb_bucket_destroy(&bk);
}
END_TEST

START_TEST(no_sample_is_no_data)
{
    const double nan[1] = {NAN};
    const uint64_t zero[1] = {0};
    pb_bucket_summary_t s;
    ck_assert_int_eq(pb_bucket_summarise(nan, nan, nan, nan, zero, 1, &s), -ENODATA);
    ck_assert_int_eq(pb_bucket_summarise(NULL, NULL, NULL, NULL, NULL, 0, &s), -ENODATA);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_bucket");
    TCase *tc = tcase_create("bucket");
    tcase_add_test(tc, rows_are_utc_aligned_and_sorted);
    tcase_add_test(tc, merging_a_bucket_equals_adding_its_samples);
    tcase_add_test(tc, weighted_percentiles_are_those_of_the_expanded_values);
    tcase_add_test(tc, summaries_are_exact_and_percentiles_within_the_brackets);
    tcase_add_test(tc, many_buckets_take_the_histogram_and_stay_bounded);
    tcase_add_test(tc, no_sample_is_no_data);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
