/* Check suite for pb_json: JSON text from value trees, including hostile strings. */
#include "pb_json.h"

#include "pb_utf8.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void s_assert_json(pb_value_t *v, const char *expected)
{
    char *text = pb_json_encode(v, 0);
    ck_assert_str_eq(text, expected);
    free(text);
    pb_value_destroy(&v);
}

START_TEST(renders_scalars_and_containers)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_map_put_uint(m, "n", 3);
    pb_value_map_put_int(m, "neg", -2);
    pb_value_map_put_float(m, "f", 0.5);
    pb_value_map_put_bool(m, "b", false);
    pb_value_t *arr = pb_value_array_new();
    pb_value_t *nil = pb_value_nil_new();
    pb_value_array_push(arr, &nil);
    pb_value_map_put(m, "a", &arr);
    s_assert_json(m, "{\"n\":3,\"neg\":-2,\"f\":0.5,\"b\":false,\"a\":[null]}");
}
END_TEST

START_TEST(escapes_and_replaces_bad_utf8)
{
    s_assert_json(pb_value_str_new("q\"\\\n\x01"), "\"q\\\"\\\\\\n\\u0001\"");
    s_assert_json(pb_value_strn_new("a\xff"
                                    "b",
                                    3),
                  "\"a\\ufffdb\"");
    s_assert_json(pb_value_str_new("\xc3\xa9"), "\"\xc3\xa9\"");
    s_assert_json(pb_value_float_new(NAN), "null");
    s_assert_json(pb_value_bin_new("hi!", 3), "{\"$bin\":\"aGkh\"}");
    s_assert_json(pb_value_bin_new("h", 1), "{\"$bin\":\"aA==\"}");
}
END_TEST

START_TEST(pretty_indents)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_map_put_uint(m, "a", 1);
    char *text = pb_json_encode(m, 1);
    ck_assert_str_eq(text, "{\n  \"a\": 1\n}");
    free(text);
    pb_value_destroy(&m);
    s_assert_json(pb_value_map_new(), "{}");
}
END_TEST

/* One-line JSON text must be valid UTF-8 with no raw control character (RFC 8259 s. 7, 8.1). */
static void s_assert_json_text_ok(const char *text)
{
    ck_assert_msg(pb_utf8_is_valid(text, strlen(text)), "not UTF-8: %s", text);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        ck_assert_msg(*p >= 0x20 && *p != 0x7F, "raw control byte 0x%02x", *p);
}

/* s (n bytes) as a JSON string must give expected; the text must be valid JSON text. */
static void s_assert_string(const char *s, size_t n, const char *expected)
{
    pb_value_t *v = pb_value_strn_new(s, n);
    char *text = pb_json_encode(v, 0);
    s_assert_json_text_ok(text);
    ck_assert_str_eq(text, expected);
    free(text);
    pb_value_destroy(&v);
}

START_TEST(replaces_overlong_forms)
{
    s_assert_string("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
    s_assert_string("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("\xf0\x80\x80\xaf", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("a\xc0\x80z", 4, "\"a\\ufffd\\ufffdz\""); /* overlong NUL */
}
END_TEST

START_TEST(replaces_surrogates)
{
    s_assert_string("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("\xed\xbf\xbf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\""); /* U+D7FF is fine */
}
END_TEST

START_TEST(replaces_code_points_above_10ffff)
{
    s_assert_string("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("\xf5\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    s_assert_string("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF is fine */
}
END_TEST

START_TEST(replaces_cut_sequences_and_escapes_controls)
{
    s_assert_string("comm-cut-here\xe2\x82", 15, "\"comm-cut-here\\ufffd\"");
    s_assert_string("\x1b[31mred\r\x7f", 10, "\"\\u001b[31mred\\r\\u007f\"");
    s_assert_string("a\0b", 3, "\"a\\u0000b\"");
    s_assert_string("\xe2\x80\xa8", 3, "\"\\u2028\"");
    s_assert_string("", 0, "\"\"");
}
END_TEST

START_TEST(keys_and_bin_are_valid_json)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_map_put_uint(m, "k\xff\n", 1);
    pb_value_t *bin = pb_value_bin_new("\xff\x00\xc0", 3);
    pb_value_map_put(m, "comm_raw", &bin);
    char *text = pb_json_encode(m, 0);
    s_assert_json_text_ok(text);
    /* the map already keeps the key as valid UTF-8 (U+FFFD itself, not escaped) */
    ck_assert_str_eq(text, "{\"k\xef\xbf\xbd\\n\":1,\"comm_raw\":{\"$bin\":\"/wDA\"}}");
    free(text);
    pb_value_destroy(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, renders_scalars_and_containers);
    tcase_add_test(tc, escapes_and_replaces_bad_utf8);
    tcase_add_test(tc, pretty_indents);
    tcase_add_test(tc, replaces_overlong_forms);
    tcase_add_test(tc, replaces_surrogates);
    tcase_add_test(tc, replaces_code_points_above_10ffff);
    tcase_add_test(tc, replaces_cut_sequences_and_escapes_controls);
    tcase_add_test(tc, keys_and_bin_are_valid_json);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
