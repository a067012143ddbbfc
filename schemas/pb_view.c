/* pb_view: compiles pb_view.def into a table; entries resolve their paths in the catalogue.
 *
 * The table is const and built by the preprocessor; a lookup resolves its entry's path with
 * pb_catalog_find (a hash probe, no allocation), so nothing here is written after start. */
#include "pb_view.h"

#include <errno.h>
#include <string.h>

typedef struct {
    pb_view_id_t view;
    pb_catalog_frame_t frame;
    const char *path, *name, *label;
    pb_view_group_t group;
} s_row_t;

static const s_row_t s_rows[] = {
#define PB_VIEWDEF(view, help)
#define PB_VIEW(view, frame, path, short_name, label, group)                                       \
    {PB_VIEW_##view, PB_FT_##frame, path, short_name, label, PB_VG_##group},
#include "pb_view.def"
#undef PB_VIEWDEF
#undef PB_VIEW
};
#define S_NROWS (sizeof s_rows / sizeof s_rows[0])

static const char *const s_names[] = {
#define PB_VIEWDEF(view, help) #view,
#define PB_VIEW(view, frame, path, short_name, label, group)
#include "pb_view.def"
#undef PB_VIEWDEF
#undef PB_VIEW
};

static const char *const s_helps[] = {
#define PB_VIEWDEF(view, help) help,
#define PB_VIEW(view, frame, path, short_name, label, group)
#include "pb_view.def"
#undef PB_VIEWDEF
#undef PB_VIEW
};

/* Index in s_rows of the i-th row of view, or S_NROWS. Views are few and short. */
static size_t s_find_row(pb_view_id_t view, size_t i)
{
    for (size_t r = 0; r < S_NROWS; r++)
        if (s_rows[r].view == view && i-- == 0)
            return r;
    return S_NROWS;
}

size_t pb_view_size(pb_view_id_t view)
{
    size_t n = 0;
    for (size_t r = 0; r < S_NROWS; r++)
        n += s_rows[r].view == view;
    return n;
}

static int s_fill(const s_row_t *row, pb_view_entry_t *out)
{
    const pb_catalog_field_t *field = pb_catalog_find(row->frame, row->path);
    if (!field)
        return -EINVAL;
    *out = (pb_view_entry_t){row->view, row->path, row->name, row->label, row->group, field};
    return 0;
}

int pb_view_entry(pb_view_id_t view, size_t i, pb_view_entry_t *out)
{
    size_t r = s_find_row(view, i);
    return r < S_NROWS ? s_fill(&s_rows[r], out) : -ENOENT;
}

int pb_view_entry_of(pb_view_id_t view, pb_catalog_frame_t frame, pb_view_entry_t *out)
{
    for (size_t r = 0; r < S_NROWS; r++)
        if (s_rows[r].view == view && s_rows[r].frame == frame)
            return s_fill(&s_rows[r], out);
    return -ENOENT;
}

const char *pb_view_name(pb_view_id_t view)
{
    return (unsigned)view < PB_VIEW_COUNT ? s_names[view] : "";
}

const char *pb_view_help(pb_view_id_t view)
{
    return (unsigned)view < PB_VIEW_COUNT ? s_helps[view] : "";
}

const pb_catalog_field_t *pb_view_items_of(const pb_catalog_field_t *total)
{
    if (!total || total->kind != PB_KIND_MAP || !total->group[0])
        return NULL;
    for (const pb_catalog_field_t *f = pb_catalog_next(total->frame, NULL); f;
         f = pb_catalog_next(total->frame, f))
        if (f->kind == PB_KIND_LIST && strcmp(f->group, total->group) == 0)
            return f;
    return NULL;
}

const pb_catalog_field_t *pb_view_item_key(const pb_catalog_field_t *list)
{
    if (!list || list->kind != PB_KIND_LIST)
        return NULL;
    for (const pb_catalog_field_t *f = pb_catalog_next(list->frame, list); f;
         f = pb_catalog_next(list->frame, f))
        if (f->parent == list->index && f->kind == PB_KIND_ATTR)
            return f;
    return NULL;
}
