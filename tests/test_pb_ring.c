/* Unit tests of pb_ring: push, wrap-around, columns, age limits. */
#include "pb_ring.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Sets a wide column by name, as a caller resolving its column each time would. */
static int s_set(pb_ring_t *r, const char *name, double value)
{
    int j = pb_ring_column(r, name, PB_RING_DOUBLE);
    return j < 0 ? j : pb_ring_set_at(r, (size_t)j, value);
}

START_TEST(wraps_around_keeping_the_newest)
{
    pb_ring_t *r = pb_ring_new(4, 8);
    ck_assert_int_eq(s_set(r, "x", 1), -ENODATA); /* no row yet */
    ck_assert_int_eq(pb_ring_set_at(r, 5, 1), -ENODATA);
    for (uint64_t t = 1; t <= 10; t++) {
        pb_ring_push(r, t * 100);
        ck_assert_int_eq(s_set(r, "x", (double)t), 0);
    }
    ck_assert_uint_eq(pb_ring_len(r), 4);
    ck_assert_uint_eq(pb_ring_capacity(r), 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(pb_ring_ts(r, i), (7 + i) * 100);
        ck_assert_double_eq(pb_ring_value(r, 0, i), (double)(7 + i));
    }
    ck_assert_uint_eq(pb_ring_ts(r, 4), 0);
    ck_assert(isnan(pb_ring_value(r, 0, 4)));
    ck_assert(isnan(pb_ring_value(r, 1, 0)));
    uint64_t ts[4];
    double v[4];
    ck_assert_uint_eq(pb_ring_copy(r, 0, ts, v), 4);
    ck_assert_uint_eq(ts[0], 700);
    ck_assert_double_eq(v[3], 10);
    pb_ring_destroy(&r);
    ck_assert_ptr_null(r);
    pb_ring_destroy(&r);
}
END_TEST

START_TEST(columns_appear_late_and_stay_aligned)
{
    pb_ring_t *r = pb_ring_new(3, 8);
    pb_ring_push(r, 1);
    s_set(r, "a", 1);
    pb_ring_push(r, 2);
    s_set(r, "a", 2);
    s_set(r, "rate", 20); /* absent in the first row, like a first sample */
    pb_ring_push(r, 3);
    s_set(r, "rate", 30); /* "a" absent here */
    ck_assert_uint_eq(pb_ring_nfields(r), 2);
    ck_assert_str_eq(pb_ring_field_at(r, 1), "rate");
    ck_assert_ptr_null(pb_ring_field_at(r, 2));
    ck_assert(isnan(pb_ring_value(r, 1, 0)));
    ck_assert_double_eq(pb_ring_value(r, 1, 1), 20);
    ck_assert(isnan(pb_ring_value(r, 0, 2)));
    pb_ring_push(r, 4); /* overwrites row 1: its old values must not leak */
    ck_assert(isnan(pb_ring_value(r, 0, 2)));
    ck_assert(isnan(pb_ring_value(r, 1, 2)));
    pb_ring_destroy(&r);
}
END_TEST

START_TEST(field_limit)
{
    pb_ring_t *r = pb_ring_new(2, 2);
    pb_ring_push(r, 1);
    ck_assert_int_eq(s_set(r, "a", 1), 0);
    ck_assert_int_eq(s_set(r, "b", 1), 0);
    ck_assert_int_eq(s_set(r, "c", 1), -ENOSPC);
    ck_assert_int_eq(s_set(r, "a", 2), 0); /* existing columns still work */
    ck_assert_int_eq(pb_ring_set_at(r, 2, 1), -ENOENT);
    ck_assert_uint_gt(pb_ring_memory(r), 2 * 2 * sizeof(double));
    pb_ring_destroy(&r);
    ck_assert_ptr_null(pb_ring_new(0, 4));
}
END_TEST

/* A float column rounds to a float, a compact one is exact (floats until a value needs a double),
 * absent slots stay NaN, and all grow and wrap alike. */
