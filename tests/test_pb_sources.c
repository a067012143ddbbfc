/* Unit tests of pb_sources: seq gaps, restarts, reordering, the table bound. */
#include "pb_sources.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t s_note(pb_sources_t *t, const char *src, uint64_t seq)
{
    pb_envelope_t env = {1, "sys", "host", src, seq, 1};
    return pb_sources_note(t, &env, 100, seq);
}

START_TEST(gaps_are_lost_frames)
{
    pb_sources_t *t = pb_sources_new();
    ck_assert_int_eq(s_note(t, "a", 5), 0); /* joined late: not a loss */
    ck_assert_int_eq(s_note(t, "a", 6), 0);
    ck_assert_int_eq(s_note(t, "a", 10), 3);
    ck_assert_int_eq(s_note(t, "a", 11), 0);
    ck_assert_uint_eq(pb_sources_lost(t), 3);
    pb_value_t *v = pb_sources_to_value(t);
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "frames", &u), 0);
    ck_assert_uint_eq(u, 4);
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "bytes", &u), 0);
    ck_assert_uint_eq(u, 400);
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "last_seq", &u), 0);
    ck_assert_uint_eq(u, 11);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
    ck_assert_ptr_null(t);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(restart_is_a_new_source_not_a_loss)
{
    pb_sources_t *t = pb_sources_new();
    for (uint64_t s = 0; s < 50; s++)
        s_note(t, "first-run", s);
    ck_assert_int_eq(s_note(t, "second-run", 0), 0); /* seq starts over, new src */
    ck_assert_int_eq(s_note(t, "second-run", 1), 0);
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_value_t *v = pb_sources_to_value(t);
    ck_assert_uint_eq(pb_value_len(v), 2);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(duplicates_and_reordering_are_not_loss)
{
    pb_sources_t *t = pb_sources_new();
    s_note(t, "a", 1);
    s_note(t, "a", 2);
    ck_assert_int_eq(s_note(t, "a", 2), 0);
    ck_assert_int_eq(s_note(t, "a", 1), 0);
    ck_assert_int_eq(s_note(t, "a", 3), 0); /* last_seq stayed 2 */
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_value_t *v = pb_sources_to_value(t);
    uint64_t u = 0;
    pb_value_map_get_u64(pb_value_array_at(v, 0), "out_of_order", &u);
    ck_assert_uint_eq(u, 2);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(table_is_bounded_and_keeps_lost_totals)
{
    pb_sources_t *t = pb_sources_new();
    s_note(t, "lossy", 0);
    s_note(t, "lossy", 10); /* 9 lost */
    for (int i = 0; i < PB_SOURCES_MAX + 10; i++) {
        char src[32];
        snprintf(src, sizeof src, "s%d", i);
        pb_envelope_t env = {1, "sys", "h", src, 0, 1};
        ck_assert_int_eq(pb_sources_note(t, &env, 1, 1000 + (uint64_t)i), 0);
    }
    pb_value_t *v = pb_sources_to_value(t);
    ck_assert_uint_eq(pb_value_len(v), PB_SOURCES_MAX);
    pb_value_destroy(&v);
    ck_assert_uint_eq(pb_sources_lost(t), 9); /* "lossy" was forgotten, its loss was not */
    pb_sources_destroy(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sources");
    TCase *tc = tcase_create("sources");
    tcase_add_test(tc, gaps_are_lost_frames);
    tcase_add_test(tc, restart_is_a_new_source_not_a_loss);
    tcase_add_test(tc, duplicates_and_reordering_are_not_loss);
    tcase_add_test(tc, table_is_bounded_and_keeps_lost_totals);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
