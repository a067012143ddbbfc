/* Check suite for pb_sys_metric: the per-cycle file snapshot and counter series every metric uses.
 */
#include "pb_sys_metric.h"

#include "pb_codec.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void next_cycle(pb_sys_ctx_t *ctx, bool first, double interval_s)
{
    ctx->gen++;
    ctx->first = first;
    ctx->interval_s = interval_s;
    for (int i = 0; i < PB_SYS_FILES_MAX; i++)
        ctx->files[i].loaded = false;
}

static void release_files(pb_sys_ctx_t *ctx)
{
    for (int i = 0; i < PB_SYS_FILES_MAX; i++)
        pb_procfs_buf_release(&ctx->files[i].buf);
}

START_TEST(each_file_is_read_once_per_cycle)
{
    char dir[] = "/tmp/pb_metric_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    fputs("one\n", f);
    fclose(f);
    char err[128] = "";
    pb_sys_ctx_t ctx = {.root = dir, .err = err, .errlen = sizeof err};
    next_cycle(&ctx, true, 0);
    const char *text = NULL;
    ck_assert_int_eq(pb_sys_metric_file(&ctx, "f", &text), 0);
    ck_assert_str_eq(text, "one\n");
    f = fopen(path, "w");
    fputs("two\n", f);
    fclose(f);
    ck_assert_int_eq(pb_sys_metric_file(&ctx, "f", &text), 0);
    ck_assert_str_eq(text, "one\n"); /* the snapshot of this cycle */
    next_cycle(&ctx, false, 1);
    ck_assert_int_eq(pb_sys_metric_file(&ctx, "f", &text), 0);
    ck_assert_str_eq(text, "two\n");
    ck_assert_int_eq(pb_sys_metric_file(&ctx, "missing", &text), -ENOENT);
    ck_assert_str_eq(err, "missing: No such file or directory");
    release_files(&ctx);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(series_give_deltas_after_their_first_sample)
{
    pb_sys_ctx_t ctx = {.root = ""};
    pb_sys_series_set_t set = {0};
    uint64_t cur[2] = {10, 20}, delta[2] = {0};
    next_cycle(&ctx, true, 0);
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sda", cur, 2, delta), 0);
    pb_sys_metric_sweep(&ctx, &set);
    next_cycle(&ctx, false, 1);
    cur[0] = 15;
    cur[1] = 27;
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sda", cur, 2, delta), 1);
    ck_assert_uint_eq(delta[0], 5);
    ck_assert_uint_eq(delta[1], 7);
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sdb", cur, 2, delta), 0); /* new */
    pb_sys_metric_sweep(&ctx, &set);
    next_cycle(&ctx, false, 1);
    cur[1] = 3; /* wrapped or reset */
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sda", cur, 2, delta), 0);
    pb_sys_metric_sweep(&ctx, &set); /* sdb not seen: forgotten */
    ck_assert_uint_eq(set.n, 1);
    next_cycle(&ctx, false, 1);
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sda", cur, 2, delta), 1);
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "sdb", cur, 2, delta), 0);
    ck_assert_int_eq(pb_sys_metric_delta(&ctx, &set, "x", cur, PB_SYS_SERIES_MAX + 1, delta),
                     -EINVAL);
    pb_sys_metric_release(&set);
    ck_assert_ptr_null(set.items);
}
END_TEST

START_TEST(messages_and_puts)
{
    char err[128] = "";
    pb_sys_ctx_t ctx = {.err = err, .errlen = sizeof err};
    ck_assert_int_eq(pb_sys_metric_bad_line(&ctx, "proc/stat", "cpu  12 abc\nnext\n"), -EINVAL);
    ck_assert_str_eq(err, "proc/stat: malformed line 'cpu  12 abc'");
    /* u64s and rates through the writer: keys are catalogue fields */
    const pb_catalog_field_t *keys[2], *rate_keys[2];
    const char *names[] = {"reads_total", "writes_total"};
    const char *rate_names[] = {"reads_per_s", "writes_per_s"};
    ck_assert_int_eq(pb_mpwrite_resolve(PB_FT_SYS, "disk.total", names, 2, keys, err, sizeof err),
                     0);
    ck_assert_int_eq(
        pb_mpwrite_resolve(PB_FT_SYS, "disk.total", rate_names, 2, rate_keys, err, sizeof err), 0);
    pb_mpwrite_t *w = pb_mpwrite_new();
    uint64_t vals[] = {10, 30};
    pb_mpwrite_map(w, NULL);
    ck_assert_int_eq(pb_sys_metric_put_u64s(w, keys, vals, 2), 0);
    ck_assert_int_eq(pb_sys_metric_put_rates(w, rate_keys, vals, 2, 1.0, 2.0), 0);
    ck_assert_int_eq(pb_mpwrite_end(w), 0);
    pb_value_t *map = NULL;
    ck_assert_int_eq(pb_codec_decode(pb_mpwrite_data(w), pb_mpwrite_len(w), &map, err, sizeof err),
                     0);
    double d = 0;
    ck_assert_int_eq(pb_value_map_get_f64(map, "writes_per_s", &d), 0);
    ck_assert_double_eq(d, 15.0);
    ck_assert_str_eq(pb_value_map_key_at(map, 0), "reads_total");
    pb_value_destroy(&map);
    pb_mpwrite_destroy(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_metric");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, each_file_is_read_once_per_cycle);
    tcase_add_test(tc, series_give_deltas_after_their_first_sample);
    tcase_add_test(tc, messages_and_puts);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
