/* test_pb_session: one job in each mode over several runs, turned into a result map. */
#include "pb_session.h"
#include "perfbus.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long s_sink;

__attribute__((noinline)) void ses_work(long n)
{
    unsigned long x = s_sink;
    for (long i = 0; i < n; i++)
        x = x * 6364136223846793005ul + 1;
    s_sink = x;
}

__attribute__((noinline)) static int ses_run(pb_session_t *s, long n)
{
    int rc = pb_session_run_begin(s, __builtin_frame_address(0), true);
    if (rc < 0)
        return rc;
    ses_work(n);
    return pb_session_run_end(s);
}

static const pb_value_t *s_function(const pb_value_t *result, const char *mode, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "%s.functions", mode);
    const pb_value_t *fns = pb_value_path(result, path);
    for (size_t i = 0; i < pb_value_len(fns); i++) {
        const char *got = NULL;
        pb_value_map_get_str(pb_value_array_at(fns, i), "name", &got);
        if (got && strcmp(got, name) == 0)
            return pb_value_array_at(fns, i);
    }
    return NULL;
}

START_TEST(modes_by_name)
{
    ck_assert_int_eq(pb_session_mode_parse("sampling"), PB_MODE_SAMPLING);
    ck_assert_int_eq(pb_session_mode_parse("tracing"), PB_MODE_TRACING);
    ck_assert_int_eq(pb_session_mode_parse("detailed"), PB_MODE_DETAILED);
    ck_assert_int_eq(pb_session_mode_parse("none"), -EINVAL);
    ck_assert_int_eq(pb_session_mode_parse(NULL), -EINVAL);
    ck_assert_str_eq(pb_session_mode_name(PB_MODE_TRACING), "tracing");
    ck_assert_str_eq(pb_session_mode_name(0), "none");
}
END_TEST

START_TEST(sampling_result)
{
    pb_session_opts_t o = {
        .mode = PB_MODE_SAMPLING, .clock = PB_CLOCK_WALL, .hz = 2000, .max_seconds = 5};
    pb_session_t *s = pb_session_new(&o);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ses_run(s, 40 * 1000 * 1000), 0);
    ck_assert_uint_eq(pb_session_runs(s), 3);
    pb_value_t *r = pb_value_map_new();
    ck_assert_int_eq(pb_session_result(s, r), 0);
    uint64_t runs = 0, received = 0;
    ck_assert_int_eq(pb_value_map_get_u64(r, "runs_done", &runs), 0);
    ck_assert_uint_eq(runs, 3);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(r, "run_wall_s")), 3);
    ck_assert_int_eq(
        pb_value_map_get_u64(pb_value_map_get(r, "sampling"), "samples_received", &received), 0);
    ck_assert_uint_gt(received, 20);
    double total = 0;
    pb_value_map_get_f64(s_function(r, "sampling", "ses_work"), "total_pct", &total);
    ck_assert(total > 95);
    ck_assert_ptr_nonnull(pb_value_path(r, "sampling.folded"));
    ck_assert_ptr_nonnull(pb_value_path(r, "sampling.tree"));
    pb_value_destroy(&r);
    pb_session_destroy(&s);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(tracing_and_detailed_results)
{
    pb_session_opts_t o = {.mode = PB_MODE_TRACING};
    pb_session_t *s = pb_session_new(&o);
    ck_assert_int_eq(ses_run(s, 1000), 0);
    ck_assert_int_eq(ses_run(s, 1000), 0);
    pb_value_t *r = pb_value_map_new();
    ck_assert_int_eq(pb_session_result(s, r), 0);
    uint64_t ncalls = 0;
    ck_assert_int_eq(pb_value_map_get_u64(s_function(r, "tracing", "ses_work"), "ncalls", &ncalls),
                     0);
    ck_assert_uint_eq(ncalls, 2);
    pb_value_destroy(&r);
    pb_session_destroy(&s);

    o.mode = PB_MODE_DETAILED;
    s = pb_session_new(&o);
    ck_assert_int_eq(ses_run(s, 10 * 1000 * 1000), 0);
    r = pb_value_map_new();
    ck_assert_int_eq(pb_session_result(s, r), 0);
    ck_assert_uint_eq(pb_value_len(pb_value_path(r, "detailed.runs")), 1);
    double user = 0;
    pb_value_map_get_f64(pb_value_array_at(pb_value_path(r, "detailed.runs"), 0), "user_s", &user);
    ck_assert(user >= 0);
    pb_value_destroy(&r);
    pb_session_destroy(&s);
}
END_TEST

START_TEST(child_runs)
{
    pb_session_opts_t o = {.mode = PB_MODE_DETAILED};
    pb_session_t *s = pb_session_new(&o);
    int code = -1;
    char *ok[] = {"true", NULL};
    ck_assert_int_eq(pb_session_child_run(s, ok, 5, &code), 0);
    ck_assert_int_eq(code, 0);
    char *fails[] = {"sh", "-c", "exit 3", NULL};
    ck_assert_int_eq(pb_session_child_run(s, fails, 5, &code), 0);
    ck_assert_int_eq(code, 3);
    char *slow[] = {"sleep", "5", NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(pb_session_child_run(s, slow, 0.2, &code), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert(t1.tv_sec - t0.tv_sec < 3);
    ck_assert_int_eq(code, 128 + 9); /* killed */
    char *missing[] = {"/nonexistent/perfbus-no-such-command", NULL};
    ck_assert_int_eq(pb_session_child_run(s, missing, 1, &code), -ENOENT);
    ck_assert_uint_eq(pb_session_runs(s), 3);
    pb_session_destroy(&s);
}
END_TEST

START_TEST(plain_runs_and_bad_options)
{
    pb_session_opts_t o = {.mode = 0};
    pb_session_t *s = pb_session_new(&o);
    ck_assert_int_eq(ses_run(s, 1000), 0);
    pb_value_t *r = pb_value_map_new();
    ck_assert_int_eq(pb_session_result(s, r), 0);
    ck_assert_ptr_null(pb_value_map_get(r, "sampling"));
    ck_assert(pb_session_wall_s(s) > 0);
    ck_assert_int_eq(pb_session_join(s, NULL), 0); /* nothing to join */
    pb_value_destroy(&r);
    pb_session_destroy(&s);
    pb_session_opts_t bad = {.mode = PB_MODE_SAMPLING, .hz = 0};
    ck_assert_ptr_null(pb_session_new(&bad));
    pb_session_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_session");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, modes_by_name);
    tcase_add_test(tc, sampling_result);
    tcase_add_test(tc, tracing_and_detailed_results);
    tcase_add_test(tc, child_runs);
    tcase_add_test(tc, plain_runs_and_bad_options);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
