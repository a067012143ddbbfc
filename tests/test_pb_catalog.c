/* Check suite for pb_catalog: the catalogue's own rules, and lookups that find all and no more. */
#include "pb_catalog.h"

#include "pb_prom.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* An info map (node_uname_info): a map with a Prometheus name, labelled by its own attrs. */
static bool s_is_info(const pb_catalog_field_t *f)
{
    return f->kind == PB_KIND_MAP && f->prom[0];
}

static bool s_is_metric(const pb_catalog_field_t *f)
{
    return f->kind == PB_KIND_COUNTER || f->kind == PB_KIND_GAUGE || s_is_info(f);
}

START_TEST(every_path_is_unique)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *a = pb_catalog_at(i);
        for (size_t j = i + 1; j < pb_catalog_size(); j++) {
            const pb_catalog_field_t *b = pb_catalog_at(j);
            ck_assert_msg(a->frame != b->frame || strcmp(a->path, b->path) != 0,
                          "%s is in the catalogue twice", a->path);
            /* A frame's key must not hide an envelope key: lookups fall back to the envelope. */
            ck_assert_msg(!(a->frame == PB_FT_ENV && b->parent == -1 && !strcmp(a->path, b->path)),
                          "%s.%s shadows the envelope", pb_catalog_frame_name(b->frame), b->path);
        }
    }
}
END_TEST

START_TEST(every_field_has_its_parent_first)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        ck_assert_int_eq(f->index, (int)i);
        ck_assert_msg(f->parent >= -1, "%s: its parent map or list is not in the catalogue",
                      f->path);
        ck_assert_msg(f->parent < f->index, "%s comes before its parent", f->path);
        if (f->parent >= 0) {
            pb_catalog_kind_t k = pb_catalog_at((size_t)f->parent)->kind;
            ck_assert_msg(k == PB_KIND_MAP || k == PB_KIND_LIST, "%s: parent not a map", f->path);
        }
        ck_assert_msg(pb_prom_label_name_valid(f->name, strlen(f->name)), "%s: bad key", f->path);
        ck_assert_msg(f->help[0] != '\0', "%s: no help", f->path);
    }
}
END_TEST

START_TEST(every_rate_derives_from_counters_beside_it)
{
    int rates = 0;
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        if (f->kind != PB_KIND_RATE) {
            ck_assert_msg(f->counter[0] == '\0', "%s: a counter for a non-rate", f->path);
            ck_assert_ptr_null(pb_catalog_counter(f, 0));
            continue;
        }
        rates++;
        size_t n = 1;
        for (const char *p = f->counter; *p; p++)
            n += *p == '+';
        for (size_t k = 0; k < n; k++) {
            const pb_catalog_field_t *c = pb_catalog_counter(f, k);
            ck_assert_msg(c != NULL, "%s: counter %zu of '%s' not found", f->path, k, f->counter);
            ck_assert_msg(c->kind == PB_KIND_COUNTER, "%s: %s is not a counter", f->path, c->path);
            ck_assert_int_eq(c->parent, f->parent);
            ck_assert_int_eq(c->bits & PB_CF_IO, f->bits & PB_CF_IO);
        }
        ck_assert_ptr_null(pb_catalog_counter(f, n));
        ck_assert_msg(f->unit == PB_CU_PCT || f->unit == PB_CU_BYTES_PER_S ||
                          f->unit == PB_CU_COUNT_PER_S,
                      "%s: a rate is %% or per second", f->path);
    }
    ck_assert_int_ge(rates, 50);
}
END_TEST

static void s_check_labels(const pb_catalog_field_t *f)
{
    pb_catalog_label_t l;
    size_t n = 0;
    for (; pb_catalog_label(f, n, &l) == 0; n++) {
        ck_assert_msg(pb_prom_label_name_valid(l.name, l.name_len), "%s: bad label name", f->path);
        ck_assert_msg(l.value_len > 0, "%s: empty label value", f->path);
        if (!l.from_field)
            continue;
        const pb_catalog_field_t *parent = s_is_info(f)     ? f
                                           : f->parent >= 0 ? pb_catalog_at((size_t)f->parent)
                                                            : NULL;
        const pb_catalog_field_t *src = pb_catalog_child(f->frame, parent, l.value, l.value_len);
        ck_assert_msg(src && src->kind == PB_KIND_ATTR, "%s: label from a missing attr", f->path);
    }
    size_t commas = 0;
    for (const char *p = f->labels; *p; p++)
        commas += *p == ',';
    ck_assert_uint_eq(n, f->labels[0] ? commas + 1 : 0);
}

