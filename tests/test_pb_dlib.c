/* Check suite for pb_dlib: a library and its functions loaded, and each failure named. */
#include "pb_dlib.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(loads_functions_by_name)
{
    static const char *const names[] = {"strlen", "abs"};
    struct {
        size_t (*strlen)(const char *);
        int (*abs)(int);
    } fns;
    char err[128] = "";
    ck_assert_int_eq(pb_dlib_load("libc.so.6", names, (pb_dlib_fn *)&fns, 2, err, sizeof err), 0);
    ck_assert_uint_eq(fns.strlen("four"), 4);
    ck_assert_int_eq(fns.abs(-3), 3);
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(failures_are_named)
{
    static const char *const names[] = {"strlen", "pb_no_such_function"};
    pb_dlib_fn fns[2];
    char err[128] = "";
    ck_assert_int_eq(pb_dlib_load("libpb-no-such-library.so.9", names, fns, 1, err, sizeof err),
                     -ELIBACC);
    ck_assert_ptr_nonnull(strstr(err, "cannot load libpb-no-such-library.so.9"));
    ck_assert_int_eq(pb_dlib_load("libc.so.6", names, fns, 2, err, sizeof err), -ELIBACC);
    ck_assert_str_eq(err, "libc.so.6 has no function pb_no_such_function");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_dlib");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, loads_functions_by_name);
    tcase_add_test(tc, failures_are_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
