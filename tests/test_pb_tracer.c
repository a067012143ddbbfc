/* test_pb_tracer: exact call counts, cProfile's recursion rule and the hook cost (built with
 * -finstrument-functions). */
#include "pb_tracer.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long s_sink;

__attribute__((noinline)) void tr_leaf(void)
{
    s_sink++;
}

__attribute__((noinline)) void tr_parent(int n)
{
    for (int i = 0; i < n; i++)
        tr_leaf();
}

__attribute__((noinline)) unsigned long tr_fib(int n)
{
    return n < 2 ? (unsigned long)n : tr_fib(n - 1) + tr_fib(n - 2);
}

__attribute__((noinline)) void tr_spin(long iterations)
{
    for (long i = 0; i < iterations; i++)
        s_sink += (unsigned long)i;
}

static const pb_trace_fn_t *s_find(const pb_trace_fn_t *fns, long n, void *fn)
{
    for (long i = 0; i < n; i++)
        if (fns[i].fn == fn)
            return &fns[i];
    return NULL;
}

START_TEST(counts_calls_exactly)
{
    pb_tracer_t *tr = pb_tracer_new();
    ck_assert_int_eq(pb_tracer_thread_start(tr), 0);
    ck_assert_int_eq(pb_tracer_thread_start(tr), -EBUSY);
    tr_parent(1000);
    tr_parent(24);
    pb_tracer_thread_stop();
    tr_parent(50); /* not traced */
    pb_trace_fn_t *fns = NULL;
    long n = pb_tracer_functions(tr, &fns);
    ck_assert_int_ge(n, 2);
    const pb_trace_fn_t *leaf = s_find(fns, n, (void *)tr_leaf);
    const pb_trace_fn_t *parent = s_find(fns, n, (void *)tr_parent);
    ck_assert_ptr_nonnull(leaf);
    ck_assert_ptr_nonnull(parent);
    ck_assert_uint_eq(leaf->ncalls, 1024);
    ck_assert_uint_eq(leaf->primcalls, 1024);
    ck_assert_uint_eq(parent->ncalls, 2);
    ck_assert(parent->cumtime_s >= leaf->cumtime_s);
    ck_assert(parent->tottime_s < parent->cumtime_s);
    ck_assert_uint_eq(pb_tracer_lost(tr), 0);
    ck_assert_uint_eq(pb_tracer_threads(tr), 1);
    free(fns);
    pb_tracer_destroy(&tr);
    ck_assert_ptr_null(tr);
}
END_TEST

START_TEST(recursion_like_cprofile)
{
    pb_tracer_t *tr = pb_tracer_new();
    ck_assert_int_eq(pb_tracer_thread_start(tr), 0);
    tr_fib(20);
    tr_fib(20);
    pb_tracer_thread_stop();
    pb_trace_fn_t *fns = NULL;
    long n = pb_tracer_functions(tr, &fns);
    const pb_trace_fn_t *fib = s_find(fns, n, (void *)tr_fib);
    ck_assert_ptr_nonnull(fib);
    ck_assert_uint_eq(fib->ncalls, 2 * 21891); /* C(20) = 2 F(21) - 1 */
    ck_assert_uint_eq(fib->primcalls, 2);
    /* cumtime is counted once per outermost call, so it equals tottime here */
    ck_assert_double_eq_tol(fib->cumtime_s, fib->tottime_s, fib->cumtime_s * 0.01);
    free(fns);
    pb_tracer_destroy(&tr);
}
END_TEST

START_TEST(times_follow_work)
{
    pb_tracer_t *tr = pb_tracer_new();
    ck_assert_int_eq(pb_tracer_thread_start(tr), 0);
    for (int i = 0; i < 100; i++) {
        tr_spin(7000);
        tr_parent(0);
        tr_spin(3000);
    }
    pb_tracer_thread_stop();
    pb_trace_fn_t *fns = NULL;
    long n = pb_tracer_functions(tr, &fns);
    const pb_trace_fn_t *spin = s_find(fns, n, (void *)tr_spin);
    ck_assert_uint_eq(spin->ncalls, 200);
    ck_assert(spin->tottime_s > 0 && spin->tottime_s <= spin->cumtime_s * 1.0001);
    ck_assert(pb_tracer_tsc_hz() > 1e8);
    free(fns);
    pb_tracer_destroy(&tr);
}
END_TEST

static void *s_thread(void *arg)
{
    pb_tracer_t *tr = arg;
    if (pb_tracer_thread_start(tr) == 0) {
        tr_parent(500);
        pb_tracer_thread_stop();
    }
    return NULL;
}

START_TEST(threads_merge)
{
    pb_tracer_t *tr = pb_tracer_new();
    pthread_t a, b;
    pthread_create(&a, NULL, s_thread, tr);
    pthread_create(&b, NULL, s_thread, tr);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pb_trace_fn_t *fns = NULL;
    long n = pb_tracer_functions(tr, &fns);
    ck_assert_uint_eq(s_find(fns, n, (void *)tr_leaf)->ncalls, 1000);
    ck_assert_uint_eq(pb_tracer_threads(tr), 2);
    free(fns);
    pb_tracer_destroy(&tr);
}
END_TEST

START_TEST(hook_cost)
{
    double ns = pb_tracer_hook_ns();
    printf("tracer: %.1f ns per traced call (enter + exit), TSC %.0f MHz\n", ns,
           pb_tracer_tsc_hz() / 1e6);
    ck_assert(ns > 0 && ns < 200);
    /* untraced: the hooks return at once */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000000; i++)
        tr_leaf();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double off = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e6;
    printf("tracer: %.1f ns per untraced instrumented call\n", off);
    ck_assert(off < 50);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_tracer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, counts_calls_exactly);
    tcase_add_test(tc, recursion_like_cprofile);
    tcase_add_test(tc, times_follow_work);
    tcase_add_test(tc, threads_merge);
    tcase_add_test(tc, hook_cost);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
