/* Check suite for pb_rw_queue: order, the sample bound with oldest-first drops, batches, blocks. */
#include "pb_prompb.h"
#include "pb_rw_queue.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One entry of node_load1{host="h"} whose timestamp is its number. */
static void s_entry(pb_prom_out_t *out, int64_t n)
{
    pb_prom_sample_t s;
    memset(&s, 0, sizeof s);
    s.name = "node_load1";
    s.value = (double)n;
    s.labels[s.nlabels++] = (pb_prom_label_t){"host", "h", 4, 1};
    ck_assert_int_eq(pb_prompb_append(out, &s, n), 0);
}

/* The timestamps (= values) of the entries in buf, in order; returns how many. */
static size_t s_numbers(const pb_prom_out_t *buf, int64_t *out, size_t max)
{
    size_t n = 0;
    for (size_t off = 0; off < buf->len && n < max;) {
        size_t len = pb_prompb_entry_size(buf->data + off, buf->len - off);
        ck_assert_uint_gt(len, 0);
        /* the sample's value is the 8 bytes after the tag 0x09 near the end: read the ts varint */
        const unsigned char *p = (const unsigned char *)buf->data + off + len;
        int64_t v = 0;
        size_t k = 1;
        while (p[-(long)k - 1] & 0x80 || p[-(long)k - 1] != 0x10)
            k++;
        for (size_t i = 0; i < k; i++)
            v |= (int64_t)(p[-(long)k + (long)i] & 0x7f) << (7 * i);
        out[n++] = v;
        off += len;
    }
    return n;
}

static void s_push_range(pb_rw_queue_t *q, int64_t from, int64_t to)
{
    pb_prom_out_t buf = {0};
    for (int64_t i = from; i < to; i++)
        s_entry(&buf, i);
    ck_assert_int_eq(pb_rw_queue_push(q, buf.data, buf.len), (int)(to - from));
    pb_prom_out_free(&buf);
}

START_TEST(entries_come_out_in_the_order_they_went_in_in_batches)
{
    pb_rw_queue_t *q = pb_rw_queue_new(1000);
    s_push_range(q, 100, 110);
    ck_assert_uint_eq(pb_rw_queue_len(q), 10);
    pb_prom_out_t out = {0};
    ck_assert_uint_eq(pb_rw_queue_take(q, &out, 4), 4);
    int64_t got[16];
    ck_assert_uint_eq(s_numbers(&out, got, 16), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(got[i], 100 + i);
    pb_prom_out_reset(&out);
    ck_assert_uint_eq(pb_rw_queue_take(q, &out, 100), 6);
    ck_assert_uint_eq(s_numbers(&out, got, 16), 6);
    ck_assert_int_eq(got[0], 104);
    ck_assert_int_eq(got[5], 109);
    ck_assert_uint_eq(pb_rw_queue_len(q), 0);
    ck_assert_uint_eq(pb_rw_queue_take(q, &out, 100), 0);
    ck_assert_uint_eq(pb_rw_queue_dropped(q), 0);
    pb_prom_out_free(&out);
    pb_rw_queue_destroy(&q);
    ck_assert_ptr_null(q);
    pb_rw_queue_destroy(&q);
}
END_TEST

START_TEST(beyond_the_bound_the_oldest_are_dropped_and_counted)
{
    pb_rw_queue_t *q = pb_rw_queue_new(5);
    s_push_range(q, 0, 3);
    s_push_range(q, 3, 9);
    ck_assert_uint_eq(pb_rw_queue_len(q), 5);
    ck_assert_uint_eq(pb_rw_queue_dropped(q), 4);
    pb_prom_out_t out = {0};
    ck_assert_uint_eq(pb_rw_queue_take(q, &out, 10), 5);
    int64_t got[8];
    ck_assert_uint_eq(s_numbers(&out, got, 8), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(got[i], 4 + i);
    pb_prom_out_free(&out);
    pb_rw_queue_destroy(&q);
}
END_TEST

START_TEST(many_blocks_keep_order_and_bound_across_block_edges)
{
    pb_rw_queue_t *q = pb_rw_queue_new(20000);
    for (int64_t i = 0; i < 50000; i += 500)
        s_push_range(q, i, i + 500);
    ck_assert_uint_eq(pb_rw_queue_len(q), 20000);
    ck_assert_uint_eq(pb_rw_queue_dropped(q), 30000);
    pb_prom_out_t out = {0};
    int64_t *got = malloc(2000 * sizeof *got), next = 30000;
    for (size_t n; (n = pb_rw_queue_take(q, &out, 2000)) > 0; pb_prom_out_reset(&out)) {
        ck_assert_uint_eq(s_numbers(&out, got, 2000), n);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(got[i], next++);
    }
    ck_assert_int_eq(next, 50000);
    /* emptied blocks are reused: the queue fills again */
    s_push_range(q, 0, 1000);
    ck_assert_uint_eq(pb_rw_queue_len(q), 1000);
    free(got);
    pb_prom_out_free(&out);
    pb_rw_queue_destroy(&q);
}
END_TEST

START_TEST(bytes_that_are_not_whole_entries_are_refused_whole)
{
    pb_rw_queue_t *q = pb_rw_queue_new(10);
    pb_prom_out_t buf = {0};
    s_entry(&buf, 1);
    s_entry(&buf, 2);
    ck_assert_int_eq(pb_rw_queue_push(q, buf.data, buf.len - 1), -EINVAL);
    ck_assert_int_eq(pb_rw_queue_push(q, "junk", 4), -EINVAL);
    ck_assert_uint_eq(pb_rw_queue_len(q), 0);
    ck_assert_int_eq(pb_rw_queue_push(q, buf.data, 0), 0);
    pb_prom_out_free(&buf);
    pb_rw_queue_destroy(&q);
}
END_TEST

START_TEST(a_bound_of_zero_keeps_one)
{
    pb_rw_queue_t *q = pb_rw_queue_new(0);
    s_push_range(q, 0, 3);
    ck_assert_uint_eq(pb_rw_queue_len(q), 1);
    ck_assert_uint_eq(pb_rw_queue_dropped(q), 2);
    pb_rw_queue_destroy(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_rw_queue");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, entries_come_out_in_the_order_they_went_in_in_batches);
    tcase_add_test(tc, beyond_the_bound_the_oldest_are_dropped_and_counted);
    tcase_add_test(tc, many_blocks_keep_order_and_bound_across_block_edges);
    tcase_add_test(tc, bytes_that_are_not_whole_entries_are_refused_whole);
    tcase_add_test(tc, a_bound_of_zero_keeps_one);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