START_TEST(prom_names_are_valid_and_counters_end_in_total)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        if (!s_is_metric(f)) {
            ck_assert_msg(f->prom[0] == '\0' && f->labels[0] == '\0', "%s: prom name", f->path);
            continue;
        }
        ck_assert_msg(pb_prom_metric_name_valid(f->prom, strlen(f->prom)), "%s: bad name", f->path);
        ck_assert_msg(s_ends_with(f->prom, "_total") == (f->kind == PB_KIND_COUNTER),
                      "%s: %s: _total is for counters only", f->path, f->prom);
        ck_assert_msg(!strncmp(f->prom, "node_", 5) || !strncmp(f->prom, "perfbus_", 8),
                      "%s: %s is neither node_exporter's nor perfbus_", f->path, f->prom);
        ck_assert_msg(f->scale > 0, "%s: scale", f->path);
        /* pb_metrics finds info maps at the top level only, each with labels */
        ck_assert_msg(!s_is_info(f) ||
                          (f->parent < 0 && f->labels[0] && s_ends_with(f->prom, "_info")),
                      "%s: an info map is at the top, labelled, named *_info", f->path);
        s_check_labels(f);
        /* One series per field: the same name needs other fixed labels. */
        for (size_t j = 0; j < i; j++) {
            const pb_catalog_field_t *g = pb_catalog_at(j);
            ck_assert_msg(strcmp(f->prom, g->prom) || strcmp(f->labels, g->labels),
                          "%s and %s are one series", f->path, g->path);
        }
    }
}
END_TEST

START_TEST(units_and_flags_are_from_the_closed_sets)
{
    for (pb_catalog_unit_t u = PB_CU_NONE; u <= PB_CU_US; u++)
        for (pb_catalog_unit_t v = u + 1; v <= PB_CU_US; v++)
            ck_assert_str_ne(pb_catalog_unit_name(u), pb_catalog_unit_name(v));
    ck_assert_str_eq(pb_catalog_unit_name(PB_CU_US + 1), "");
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        ck_assert_msg(f->unit >= PB_CU_NONE && f->unit <= PB_CU_US, "%s: unit", f->path);
        ck_assert_msg(!s_is_metric(f) || s_is_info(f) || f->unit != PB_CU_NONE, "%s: no unit",
                      f->path);
        ck_assert_msg(f->kind != PB_KIND_COUNTER ||
                          (f->unit == PB_CU_BYTES || f->unit == PB_CU_TICKS ||
                           f->unit == PB_CU_COUNT || f->unit == PB_CU_MS || f->unit == PB_CU_US),
                      "%s: a counter counts bytes, ticks, ms, us or events", f->path);
        ck_assert_msg((f->unit == PB_CU_TICKS && s_is_metric(f)) == !!(f->bits & PB_CF_PER_TICK),
                      "%s: ticks and the t flag go together", f->path);
        ck_assert_uint_eq(strspn(f->flags, "oifvgGtx"), strlen(f->flags));
        ck_assert_msg(f->kind == PB_KIND_LIST || f->min_items == 0, "%s: min_items", f->path);
        ck_assert_msg(strlen(f->path) < 128, "%s: path too long", f->path);
    }
}
END_TEST

START_TEST(lookup_finds_every_entry)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        ck_assert_ptr_eq(pb_catalog_find(f->frame, f->path), f);
        const pb_catalog_field_t *parent = f->parent >= 0 ? pb_catalog_at((size_t)f->parent) : NULL;
        ck_assert_ptr_eq(pb_catalog_child(f->frame, parent, f->name, strlen(f->name)), f);
        char longer[160];
        snprintf(longer, sizeof longer, "%sx", f->path);
        ck_assert_ptr_null(pb_catalog_find(f->frame, longer));
    }
    ck_assert_uint_lt(2 * pb_catalog_size(), 1024); /* the hash's load stays under 1/2 */
}
END_TEST

