/* pb_view: what each human presentation shows of the catalogue (schemas/pb_view.def). */
#ifndef PB_VIEW_H
#define PB_VIEW_H

#include "pb_catalog.h"

#include <stddef.h>

/* One id per PB_VIEWDEF row of pb_view.def: PB_VIEW_REPORT_SYS, PB_VIEW_CLI_CPU, ... */
typedef enum {
#define PB_VIEWDEF(view, help) PB_VIEW_##view,
#define PB_VIEW(view, frame, path, short_name, label, group)
#include "pb_view.def"
#undef PB_VIEWDEF
#undef PB_VIEW
    PB_VIEW_COUNT
} pb_view_id_t;

/* The report's chart groups; NONE: not drawn in a chart. */
typedef enum { PB_VG_NONE, PB_VG_CPU, PB_VG_MEM, PB_VG_DISK, PB_VG_NET } pb_view_group_t;

/* No view has more entries (a unit test checks), so callers may size arrays by it. */
#define PB_VIEW_MAX_ENTRIES 32

/* One entry of a view. Strings are static, never NULL. field is the catalogue's entry for
 * path, valid for the life of the process; unit, kind and help are the field's. */
typedef struct {
    pb_view_id_t view;
    const char *path;  /* "cpu.total.user_pct", in a frame of type field->frame */
    const char *name;  /* short: "user" */
    const char *label; /* long: "CPU user"; "" when the view has none */
    pb_view_group_t group;
    const pb_catalog_field_t *field;
} pb_view_entry_t;

/* Number of entries of view; 0 for an id out of range. Can't fail. */
size_t pb_view_size(pb_view_id_t view);

/* The i-th entry of view into *out: 0, -ENOENT past the last (or an unknown view), or
 * -EINVAL when the entry's path is not in the catalogue (a test keeps that from shipping). */
int pb_view_entry(pb_view_id_t view, size_t i, pb_view_entry_t *out);

/* The first entry of view whose field is in a frame of type frame, into *out: 0 or -ENOENT. */
int pb_view_entry_of(pb_view_id_t view, pb_catalog_frame_t frame, pb_view_entry_t *out);

/* A view's name ("REPORT_SYS") and help line; "" out of range. Static. */
const char *pb_view_name(pb_view_id_t view);
const char *pb_view_help(pb_view_id_t view);

/* The list whose items share the fields of the map `total` (same catalogue group, same
 * frame): cpu.total -> cpu.cores; NULL when there is none. */
const pb_catalog_field_t *pb_view_items_of(const pb_catalog_field_t *total);

/* The first attr among the fields of list's items (cpu.cores[] -> id, disk.devices[] -> name):
 * what names an item. NULL when there is none. */
const pb_catalog_field_t *pb_view_item_key(const pb_catalog_field_t *list);

#endif
