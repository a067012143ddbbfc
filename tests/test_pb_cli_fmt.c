/* Check suite for pb_cli_fmt: the CLI's human numbers, units from the catalogue, grouped. */
#include "pb_cli_fmt.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char s_buf[64];

static const char *s_num(double v)
{
    return pb_cli_fmt_num(s_buf, sizeof s_buf, v);
}

static const char *s_unit(pb_catalog_unit_t unit, bool integer, double v)
{
    return pb_cli_fmt_unit(s_buf, sizeof s_buf, unit, integer, v);
}

START_TEST(counts_are_grouped_by_thousands)
{
    ck_assert_str_eq(s_num(1712130), "1,712,130");
    ck_assert_str_eq(s_num(-1712130), "-1,712,130");
    ck_assert_str_eq(s_num(999), "999");
    ck_assert_str_eq(s_num(1000), "1,000");
    ck_assert_str_eq(s_num(0), "0");
    ck_assert_str_eq(s_num(123456789012345.0), "123,456,789,012,345");
}
END_TEST

START_TEST(fractions_keep_a_few_digits_never_an_exponent_below_1e21)
{
    ck_assert_str_eq(s_num(0.5), "0.50");
    ck_assert_str_eq(s_num(2.1), "2.10");
    ck_assert_str_eq(s_num(1234.5), "1,234.5");
    ck_assert_str_eq(s_num(0.0012), "0.0012");
    ck_assert_str_eq(s_num(0.00012), "0.00012");
    ck_assert_str_eq(s_num(4.44e-16), "0.00");
    ck_assert_str_eq(s_num(1.7e18), "1,700,000,000,000,000,000");
    ck_assert_str_eq(s_num(2e21), "2e+21");
    ck_assert_str_eq(s_num(NAN), "-");
}
END_TEST

START_TEST(catalogue_units_are_written_with_their_symbol)
{
    ck_assert_str_eq(s_unit(PB_CU_PCT, false, 12.345), "12.3%");
    ck_assert_str_eq(s_unit(PB_CU_BYTES, true, 512), "512 B");
    ck_assert_str_eq(s_unit(PB_CU_BYTES, true, 1536), "1.5 KiB");
    ck_assert_str_eq(s_unit(PB_CU_BYTES, true, 5.0 * 1024 * 1024 * 1024), "5.0 GiB");
    ck_assert_str_eq(s_unit(PB_CU_BYTES_PER_S, false, 3 * 1024 * 1024), "3.0 MiB/s");
    ck_assert_str_eq(s_unit(PB_CU_COUNT_PER_S, false, 12), "12.0/s");
    ck_assert_str_eq(s_unit(PB_CU_COUNT_PER_S, false, 1712130.4), "1,712,130/s");
    ck_assert_str_eq(s_unit(PB_CU_S, false, 42), "42 s");
    ck_assert_str_eq(s_unit(PB_CU_S, false, 0.25), "0.25 s");
    ck_assert_str_eq(s_unit(PB_CU_S, false, 7200), "2.0 h");
    ck_assert_str_eq(s_unit(PB_CU_MS, false, 12.5), "12.5 ms");
    ck_assert_str_eq(s_unit(PB_CU_COUNT, true, 1712130), "1,712,130");
    ck_assert_str_eq(s_unit(PB_CU_COUNT, true, 312.4), "312");
    ck_assert_str_eq(s_unit(PB_CU_NONE, false, 0.5), "0.50");
    ck_assert_str_eq(s_unit(PB_CU_PCT, false, NAN), "-");
}
END_TEST

START_TEST(grouped_numbers_stay_valid_across_one_printf)
{
    const char *a = pb_cli_grouped(1000), *b = pb_cli_grouped(2000000);
    ck_assert_str_eq(a, "1,000");
    ck_assert_str_eq(b, "2,000,000");
}
END_TEST

START_TEST(a_short_buffer_is_cut_and_terminated)
{
    char small[6];
    pb_cli_fmt_num(small, sizeof small, 1712130);
    ck_assert_str_eq(small, "1,712");
    pb_cli_fmt_unit(small, sizeof small, PB_CU_COUNT_PER_S, false, 1712130);
    ck_assert_uint_lt(strlen(small), sizeof small);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_cli_fmt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, counts_are_grouped_by_thousands);
    tcase_add_test(tc, fractions_keep_a_few_digits_never_an_exponent_below_1e21);
    tcase_add_test(tc, catalogue_units_are_written_with_their_symbol);
    tcase_add_test(tc, grouped_numbers_stay_valid_across_one_printf);
    tcase_add_test(tc, a_short_buffer_is_cut_and_terminated);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
