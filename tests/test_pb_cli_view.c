/* Check suite for pb_cli_view: the CLI's human lines, made of view entries and catalogue units. */
#include "pb_cli_view.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_buf;
static size_t s_len;

static FILE *s_open(void)
{
    FILE *out = open_memstream(&s_buf, &s_len);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* Closes out and returns what was written (freed by the next s_close). */
static const char *s_close(FILE *out)
{
    static char *last;
    fclose(out);
    free(last);
    last = s_buf;
    return s_buf;
}

static const char *s_fmt(const char *path, double value)
{
    static char buf[64];
    const pb_catalog_field_t *f = pb_catalog_find(PB_FT_SYS, path);
    if (!f)
        f = pb_catalog_find(PB_FT_PROC, path);
    ck_assert_ptr_nonnull(f);
    return pb_cli_view_fmt(buf, sizeof buf, f, value);
}

START_TEST(values_are_written_as_their_catalogue_unit)
{
    ck_assert_str_eq(s_fmt("cpu.total.busy_pct", 12.345), "12.3%");
    ck_assert_str_eq(s_fmt("mem.used_bytes", 1.5 * 1024 * 1024 * 1024), "1.5 GiB");
    ck_assert_str_eq(s_fmt("disk.total.read_bytes_per_s", 3 * 1024 * 1024), "3.0 MiB/s");
    ck_assert_str_eq(s_fmt("ctxt_per_s", 12), "12.0/s");
    ck_assert_str_eq(s_fmt("ctxt_per_s", 30859.7), "30,860/s");
    ck_assert_str_eq(s_fmt("uptime_s", 7200), "2.0 h");
    ck_assert_str_eq(s_fmt("uptime_s", 42), "42 s");
    ck_assert_str_eq(s_fmt("procs.total", 312), "312");
    ck_assert_str_eq(s_fmt("load.avg1", 0.5), "0.50");
    ck_assert_str_eq(s_fmt("minflt_total", 19160), "19,160");
    ck_assert_str_eq(s_fmt("cpu.total.busy_pct", NAN), "-");
}
END_TEST

static pb_value_t *s_sys_frame(bool with_rates)
{
    pb_value_t *frame = pb_value_map_new(), *cpu = pb_value_map_new();
    pb_value_t *total = pb_value_map_new(), *cores = pb_value_array_new();
    for (int k = 0; k < 2; k++) {
        pb_value_t *core = pb_value_map_new();
        pb_value_map_put_uint(core, "id", (uint64_t)k);
        if (with_rates)
            pb_value_map_put_float(core, "busy_pct", 10.0 * (k + 1));
        pb_value_array_push(cores, &core);
    }
    if (with_rates)
        pb_value_map_put_float(total, "busy_pct", 15);
    pb_value_map_put_uint(cpu, "ncpu", 2);
    pb_value_map_put(cpu, "total", &total);
    pb_value_map_put(cpu, "cores", &cores);
    pb_value_map_put(frame, "cpu", &cpu);
    return frame;
}

START_TEST(a_line_shows_the_entries_of_a_label_in_view_order)
{
    pb_value_t *frame = s_sys_frame(true);
    FILE *out = s_open();
    ck_assert_uint_eq(pb_cli_view_line(out, PB_VIEW_CLI_SYS, "CPU", frame, 0), 1);
    ck_assert_str_eq(s_close(out), "  cores 2");
    out = s_open();
    ck_assert_uint_eq(pb_cli_view_line(out, PB_VIEW_CLI_TAIL_SYS, "", frame, 0), 4);
    ck_assert_str_eq(s_close(out), "  cpu 15.0%  mem used -  disk read -  write -");
    out = s_open();
    ck_assert_uint_eq(
        pb_cli_view_line(out, PB_VIEW_CLI_TAIL_SYS, "", frame, PB_CLI_VIEW_SKIP_ABSENT), 1);
    ck_assert_str_eq(s_close(out), "  cpu 15.0%");
    pb_value_destroy(&frame);
}
END_TEST

START_TEST(item_views_print_the_total_and_each_item)
{
    pb_value_t *frame = s_sys_frame(true);
    FILE *out = s_open();
    pb_cli_view_items(out, PB_VIEW_CLI_CPU, frame, "all");
    const char *text = s_close(out);
    ck_assert_msg(strncmp(text, "  all       busy  15.0%  user      -", 36) == 0, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\n  cpu0      busy  10.0%"));
    ck_assert_ptr_nonnull(strstr(text, "\n  cpu1      busy  20.0%"));
    ck_assert_str_eq(pb_cli_view_total(PB_VIEW_CLI_DISK)->path, "disk.total");
    ck_assert_ptr_null(pb_cli_view_total(PB_VIEW_COUNT));
    pb_value_destroy(&frame);
}
END_TEST

START_TEST(labelled_lines_leave_out_what_is_absent)
{
    pb_value_t *proc = pb_value_map_new();
    pb_value_map_put_float(proc, "cpu_pct_since_start", 0.4);
    pb_value_map_put_uint(proc, "rss_bytes", 4096);
    pb_value_map_put_uint(proc, "threads", 3);
    FILE *out = s_open();
    pb_cli_view_lines(out, PB_VIEW_CLI_PROC, proc);
    ck_assert_str_eq(s_close(out), "  cpu       since start 0.4%\n  memory    rss 4.0 KiB\n");
    out = s_open();
    pb_cli_view_line(out, PB_VIEW_CLI_PROC, "", proc, PB_CLI_VIEW_SKIP_ABSENT);
    ck_assert_str_eq(s_close(out), "  threads 3");
    pb_value_destroy(&proc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_cli_view");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, values_are_written_as_their_catalogue_unit);
    tcase_add_test(tc, a_line_shows_the_entries_of_a_label_in_view_order);
    tcase_add_test(tc, item_views_print_the_total_and_each_item);
    tcase_add_test(tc, labelled_lines_leave_out_what_is_absent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(s_buf);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
