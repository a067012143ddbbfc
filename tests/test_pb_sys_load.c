/* Check suite for pb_sys_load: /proc/loadavg and /proc/uptime. */
#include "pb_sys_load.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

START_TEST(loadavg_fields)
{
    pb_sys_load_t l;
    ck_assert_int_eq(pb_sys_load_parse("0.82 0.28 0.12 1/88 5268\n", &l), 0);
    ck_assert_double_eq_tol(l.avg1, 0.82, 1e-12);
    ck_assert_double_eq_tol(l.avg5, 0.28, 1e-12);
    ck_assert_double_eq_tol(l.avg15, 0.12, 1e-12);
    ck_assert_uint_eq(l.runnable, 1);
    ck_assert_uint_eq(l.threads, 88);
    ck_assert_int_eq(pb_sys_load_parse("12.50 3.00 1.00 10/1234", &l), 0);
    ck_assert_uint_eq(l.threads, 1234);
}
END_TEST

START_TEST(uptime_first_number)
{
    double up = 0;
    ck_assert_int_eq(pb_sys_load_parse_uptime("1178.79 2270.20\n", &up), 0);
    ck_assert_double_eq_tol(up, 1178.79, 1e-9);
    ck_assert_int_eq(pb_sys_load_parse_uptime("up\n", &up), -EINVAL);
    ck_assert_int_eq(pb_sys_load_parse_uptime("", &up), -EINVAL);
    ck_assert_int_eq(pb_sys_load_parse_uptime("-5 1\n", &up), -EINVAL);
}
END_TEST

START_TEST(loadavg_garbage_is_einval)
{
    pb_sys_load_t l;
    const char *bad[] = {"",
                         "0.1 0.2\n",
                         "a b c 1/2 3\n",
                         "0.1 0.2 0.3 1-88 5\n",
                         "0.1 0.2 0.3 /88 5\n",
                         "0.1 0.2 0.3 1/ 5\n",
                         "0.1 0.2 0.3 1/8x 5\n",
                         "0.1 0.2 nan 1/8 5\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_load_parse(bad[i], &l) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_load");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, loadavg_fields);
    tcase_add_test(tc, uptime_first_number);
    tcase_add_test(tc, loadavg_garbage_is_einval);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
