/* Check suite for pb_prom: naming catalogue fields as samples, escaping, the two text formats. */
#include "pb_prom.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Siblings for the tests: name -> text. */
typedef struct {
    const char *name[4], *text[4];
} s_siblings_t;

static int s_sibling(const pb_catalog_field_t *sib, const char **text, size_t *len, void *arg)
{
    const s_siblings_t *s = arg;
    for (size_t i = 0; i < 4 && s->name[i]; i++) {
        if (strcmp(sib->name, s->name[i]) == 0) {
            *text = s->text[i];
            *len = strlen(s->text[i]);
            return 0;
        }
    }
    return -ENOENT;
}

static const pb_catalog_field_t *s_field(pb_catalog_frame_t frame, const char *path)
{
    const pb_catalog_field_t *f = pb_catalog_find(frame, path);
    ck_assert_msg(f, "%s is in the catalogue", path);
    return f;
}

/* The sample's labels as one string "a=x,b=y" (unescaped). */
static void s_labels(const pb_prom_sample_t *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nlabels; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%.*s=%.*s", i ? "," : "",
                              (int)s->labels[i].name_len, s->labels[i].name,
                              (int)s->labels[i].value_len, s->labels[i].value);
}

static char *s_text(pb_prom_out_t *out)
{
    pb_prom_out_append(out, "", 1); /* a NUL, for the comparisons */
    ck_assert(!out->failed);
    return out->data;
}

START_TEST(core_counter_is_named_with_labels_from_siblings_and_ticks_become_seconds)
{
    s_siblings_t sib = {{"id"}, {"3"}};
    pb_prom_sample_t s;
    const pb_catalog_field_t *f = s_field(PB_FT_SYS, "cpu.cores[].idle_ticks_total");
    ck_assert_int_eq(pb_prom_sample(f, 250, 100, "web-1", s_sibling, &sib, &s), 0);
    ck_assert_str_eq(s.name, "node_cpu_seconds_total");
    ck_assert_int_eq(s.type, PB_PROM_COUNTER);
    ck_assert_str_eq(s.help, f->help);
    char labels[256];
    s_labels(&s, labels, sizeof labels);
    ck_assert_str_eq(labels, "host=web-1,cpu=3,mode=idle");
    ck_assert_double_eq_tol(s.value, 2.5, 1e-12);
    ck_assert_int_eq(pb_prom_sample(f, 250, 250, "web-1", s_sibling, &sib, &s), 0);
    ck_assert_double_eq_tol(s.value, 1.0, 1e-12);
}
END_TEST

START_TEST(gauges_scale_to_base_units_and_processes_take_pid_and_comm)
{
    s_siblings_t sib = {{"pid", "comm"}, {"42", "nginx"}};
    pb_prom_sample_t s;
    char labels[256];
    ck_assert_int_eq(
        pb_prom_sample(s_field(PB_FT_PROC, "mem_pct"), 12.5, 100, "h", s_sibling, &sib, &s), 0);
    ck_assert_str_eq(s.name, "perfbus_process_memory_ratio");
    ck_assert_int_eq(s.type, PB_PROM_GAUGE);
    ck_assert_double_eq_tol(s.value, 0.125, 1e-12);
    s_labels(&s, labels, sizeof labels);
    ck_assert_str_eq(labels, "host=h,pid=42,comm=nginx");
    ck_assert_int_eq(pb_prom_sample(s_field(PB_FT_PROC, "stime_ticks_total"), 300, 100, "h",
                                    s_sibling, &sib, &s),
                     0);
    ck_assert_str_eq(s.name, "perfbus_process_cpu_seconds_total");
    ck_assert_double_eq_tol(s.value, 3.0, 1e-12);
    s_labels(&s, labels, sizeof labels);
    ck_assert_str_eq(labels, "host=h,pid=42,comm=nginx,mode=system");
    ck_assert_int_eq(pb_prom_sample(s_field(PB_FT_SYS, "disk.devices[].io_ms_total"), 1500, 100,
                                    "h", s_sibling, &(s_siblings_t){{"name"}, {"sda"}}, &s),
                     0);
    ck_assert_double_eq_tol(s.value, 1.5, 1e-12);
    ck_assert_int_eq(
        pb_prom_sample(s_field(PB_FT_SYS, "mem.available_bytes"), 4096, 100, "h", NULL, NULL, &s),
        0);
    ck_assert_str_eq(s.name, "node_memory_MemAvailable_bytes");
    ck_assert_int_eq((int)s.nlabels, 1);
}
END_TEST

