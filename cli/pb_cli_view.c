/* pb_cli_view: the CLI's human lines, from the views and the catalogue's units.
 *
 * Field names, the order of values and their units all come from schemas/, how a unit is
 * written from pb_cli_fmt: this file only knows the shape of a line: "  short value", a line
 * per label, a line per item of a list. */
#include "pb_cli_view.h"

#include "pb_cli.h"

#include <math.h>
#include <string.h>

char *pb_cli_view_fmt(char *buf, size_t size, const pb_catalog_field_t *field, double value)
{
    return pb_cli_fmt_unit(buf, size, field->unit, field->json == PB_JT_INTEGER, value);
}

/* Column width of a unit's values on aligned lines: the widest usual value. */
static int s_width(const pb_catalog_field_t *field)
{
    switch (field->unit) {
    case PB_CU_PCT:
        return 6;
    case PB_CU_BYTES_PER_S:
        return 12;
    case PB_CU_COUNT_PER_S:
        return 9;
    default:
        return 0;
    }
}

static const pb_value_t *s_at(const pb_value_t *map, const pb_view_entry_t *e, unsigned flags)
{
    if (flags & PB_CLI_VIEW_BY_NAME)
        return pb_value_map_get(map, e->field->name);
    return pb_value_path(map, e->path);
}

size_t pb_cli_view_line(FILE *out, pb_view_id_t view, const char *label, const pb_value_t *map,
                        unsigned flags)
{
    pb_view_entry_t e;
    size_t printed = 0;
    for (size_t i = 0; pb_view_entry(view, i, &e) == 0; i++) {
        const pb_value_t *at = s_at(map, &e, flags);
        if (strcmp(e.label, label) != 0 || (!at && (flags & PB_CLI_VIEW_SKIP_ABSENT)))
            continue;
        char value[64];
        pb_cli_view_fmt(value, sizeof value, e.field, pb_cli_num(at, ""));
        int width = flags & PB_CLI_VIEW_ALIGN ? s_width(e.field) : 0;
        fprintf(out, "  %s %*s", e.name, width, value);
        printed++;
    }
    return printed;
}

/* Whether map has any entry of view labelled label. */
static bool s_any(pb_view_id_t view, const char *label, const pb_value_t *map)
{
    pb_view_entry_t e;
    for (size_t i = 0; pb_view_entry(view, i, &e) == 0; i++)
        if (strcmp(e.label, label) == 0 && pb_value_path(map, e.path))
            return true;
    return false;
}

void pb_cli_view_lines(FILE *out, pb_view_id_t view, const pb_value_t *map)
{
    pb_view_entry_t e;
    const char *last = "";
    for (size_t i = 0; pb_view_entry(view, i, &e) == 0; i++) {
        if (!e.label[0] || strcmp(e.label, last) == 0)
            continue;
        last = e.label;
        if (!s_any(view, e.label, map))
            continue;
        fprintf(out, "  %-8s", e.label);
        pb_cli_view_line(out, view, e.label, map, PB_CLI_VIEW_SKIP_ABSENT);
        fputc('\n', out);
    }
}

const pb_catalog_field_t *pb_cli_view_total(pb_view_id_t view)
{
    pb_view_entry_t e;
    if (pb_view_entry(view, 0, &e) < 0 || e.field->parent < 0)
        return NULL;
    return pb_catalog_at((size_t)e.field->parent);
}

static void s_item_line(FILE *out, pb_view_id_t view, const char *name, const pb_value_t *map)
{
    char shown[256];
    fprintf(out, "  %-8s", pb_cli_term(shown, sizeof shown, name));
    pb_cli_view_line(out, view, "", map, PB_CLI_VIEW_BY_NAME | PB_CLI_VIEW_ALIGN);
    fputc('\n', out);
}

/* An item's name: its key attr's text, or the section's name and the key's number. */
static void s_item_name(char *buf, size_t size, const pb_catalog_field_t *list,
                        const pb_catalog_field_t *key, const pb_value_t *item)
{
    const char *text = "?";
    double number = key ? pb_cli_num(item, key->name) : NAN;
    if (key && key->json == PB_JT_STRING)
        pb_value_map_get_str(item, key->name, &text);
    if (key && key->json == PB_JT_STRING)
        snprintf(buf, size, "%s", text);
    else if (!isnan(number) && list->parent >= 0)
        snprintf(buf, size, "%s%.0f", pb_catalog_at((size_t)list->parent)->name, number);
    else
        snprintf(buf, size, "?");
}

void pb_cli_view_items(FILE *out, pb_view_id_t view, const pb_value_t *frame,
                       const char *total_label)
{
    const pb_catalog_field_t *total = pb_cli_view_total(view);
    const pb_catalog_field_t *list = pb_view_items_of(total);
    if (!total)
        return;
    s_item_line(out, view, total_label, pb_value_path(frame, total->path));
    const pb_value_t *items = list ? pb_value_path(frame, list->path) : NULL;
    const pb_catalog_field_t *key = pb_view_item_key(list);
    for (size_t i = 0; i < pb_value_len(items); i++) {
        char name[256];
        s_item_name(name, sizeof name, list, key, pb_value_array_at(items, i));
        s_item_line(out, view, name, pb_value_array_at(items, i));
    }
}
