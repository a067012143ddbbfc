/* Tests of pb_profile: prof frames become function tables and flame-graph boxes. */
#include "pb_profile.h"

#include "pb_frame.h"
#include "pb_model.h"
#include "pb_synth.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static pb_model_t *s_model(void)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 10;
    opts.profiles = 1;
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    return model;
}

/* A tree node {id, parent, name, total}. */
static void s_node(pb_value_t *tree, int64_t id, int64_t parent, const char *name, uint64_t total)
{
    pb_value_t *node = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put_int(node, "id", id), 0);
    ck_assert_int_eq(pb_value_map_put_int(node, "parent", parent), 0);
    ck_assert_int_eq(pb_value_map_put_str(node, "name", name), 0);
    ck_assert_int_eq(pb_value_map_put_uint(node, "total", total), 0);
    ck_assert_int_eq(pb_value_array_push(tree, &node), 0);
}

static pb_value_t *s_sampling_frame(pb_value_t **tree_p)
{
    pb_value_t *frame = pb_frame_new("prof", "h", "agent", 0, 1);
    pb_value_t *s = pb_value_map_new();
    ck_assert_int_eq(pb_value_map_put(s, "tree", tree_p), 0);
    ck_assert_int_eq(pb_value_map_put_uint(s, "samples_received", 10), 0);
    ck_assert_int_eq(pb_value_map_put_float(s, "seconds", 0.5), 0);
    ck_assert_int_eq(pb_value_map_put(frame, "sampling", &s), 0);
    ck_assert_int_eq(pb_value_map_put_str(frame, "section", "handler"), 0);
    return frame;
}

START_TEST(sampling_gives_rows_and_a_flame_graph)
{
    pb_model_t *model = s_model();
    ck_assert_uint_eq(pb_model_profile_count(model), 2); /* the failed job is ignored */
    const pb_profile_t *p = pb_model_profile(model, 0);
    ck_assert_str_eq(p->name, "split");
    ck_assert_str_eq(p->mode, "sampling");
    ck_assert_str_eq(p->header.cell[1], "Self %");
    ck_assert_uint_eq(p->nrows, 4);
    ck_assert_str_eq(p->rows[1].cell[0], "split_a");
    ck_assert_str_eq(p->rows[1].cell[2], "70.00");
    ck_assert_str_eq(p->about, "100 samples at 100 Hz (cpu clock), 1.000 s");
    ck_assert_uint_eq(p->nboxes, 4);
    ck_assert_uint_eq(p->depth, 3);
    ck_assert_double_eq_tol(p->boxes[1].w, 0.7, 1e-12); /* split_a */
    ck_assert_double_eq_tol(p->boxes[2].x, 0.7, 1e-12); /* split_b after it */
    ck_assert_uint_eq(p->boxes[3].depth, 2);
    ck_assert_str_eq(p->boxes[3].name, "Ωmega_helper");
    ck_assert_double_eq_tol(p->boxes[3].seconds, 0.2, 1e-12);
    ck_assert_ptr_null(pb_model_profile(model, 2));
    pb_model_destroy(&model);
}
END_TEST

START_TEST(tracing_gives_cprofile_columns)
{
    pb_model_t *model = s_model();
    const pb_profile_t *p = pb_model_profile(model, 1);
    ck_assert_str_eq(p->mode, "tracing");
    ck_assert_str_eq(p->header.cell[4], "cumtime s");
    ck_assert_str_eq(p->rows[1].cell[0], "demo_fib");
    ck_assert_str_eq(p->rows[1].cell[1], "635621/1"); /* total/primitive, as pstats */
    ck_assert_uint_eq(p->nboxes, 0);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(a_malformed_tree_cannot_escape_its_bounds)
{
    pb_value_t *tree = pb_value_array_new();
    s_node(tree, 0, -1, "root", 10);
    s_node(tree, 1, 7, "orphan", 5); /* unknown parent: dropped */
    s_node(tree, 2, 1, "child-of-orphan", 5);
    s_node(tree, 3, 0, "deep", 10);
    for (int64_t i = 4; i < 60; i++)
        s_node(tree, i, i - 1, "deeper", 10);
    pb_value_t *frame = s_sampling_frame(&tree);
    pb_profile_t *p = NULL;
    char err[128];
    ck_assert_int_eq(pb_profile_parse(frame, &p, err, sizeof(err)), 0);
    ck_assert_str_eq(p->name, "handler");
    ck_assert_uint_eq(p->depth, PB_PROFILE_MAX_DEPTH);
    for (size_t b = 0; b < p->nboxes; b++) {
        ck_assert_str_ne(p->boxes[b].name, "orphan");
        ck_assert(p->boxes[b].x >= 0 && p->boxes[b].x + p->boxes[b].w <= 1 + 1e-9);
    }
    pb_profile_destroy(&p);
    pb_profile_destroy(&p);
    pb_value_destroy(&frame);
}
END_TEST

START_TEST(frames_without_a_result_are_refused)
{
    pb_value_t *frame = pb_frame_new("prof", "h", "agent", 0, 1);
    pb_profile_t *p = NULL;
    char err[128];
    ck_assert_int_eq(pb_profile_parse(frame, &p, err, sizeof(err)), -ENODATA);
    ck_assert_ptr_null(p);
    pb_value_destroy(&frame);
    frame = pb_value_str_new("not a map");
    ck_assert_int_eq(pb_profile_parse(frame, &p, err, sizeof(err)), -EINVAL);
    pb_value_destroy(&frame);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_profile");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, sampling_gives_rows_and_a_flame_graph);
    tcase_add_test(tc, tracing_gives_cprofile_columns);
    tcase_add_test(tc, a_malformed_tree_cannot_escape_its_bounds);
    tcase_add_test(tc, frames_without_a_result_are_refused);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
