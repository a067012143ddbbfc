/* test_pb_stacks: folding sampled stacks into functions, folded stacks, a call tree, intervals. */
#include "pb_stacks.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_add(pb_stacks_t *st, const char *a, const char *b, const char *c, uint64_t n)
{
    pb_frame_t frames[3] = {{.name = a, .file = "x.c", .line = 1}, {.name = b}, {.name = c}};
    size_t depth = c ? 3 : b ? 2 : 1;
    ck_assert_int_eq(pb_stacks_add(st, frames, depth, n), 0);
}

static const pb_value_t *s_fn(const pb_value_t *list, const char *name)
{
    for (size_t i = 0; i < pb_value_len(list); i++) {
        const char *got = NULL;
        pb_value_map_get_str(pb_value_array_at(list, i), "name", &got);
        if (got && strcmp(got, name) == 0)
            return pb_value_array_at(list, i);
    }
    return NULL;
}

START_TEST(functions_count_self_and_total)
{
    pb_stacks_t *st = pb_stacks_new();
    s_add(st, "main", "a", NULL, 7);
    s_add(st, "main", "b", NULL, 3);
    ck_assert_uint_eq(pb_stacks_samples(st), 10);
    pb_value_t *fns = pb_stacks_functions(st, 2.0, 10);
    ck_assert_uint_eq(pb_value_len(fns), 3);
    const char *first = NULL;
    pb_value_map_get_str(pb_value_array_at(fns, 0), "name", &first);
    ck_assert_str_eq(first, "main"); /* sorted by total */
    uint64_t self = 0, total = 0;
    double pct = 0, secs = 0;
    pb_value_map_get_u64(s_fn(fns, "a"), "self", &self);
    pb_value_map_get_u64(s_fn(fns, "main"), "total", &total);
    pb_value_map_get_f64(s_fn(fns, "a"), "self_pct", &pct);
    pb_value_map_get_f64(s_fn(fns, "a"), "self_s", &secs);
    ck_assert_uint_eq(self, 7);
    ck_assert_uint_eq(total, 10);
    ck_assert_double_eq_tol(pct, 70.0, 1e-9);
    ck_assert_double_eq_tol(secs, 1.4, 1e-9);
    const char *file = NULL;
    ck_assert_int_eq(pb_value_map_get_str(s_fn(fns, "main"), "file", &file), 0);
    ck_assert_str_eq(file, "x.c");
    ck_assert_ptr_null(pb_value_map_get(s_fn(fns, "a"), "file"));
    pb_value_destroy(&fns);
    fns = pb_stacks_functions(st, 2.0, 1);
    ck_assert_uint_eq(pb_value_len(fns), 1);
    pb_value_destroy(&fns);
    pb_stacks_destroy(&st);
    ck_assert_ptr_null(st);
}
END_TEST

START_TEST(recursion_counts_once_in_total)
{
    pb_stacks_t *st = pb_stacks_new();
    s_add(st, "fib", "fib", "fib", 4);
    s_add(st, "fib", NULL, NULL, 1);
    pb_value_t *fns = pb_stacks_functions(st, 1.0, 10);
    uint64_t total = 0, self = 0;
    pb_value_map_get_u64(s_fn(fns, "fib"), "total", &total);
    pb_value_map_get_u64(s_fn(fns, "fib"), "self", &self);
    ck_assert_uint_eq(total, 5);
    ck_assert_uint_eq(self, 5);
    pb_value_destroy(&fns);
    pb_stacks_destroy(&st);
}
END_TEST

START_TEST(folded_and_tree)
{
    pb_stacks_t *st = pb_stacks_new();
    s_add(st, "main", "a", "leaf", 2);
    s_add(st, "main", "a", NULL, 5);
    s_add(st, "main", "b", NULL, 1);
    pb_value_t *folded = pb_stacks_folded(st, 10);
    ck_assert_uint_eq(pb_value_len(folded), 3);
    const char *stack = NULL;
    uint64_t count = 0;
    pb_value_map_get_str(pb_value_array_at(folded, 0), "stack", &stack);
    pb_value_map_get_u64(pb_value_array_at(folded, 0), "count", &count);
    ck_assert_str_eq(stack, "main;a");
    ck_assert_uint_eq(count, 5);
    pb_value_map_get_str(pb_value_array_at(folded, 1), "stack", &stack);
    ck_assert_str_eq(stack, "main;a;leaf");
    pb_value_destroy(&folded);
    pb_value_t *tree = pb_stacks_tree(st, 100);
    ck_assert_uint_eq(pb_value_len(tree), 4); /* main, a, leaf, b */
    int64_t parent = 0;
    uint64_t total = 0;
    pb_value_map_get_i64(pb_value_array_at(tree, 0), "parent", &parent);
    pb_value_map_get_u64(pb_value_array_at(tree, 0), "total", &total);
    ck_assert_int_eq(parent, -1);
    ck_assert_uint_eq(total, 8);
    pb_value_map_get_i64(pb_value_array_at(tree, 2), "parent", &parent);
    ck_assert_int_eq(parent, 1); /* leaf under a */
    pb_value_destroy(&tree);
    pb_stacks_destroy(&st);
}
END_TEST

START_TEST(errors_and_unknown_names)
{
    pb_stacks_t *st = pb_stacks_new();
    ck_assert_int_eq(pb_stacks_add(st, NULL, 0, 1), -EINVAL);
    pb_frame_t unnamed = {.name = NULL};
    ck_assert_int_eq(pb_stacks_add(st, &unnamed, 1, 1), 0);
    pb_value_t *fns = pb_stacks_functions(st, 1.0, 10);
    ck_assert_ptr_nonnull(s_fn(fns, "[unknown]"));
    pb_value_destroy(&fns);
    pb_stacks_destroy(&st);
    pb_stacks_destroy(NULL);
}
END_TEST

START_TEST(many_functions_grow_the_tables)
{
    pb_stacks_t *st = pb_stacks_new();
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        s_add(st, "root", name, NULL, 1);
    }
    pb_value_t *fns = pb_stacks_functions(st, 1.0, 100000);
    ck_assert_uint_eq(pb_value_len(fns), 3001);
    ck_assert_ptr_nonnull(s_fn(fns, "f2999"));
    pb_value_destroy(&fns);
    pb_stacks_destroy(&st);
}
END_TEST

START_TEST(wilson_interval)
{
    double lo, hi;
    pb_stacks_wilson(50, 100, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.4038, 1e-3);
    ck_assert_double_eq_tol(hi, 0.5962, 1e-3);
    pb_stacks_wilson(0, 10, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.0, 1e-12);
    ck_assert(hi > 0.2 && hi < 0.35);
    pb_stacks_wilson(0, 0, &lo, &hi);
    ck_assert_double_eq(lo, 0);
    ck_assert_double_eq(hi, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_stacks");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, functions_count_self_and_total);
    tcase_add_test(tc, recursion_counts_once_in_total);
    tcase_add_test(tc, folded_and_tree);
    tcase_add_test(tc, errors_and_unknown_names);
    tcase_add_test(tc, many_functions_grow_the_tables);
    tcase_add_test(tc, wilson_interval);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
