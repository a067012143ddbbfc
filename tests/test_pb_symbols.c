/* test_pb_symbols: names (static ones too), start addresses and file:line of this process's code.
 */
#include "pb_symbols.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { S_HELPER_LINE = __LINE__ + 1 }; /* the line of the definition below */
__attribute__((noinline)) static int sym_static_helper(int x)
{
    return x * 3 + 1;
}

START_TEST(names_static_functions_with_file_and_line)
{
    pb_symbols_t *sy = pb_symbols_new();
    ck_assert_ptr_nonnull(sy);
    pb_symbol_t s;
    uintptr_t fn = (uintptr_t)sym_static_helper;
    ck_assert_int_eq(pb_symbols_lookup(sy, fn + 2, 0, &s), 0);
    ck_assert_str_eq(s.name, "sym_static_helper");
    ck_assert_uint_eq(s.start, fn);
    ck_assert_ptr_nonnull(s.file);
    ck_assert_ptr_nonnull(strstr(s.file, "test_pb_symbols.c"));
    /* the entry: the declaration or the first statement */
    ck_assert(s.line >= S_HELPER_LINE && s.line <= S_HELPER_LINE + 2);
    /* a return address just past a call resolves to the calling function */
    ck_assert_int_eq(pb_symbols_lookup(sy, fn + 1, 1, &s), 0);
    ck_assert_str_eq(s.name, "sym_static_helper");
    /* cached: same answer again */
    ck_assert_int_eq(pb_symbols_lookup(sy, fn + 2, 0, &s), 0);
    ck_assert_str_eq(s.name, "sym_static_helper");
    ck_assert_int_eq(sym_static_helper(1), 4);
    pb_symbols_destroy(&sy);
    ck_assert_ptr_null(sy);
}
END_TEST

START_TEST(libraries_and_nothing)
{
    pb_symbols_t *sy = pb_symbols_new();
    pb_symbol_t s;
    ck_assert_int_eq(pb_symbols_lookup(sy, (uintptr_t)malloc, 0, &s), 0);
    ck_assert_ptr_nonnull(s.module);
    ck_assert_int_eq(pb_symbols_lookup(sy, 0, 0, &s), -ENOENT);
    ck_assert_ptr_null(s.name);
    ck_assert_int_eq(pb_symbols_lookup(sy, 0x10, 0, &s), -ENOENT);
    ck_assert_ptr_null(s.module);
    for (uintptr_t pc = 0x1000; pc < 0x1000 + 4000 * 16; pc += 16) /* grows the cache */
        pb_symbols_lookup(sy, pc, 0, &s);
    pb_symbols_destroy(&sy);
    pb_symbols_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_symbols");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, names_static_functions_with_file_and_line);
    tcase_add_test(tc, libraries_and_nothing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
