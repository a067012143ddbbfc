/* Unit tests of pb_outage: a host's down periods from receive-time gaps, as perfbus-sub judges. */
#include "pb_outage.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_SEC 1000000000ull

START_TEST(gap_longer_than_n_heartbeats_is_a_down_period)
{
    pb_outage_t *o = pb_outage_new();
    ck_assert_uint_eq(pb_outage_down_after(o), 3);
    for (uint64_t t = 10; t <= 15; t++)
        ck_assert_int_eq(pb_outage_note(o, "web1", t * S_SEC, S_SEC), 0);
    ck_assert_int_eq(pb_outage_note(o, "web1", 18 * S_SEC, 0), 0); /* exactly 3: still up */
    ck_assert_int_eq(pb_outage_note(o, "web1", 28 * S_SEC, 0), 0); /* 10 s: down */
    ck_assert_int_eq(pb_outage_end_run(o, 29 * S_SEC), 0);
    pb_outage_host_t h;
    ck_assert(pb_outage_host(o, "web1", &h));
    ck_assert(h.tracked);
    ck_assert_uint_eq(h.count, 1);
    ck_assert_double_eq_tol(h.down_s, 10, 1e-9);
    pb_outage_period_t p;
    ck_assert_int_eq(pb_outage_period(o, "web1", 0, &p), 0);
    ck_assert_uint_eq(p.from_ns, 18 * S_SEC);
    ck_assert_uint_eq(p.to_ns, 28 * S_SEC);
    ck_assert(!p.until_end);
    ck_assert_int_eq(pb_outage_period(o, "web1", 1, &p), -ENOENT);
    char lines[4][PB_OUTAGE_LINE];
    ck_assert_uint_eq(pb_outage_lines(o, "web1", lines, 4), 2);
    ck_assert_str_eq(lines[0],
                     "Down 1 time(s), 10.0 s in all (heartbeat 1 s, down after 3 missed)");
    ck_assert_str_eq(lines[1], "down 1970-01-01 00:00:18.000 to 00:00:28.000 UTC (10.0 s)");
    pb_outage_destroy(&o);
    ck_assert_ptr_null(o);
}
END_TEST

START_TEST(hosts_without_heartbeats_are_not_judged)
{
    pb_outage_t *o = pb_outage_new();
    pb_outage_note(o, "quiet", 1 * S_SEC, 0);
    pb_outage_note(o, "quiet", 100 * S_SEC, 0);
    pb_outage_host_t h;
    ck_assert(pb_outage_host(o, "quiet", &h));
    ck_assert(!h.tracked);
    ck_assert_uint_eq(h.count, 0);
    char lines[2][PB_OUTAGE_LINE];
    ck_assert_uint_eq(pb_outage_lines(o, "quiet", lines, 2), 0);
    ck_assert(!pb_outage_host(o, "unknown", &h));
    pb_outage_destroy(&o);
}
END_TEST

START_TEST(silence_at_the_end_and_between_runs)
{
    pb_outage_t *o = pb_outage_new();
    pb_outage_set_down_after(o, 2);
    pb_outage_note(o, "a", 1 * S_SEC, S_SEC);
    pb_outage_note(o, "b", 1 * S_SEC, S_SEC);
    pb_outage_note(o, "b", 10 * S_SEC, 0); /* the run's last record */
    pb_outage_end_run(o, 10 * S_SEC);
    pb_outage_period_t p;
    ck_assert_int_eq(pb_outage_period(o, "a", 0, &p), 0);
    ck_assert(p.until_end);
    ck_assert_uint_eq(p.to_ns, 10 * S_SEC);
    ck_assert_int_eq(pb_outage_period(o, "b", 1, &p), -ENOENT); /* b: its gap, once */
    /* the next run starts an hour later: the time between runs is nobody's down period */
    pb_outage_note(o, "a", 3600 * S_SEC, 0);
    pb_outage_note(o, "a", 3601 * S_SEC, 0);
    pb_outage_end_run(o, 3601 * S_SEC);
    pb_outage_host_t h;
    pb_outage_host(o, "a", &h);
    ck_assert_uint_eq(h.count, 1);
    char lines[3][PB_OUTAGE_LINE];
    ck_assert_uint_eq(pb_outage_lines(o, "a", lines, 3), 2);
    ck_assert_ptr_nonnull(strstr(lines[1], "until the end of the run"));
    ck_assert_ptr_nonnull(strstr(lines[0], "down after 2 missed"));
    pb_outage_set_down_after(o, 0);
    ck_assert_uint_eq(pb_outage_down_after(o), 3);
    pb_outage_destroy(&o);
}
END_TEST

START_TEST(periods_kept_are_bounded)
{
    pb_outage_t *o = pb_outage_new();
    uint64_t t = S_SEC;
    pb_outage_note(o, "flaky", t, S_SEC);
    for (int i = 0; i < PB_OUTAGE_MAX + 5; i++)
        ck_assert_int_eq(pb_outage_note(o, "flaky", t += 10 * S_SEC, 0), 0);
    pb_outage_host_t h;
    pb_outage_host(o, "flaky", &h);
    ck_assert_uint_eq(h.count, PB_OUTAGE_MAX + 5);
    ck_assert_uint_eq(h.kept, PB_OUTAGE_MAX);
    pb_outage_period_t p;
    ck_assert_int_eq(pb_outage_period(o, "flaky", PB_OUTAGE_MAX, &p), -ENOENT);
    char lines[3][PB_OUTAGE_LINE];
    ck_assert_uint_eq(pb_outage_lines(o, "flaky", lines, 3), 3); /* bounded by max */
    pb_outage_destroy(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_outage");
    TCase *tc = tcase_create("outage");
    tcase_add_test(tc, gap_longer_than_n_heartbeats_is_a_down_period);
    tcase_add_test(tc, hosts_without_heartbeats_are_not_judged);
    tcase_add_test(tc, silence_at_the_end_and_between_runs);
    tcase_add_test(tc, periods_kept_are_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
