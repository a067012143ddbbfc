/* Check suite for pb_num: shortest round-trip text of doubles, and whole numbers as printf would.
 */
#include "pb_num.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_fmt(double v)
{
    static char buf[32];
    pb_num_format(v, buf);
    return buf;
}

START_TEST(shortest_text_that_reads_back)
{
    ck_assert_str_eq(s_fmt(2.1), "2.1");
    ck_assert_str_eq(s_fmt(0.1), "0.1");
    ck_assert_str_eq(s_fmt(1.0 / 3), "0.3333333333333333");
    ck_assert_str_eq(s_fmt(1712130), "1712130");
    ck_assert_str_eq(s_fmt(-42), "-42");
    ck_assert_str_eq(s_fmt(0), "0");
    ck_assert_str_eq(s_fmt(1e20), "1e+20");
    ck_assert_str_eq(s_fmt(5e-324), "4.94065645841247e-324");
    for (double v = 1e-6; v < 1e18; v *= 3.7) {
        char buf[32];
        pb_num_format(v * 1.000123, buf);
        ck_assert_msg(strtod(buf, NULL) == v * 1.000123, "%s", buf);
    }
}
END_TEST

/* Below 1e15 the integer path writes what %.15g writes. */
START_TEST(whole_numbers_as_printf_writes_them)
{
    char slow[32];
    for (double v = 1; v < 1e15; v = trunc(v * 1.37) + 3) {
        for (int sign = -1; sign <= 1; sign += 2) {
            snprintf(slow, sizeof slow, "%.15g", sign * v);
            ck_assert_str_eq(s_fmt(sign * v), slow);
        }
    }
    ck_assert_str_eq(s_fmt(999999999999999.0), "999999999999999");
    ck_assert_str_eq(s_fmt(1e15), "1e+15");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_num");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, shortest_text_that_reads_back);
    tcase_add_test(tc, whole_numbers_as_printf_writes_them);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
