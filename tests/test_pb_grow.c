/* Check suite for pb_grow: first size, doubling, no-op with room, overflow refused unchanged. */
#include "pb_grow.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct {
    int other;
    char *name;
} s_named_t;

START_TEST(names_are_found_from_the_last_one)
{
    s_named_t items[] = {{1, "a"}, {2, "b"}, {3, "c"}};
    size_t last = 99, n = 3, at = offsetof(s_named_t, name);
    ck_assert_uint_eq(pb_grow_find_name(items, n, sizeof *items, at, "b", &last), 1);
    ck_assert_uint_eq(last, 1);
    ck_assert_uint_eq(pb_grow_find_name(items, n, sizeof *items, at, "b", &last), 1);
    ck_assert_uint_eq(pb_grow_find_name(items, n, sizeof *items, at, "c", &last), 2);
    ck_assert_uint_eq(last, 2);
    ck_assert_uint_eq(pb_grow_find_name(items, n, sizeof *items, at, "z", &last), n);
    ck_assert_uint_eq(last, 2); /* a miss keeps it */
    ck_assert_uint_eq(pb_grow_find_name(items, 0, sizeof *items, at, "a", &last), 0);
}
END_TEST

START_TEST(doubles_from_the_first_size)
{
    int *items = NULL;
    size_t cap = 0, n = 0;
    for (; n < 100; n++) {
        ck_assert_int_eq(pb_grow((void **)&items, &cap, n, sizeof *items, 8), 0);
        items[n] = (int)n; /* the slot exists */
        if (n == 0)
            ck_assert_uint_eq(cap, 8);
    }
    ck_assert_uint_eq(cap, 128); /* 8, 16, 32, 64, 128 */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(items[i], (int)i);
    int *same = items;
    ck_assert_int_eq(pb_grow((void **)&items, &cap, 50, sizeof *items, 8), 0); /* room: no-op */
    ck_assert_ptr_eq(items, same);
    ck_assert_uint_eq(cap, 128);
    free(items);
}
END_TEST

START_TEST(overflow_and_zero_size_are_refused_unchanged)
{
    char one = 0, *items = &one;
    size_t cap = SIZE_MAX / 2 + 1;
    ck_assert_int_eq(pb_grow((void **)&items, &cap, cap, 1, 8), -ENOMEM); /* doubling wraps */
    ck_assert_ptr_eq(items, &one);
    ck_assert_uint_eq(cap, SIZE_MAX / 2 + 1);
    cap = SIZE_MAX / 16;
    ck_assert_int_eq(pb_grow((void **)&items, &cap, cap, 16, 8), -ENOMEM); /* bytes overflow */
    ck_assert_uint_eq(cap, SIZE_MAX / 16);
    void *none = NULL;
    size_t zero = 0;
    ck_assert_int_eq(pb_grow(&none, &zero, 0, 0, 8), -ENOMEM);
    ck_assert_ptr_null(none);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_grow");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, doubles_from_the_first_size);
    tcase_add_test(tc, overflow_and_zero_size_are_refused_unchanged);
    tcase_add_test(tc, names_are_found_from_the_last_one);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
