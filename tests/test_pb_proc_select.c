/* Check suite for pb_proc_select: the watch list, comm regexes, top N and all. */
#include "pb_proc_select.h"

#include "pb_json.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void assert_describes(const pb_proc_select_t *sel, const char *json)
{
    pb_value_t *v = pb_proc_select_describe(sel);
    ck_assert_ptr_nonnull(v);
    char *got = pb_json_encode(v, 0);
    ck_assert_str_eq(got, json);
    free(got);
    pb_value_destroy(&v);
}

START_TEST(pids_stay_sorted_and_unique)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    ck_assert(!pb_proc_select_needs_listing(sel)); /* only pids: no need to list /proc */
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 300), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 2), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 4321), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 300), 0);
    ck_assert_uint_eq(pb_proc_select_npids(sel), 3);
    const uint32_t *pids = pb_proc_select_pids(sel);
    ck_assert_uint_eq(pids[0], 2);
    ck_assert_uint_eq(pids[1], 300);
    ck_assert_uint_eq(pids[2], 4321);
    ck_assert(pb_proc_select_wants(sel, 300, 0, "anything", NULL));
    ck_assert(!pb_proc_select_wants(sel, 301, 0, "anything", NULL));
    ck_assert_int_eq(pb_proc_select_remove_pid(sel, 300), 0);
    ck_assert_int_eq(pb_proc_select_remove_pid(sel, 300), -ENOENT);
    ck_assert(!pb_proc_select_wants(sel, 300, 0, "anything", NULL));
    for (uint32_t p = 1000; p < 1100; p++) /* grows */
        ck_assert_int_eq(pb_proc_select_add_pid(sel, p), 0);
    ck_assert_uint_eq(pb_proc_select_npids(sel), 102);
    pb_proc_select_destroy(&sel);
    ck_assert_ptr_null(sel);
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(regexes_match_comm)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[128] = "";
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^(nginx|postgres)$", err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "odd", err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "odd", err, sizeof err), 0); /* once */
    ck_assert(pb_proc_select_needs_listing(sel));
    ck_assert(pb_proc_select_wants(sel, 1, 0, "nginx", NULL));
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "nginx-worker", NULL));
    ck_assert(pb_proc_select_wants(sel, 1, 0, "my (odd) proc", NULL)); /* unanchored */
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "bash", NULL));
    ck_assert_int_eq(pb_proc_select_add_match(sel, "a[", err, sizeof err), -EINVAL);
    ck_assert_msg(strlen(err) > 0, "regerror message expected");
    ck_assert_int_eq(pb_proc_select_add_match(sel, "(", err, sizeof err), -EINVAL);
    assert_describes(sel, "{\"pids\":[],\"matches\":[\"^(nginx|postgres)$\",\"odd\"],\"top\":0,"
                          "\"all\":false}");
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^(nginx|postgres)$"), 0);
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^(nginx|postgres)$"), -ENOENT);
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "nginx", NULL));
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "odd"), 0);
    ck_assert(!pb_proc_select_needs_listing(sel));
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(top_and_all)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    pb_proc_select_set_top(sel, 5);
    ck_assert_uint_eq(pb_proc_select_top(sel), 5);
    ck_assert(pb_proc_select_needs_listing(sel));
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "x", NULL)); /* top N is ranked by the sampler */
    pb_proc_select_set_top(sel, 0);
    pb_proc_select_set_all(sel, true);
    ck_assert(pb_proc_select_wants(sel, 12345, 0, "x", NULL));
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 7), 0);
    assert_describes(sel, "{\"pids\":[7],\"matches\":[],\"top\":0,\"all\":true}");
    pb_proc_select_destroy(&sel);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_select");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pids_stay_sorted_and_unique);
    tcase_add_test(tc, regexes_match_comm);
    tcase_add_test(tc, top_and_all);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
