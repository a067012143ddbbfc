/* Check suite for pb_proc_read: one-shot reads of a process from a captured /proc tree. */
#include "pb_proc_read.h"
#include "pb_proc_sampler.h" /* declares pb_proc_read_once */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* pid 7: a comm cut inside a character, a cmdline with Latin-1 and a
 * surrogate; pid 8: a comm with parentheses, ESC and a newline, valid UTF-8. */
#define STRINGS PB_FIXTURES "/proc-strings"

static void s_assert_bytes(const pb_value_t *body, const char *key, pb_type_t type,
                           const char *expected)
{
    const pb_value_t *v = pb_value_map_get(body, key);
    const void *data = NULL;
    size_t len = 0;
    ck_assert_msg(v != NULL, "%s absent", key);
    ck_assert_int_eq(pb_value_type(v), type);
    ck_assert_int_eq(pb_value_get_bytes(v, &data, &len), 0);
    ck_assert_msg(len == strlen(expected) && memcmp(data, expected, len) == 0, "%s: %.*s", key,
                  (int)len, (const char *)data);
}

START_TEST(read_once_sends_utf8_comm_and_cmdline)
{
    pb_value_t *b = NULL;
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 7, &b), 0);
    s_assert_bytes(b, "comm", PB_STR, "abcdefghijklm\xef\xbf\xbd");
    s_assert_bytes(b, "comm_raw", PB_BIN, "abcdefghijklm\xe2\x82");
    s_assert_bytes(b, "cmdline", PB_STR,
                   "tool caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    pb_value_destroy(&b);
}
END_TEST

START_TEST(read_once_keeps_valid_odd_names)
{
    pb_value_t *b = NULL;
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 8, &b), 0);
    s_assert_bytes(b, "comm", PB_STR, "a) (b\x1b[2J\ncaf\xc3\xa9");
    ck_assert_ptr_null(pb_value_map_get(b, "comm_raw"));
    s_assert_bytes(b, "cmdline", PB_STR, "ok caf\xc3\xa9");
    pb_value_destroy(&b);
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 9, &b), -ENOENT);
    ck_assert_ptr_null(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_read");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, read_once_sends_utf8_comm_and_cmdline);
    tcase_add_test(tc, read_once_keeps_valid_odd_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