START_TEST(lookup_finds_nothing_else)
{
    static const char *const bad[] = {
        "",          "cpu.",         "cpu.cores.id",     "cpu.cores[]", "cpu.core[].id",
        "cpu..ncpu", "cpu[].ncpu",   "user_pct",         ".cpu",        "cpu.total[]",
        "mem.total", "cpu.cores[]x", "cpu.cores[].id.x", "ncpu",        "cpu.cores[]id"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_catalog_find(PB_FT_SYS, bad[i]) == NULL, "found '%s'", bad[i]);
    ck_assert_ptr_null(pb_catalog_find(PB_FT_PROF, "sampling.clock")); /* not catalogued */
    ck_assert_ptr_null(pb_catalog_find(PB_FT_PROC, "cpu.ncpu"));
    ck_assert_ptr_null(pb_catalog_find(PB_FT_HB, "rss_bytes"));
    const pb_catalog_field_t *prof = pb_catalog_find(PB_FT_PROF, "sampling");
    ck_assert_ptr_nonnull(prof);
    ck_assert_ptr_null(pb_catalog_child(PB_FT_PROF, prof, "clock", 5));
    const pb_catalog_field_t *ncpu = pb_catalog_find(PB_FT_SYS, "cpu.ncpu");
    ck_assert_ptr_null(pb_catalog_child(PB_FT_SYS, ncpu, "x", 1)); /* not a map */
    ck_assert_ptr_null(pb_catalog_child(PB_FT_SYS, NULL, "cpux", 3 + 2));
    ck_assert_ptr_eq(pb_catalog_child(PB_FT_SYS, NULL, "cpux", 3),
                     pb_catalog_find(PB_FT_SYS, "cpu"));
}
END_TEST

START_TEST(envelope_keys_are_found_under_every_frame)
{
    const pb_catalog_field_t *seq = pb_catalog_find(PB_FT_ENV, "seq");
    ck_assert_ptr_nonnull(seq);
    for (pb_catalog_frame_t f = PB_FT_SYS; f < PB_FT_COUNT; f++) {
        ck_assert_ptr_eq(pb_catalog_find(f, "seq"), seq);
        ck_assert_ptr_eq(pb_catalog_child(f, NULL, "seq", 3), seq);
    }
    const pb_catalog_field_t *cpu = pb_catalog_find(PB_FT_SYS, "cpu");
    ck_assert_ptr_null(pb_catalog_child(PB_FT_SYS, cpu, "seq", 3));
    ck_assert_ptr_null(pb_catalog_find(PB_FT_SYS, "cpu.seq"));
}
END_TEST

START_TEST(iterates_each_frame_in_order)
{
    size_t total = 0;
    for (pb_catalog_frame_t fr = PB_FT_ENV; fr < PB_FT_COUNT; fr++) {
        int last = -1;
        for (const pb_catalog_field_t *f = pb_catalog_next(fr, NULL); f;
             f = pb_catalog_next(fr, f)) {
            ck_assert_int_eq(f->frame, fr);
            ck_assert_int_gt(f->index, last);
            last = f->index;
            total++;
        }
        ck_assert_int_ge(last, 0);
    }
    ck_assert_uint_eq(total, pb_catalog_size());
    ck_assert_ptr_null(pb_catalog_at(pb_catalog_size()));
}
END_TEST

