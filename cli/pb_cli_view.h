/* pb_cli_view: prints the CLI's human views (schemas/pb_view.def) of a frame or reply. */
#ifndef PB_CLI_VIEW_H
#define PB_CLI_VIEW_H

#include "pb_value.h"
#include "pb_view.h"

#include <stdio.h>

/* How pb_cli_view_line finds and shows each entry's value. */
enum {
    PB_CLI_VIEW_BY_NAME = 1 << 0,     /* map is an item: look up field->name, not the path */
    PB_CLI_VIEW_SKIP_ABSENT = 1 << 1, /* leave out entries the map lacks (else "-") */
    PB_CLI_VIEW_ALIGN = 1 << 2        /* pad values to their unit's width, for column lines */
};

/* value as the CLI shows field's unit (pb_cli_fmt_unit): "12.5%", "1.5 GiB", "3.0 MiB/s",
 * "12.0/s" (or "4,521/s"), "3.2 h", "19,160" (integers), "0.52" (other numbers); "-" for NaN.
 * Returns buf. */
char *pb_cli_view_fmt(char *buf, size_t size, const pb_catalog_field_t *field, double value);

/* Prints "  short value" on out for each entry of view whose label is label, in view order,
 * the values from map (see the flags). Returns how many were printed. */
size_t pb_cli_view_line(FILE *out, pb_view_id_t view, const char *label, const pb_value_t *map,
                        unsigned flags);

/* Prints one line per label of view but "" ("  label    short value..."), skipping absent
 * entries and lines with none present. */
void pb_cli_view_lines(FILE *out, pb_view_id_t view, const pb_value_t *map);

/* For an item view (CLI_CPU, CLI_DISK, CLI_NET): the line of the total map as total_label,
 * then one per item of the list of the same catalogue group, named by its key attr (a
 * number gets the name of the section before it: cpu0). */
void pb_cli_view_items(FILE *out, pb_view_id_t view, const pb_value_t *frame,
                       const char *total_label);

/* The total map an item view names (cpu.total for CLI_CPU), or NULL. */
const pb_catalog_field_t *pb_cli_view_total(pb_view_id_t view);

#endif