START_TEST(fields_without_a_name_or_a_sibling_are_refused)
{
    pb_prom_sample_t s;
    ck_assert_int_eq(
        pb_prom_sample(s_field(PB_FT_SYS, "cpu.total.busy_pct"), 1, 100, "h", NULL, NULL, &s),
        -ENOENT);
    ck_assert_int_eq(pb_prom_sample(s_field(PB_FT_PROC, "pid"), 1, 100, "h", NULL, NULL, &s),
                     -ENOENT);
    ck_assert_int_eq(pb_prom_sample(s_field(PB_FT_SYS, "cpu.cores[].user_ticks_total"), 1, 100, "h",
                                    s_sibling, &(s_siblings_t){{"nope"}, {"x"}}, &s),
                     -ENODATA);
    ck_assert_int_eq(pb_prom_sample(s_field(PB_FT_PROC, "threads"), 1, 100, "h", NULL, NULL, &s),
                     -ENODATA);
}
END_TEST

START_TEST(every_exported_field_has_valid_names_and_openmetrics_families)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        if (!f->prom[0])
            continue;
        ck_assert_msg(pb_prom_metric_name_valid(f->prom, strlen(f->prom)), "%s", f->prom);
        size_t n = strlen(f->prom);
        bool total = n > 6 && strcmp(f->prom + n - 6, "_total") == 0;
        ck_assert_msg(total == (f->kind == PB_KIND_COUNTER),
                      "%s: counters end in _total, gauges do not", f->prom);
        char fam[256];
        size_t len = pb_prom_family(f, PB_PROM_OPENMETRICS, fam, sizeof fam);
        ck_assert_uint_eq(len, f->kind == PB_KIND_COUNTER ? n - 6 : n);
        ck_assert_uint_eq(pb_prom_family(f, PB_PROM_TEXT, fam, sizeof fam), n);
        pb_catalog_label_t l;
        for (size_t k = 0; pb_catalog_label(f, k, &l) == 0; k++)
            ck_assert_msg(pb_prom_label_name_valid(l.name, l.name_len), "%s label %zu", f->prom, k);
    }
    ck_assert(!pb_prom_metric_name_valid("1abc", 4));
    ck_assert(!pb_prom_metric_name_valid("a-b", 3));
    ck_assert(pb_prom_metric_name_valid("a:b_c", 5));
    ck_assert(!pb_prom_label_name_valid("a:b", 3));
    ck_assert(!pb_prom_label_name_valid("__name__", 8));
    ck_assert(!pb_prom_label_name_valid("", 0));
}
END_TEST

START_TEST(hostile_label_values_and_help_are_escaped)
{
    pb_prom_out_t out = {0};
    const char comm[] = "a\"b\\c\nd\xff"
                        "e";
    pb_prom_write_label_value(&out, comm, sizeof comm - 1);
    ck_assert_str_eq(s_text(&out), "a\\\"b\\\\c\\nd\xef\xbf\xbd"
                                   "e");
    pb_prom_out_reset(&out);
    pb_prom_write_help(&out, "say \"hi\"\\\nthere", PB_PROM_TEXT);
    ck_assert_str_eq(s_text(&out), "say \"hi\"\\\\\\nthere");
    pb_prom_out_reset(&out);
    pb_prom_write_help(&out, "say \"hi\"", PB_PROM_OPENMETRICS);
    ck_assert_str_eq(s_text(&out), "say \\\"hi\\\"");
    pb_prom_out_reset(&out);
    pb_prom_write_label_value(&out, "caf\xc3\xa9 \xe2\x82", 8); /* a cut character */
    ck_assert_str_eq(s_text(&out), "caf\xc3\xa9 \xef\xbf\xbd");
    pb_prom_out_free(&out);
    ck_assert_ptr_null(out.data);
}
END_TEST