START_TEST(float_and_compact_columns)
{
    pb_ring_t *r = pb_ring_new(40, 4);
    pb_ring_push(r, 1);
    int wide = pb_ring_column(r, "wide", PB_RING_DOUBLE);
    int rounded = pb_ring_column(r, "rounded", PB_RING_FLOAT);
    int compact = pb_ring_column(r, "compact", PB_RING_COMPACT);
    ck_assert_int_eq(wide, 0);
    ck_assert_int_eq(rounded, 1);
    ck_assert_int_eq(compact, 2);
    ck_assert_int_eq(pb_ring_column(r, "rounded", PB_RING_DOUBLE), 1); /* found by name */
    size_t before = pb_ring_memory(r);
    ck_assert_int_eq(pb_ring_set_at(r, 0, 123456789.125), 0);
    ck_assert_int_eq(pb_ring_set_at(r, 1, 12.34), 0);
    ck_assert_int_eq(pb_ring_set_at(r, 2, 16777216), 0); /* 2^24: a float */
    ck_assert_double_eq(pb_ring_value(r, 0, 0), 123456789.125);
    ck_assert_double_eq(pb_ring_value(r, 1, 0), (double)12.34f);
    ck_assert_double_eq(pb_ring_value(r, 2, 0), 16777216);
    ck_assert_uint_eq(pb_ring_memory(r), before); /* still floats */
    for (uint64_t t = 2; t <= 100; t++) {         /* grows 16 -> 32 -> 40, then wraps */
        pb_ring_push(r, t);
        if (t % 2 == 0)
            pb_ring_set_at(r, 1, (double)t / 4);
        pb_ring_set_at(r, 2, (double)(4096 * t)); /* page-sized: floats */
    }
    ck_assert_uint_eq(pb_ring_len(r), 40);
    ck_assert_double_eq(pb_ring_value(r, 1, 39), 25.0);
    ck_assert(isnan(pb_ring_value(r, 1, 38)));
    ck_assert(isnan(pb_ring_value(r, 0, 39)));
    size_t floats = pb_ring_memory(r);
    ck_assert_int_eq(pb_ring_set_at(r, 2, 16777217), 0); /* 2^24 + 1: not a float, widens */
    ck_assert_uint_eq(pb_ring_memory(r) - floats, PB_RING_BLOCK * 4); /* its one block */
    ck_assert_double_eq(pb_ring_value(r, 2, 39), 16777217);
    for (size_t i = 0; i < 39; i++) /* what was stored before is unchanged */
        ck_assert_double_eq(pb_ring_value(r, 2, i), (double)(4096 * (61 + i)));
    pb_ring_destroy(&r);
}
END_TEST

START_TEST(drop_before_an_age)
{
    pb_ring_t *r = pb_ring_new(10, 1);
    for (uint64_t t = 1; t <= 5; t++)
        pb_ring_push(r, t);
    ck_assert_uint_eq(pb_ring_drop_before(r, 3), 2);
    ck_assert_uint_eq(pb_ring_len(r), 3);
    ck_assert_uint_eq(pb_ring_ts(r, 0), 3);
    ck_assert_uint_eq(pb_ring_drop_before(r, 100), 3);
    ck_assert_uint_eq(pb_ring_len(r), 0);
    pb_ring_push(r, 200); /* still usable after emptying */
    ck_assert_uint_eq(pb_ring_ts(r, 0), 200);
    pb_ring_destroy(&r);
}
END_TEST

