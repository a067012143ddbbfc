/* Check suite for pb_sys_cpu: cpu lines of /proc/stat and sar -u percentages. */
#include "pb_sys_cpu.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

START_TEST(parses_total_and_core_lines)
{
    pb_sys_cpu_line_t l;
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  3721 1 4182 227018 349 2 173 4 5 6\n", &l), 0);
    ck_assert_int_eq(l.id, -1);
    ck_assert_uint_eq(l.ticks[PB_CPU_USER], 3721);
    ck_assert_uint_eq(l.ticks[PB_CPU_NICE], 1);
    ck_assert_uint_eq(l.ticks[PB_CPU_IDLE], 227018);
    ck_assert_uint_eq(l.ticks[PB_CPU_STEAL], 4);
    ck_assert_uint_eq(l.ticks[PB_CPU_GUEST], 5);
    ck_assert_uint_eq(l.ticks[PB_CPU_GUEST_NICE], 6);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu17 1 2 3 4 5 6 7 8 9 10 11\n", &l), 0);
    ck_assert_int_eq(l.id, 17); /* an 11th column of a future kernel is ignored */
    ck_assert_uint_eq(l.ticks[PB_CPU_GUEST_NICE], 10);
}
END_TEST

START_TEST(older_kernels_have_fewer_columns)
{
    pb_sys_cpu_line_t l;
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  100 2 30 800 4 5 6\n", &l), 0); /* 2.6.0 */
    ck_assert_uint_eq(l.ticks[PB_CPU_SOFTIRQ], 6);
    ck_assert_uint_eq(l.ticks[PB_CPU_STEAL], 0);
    ck_assert_uint_eq(l.ticks[PB_CPU_GUEST], 0);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu0 1 2 3 4 5 6 7 8\n", &l), 0); /* 2.6.11 */
    ck_assert_uint_eq(l.ticks[PB_CPU_STEAL], 8);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu 1 2 3 4", &l), 0); /* 2.4, no newline */
    ck_assert_uint_eq(l.ticks[PB_CPU_IDLE], 4);
}
END_TEST

START_TEST(other_lines_and_garbage)
{
    pb_sys_cpu_line_t l;
    ck_assert_int_eq(pb_sys_cpu_parse_line("ctxt 348343\n", &l), -ENOENT);
    ck_assert_int_eq(pb_sys_cpu_parse_line("intr 1 2 3\n", &l), -ENOENT);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  1 2 3\n", &l), -EINVAL); /* < 4 columns */
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  12 abc 3 4\n", &l), -EINVAL);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  1 2 3 -4\n", &l), -EINVAL);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpux 1 2 3 4\n", &l), -EINVAL);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu9999999999 1 2 3 4\n", &l), -EINVAL);
    ck_assert_int_eq(pb_sys_cpu_parse_line("cpu  1 2 3 4 5 6 7 8 9 1x\n", &l), -EINVAL);
}
END_TEST

START_TEST(percentages_follow_sar)
{
    /* user nice system idle iowait irq softirq steal guest guest_nice */
    uint64_t d[PB_CPU_NSTATES] = {60, 10, 20, 100, 4, 2, 2, 2, 10, 0};
    pb_sys_cpu_pct_t p;
    pb_sys_cpu_pct(d, &p);
    ck_assert_double_eq_tol(p.user, 25.0, 1e-12); /* (60 - 10 guest) / 200 */
    ck_assert_double_eq_tol(p.nice, 5.0, 1e-12);
    ck_assert_double_eq_tol(p.system, 10.0, 1e-12);
    ck_assert_double_eq_tol(p.idle, 50.0, 1e-12);
    ck_assert_double_eq_tol(p.iowait, 2.0, 1e-12);
    ck_assert_double_eq_tol(p.irq, 1.0, 1e-12);
    ck_assert_double_eq_tol(p.softirq, 1.0, 1e-12);
    ck_assert_double_eq_tol(p.steal, 1.0, 1e-12);
    ck_assert_double_eq_tol(p.busy, 48.0, 1e-12);
    uint64_t guest_nice[PB_CPU_NSTATES] = {0, 40, 0, 60, 0, 0, 0, 0, 0, 40};
    pb_sys_cpu_pct(guest_nice, &p);
    ck_assert_double_eq_tol(p.nice, 0.0, 1e-12); /* all of nice was a guest's */
    uint64_t none[PB_CPU_NSTATES] = {0};
    pb_sys_cpu_pct(none, &p);
    ck_assert_double_eq(p.idle, 100.0);
    ck_assert_double_eq(p.busy, 0.0);
    uint64_t odd[PB_CPU_NSTATES] = {5, 0, 0, 95, 0, 0, 0, 0, 9, 0}; /* guest > user: clamp */
    pb_sys_cpu_pct(odd, &p);
    ck_assert_double_eq(p.user, 0.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_cpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_total_and_core_lines);
    tcase_add_test(tc, older_kernels_have_fewer_columns);
    tcase_add_test(tc, other_lines_and_garbage);
    tcase_add_test(tc, percentages_follow_sar);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