START_TEST(values_are_written_shortest_and_nan_inf_as_the_formats_say)
{
    char buf[32];
    ck_assert_uint_eq(pb_prom_format_value(NAN, buf), 3);
    ck_assert_str_eq(buf, "NaN");
    pb_prom_format_value(INFINITY, buf);
    ck_assert_str_eq(buf, "+Inf");
    pb_prom_format_value(-INFINITY, buf);
    ck_assert_str_eq(buf, "-Inf");
    pb_prom_format_value(0.1, buf);
    ck_assert_str_eq(buf, "0.1");
    pb_prom_format_value(18446744073709551615.0, buf);
    ck_assert_double_eq(strtod(buf, NULL), 18446744073709551615.0);
    pb_prom_format_value(123456789012, buf);
    ck_assert_str_eq(buf, "123456789012");
    pb_prom_format_value(1.0 / 3, buf);
    ck_assert_double_eq(strtod(buf, NULL), 1.0 / 3);
    pb_prom_format_value(-0.0, buf);
    ck_assert_str_eq(buf, "-0");
}
END_TEST

START_TEST(a_family_and_a_sample_in_both_formats)
{
    s_siblings_t sib = {{"id"}, {"0"}};
    pb_prom_sample_t s;
    const pb_catalog_field_t *f = s_field(PB_FT_SYS, "cpu.cores[].user_ticks_total");
    ck_assert_int_eq(pb_prom_sample(f, 12345, 100, "we\"ird\nhost", s_sibling, &sib, &s), 0);
    pb_prom_out_t out = {0};
    pb_prom_write_family(&out, f, PB_PROM_TEXT);
    pb_prom_write_sample(&out, &s, PB_PROM_TEXT);
    pb_prom_write_end(&out, PB_PROM_TEXT);
    char want[512];
    snprintf(want, sizeof want,
             "# HELP node_cpu_seconds_total %s\n# TYPE node_cpu_seconds_total counter\n"
             "node_cpu_seconds_total{host=\"we\\\"ird\\nhost\",cpu=\"0\",mode=\"user\"} 123.45\n",
             f->help);
    ck_assert_str_eq(s_text(&out), want);
    pb_prom_out_reset(&out);
    pb_prom_write_family(&out, f, PB_PROM_OPENMETRICS);
    pb_prom_write_sample(&out, &s, PB_PROM_OPENMETRICS);
    pb_prom_write_end(&out, PB_PROM_OPENMETRICS);
    snprintf(want, sizeof want,
             "# HELP node_cpu_seconds %s\n# TYPE node_cpu_seconds counter\n"
             "node_cpu_seconds_total{host=\"we\\\"ird\\nhost\",cpu=\"0\",mode=\"user\"} "
             "123.45\n# EOF\n",
             f->help);
    ck_assert_str_eq(s_text(&out), want);
    pb_prom_out_free(&out);
}
END_TEST

START_TEST(content_types_and_accept)
{
    ck_assert_ptr_eq(pb_prom_clock_field(), pb_catalog_find(PB_FT_SYS, "cpu.clk_tck"));
    ck_assert_str_eq(pb_prom_content_type(PB_PROM_TEXT),
                     "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_str_eq(pb_prom_content_type(PB_PROM_OPENMETRICS),
                     "application/openmetrics-text; version=1.0.0; charset=utf-8");
    ck_assert(pb_prom_wants_openmetrics("application/openmetrics-text;version=1.0.0,text/plain;"
                                        "version=0.0.4;q=0.5,*/*;q=0.1"));
    ck_assert(pb_prom_wants_openmetrics("Application/OpenMetrics-Text"));
    ck_assert(!pb_prom_wants_openmetrics("text/plain"));
    ck_assert(!pb_prom_wants_openmetrics(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_prom");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, core_counter_is_named_with_labels_from_siblings_and_ticks_become_seconds);
    tcase_add_test(tc, gauges_scale_to_base_units_and_processes_take_pid_and_comm);
    tcase_add_test(tc, fields_without_a_name_or_a_sibling_are_refused);
    tcase_add_test(tc, every_exported_field_has_valid_names_and_openmetrics_families);
    tcase_add_test(tc, hostile_label_values_and_help_are_escaped);
    tcase_add_test(tc, values_are_written_shortest_and_nan_inf_as_the_formats_say);
    tcase_add_test(tc, a_family_and_a_sample_in_both_formats);
    tcase_add_test(tc, content_types_and_accept);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
