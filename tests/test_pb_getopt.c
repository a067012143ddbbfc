/* Check suite for pb_getopt: the words for what getopt_long refused, and typo suggestions. */
#include "pb_getopt.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

static const struct option s_table[] = {{"connect", required_argument, NULL, 1},
                                        {"history", required_argument, NULL, 2},
                                        {"host", required_argument, NULL, 3},
                                        {"record", no_argument, NULL, 4},
                                        {NULL, 0, NULL, 0}};

static const char *s_say(int c, const char *word)
{
    static char err[256];
    ck_assert_int_eq(pb_getopt_refusal(s_table, c, word, "--help", err, sizeof err), -EINVAL);
    return err;
}

START_TEST(refusals_are_worded_from_the_table)
{
    ck_assert_str_eq(s_say('?', "--connect"), "--connect needs a value (see --help)");
    ck_assert_str_eq(s_say(':', "--conn"), "--connect needs a value (see --help)"); /* a prefix */
    ck_assert_str_eq(s_say('?', "--record=yes"), "--record takes no value (see --help)");
    ck_assert_str_eq(s_say('?', "--h"),
                     "ambiguous option '--h' (one of --history, --host) (see --help)");
    ck_assert_str_eq(s_say('?', "--conect=x"),
                     "unknown option '--conect' (did you mean '--connect'?) (see --help)");
    ck_assert_str_eq(s_say('?', "--zzzzzz"), "unknown option '--zzzzzz' (see --help)");
    optopt = 'x';
    ck_assert_str_eq(s_say('?', "-x"), "unknown option '-x' (see --help)");
    optopt = 'o';
    ck_assert_str_eq(s_say(':', "-o"), "-o needs a value (see --help)");
}
END_TEST

START_TEST(the_closest_name_within_two_edits)
{
    ck_assert_str_eq(pb_getopt_closest(s_table, "recrod"), "record");
    ck_assert_str_eq(pb_getopt_closest(s_table, "hots"), "host");
    ck_assert_ptr_null(pb_getopt_closest(s_table, "completely-else"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_getopt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, refusals_are_worded_from_the_table);
    tcase_add_test(tc, the_closest_name_within_two_edits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
