/* Check suite for pb_json: JSON text from value trees, including hostile strings. */
#include "pb_json.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

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

int main(void)
{
    Suite *s = suite_create("pb_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, renders_scalars_and_containers);
    tcase_add_test(tc, escapes_and_replaces_bad_utf8);
    tcase_add_test(tc, pretty_indents);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
