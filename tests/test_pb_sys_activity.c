/* Check suite for pb_sys_activity: ctxt, intr, processes and procs_* of /proc/stat. */
#include "pb_sys_activity.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

START_TEST(parses_the_counters)
{
    pb_sys_activity_t a;
    const char *text = "cpu  1 2 3 4\nintr 189943 0 0 0 1\nctxt 348343\nbtime 1795437444\n"
                       "processes 5267\nprocs_running 2\nprocs_blocked 1\n";
    ck_assert_int_eq(pb_sys_activity_parse(text, &a), 0);
    ck_assert_uint_eq(a.ctxt, 348343);
    ck_assert_uint_eq(a.intr, 189943);
    ck_assert_uint_eq(a.forks, 5267);
    ck_assert_uint_eq(a.running, 2);
    ck_assert_uint_eq(a.blocked, 1);
    ck_assert_uint_eq(a.btime, 1795437444);
    /* procs_running, procs_blocked and btime are optional */
    ck_assert_int_eq(pb_sys_activity_parse("intr 1\nctxt 2\nprocesses 3\n", &a), 0);
    ck_assert_uint_eq(a.running, 0);
    ck_assert_uint_eq(a.btime, 0);
}
END_TEST

START_TEST(garbage_is_einval)
{
    pb_sys_activity_t a;
    const char *bad[] = {"",
                         "ctxt 1\nprocesses 3\n",
                         "intr 1\nctxt x\nprocesses 3\n",
                         "intr 1\nctxt 2\nprocesses 3\nprocs_running -1\n",
                         "intr 1\nctxt 2\n",
                         "intr 1\nctxt 2\nprocesses 3\nbtime x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_activity_parse(bad[i], &a) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_activity");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_the_counters);
    tcase_add_test(tc, garbage_is_einval);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
