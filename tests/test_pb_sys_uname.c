/* Check suite for pb_sys_uname: utsname members as the sys frame's uname attrs. */
#include "pb_sys_uname.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(copies_the_members_in_catalogue_order)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    strcpy(u.sysname, "Linux");
    strcpy(u.release, "6.1.0-18-amd64");
    strcpy(u.version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)");
    strcpy(u.machine, "x86_64");
    strcpy(u.nodename, "box");
    strcpy(u.domainname, "example");
    pb_sys_uname_t n;
    pb_sys_uname_from(&u, &n);
    const char *want[] = {
        "Linux", "6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", "x86_64",
        "box",   "example"};
    for (int i = 0; i < PB_SYS_UNAME_FIELDS; i++)
        ck_assert_str_eq(n.s[i], want[i]);
}
END_TEST

START_TEST(an_empty_domain_is_none_and_a_full_member_is_cut)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    memset(u.nodename, 'a', sizeof u.nodename); /* no NUL at all */
    pb_sys_uname_t n;
    pb_sys_uname_from(&u, &n);
    ck_assert_str_eq(n.s[5], "(none)");
    ck_assert_uint_eq(strlen(n.s[4]), PB_SYS_UNAME_LEN - 1);
    ck_assert_str_eq(n.s[0], "");
}
END_TEST

START_TEST(the_real_uname_is_what_uname_2_says)
{
    struct utsname u;
    ck_assert_int_eq(uname(&u), 0);
    pb_sys_uname_t n;
    pb_sys_uname_from(&u, &n);
    ck_assert_str_eq(n.s[0], u.sysname);
    ck_assert_str_eq(n.s[4], u.nodename);
    ck_assert_uint_gt(strlen(n.s[1]), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_uname");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, copies_the_members_in_catalogue_order);
    tcase_add_test(tc, an_empty_domain_is_none_and_a_full_member_is_cut);
    tcase_add_test(tc, the_real_uname_is_what_uname_2_says);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
