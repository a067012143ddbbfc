/* Check suite for pb_value: building, reading and freeing value trees. */
#include "pb_value.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

START_TEST(scalars_read_back)
{
    pb_value_t *v = pb_value_int_new(-5);
    int64_t i;
    uint64_t u;
    double d;
    ck_assert_int_eq(pb_value_type(v), PB_INT);
    ck_assert_int_eq(pb_value_get_i64(v, &i), 0);
    ck_assert_int_eq(i, -5);
    ck_assert_int_eq(pb_value_get_u64(v, &u), -ERANGE);
    ck_assert_int_eq(pb_value_get_f64(v, &d), 0);
    ck_assert_double_eq(d, -5.0);
    pb_value_destroy(&v);
    ck_assert_ptr_null(v);

    v = pb_value_int_new(7); /* non-negative ints are stored unsigned */
    ck_assert_int_eq(pb_value_type(v), PB_UINT);
    pb_value_destroy(&v);

    v = pb_value_uint_new(UINT64_MAX);
    ck_assert_int_eq(pb_value_get_i64(v, &i), -ERANGE);
    ck_assert_int_eq(pb_value_get_u64(v, &u), 0);
    ck_assert(u == UINT64_MAX);
    const char *s;
    ck_assert_int_eq(pb_value_get_str(v, &s), -EINVAL);
    pb_value_destroy(&v);
    pb_value_destroy(&v); /* idempotent */
    pb_value_destroy(NULL);
}
END_TEST

START_TEST(map_keeps_order_and_replaces)
{
    pb_value_t *m = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put_uint(m, "b", 1), 0);
    ck_assert_int_eq(pb_value_map_put_str(m, "a", "x"), 0);
    ck_assert_int_eq(pb_value_map_put_uint(m, "b", 2), 0);
    ck_assert_uint_eq(pb_value_len(m), 2);
    ck_assert_str_eq(pb_value_map_key_at(m, 0), "b");
    ck_assert_str_eq(pb_value_map_key_at(m, 1), "a");
    uint64_t u;
    ck_assert_int_eq(pb_value_map_get_u64(m, "b", &u), 0);
    ck_assert_uint_eq(u, 2);
    ck_assert_int_eq(pb_value_map_get_u64(m, "zz", &u), -ENOENT);
    ck_assert_int_eq(pb_value_map_get_u64(m, "a", &u), -EINVAL);
    ck_assert_ptr_null(pb_value_map_key_at(m, 2));
    pb_value_destroy(&m);
}
END_TEST

START_TEST(put_takes_ownership_even_on_failure)
{
    pb_value_t *not_a_map = pb_value_array_new();
    pb_value_t *item = pb_value_str_new("leaks unless freed");
    ck_assert_int_eq(pb_value_map_put(not_a_map, "k", &item), -EINVAL);
    ck_assert_ptr_null(item);
    item = pb_value_nil_new();
    ck_assert_int_eq(pb_value_array_push(not_a_map, &item), 0);
    ck_assert_ptr_null(item);
    ck_assert_uint_eq(pb_value_len(not_a_map), 1);
    ck_assert_ptr_null(pb_value_array_at(not_a_map, 1));
    pb_value_destroy(&not_a_map);
}
END_TEST

START_TEST(path_dup_and_merge)
{
    pb_value_t *root = pb_value_map_new();
    pb_value_t *cpu = pb_value_map_new();
    pb_value_t *total = pb_value_map_new();
    pb_value_map_put_float(total, "busy_pct", 42.5);
    pb_value_map_put(cpu, "total", &total);
    pb_value_map_put(root, "cpu", &cpu);
    double d;
    ck_assert_int_eq(pb_value_get_f64(pb_value_path(root, "cpu.total.busy_pct"), &d), 0);
    ck_assert_double_eq(d, 42.5);
    ck_assert_ptr_null(pb_value_path(root, "cpu.total.nope"));
    ck_assert_ptr_null(pb_value_path(root, "cpu.total.busy_pct.deeper"));

    pb_value_t *copy = pb_value_dup(root);
    pb_value_t *extra = pb_value_map_new();
    pb_value_map_put_str(extra, "host", "h");
    ck_assert_int_eq(pb_value_map_merge(copy, &extra), 0);
    ck_assert_ptr_null(extra);
    ck_assert_uint_eq(pb_value_len(copy), 2);
    ck_assert_uint_eq(pb_value_len(root), 1);
    ck_assert_ptr_nonnull(pb_value_path(copy, "cpu.total.busy_pct"));
    pb_value_destroy(&copy);
    pb_value_destroy(&root);
}
END_TEST

