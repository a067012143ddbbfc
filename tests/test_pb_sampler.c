/* test_pb_sampler: timer-driven stacks of the calling thread, walked by frame pointers. */
#include "pb_sampler.h"
#include "pb_symbols.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long s_sink;

/* CPU time of this thread: the work is the same whatever else runs */
static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void smp_leaf(double seconds)
{
    double end = s_now() + seconds;
    unsigned long x = s_sink;
    while (s_now() < end)
        for (int i = 0; i < 200000; i++) /* the clock is a system call: rarely */
            x = x * 6364136223846793005ul + 1;
    s_sink = x;
}

__attribute__((noinline)) void smp_middle(double seconds)
{
    smp_leaf(seconds);
    s_sink++;
}

/* noinline: its frame is the root where walks stop */
__attribute__((noinline)) static int smp_run(pb_sampler_t *s, double seconds)
{
    int slot = pb_sampler_thread_start(s, __builtin_frame_address(0), true);
    if (slot < 0)
        return slot;
    smp_middle(seconds);
    return pb_sampler_thread_stop(s, slot);
}

START_TEST(samples_the_calling_thread)
{
    pb_sampler_t *s = pb_sampler_new(PB_CLOCK_WALL, 1000, 4096);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(smp_run(s, 0.3), 0);
    pb_sampler_totals_t t = pb_sampler_totals(s);
    /* ~1 kHz of the time the thread ran (other load may deschedule it) */
    ck_assert_uint_gt(t.received, 20);
    ck_assert((double)t.received / t.cpu_s > 500);
    ck_assert_uint_eq(t.dropped, 0);
    ck_assert_uint_eq(t.threads, 1);
    ck_assert(t.wall_s >= 0.3);
    pb_symbols_t *sy = pb_symbols_new();
    size_t complete = 0, in_leaf = 0;
    for (size_t i = 0; i < pb_sampler_count(s); i++) {
        pb_sample_t smp = pb_sampler_at(s, i);
        ck_assert_uint_ge(smp.depth, 1);
        complete += smp.complete;
        pb_symbol_t sym;
        if (pb_symbols_lookup(sy, smp.pcs[smp.depth - 1], smp.depth > 1, &sym) == 0 && smp.complete)
            ck_assert_str_eq(sym.name, "smp_middle"); /* the root's own frame is dropped */
        if (pb_symbols_lookup(sy, smp.pcs[0], 0, &sym) == 0 && strcmp(sym.name, "smp_leaf") == 0)
            in_leaf++;
    }
    ck_assert_uint_ge(complete, t.received * 9 / 10);
    ck_assert_uint_ge(in_leaf, t.received / 2);
    pb_symbols_destroy(&sy);
    pb_sampler_destroy(&s);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(cpu_clock_and_a_full_ring)
{
    pb_sampler_t *s = pb_sampler_new(PB_CLOCK_CPU, 1000, 8);
    ck_assert_int_eq(smp_run(s, 0.3), 0);
    pb_sampler_totals_t t = pb_sampler_totals(s);
    ck_assert_uint_eq(t.received, 8);
    ck_assert_uint_gt(t.dropped, 0); /* the ring holds 8: the rest are counted, not lost silently */
    ck_assert(t.cpu_s > 0.05);
    /* the CPU-time timer fires at the kernel tick at most (250 Hz here) */
    ck_assert((double)(t.received + t.dropped) / t.cpu_s < 300);
    pb_sampler_destroy(&s);
}
END_TEST

START_TEST(errors)
{
    ck_assert_ptr_null(pb_sampler_new(PB_CLOCK_WALL, 0, 16));
    ck_assert_ptr_null(pb_sampler_new(PB_CLOCK_WALL, 100, 0));
    pb_sampler_t *s = pb_sampler_new(PB_CLOCK_WALL, 100, 16);
    ck_assert_int_eq(pb_sampler_thread_stop(s, -1), -EINVAL);
    ck_assert_int_eq(pb_sampler_thread_stop(s, 3), -EINVAL); /* never started */
    int slots[PB_SAMPLER_THREADS];
    for (int i = 0; i < PB_SAMPLER_THREADS; i++)
        ck_assert_int_ge(slots[i] = pb_sampler_thread_start(s, NULL, false), 0);
    ck_assert_int_eq(pb_sampler_thread_start(s, NULL, false), -EMFILE);
    for (int i = 0; i < PB_SAMPLER_THREADS; i++)
        ck_assert_int_eq(pb_sampler_thread_stop(s, slots[i]), 0);
    ck_assert_int_ge(pb_sampler_thread_start(s, NULL, false), 0); /* slots are reused */
    pb_sampler_destroy(&s);                                       /* stops what is still armed */
    pb_sampler_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sampler");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, samples_the_calling_thread);
    tcase_add_test(tc, cpu_clock_and_a_full_ring);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
