/* Check suite for pb_sys_pressure: the total= of /proc/pressure files. */
#include "pb_sys_pressure.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

START_TEST(parses_some_and_full)
{
    pb_sys_pressure_t p;
    const char *text = "some avg10=7.75 avg60=32.10 avg300=55.00 total=7866852110\n"
                       "full avg10=0.00 avg60=0.00 avg300=0.00 total=82905460\n";
    ck_assert_int_eq(pb_sys_pressure_parse(text, &p), 0);
    ck_assert(p.has_some && p.has_full);
    ck_assert_uint_eq(p.some, 7866852110u);
    ck_assert_uint_eq(p.full, 82905460u);
}
END_TEST

START_TEST(either_line_may_be_missing)
{
    pb_sys_pressure_t p;
    /* cpu before Linux 5.13 */
    ck_assert_int_eq(pb_sys_pressure_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", &p),
                     0);
    ck_assert(p.has_some && !p.has_full);
    ck_assert_uint_eq(p.some, 5);
    /* irq, without a trailing newline */
    ck_assert_int_eq(pb_sys_pressure_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=9", &p),
                     0);
    ck_assert(!p.has_some && p.has_full);
    ck_assert_uint_eq(p.full, 9);
}
END_TEST

START_TEST(garbage_is_einval)
{
    pb_sys_pressure_t p;
    const char *bad[] = {
        "",
        "some avg10=0.00 avg60=0.00 avg300=0.00\n", /* no total */
        "some avg10=0.00 total=x\n",                /* not a number */
        "some avg10=0.00 total=-1\n",               /* negative */
        "some avg10=0.00 total=12abc\n",            /* trailing junk */
        "half avg10=0.00 total=1\n",                /* unknown line */
        "some avg10=0.00\nfull total=3\n",          /* total of another line */
        "some total=99999999999999999999999\n",     /* overflow */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_pressure_parse(bad[i], &p) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_pressure");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_some_and_full);
    tcase_add_test(tc, either_line_may_be_missing);
    tcase_add_test(tc, garbage_is_einval);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
