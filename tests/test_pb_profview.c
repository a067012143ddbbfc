/* test_pb_profview: a profile result as a table, folded stacks and speedscope JSON. */
#include "pb_profview.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renders with fn into a string the caller frees. */
static char *s_render(int (*fn)(FILE *, const pb_value_t *), const pb_value_t *v, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    *rc = fn(out, v);
    fclose(out);
    return buf;
}

static int s_table(FILE *out, const pb_value_t *v)
{
    return pb_profview_table(out, v, 10);
}

static int s_speedscope(FILE *out, const pb_value_t *v)
{
    return pb_profview_speedscope(out, v, NULL);
}

static void s_put_folded(pb_value_t *list, const char *stack, uint64_t count)
{
    pb_value_t *e = pb_value_map_new();
    pb_value_map_put_str(e, "stack", stack);
    pb_value_map_put_uint(e, "count", count);
    pb_value_array_push(list, &e);
}

static void s_put_fn(pb_value_t *list, const char *name, uint64_t self, uint64_t total)
{
    pb_value_t *f = pb_value_map_new();
    pb_value_map_put_str(f, "name", name);
    pb_value_map_put_str(f, "file", "demo.c");
    pb_value_map_put_uint(f, "line", 42);
    pb_value_map_put_uint(f, "self", self);
    pb_value_map_put_uint(f, "total", total);
    pb_value_map_put_float(f, "self_pct", (double)self);
    pb_value_map_put_float(f, "total_pct", (double)total);
    pb_value_array_push(list, &f);
}

/* A sampling result: main 100 % total, a 70 % and b 30 % self. */
static pb_value_t *s_sampling_result(void)
{
    pb_value_t *r = pb_value_map_new(), *s = pb_value_map_new();
    pb_value_t *fns = pb_value_array_new(), *folded = pb_value_array_new();
    pb_value_map_put_str(r, "target", "split");
    pb_value_map_put_str(r, "mode", "sampling");
    pb_value_map_put_uint(r, "runs_done", 2);
    pb_value_map_put_float(r, "wall_s", 1.0);
    pb_value_map_put_str(s, "clock", "wall");
    pb_value_map_put_uint(s, "samples_received", 100);
    pb_value_map_put_float(s, "seconds", 1.0);
    s_put_fn(fns, "main", 0, 100);
    s_put_fn(fns, "a", 70, 70);
    s_put_fn(fns, "b", 30, 30);
    s_put_folded(folded, "main;a", 70);
    s_put_folded(folded, "main;b", 30);
    pb_value_map_put(s, "functions", &fns);
    pb_value_map_put(s, "folded", &folded);
    pb_value_map_put(r, "sampling", &s);
    return r;
}

START_TEST(sampling_table_and_folded)
{
    pb_value_t *r = s_sampling_result();
    int rc = -1;
    char *text = s_render(s_table, r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(text, "sampling split: 2 run(s)"));
    ck_assert_ptr_nonnull(strstr(text, "total%"));
    ck_assert_ptr_nonnull(strstr(text, "a (demo.c:42)"));
    ck_assert(strstr(text, " main ") < strstr(text, " b ")); /* order kept */
    free(text);
    text = s_render(pb_profview_folded, r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(text, "main;a 70\nmain;b 30\n");
    free(text);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(speedscope_document)
{
    pb_value_t *r = s_sampling_result();
    int rc = -1;
    char *json = s_render(s_speedscope, r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(
        strstr(json, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
    ck_assert_ptr_nonnull(strstr(json, "\"type\":\"sampled\""));
    ck_assert_ptr_nonnull(strstr(json, "\"unit\":\"seconds\""));
    ck_assert_ptr_nonnull(strstr(json, "{\"name\":\"main\",\"file\":\"demo.c\",\"line\":42}"));
    ck_assert_ptr_nonnull(strstr(json, "\"samples\":[[0,1],[0,2]]"));
    ck_assert_ptr_nonnull(strstr(json, "\"weights\":[0.7"));
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"split\""));
    free(json);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(tracing_and_detailed_tables)
{
    pb_value_t *r = pb_value_map_new(), *t = pb_value_map_new(), *fns = pb_value_array_new();
    pb_value_t *f = pb_value_map_new();
    pb_value_map_put_str(f, "name", "fib");
    pb_value_map_put_uint(f, "ncalls", 21891);
    pb_value_map_put_uint(f, "primcalls", 1);
    pb_value_map_put_float(f, "cumtime_s", 0.5);
    pb_value_array_push(fns, &f);
    pb_value_map_put(t, "functions", &fns);
    pb_value_map_put(r, "tracing", &t);
    int rc = -1;
    char *text = s_render(s_table, r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(text, "ncalls"));
    ck_assert_ptr_nonnull(strstr(text, "21891/1"));
    ck_assert_ptr_nonnull(strstr(text, "~:0(fib)"));
    free(text);
    /* no stacks in a tracing result: folded and speedscope say so */
    free(s_render(pb_profview_folded, r, &rc));
    ck_assert_int_eq(rc, -EINVAL);
    free(s_render(s_speedscope, r, &rc));
    ck_assert_int_eq(rc, -EINVAL);
    pb_value_destroy(&r);

    r = pb_value_map_new();
    pb_value_t *d = pb_value_map_new(), *runs = pb_value_array_new(), *run = pb_value_map_new();
    pb_value_map_put_uint(run, "rss_peak_bytes", 123456789);
    pb_value_array_push(runs, &run);
    pb_value_map_put(d, "runs", &runs);
    pb_value_map_put(r, "detailed", &d);
    text = s_render(s_table, r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(text, "123456789"));
    free(text);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(not_a_profile)
{
    pb_value_t *r = pb_value_map_new();
    pb_value_map_put_bool(r, "ok", true);
    int rc = 0;
    free(s_render(s_table, r, &rc));
    ck_assert_int_eq(rc, -EINVAL);
    free(s_render(pb_profview_folded, r, &rc));
    ck_assert_int_eq(rc, -EINVAL);
    free(s_render(s_speedscope, r, &rc));
    ck_assert_int_eq(rc, -EINVAL);
    pb_value_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_profview");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sampling_table_and_folded);
    tcase_add_test(tc, speedscope_document);
    tcase_add_test(tc, tracing_and_detailed_tables);
    tcase_add_test(tc, not_a_profile);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
