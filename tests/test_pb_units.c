/* Check suite for pb_units: the duration and size forms every flag accepts, and what is refused. */
#include "pb_units.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static double s_dur(const char *text, double bare)
{
    char err[160];
    double v = -1;
    ck_assert_msg(pb_units_duration("--t", text, bare, &v, err, sizeof err) == 0, "%s: %s", text,
                  err);
    return v;
}

static uint64_t s_size(const char *text, double bare)
{
    char err[160];
    uint64_t v = 0;
    ck_assert_msg(pb_units_size("--s", text, bare, &v, err, sizeof err) == 0, "%s: %s", text, err);
    return v;
}

START_TEST(durations_in_every_unit)
{
    ck_assert_double_eq_tol(s_dur("250ms", 1), 0.25, 1e-12);
    ck_assert_double_eq_tol(s_dur("1.5s", 1), 1.5, 1e-12);
    ck_assert_double_eq(s_dur("90s", 1), 90);
    ck_assert_double_eq(s_dur("5m", 1), 300);
    ck_assert_double_eq(s_dur("5min", 1), 300);
    ck_assert_double_eq(s_dur("2h", 1), 7200);
    ck_assert_double_eq(s_dur("1.5h", 1), 5400);
    ck_assert_double_eq(s_dur("7d", 1), 604800);
    ck_assert_double_eq(s_dur("1w", 1), 604800);
    ck_assert_double_eq(s_dur("1h30m", 1), 5400);
    ck_assert_double_eq_tol(s_dur("20us", 1), 2e-5, 1e-15);
    ck_assert_double_eq_tol(s_dur("0.5", 1), 0.5, 1e-12);   /* bare: the flag's unit */
    ck_assert_double_eq_tol(s_dur("2000", 1e-3), 2, 1e-12); /* e.g. --timeout in ms */
    ck_assert_double_eq(s_dur("3", 86400), 259200);         /* e.g. --keep-days */
}
END_TEST

START_TEST(sizes_binary_and_decimal)
{
    ck_assert_uint_eq(s_size("512K", 1), 524288);
    ck_assert_uint_eq(s_size("64M", 1), 67108864);
    ck_assert_uint_eq(s_size("5G", 1), 5368709120ull);
    ck_assert_uint_eq(s_size("5GiB", 1), 5368709120ull);
    ck_assert_uint_eq(s_size("100MB", 1), 100000000);
    ck_assert_uint_eq(s_size("1.5K", 1), 1536);
    ck_assert_uint_eq(s_size("10B", 1), 10);
    ck_assert_uint_eq(s_size("5", 1073741824.0), 5368709120ull); /* --keep-gb 5 */
    ck_assert_uint_eq(s_size("2", 1048576.0), 2097152);          /* --segment-mb 2 */
}
END_TEST

START_TEST(bad_text_is_refused_by_name)
{
    char err[160];
    double d;
    uint64_t u;
    const char *bad[] = {"",    "abc", "-1s",   "5x", "1s2", "inf", "nan",
                         " 5s", "5s ", "1e999", "s",  "5 s", "+5s", "1..2s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(pb_units_duration("--interval", bad[i], 1, &d, err, sizeof err) == -EINVAL,
                      "accepted '%s'", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "--interval"));
        ck_assert_ptr_nonnull(strstr(err, "is not a duration"));
    }
    ck_assert_int_eq(pb_units_duration("--t", NULL, 1, &d, err, sizeof err), -EINVAL);
    const char *bad_sizes[] = {"", "5X", "-5G", "5Gb", "G", "1e30", "5 G", "abc"};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        ck_assert_msg(pb_units_size("--keep-gb", bad_sizes[i], 1, &u, err, sizeof err) == -EINVAL,
                      "accepted '%s'", bad_sizes[i]);
        ck_assert_ptr_nonnull(strstr(err, "is not a size"));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_units");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, durations_in_every_unit);
    tcase_add_test(tc, sizes_binary_and_decimal);
    tcase_add_test(tc, bad_text_is_refused_by_name);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
