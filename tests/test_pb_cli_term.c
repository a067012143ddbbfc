/* Check suite for pb_cli_term: what the CLI shows of foreign strings on a terminal. */
#include "pb_cli_term.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void s_assert_term(const char *in, const char *expected)
{
    char buf[256];
    ck_assert_str_eq(pb_cli_term(buf, sizeof buf, in), expected);
}

START_TEST(shows_printable_text_as_it_is)
{
    s_assert_term("python3 -m http.server 8000", "python3 -m http.server 8000");
    s_assert_term("caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad", "caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad");
    s_assert_term("(sd-pam) a)b(", "(sd-pam) a)b(");
    s_assert_term("", "");
    s_assert_term(NULL, "");
}
END_TEST

START_TEST(escapes_c0_controls_del_and_backslash)
{
    s_assert_term("a\nb\tc\rd", "a\\nb\\tc\\rd");
    s_assert_term("\x1b]0;owned\x07\x1b[2J", "\\x1b]0;owned\\x07\\x1b[2J");
    s_assert_term("x\x7fy\x01", "x\\x7fy\\x01");
    s_assert_term("C:\\dir", "C:\\\\dir");
}
END_TEST

START_TEST(escapes_c1_and_bidi_controls)
{
    s_assert_term("\xc2\x9b"
                  "31m",
                  "\\u009b31m");          /* CSI as U+009B */
    s_assert_term("\xc2\x85", "\\u0085"); /* NEL */
    s_assert_term("ab\xe2\x80\xae"
                  "cd",
                  "ab\\u202ecd"); /* RIGHT-TO-LEFT OVERRIDE */
    s_assert_term("\xe2\x81\xa6x\xe2\x80\xa8", "\\u2066x\\u2028");
}
END_TEST

START_TEST(escapes_bytes_that_are_not_utf8)
{
    s_assert_term("\x9b"
                  "31m",
                  "\\x9b31m"); /* a raw 8-bit CSI */
    s_assert_term("abcdefghijklm\xe2\x82", "abcdefghijklm\\xe2\\x82");
    s_assert_term("\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80");
    s_assert_term("\xff", "\\xff");
}
END_TEST

START_TEST(cuts_whole_pieces_only)
{
    char buf[8];
    ck_assert_str_eq(pb_cli_term(buf, sizeof buf, "abcdefghij"), "abcdefg");
    ck_assert_str_eq(pb_cli_term(buf, sizeof buf, "abcde\x1b"), "abcde"); /* \x1b does not fit */
    ck_assert_str_eq(pb_cli_term(buf, sizeof buf, "abcde\xc3\xa9"), "abcde\xc3\xa9");
    ck_assert_str_eq(pb_cli_term(buf, sizeof buf, "abcdef\xc3\xa9"), "abcdef");
    char one[1];
    ck_assert_str_eq(pb_cli_term(one, sizeof one, "x"), "");
}
END_TEST

START_TEST(col_pads_and_cuts_to_a_width)
{
    char buf[4 * 16 + 1];
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "sleep", 8), "sleep   ");
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "a-very-long-name-here", 8), "a-very-l");
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "caf\xc3\xa9", 6), "caf\xc3\xa9  ");
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "ab\ncd", 4), "ab\\n");
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "ab\x1b", 4), "ab  "); /* \x1b is 4 wide */
    ck_assert_str_eq(pb_cli_term_col(buf, sizeof buf, "x", 0), "");
}
END_TEST

START_TEST(put_writes_the_whole_string)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    pb_cli_term_put(out, "rm -rf /tmp/x\n\x1b[A\xff");
    fclose(out);
    ck_assert_str_eq(text, "rm -rf /tmp/x\\n\\x1b[A\\xff");
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_cli_term");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, shows_printable_text_as_it_is);
    tcase_add_test(tc, escapes_c0_controls_del_and_backslash);
    tcase_add_test(tc, escapes_c1_and_bidi_controls);
    tcase_add_test(tc, escapes_bytes_that_are_not_utf8);
    tcase_add_test(tc, cuts_whole_pieces_only);
    tcase_add_test(tc, col_pads_and_cuts_to_a_width);
    tcase_add_test(tc, put_writes_the_whole_string);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
