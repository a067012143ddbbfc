/* Check suite for pb_view: every view names catalogued fields, and the lookups around it. */
#include "pb_view.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(every_view_path_resolves_to_a_catalogue_field)
{
    for (int v = 0; v < PB_VIEW_COUNT; v++) {
        ck_assert_msg(pb_view_size(v) > 0, "view %s has no entries", pb_view_name(v));
        ck_assert_msg(pb_view_size(v) <= PB_VIEW_MAX_ENTRIES, "view %s is over the maximum",
                      pb_view_name(v));
        for (size_t i = 0; i < pb_view_size(v); i++) {
            pb_view_entry_t e;
            int rc = pb_view_entry(v, i, &e);
            ck_assert_msg(rc == 0, "%s entry %zu: not in the catalogue", pb_view_name(v), i);
            ck_assert_str_eq(e.field->path, e.path);
            ck_assert_int_eq(e.view, v);
            ck_assert_msg(e.name[0], "%s %s: no short name", pb_view_name(v), e.path);
        }
    }
}
END_TEST

/* A view shows numbers: a map, a list or a text field has no place in one. */
START_TEST(every_view_entry_is_a_number)
{
    for (int v = 0; v < PB_VIEW_COUNT; v++)
        for (size_t i = 0; i < pb_view_size(v); i++) {
            pb_view_entry_t e;
            ck_assert_int_eq(pb_view_entry(v, i, &e), 0);
            pb_catalog_json_t j = e.field->json;
            ck_assert_msg(j == PB_JT_INTEGER || j == PB_JT_NUMBER, "%s %s is not a number",
                          pb_view_name(v), e.path);
        }
}
END_TEST

/* The report draws a group's fields in one chart: they must share a unit. */
START_TEST(report_groups_share_a_unit)
{
    pb_catalog_unit_t units[PB_VG_NET + 1];
    int seen[PB_VG_NET + 1] = {0};
    for (size_t i = 0; i < pb_view_size(PB_VIEW_REPORT_SYS); i++) {
        pb_view_entry_t e;
        ck_assert_int_eq(pb_view_entry(PB_VIEW_REPORT_SYS, i, &e), 0);
        ck_assert_int_eq(e.field->frame, PB_FT_SYS);
        if (e.group == PB_VG_NONE)
            continue;
        if (seen[e.group])
            ck_assert_msg(units[e.group] == e.field->unit, "%s: unit unlike its chart's", e.path);
        units[e.group] = e.field->unit;
        seen[e.group] = 1;
    }
    for (int g = PB_VG_CPU; g <= PB_VG_NET; g++)
        ck_assert_msg(seen[g], "chart group %d is empty", g);
}
END_TEST

/* Item views name fields of a total map that has a list of the same group. */
START_TEST(item_views_name_fields_of_a_total_with_items)
{
    const pb_view_id_t views[] = {PB_VIEW_CLI_CPU, PB_VIEW_CLI_DISK, PB_VIEW_CLI_NET};
    const char *lists[] = {"cpu.cores", "disk.devices", "net.interfaces"};
    const char *keys[] = {"cpu.cores[].id", "disk.devices[].name", "net.interfaces[].name"};
    for (size_t v = 0; v < 3; v++)
        for (size_t i = 0; i < pb_view_size(views[v]); i++) {
            pb_view_entry_t e;
            ck_assert_int_eq(pb_view_entry(views[v], i, &e), 0);
            const pb_catalog_field_t *total = pb_catalog_at((size_t)e.field->parent);
            const pb_catalog_field_t *list = pb_view_items_of(total);
            ck_assert_ptr_nonnull(list);
            ck_assert_str_eq(list->path, lists[v]);
            ck_assert_str_eq(pb_view_item_key(list)->path, keys[v]);
            ck_assert_ptr_nonnull(
                pb_catalog_child(PB_FT_SYS, list, e.field->name, strlen(e.field->name)));
        }
}
END_TEST

START_TEST(lookups_refuse_what_is_not_there)
{
    pb_view_entry_t e;
    ck_assert_int_eq(pb_view_entry(PB_VIEW_REPORT_SYS, pb_view_size(PB_VIEW_REPORT_SYS), &e),
                     -ENOENT);
    ck_assert_int_eq(pb_view_entry(PB_VIEW_COUNT, 0, &e), -ENOENT);
    ck_assert_uint_eq(pb_view_size(PB_VIEW_COUNT), 0);
    ck_assert_str_eq(pb_view_name(PB_VIEW_COUNT), "");
    ck_assert_str_eq(pb_view_help(PB_VIEW_COUNT), "");
    ck_assert_str_eq(pb_view_name(PB_VIEW_CLI_CPU), "CLI_CPU");
    ck_assert_ptr_null(pb_view_items_of(pb_catalog_find(PB_FT_SYS, "mem")));
    ck_assert_ptr_null(pb_view_items_of(pb_catalog_find(PB_FT_SYS, "mem.used_bytes")));
    ck_assert_ptr_null(pb_view_items_of(NULL));
    ck_assert_ptr_null(pb_view_item_key(pb_catalog_find(PB_FT_SYS, "cpu.total")));
    ck_assert_int_eq(pb_view_entry_of(PB_VIEW_REPORT_PROC, PB_FT_HB, &e), -ENOENT);
}
END_TEST

START_TEST(entry_of_finds_a_frame_s_field)
{
    pb_view_entry_t e;
    ck_assert_int_eq(pb_view_entry_of(PB_VIEW_REPORT_INTERVAL, PB_FT_HB, &e), 0);
    ck_assert_ptr_eq(e.field, pb_catalog_find(PB_FT_HB, "interval_s"));
    ck_assert_int_eq(pb_view_entry_of(PB_VIEW_REPORT_INTERVAL, PB_FT_SYS, &e), 0);
    ck_assert_ptr_eq(e.field, pb_catalog_find(PB_FT_SYS, "interval_s"));
    ck_assert_int_eq(pb_view_entry(PB_VIEW_REPORT_SYS, 0, &e), 0);
    ck_assert_str_eq(e.name, "user");
    ck_assert_str_eq(e.label, "CPU user");
    ck_assert_int_eq(e.group, PB_VG_CPU);
    ck_assert_int_eq(e.field->unit, PB_CU_PCT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_view");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_view_path_resolves_to_a_catalogue_field);
    tcase_add_test(tc, every_view_entry_is_a_number);
    tcase_add_test(tc, report_groups_share_a_unit);
    tcase_add_test(tc, item_views_name_fields_of_a_total_with_items);
    tcase_add_test(tc, lookups_refuse_what_is_not_there);
    tcase_add_test(tc, entry_of_finds_a_frame_s_field);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
