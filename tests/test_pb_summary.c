/* Unit tests of pb_summary: statistics on known data, numeric leaves of frames, series sets. */
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

/* A sys-like frame: nested maps, an array of cores, a bool, a string. */
static pb_value_t *s_frame(double busy, uint64_t used)
{
    pb_value_t *f = pb_frame_new("sys", "h", "src1", 3, 1000);
    pb_value_t *cpu = pb_value_map_new(), *total = pb_value_map_new();
    pb_value_t *cores = pb_value_array_new(), *core = pb_value_map_new();
    pb_value_t *mem = pb_value_map_new();
    pb_value_map_put_float(total, "busy_pct", busy);
    pb_value_map_put(cpu, "total", &total);
    pb_value_map_put_float(core, "busy_pct", 99);
    pb_value_array_push(cores, &core);
    pb_value_map_put(cpu, "cores", &cores);
    pb_value_map_put_uint(cpu, "ncpu", 2);
    pb_value_map_put(f, "cpu", &cpu);
    pb_value_map_put_uint(mem, "used_bytes", used);
    pb_value_map_put(f, "mem", &mem);
    pb_value_map_put_bool(f, "first", false);
    pb_value_map_put_int(f, "nice", -5);
    pb_value_map_put_uint(f, "pid", 77);
    return f;
}

static int s_collect(const char *path, double value, void *arg)
{
    char *out = arg;
    char item[96];
    snprintf(item, sizeof item, "%s=%g;", path, value);
    strcat(out, item);
    return 0;
}

START_TEST(leaves_are_numeric_map_paths)
{
    pb_value_t *f = s_frame(12.5, 4096);
    char out[512] = "";
    ck_assert_int_eq(pb_summary_leaves(f, s_collect, out), 0);
    ck_assert_str_eq(out, "cpu.total.busy_pct=12.5;cpu.ncpu=2;mem.used_bytes=4096;nice=-5;");
    pb_value_t *notmap = pb_value_array_new();
    ck_assert_int_eq(pb_summary_leaves(notmap, s_collect, out), -EINVAL);
    pb_value_destroy(&notmap);
    pb_value_destroy(&f);
}
END_TEST

static int s_stop_at_second(const char *path, double value, void *arg)
{
    (void)path, (void)value;
    return ++*(int *)arg == 2 ? 7 : 0;
}

START_TEST(leaves_walk_stops_on_request)
{
    pb_value_t *f = s_frame(1, 2);
    int calls = 0;
    ck_assert_int_eq(pb_summary_leaves(f, s_stop_at_second, &calls), 7);
    ck_assert_int_eq(calls, 2);
    pb_value_destroy(&f);
}
END_TEST

START_TEST(set_of_series)
{
    pb_summary_set_t *set = pb_summary_set_new();
    for (int i = 1; i <= 100; i++) {
        pb_value_t *f = s_frame(i, 1000);
        ck_assert_int_eq(pb_summary_set_add_frame(set, f, (uint64_t)i), 0);
        pb_value_destroy(&f);
    }
    ck_assert_int_eq(pb_summary_set_add(set, "extra", 5, 1.5), 0);
    ck_assert_uint_eq(pb_summary_set_size(set), 5);
    ck_assert_str_eq(pb_summary_set_field_at(set, 0), "cpu.total.busy_pct");
    ck_assert_str_eq(pb_summary_set_field_at(set, 4), "extra");
    ck_assert_ptr_null(pb_summary_set_field_at(set, 5));
    pb_summary_t s;
    ck_assert_int_eq(pb_summary_set_get(set, "cpu.total.busy_pct", &s), 0);
    ck_assert_uint_eq(s.count, 100);
    ck_assert_double_eq_tol(s.p50, 50.5, EPS);
    ck_assert_double_eq_tol(s.p95, 95.05, EPS); /* rank 94.05 over 1..100 */
    ck_assert_double_eq_tol(s.p99, 99.01, EPS);
    ck_assert_int_eq(pb_summary_set_get(set, "nope", &s), -ENOENT);
    const uint64_t *ts;
    const double *v;
    size_t n;
    ck_assert_int_eq(pb_summary_set_series(set, "mem.used_bytes", &ts, &v, &n), 0);
    ck_assert_uint_eq(n, 100);
    ck_assert_double_eq(v[99], 1000);
    ck_assert_int_eq(pb_summary_set_series(set, "nope", &ts, &v, &n), -ENOENT);
    pb_value_t *all = pb_summary_set_to_value(set);
    ck_assert_uint_eq(pb_value_len(all), 5);
    ck_assert_ptr_nonnull(pb_value_path(all, "extra"));
    pb_value_destroy(&all);
    pb_summary_set_destroy(&set);
    ck_assert_ptr_null(set);
    pb_summary_set_destroy(&set);
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
    tcase_add_test(tc, leaves_are_numeric_map_paths);
    tcase_add_test(tc, leaves_walk_stops_on_request);
    tcase_add_test(tc, set_of_series);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
