/* Check suite for pb_dash: query strings into op requests, and op replies into HTTP statuses. */
#include "pb_dash.h"

#include "pb_json.h"
#include "pb_rpc.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The request of args (key, value, ...), as JSON (static), or the error message. */
static const char *s_request(const char *const *args, size_t n)
{
    static char out[512];
    char err[160] = "";
    pb_value_t *req = pb_value_map_new();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i + 1 < n; i += 2)
        rc = pb_dash_request_arg(req, args[i], args[i + 1], err, sizeof err);
    char *json = pb_json_encode(req, 0);
    snprintf(out, sizeof out, "%s", rc == 0 ? json : err);
    free(json);
    pb_value_destroy(&req);
    return out;
}

START_TEST(arguments_take_the_types_the_ops_read)
{
    const char *a[] = {"host",   "123",           "pid",    "42",   "last_s", "2.5",
                       "fields", "cpu.total,mem", "fields", "load", "to",     "-3"};
    ck_assert_str_eq(s_request(a, 12), "{\"host\":\"123\",\"pid\":42,\"last\":2.5,"
                                       "\"fields\":[\"cpu.total\",\"mem\",\"load\"],\"to\":-3}");
    const char *b[] = {"pid", "abc", "flag", "true", "from", "1e400"};
    ck_assert_str_eq(s_request(b, 6), "{\"pid\":\"abc\",\"flag\":true,\"from\":\"1e400\"}");
    const char *h[] = {"last", "0x10", "to", "12abc"};
    ck_assert_str_eq(s_request(h, 4), "{\"last\":\"0x10\",\"to\":\"12abc\"}");
    const char *c[] = {"fields", ",,x,", "last", "300"};
    ck_assert_str_eq(s_request(c, 4), "{\"fields\":[\"x\"],\"last\":300}");
}
END_TEST

START_TEST(a_repeated_argument_or_op_is_refused)
{
    const char *a[] = {"pid", "1", "pid", "2"};
    ck_assert_ptr_nonnull(strstr(s_request(a, 4), "'pid' is given more than once"));
    const char *b[] = {"last", "1", "last_s", "2"};
    ck_assert_ptr_nonnull(strstr(s_request(b, 4), "more than once"));
    const char *c[] = {"op", "stats"};
    ck_assert_ptr_nonnull(strstr(s_request(c, 2), "the op is the path"));
}
END_TEST

START_TEST(statuses_follow_the_error_code)
{
    pb_value_t *r = pb_rpc_ok();
    ck_assert_int_eq(pb_dash_status(r), 200);
    pb_value_destroy(&r);
    const char *codes[] = {"bad_arg", "unknown_op", "not_found", "internal"};
    const int want[] = {400, 404, 404, 500};
    for (int i = 0; i < 4; i++) {
        r = pb_rpc_error(codes[i], "x");
        ck_assert_int_eq(pb_dash_status(r), want[i]);
        pb_value_destroy(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_dash");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, arguments_take_the_types_the_ops_read);
    tcase_add_test(tc, a_repeated_argument_or_op_is_refused);
    tcase_add_test(tc, statuses_follow_the_error_code);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