START_TEST(node_exporter_names_labels_and_scales)
{
    const pb_catalog_field_t *f = pb_catalog_find(PB_FT_SYS, "cpu.cores[].user_ticks_total");
    ck_assert_str_eq(f->prom, "node_cpu_seconds_total");
    pb_catalog_label_t l;
    ck_assert_int_eq(pb_catalog_label(f, 0, &l), 0);
    ck_assert(l.from_field && l.name_len == 3 && !strncmp(l.name, "cpu", 3) && l.value_len == 2 &&
              !strncmp(l.value, "id", 2));
    ck_assert_int_eq(pb_catalog_label(f, 1, &l), 0);
    ck_assert(!l.from_field && l.value_len == 4 && !strncmp(l.value, "user", 4));
    ck_assert_int_eq(pb_catalog_label(f, 2, &l), -ENOENT);
    ck_assert_double_eq_tol(pb_catalog_to_base(f, 250, 100), 2.5, 1e-12);
    f = pb_catalog_find(PB_FT_SYS, "disk.devices[].io_ms_total");
    ck_assert_str_eq(f->prom, "node_disk_io_time_seconds_total");
    ck_assert_double_eq_tol(pb_catalog_to_base(f, 1500, 100), 1.5, 1e-12);
    f = pb_catalog_find(PB_FT_SYS, "mem.available_bytes");
    ck_assert_str_eq(f->prom, "node_memory_MemAvailable_bytes");
    ck_assert_int_eq(pb_catalog_label(f, 0, &l), -ENOENT);
    f = pb_catalog_find(PB_FT_SYS, "net.interfaces[].rx_drops_total");
    ck_assert_str_eq(f->prom, "node_network_receive_drop_total");
    f = pb_catalog_find(PB_FT_PROC, "rss_bytes");
    ck_assert(!strncmp(f->prom, "perfbus_process_", 16) &&
              !strcmp(f->labels, "pid=@pid,comm=@comm"));
    f = pb_catalog_find(PB_FT_SYS, "cpu.total.busy_pct");
    ck_assert_str_eq(pb_catalog_counter(f, 5)->name, "steal_ticks_total");
    ck_assert(isnan(pb_catalog_find(PB_FT_SYS, "mem.total_bytes")->lo) == 0);
    ck_assert(isnan(pb_catalog_find(PB_FT_PROC, "comm")->hi));
    ck_assert_int_eq(pb_catalog_find(PB_FT_SYS, "cpu.cores")->min_items, 1);
}
END_TEST

START_TEST(frame_types_and_names)
{
    pb_catalog_frame_t f = PB_FT_ENV;
    ck_assert_int_eq(pb_catalog_frame_parse("proc", 4, &f), 0);
    ck_assert_int_eq(f, PB_FT_PROC);
    ck_assert_int_eq(pb_catalog_frame_parse("sysx", 3, &f), 0);
    ck_assert_int_eq(f, PB_FT_SYS);
    ck_assert_int_eq(pb_catalog_frame_parse("sy", 2, &f), -EINVAL);
    ck_assert_int_eq(pb_catalog_frame_parse("envelope", 8, &f), -EINVAL);
    ck_assert_int_eq(pb_catalog_frame_parse("", 0, &f), -EINVAL);
    ck_assert_str_eq(pb_catalog_frame_name(PB_FT_HB), "hb");
    ck_assert_str_eq(pb_catalog_frame_topic(PB_FT_PROC), "proc.<host>.<pid>");
    ck_assert_str_eq(pb_catalog_frame_name(PB_FT_COUNT), "");
    ck_assert_str_eq(pb_catalog_frame_title(PB_FT_SYS), "the whole machine");
    ck_assert_str_eq(pb_catalog_kind_name(PB_KIND_RATE), "rate");
    ck_assert_str_eq(pb_catalog_json_name(PB_JT_BIN), "bin");
    ck_assert_str_eq(pb_catalog_unit_name(PB_CU_BYTES_PER_S), "bytes/s");
}
END_TEST

/* --dump: the table as the C compiler saw it, one tab-separated line per field, so that
 * contract.catalog_live can hold gen_schemas.py's reading of pb_catalog.def to it. */
static int s_dump(void)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        printf("%s\t%s\t%s\t%s\t%s\t%.17g\t%.17g\t%s\t%s\t%s\t%s\t%.17g\t%s\t%s\t%d\t%s\n",
               pb_catalog_frame_name(f->frame), f->path, pb_catalog_kind_name(f->kind),
               pb_catalog_unit_name(f->unit), pb_catalog_json_name(f->json), f->lo, f->hi, f->flags,
               f->group, f->prom, f->labels, f->scale, f->counter, f->schema, f->min_items,
               f->help);
    }
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--dump") == 0)
        return s_dump();
    Suite *s = suite_create("pb_catalog");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_path_is_unique);
    tcase_add_test(tc, every_field_has_its_parent_first);
    tcase_add_test(tc, every_rate_derives_from_counters_beside_it);
    tcase_add_test(tc, prom_names_are_valid_and_counters_end_in_total);
    tcase_add_test(tc, units_and_flags_are_from_the_closed_sets);
    tcase_add_test(tc, lookup_finds_every_entry);
    tcase_add_test(tc, lookup_finds_nothing_else);
    tcase_add_test(tc, envelope_keys_are_found_under_every_frame);
    tcase_add_test(tc, iterates_each_frame_in_order);
    tcase_add_test(tc, node_exporter_names_labels_and_scales);
    tcase_add_test(tc, frame_types_and_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