START_TEST(bytes_keep_embedded_nul)
{
    pb_value_t *b = pb_value_bin_new("a\0b", 3);
    const void *data;
    size_t len;
    ck_assert_int_eq(pb_value_get_bytes(b, &data, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(((const char *)data)[2], 'b');
    ck_assert_str_eq(pb_value_type_name(pb_value_type(b)), "binary");
    pb_value_destroy(&b);
}
END_TEST

/* Issue 9, defect 2: past a few keys a map is indexed; order, replacement and
 * lookups stay as they were, and 200 k puts and gets take linear time. */
START_TEST(big_map_keeps_semantics_in_linear_time)
{
    pb_value_t *m = pb_value_map_new();
    char key[32];
    size_t n = 200000, bad = 0; /* counted, not asserted per key: ck_assert costs a pipe write */
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "key-%zu", i);
        bad += pb_value_map_put_uint(m, key, i) != 0;
    }
    for (size_t i = 0; i < n; i += 7) { /* replacing keeps the position */
        snprintf(key, sizeof key, "key-%zu", i);
        bad += pb_value_map_put_uint(m, key, i + 1) != 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u = 0;
        snprintf(key, sizeof key, "key-%zu", i);
        bad += pb_value_map_get_u64(m, key, &u) != 0 || u != (i % 7 ? i : i + 1);
        bad += strcmp(pb_value_map_key_at(m, i), key) != 0;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(pb_value_len(m), n);
    ck_assert_ptr_null(pb_value_map_get(m, "key-200000"));
    ck_assert_ptr_null(pb_value_map_get(m, ""));
    pb_value_t *copy = pb_value_dup(m); /* the copy is indexed too */
    ck_assert_ptr_nonnull(pb_value_map_get(copy, "key-199999"));
    ck_assert_int_eq(pb_value_map_merge(copy, &m), 0);
    ck_assert_uint_eq(pb_value_len(copy), n);
    pb_value_destroy(&copy);
    fprintf(stderr, "200 k map puts, replaces and gets: %.3f s CPU\n", cpu);
    ck_assert_double_lt(cpu, 5.0); /* quadratic: 2e10 hash comparisons, about a minute */
}
END_TEST

START_TEST(empty_key_is_a_key)
{
    pb_value_t *m = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put_uint(m, "", 1), 0);
    for (int i = 0; i < 40; i++) /* across the index threshold */
        ck_assert_int_eq(pb_value_map_put_uint(m, i % 2 ? "" : "x", (uint64_t)i), 0);
    ck_assert_uint_eq(pb_value_len(m), 2);
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(m, "", &u), 0);
    ck_assert_uint_eq(u, 39);
    pb_value_destroy(&m);
}
END_TEST

/* Keys are kept as the wire carries them (valid UTF-8), so keys that differ
 * only in invalid bytes are one key: a map never encodes duplicate keys (the
 * codec fuzzer found two such keys re-decoding into one). */
START_TEST(invalid_utf8_keys_are_sanitised_and_stay_unique)
{
    pb_value_t *m = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put_uint(m, "eth\xff", 1), 0);
    ck_assert_int_eq(pb_value_map_put_uint(m, "eth\xfe", 2), 0);
    ck_assert_uint_eq(pb_value_len(m), 1);
    ck_assert_str_eq(pb_value_map_key_at(m, 0), "eth\xef\xbf\xbd");
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(m, "eth\xef\xbf\xbd", &u), 0);
    ck_assert_uint_eq(u, 2);
    pb_value_destroy(&m);
}
END_TEST

/* A key is at most PB_VALUE_KEY_MAX bytes as stored, so no map holds a key that
 * the decoders refuse; 100 invalid bytes become 300 once replaced (found by the
 * codec fuzzer: a decoded key re-encoded longer than its decoder accepts). */
START_TEST(keys_longer_than_the_wire_allows_are_refused)
{
    char key[PB_VALUE_KEY_MAX + 2];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    pb_value_t *m = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put_uint(m, key, 1), -E2BIG);
    key[PB_VALUE_KEY_MAX] = '\0';
    ck_assert_int_eq(pb_value_map_put_uint(m, key, 1), 0);
    memset(key, '\xff', 100);
    key[100] = '\0';
    ck_assert_int_eq(pb_value_map_put_uint(m, key, 2), -E2BIG);
    ck_assert_uint_eq(pb_value_len(m), 1);
    pb_value_destroy(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_value");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, scalars_read_back);
    tcase_add_test(tc, map_keeps_order_and_replaces);
    tcase_add_test(tc, put_takes_ownership_even_on_failure);
    tcase_add_test(tc, path_dup_and_merge);
    tcase_add_test(tc, bytes_keep_embedded_nul);
    tcase_add_test(tc, big_map_keeps_semantics_in_linear_time);
    tcase_add_test(tc, empty_key_is_a_key);
    tcase_add_test(tc, invalid_utf8_keys_are_sanitised_and_stay_unique);
    tcase_add_test(tc, keys_longer_than_the_wire_allows_are_refused);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