START_TEST(grows_as_rows_arrive_keeping_order)
{
    pb_ring_t *r = pb_ring_new(1000, 4);
    size_t young = pb_ring_memory(r);
    for (uint64_t t = 1; t <= 10; t++) {
        pb_ring_push(r, t);
        ck_assert_int_eq(s_set(r, "x", (double)t), 0);
    }
    ck_assert_uint_eq(pb_ring_drop_before(r, 6), 5); /* head moves off slot 0 */
    for (uint64_t t = 11; t <= 300; t++) {           /* wraps, then grows several times */
        pb_ring_push(r, t);
        ck_assert_int_eq(s_set(r, "x", (double)t), 0);
    }
    ck_assert_uint_eq(pb_ring_len(r), 295);
    for (size_t i = 0; i < pb_ring_len(r); i++) {
        ck_assert_uint_eq(pb_ring_ts(r, i), 6 + i);
        ck_assert_double_eq(pb_ring_value(r, 0, i), (double)(6 + i));
    }
    ck_assert_uint_gt(pb_ring_memory(r), young);
    ck_assert_uint_lt(pb_ring_memory(r), 1000 * 2 * sizeof(double)); /* not the full capacity */
    pb_ring_destroy(&r);
}
END_TEST

/* Memory comes a block at a time as rows first reach it, in the timestamps and every column;
 * a ring whose capacity is not whole blocks wraps over the rounded-up slots without losing
 * order; a column added late has the blocks the rows already have. */
START_TEST(blocks_come_as_rows_reach_them)
{
    size_t cap = 2 * PB_RING_BLOCK + 44; /* 3 blocks, 84 slots more than rows */
    pb_ring_t *r = pb_ring_new(cap, 4);
    size_t empty = pb_ring_memory(r), one = 0;
    for (uint64_t t = 1; t <= 10 * cap; t++) {
        ck_assert_int_eq(pb_ring_push(r, t), 0);
        ck_assert_int_eq(s_set(r, "x", (double)t), 0);
        if (t == 1)
            one = pb_ring_memory(r);
        if (t == PB_RING_BLOCK) /* still one block */
            ck_assert_uint_eq(pb_ring_memory(r), one);
        if (t == PB_RING_BLOCK + 1) /* a second, in both arrays */
            ck_assert_uint_eq(pb_ring_memory(r) - one,
                              PB_RING_BLOCK * (sizeof(uint64_t) + sizeof(double)));
    }
    ck_assert_uint_gt(one, empty);
    ck_assert_uint_eq(pb_ring_len(r), cap);
    for (size_t i = 0; i < cap; i++) {
        ck_assert_uint_eq(pb_ring_ts(r, i), 9 * cap + 1 + i);
        ck_assert_double_eq(pb_ring_value(r, 0, i), (double)(9 * cap + 1 + i));
    }
    int late = pb_ring_column(r, "late", PB_RING_FLOAT);
    ck_assert_int_eq(late, 1);
    ck_assert(isnan(pb_ring_value(r, 1, 0)) && isnan(pb_ring_value(r, 1, cap - 1)));
    ck_assert_int_eq(pb_ring_set_at(r, 1, 2.5), 0);
    ck_assert_double_eq(pb_ring_value(r, 1, cap - 1), 2.5);
    ck_assert_int_eq(pb_ring_push(r, 10 * cap + 1), 0);
    ck_assert(isnan(pb_ring_value(r, 1, cap - 1))); /* a new row: absent again */
    ck_assert_double_eq(pb_ring_value(r, 1, cap - 2), 2.5);
    pb_ring_destroy(&r);
}
END_TEST

START_TEST(many_wraps_of_a_large_ring)
{
    pb_ring_t *r = pb_ring_new(1000, 4);
    for (uint64_t t = 0; t < 12345; t++) {
        pb_ring_push(r, t);
        s_set(r, "v", (double)t * 2);
    }
    ck_assert_uint_eq(pb_ring_ts(r, 0), 11345);
    ck_assert_double_eq(pb_ring_value(r, 0, 999), 12344.0 * 2);
    pb_ring_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_ring");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, wraps_around_keeping_the_newest);
    tcase_add_test(tc, columns_appear_late_and_stay_aligned);
    tcase_add_test(tc, field_limit);
    tcase_add_test(tc, float_and_compact_columns);
    tcase_add_test(tc, drop_before_an_age);
    tcase_add_test(tc, grows_as_rows_arrive_keeping_order);
    tcase_add_test(tc, blocks_come_as_rows_reach_them);
    tcase_add_test(tc, many_wraps_of_a_large_ring);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
