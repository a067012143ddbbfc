/* Tests of pb_text: Latin-1 conversion, fitting with an ellipsis, HTML escaping. */
#include "pb_text.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(latin1_keeps_what_the_fonts_have)
{
    char out[64];
    ck_assert_uint_eq(pb_text_latin1("naïve-wörker", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "na\xefve-w\xf6rker");
}
END_TEST

START_TEST(latin1_replaces_the_rest_one_for_one)
{
    char out[64];
    ck_assert_uint_eq(pb_text_latin1("日本x", out, sizeof(out)), 2);
    ck_assert_str_eq(out, "??x");
    ck_assert_uint_eq(pb_text_latin1("a\tb\x01", out, sizeof(out)), 2);
    ck_assert_str_eq(out, "a?b?");
    ck_assert_uint_eq(pb_text_latin1("\xff\xc3(\xe2\x82", out, sizeof(out)), 4);
    ck_assert_str_eq(out, "?"
                          "?(?"
                          "?");
    ck_assert_uint_eq(pb_text_latin1("\xc0\xaf", out, sizeof(out)), 2); /* overlong '/' */
    ck_assert_uint_eq(pb_text_latin1("\xf0\x9f\x98\x80!", out, sizeof(out)), 1);
    ck_assert_str_eq(out, "?!");
}
END_TEST

START_TEST(latin1_truncates_to_the_buffer)
{
    char out[4];
    pb_text_latin1("abcdef", out, sizeof(out));
    ck_assert_str_eq(out, "abc");
}
END_TEST

/* Every byte is 1 unit wide: easy to reason about. */
static double s_unit_width(const char *s, size_t len, void *arg)
{
    (void)s;
    (void)arg;
    return (double)len;
}

START_TEST(fit_cuts_with_an_ellipsis)
{
    char s[32] = "abcdefghij";
    ck_assert_int_eq(pb_text_fit(s, 10, s_unit_width, NULL), 0);
    ck_assert_str_eq(s, "abcdefghij");
    ck_assert_int_eq(pb_text_fit(s, 7, s_unit_width, NULL), 1);
    ck_assert_str_eq(s, "abcd...");
    ck_assert_int_eq(pb_text_fit(s, 2, s_unit_width, NULL), 1);
    ck_assert_str_eq(s, "");
}
END_TEST

START_TEST(truncate_utf8_never_splits_a_character)
{
    char out[64];
    ck_assert_int_eq(pb_text_truncate_utf8("日本語プロセス", 3, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "日本語…");
    ck_assert_int_eq(pb_text_truncate_utf8("short", 10, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "short");
    ck_assert_int_eq(pb_text_truncate_utf8("a\xffz", 10, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "a\xEF\xBF\xBDz");
}
END_TEST

START_TEST(html_escapes_markup)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(pb_text_html(out, "<script>\"a\" & 'b'</script>"), 0);
    fclose(out);
    ck_assert_str_eq(buf, "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    free(buf);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, latin1_keeps_what_the_fonts_have);
    tcase_add_test(tc, latin1_replaces_the_rest_one_for_one);
    tcase_add_test(tc, latin1_truncates_to_the_buffer);
    tcase_add_test(tc, fit_cuts_with_an_ellipsis);
    tcase_add_test(tc, truncate_utf8_never_splits_a_character);
    tcase_add_test(tc, html_escapes_markup);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
