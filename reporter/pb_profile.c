/* pb_profile: turns the agent's profile results into rows and flame-graph boxes.
 *
 * The flame graph is laid out from the sampling result's `tree` (nodes with
 * id, parent, name, total): roots side by side, each child inside its
 * parent's span in tree order, width proportional to its sample count.
 * Nodes whose parent is unknown or comes later are dropped (the agent emits
 * parents first), so a malformed tree cannot loop or overflow. */
#include "pb_profile.h"

#include "pb_text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t id, parent;
    double x, next; /* left edge and the next free offset for children (samples) */
    unsigned depth;
} node_t;

static double s_f64(const pb_value_t *map, const char *key)
{
    double v = NAN;
    pb_value_map_get_f64(map, key, &v);
    return v;
}

/* Counts arrive as uints from the agent; a float count is accepted too. */
static uint64_t s_u64(const pb_value_t *map, const char *key)
{
    uint64_t v = 0;
    double d;
    if (pb_value_map_get_u64(map, key, &v) == 0)
        return v;
    if (pb_value_map_get_f64(map, key, &d) == 0 && d >= 0 && d < 1.8e19)
        return (uint64_t)d;
    return 0;
}

static const char *s_str(const pb_value_t *map, const char *key, const char *fallback)
{
    const char *v;
    return pb_value_map_get_str(map, key, &v) == 0 ? v : fallback;
}

static void s_cell(pb_table_row_t *row, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_cell(pb_table_row_t *row, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->cell[col], PB_TABLE_CELL, fmt, ap);
    va_end(ap);
    if (col >= row->ncols)
        row->ncols = col + 1;
}

static void s_header(pb_table_row_t *row, const char *const *names, size_t n)
{
    for (size_t c = 0; c < n; c++)
        s_cell(row, c, "%s", names[c]);
}

static void s_sampling_rows(pb_profile_t *p, const pb_value_t *s)
{
    static const char *const names[] = {"Function", "Self %", "Total %", "Self s", "Total s"};
    const pb_value_t *fns = pb_value_map_get(s, "functions");
    s_header(&p->header, names, 5);
    for (size_t i = 0; i < pb_value_len(fns) && p->nrows < PB_PROFILE_MAX_ROWS; i++) {
        const pb_value_t *f = pb_value_array_at(fns, i);
        pb_table_row_t *row = &p->rows[p->nrows++];
        s_cell(row, 0, "%s", s_str(f, "name", "?"));
        s_cell(row, 1, "%.2f", s_f64(f, "self_pct"));
        s_cell(row, 2, "%.2f", s_f64(f, "total_pct"));
        s_cell(row, 3, "%.4f", s_f64(f, "self_s"));
        s_cell(row, 4, "%.4f", s_f64(f, "total_s"));
    }
    snprintf(p->about, sizeof(p->about), "%" PRIu64 " samples at %.0f Hz (%s clock), %.3f s",
             s_u64(s, "samples_received"), s_f64(s, "hz_effective"), s_str(s, "clock", "?"),
             s_f64(s, "seconds"));
}

static void s_tracing_rows(pb_profile_t *p, const pb_value_t *t)
{
    static const char *const names[] = {"Function",  "ncalls",    "tottime s",
                                        "percall s", "cumtime s", "percall s"};
    const pb_value_t *fns = pb_value_map_get(t, "functions");
    s_header(&p->header, names, 6);
    for (size_t i = 0; i < pb_value_len(fns) && p->nrows < PB_PROFILE_MAX_ROWS; i++) {
        const pb_value_t *f = pb_value_array_at(fns, i);
        pb_table_row_t *row = &p->rows[p->nrows++];
        uint64_t n = s_u64(f, "ncalls"), prim = s_u64(f, "primcalls");
        s_cell(row, 0, "%s", s_str(f, "name", "?"));
        if (prim && prim != n)
            s_cell(row, 1, "%" PRIu64 "/%" PRIu64, n, prim);
        else
            s_cell(row, 1, "%" PRIu64, n);
        s_cell(row, 2, "%.6f", s_f64(f, "tottime_s"));
        s_cell(row, 3, "%.3g", s_f64(f, "percall_tottime_s"));
        s_cell(row, 4, "%.6f", s_f64(f, "cumtime_s"));
        s_cell(row, 5, "%.3g", s_f64(f, "percall_cumtime_s"));
    }
    snprintf(p->about, sizeof(p->about), "%" PRIu64 " calls traced on %" PRIu64 " thread(s)",
             s_u64(t, "calls"), s_u64(t, "threads"));
}

static void s_detailed_rows(pb_profile_t *p, const pb_value_t *d)
{
    static const char *const names[] = {"Run",      "Wall s",     "User s",
                                        "System s", "RSS peak B", "Write B"};
    const pb_value_t *runs = pb_value_map_get(d, "runs");
    s_header(&p->header, names, 6);
    for (size_t i = 0; i < pb_value_len(runs) && p->nrows < PB_PROFILE_MAX_ROWS; i++) {
        const pb_value_t *r = pb_value_array_at(runs, i);
        pb_table_row_t *row = &p->rows[p->nrows++];
        s_cell(row, 0, "%zu", i + 1);
        s_cell(row, 1, "%.4f", s_f64(r, "wall_s"));
        s_cell(row, 2, "%.4f", s_f64(r, "user_s"));
        s_cell(row, 3, "%.4f", s_f64(r, "sys_s"));
        s_cell(row, 4, "%" PRIu64, s_u64(r, "rss_peak_bytes"));
        s_cell(row, 5, "%" PRIu64, s_u64(r, "write_bytes"));
    }
    snprintf(p->about, sizeof(p->about), "%zu run(s) measured", pb_value_len(runs));
}

static int s_find(const node_t *nodes, size_t n, int64_t id)
{
    for (size_t i = n; i > 0; i--)
        if (nodes[i - 1].id == id)
            return (int)(i - 1);
    return -1;
}

/* Places node i of the tree; returns 0, or -1 if it cannot be placed. */
static int s_place(pb_profile_t *p, node_t *nodes, size_t i, const pb_value_t *item, double *roots,
                   double unit)
{
    node_t *node = &nodes[i];
    double total = (double)s_u64(item, "total");
    int parent = node->parent < 0 ? -1 : s_find(nodes, i, node->parent);
    if (node->parent >= 0 && parent < 0)
        return -1;
    node->depth = parent < 0 ? 0 : nodes[parent].depth + 1;
    node->x = parent < 0 ? *roots : nodes[parent].next;
    node->next = node->x;
    if (parent < 0)
        *roots += total;
    else
        nodes[parent].next += total;
    if (node->depth >= PB_PROFILE_MAX_DEPTH || total * unit < 0.001 ||
        p->nboxes == PB_PROFILE_MAX_BOXES)
        return 0;
    pb_profile_box_t *box = &p->boxes[p->nboxes++];
    box->x = node->x * unit;
    box->w = total * unit;
    box->depth = node->depth;
    box->count = (uint64_t)total;
    pb_text_truncate_utf8(s_str(item, "name", "?"), 60, box->name, sizeof(box->name));
    p->depth = node->depth + 1 > p->depth ? node->depth + 1 : p->depth;
    return 0;
}

static double s_root_total(const pb_value_t *tree)
{
    double sum = 0;
    for (size_t i = 0; i < pb_value_len(tree); i++) {
        int64_t parent = 0;
        const pb_value_t *item = pb_value_array_at(tree, i);
        if (pb_value_map_get_i64(item, "parent", &parent) == 0 && parent < 0)
            sum += (double)s_u64(item, "total");
    }
    return sum;
}

static int s_flame(pb_profile_t *p, const pb_value_t *s)
{
    const pb_value_t *tree = pb_value_map_get(s, "tree");
    size_t n = pb_value_len(tree);
    double total = s_root_total(tree), roots = 0;
    if (n == 0 || !(total > 0))
        return 0;
    node_t *nodes = calloc(n, sizeof(node_t));
    p->boxes = calloc(PB_PROFILE_MAX_BOXES, sizeof(pb_profile_box_t));
    if (!nodes || !p->boxes) {
        free(nodes);
        return -ENOMEM;
    }
    uint64_t received = s_u64(s, "samples_received");
    double per = s_f64(s, "seconds") / (double)(received ? received : 1);
    for (size_t i = 0; i < n; i++) {
        const pb_value_t *item = pb_value_array_at(tree, i);
        nodes[i].id = nodes[i].parent = -1;
        pb_value_map_get_i64(item, "id", &nodes[i].id);
        pb_value_map_get_i64(item, "parent", &nodes[i].parent);
        size_t before = p->nboxes;
        if (s_place(p, nodes, i, item, &roots, 1.0 / total) < 0)
            nodes[i].id = -2; /* orphan: its children are dropped too */
        if (p->nboxes > before)
            p->boxes[before].seconds = isfinite(per) ? per * (double)p->boxes[before].count : 0;
    }
    free(nodes);
    return 0;
}

static int s_fill(pb_profile_t *p, const pb_value_t *frame)
{
    const pb_value_t *s = pb_value_map_get(frame, "sampling");
    const pb_value_t *t = pb_value_map_get(frame, "tracing");
    const pb_value_t *d = pb_value_map_get(frame, "detailed");
    snprintf(p->host, sizeof(p->host), "%s", s_str(frame, "host", "?"));
    snprintf(p->name, sizeof(p->name), "%s",
             s_str(frame, "target", s_str(frame, "section", "profile")));
    snprintf(p->mode, sizeof(p->mode), "%s", s_str(frame, "mode", "?"));
    pb_value_map_get_u64(frame, "ts", &p->ts);
    if (s && pb_value_type(s) == PB_MAP) {
        s_sampling_rows(p, s);
        return s_flame(p, s);
    }
    if (t && pb_value_type(t) == PB_MAP)
        s_tracing_rows(p, t);
    else if (d && pb_value_type(d) == PB_MAP)
        s_detailed_rows(p, d);
    else
        return -ENODATA;
    return 0;
}

int pb_profile_parse(const pb_value_t *frame, pb_profile_t **out_p, char *err, size_t errlen)
{
    if (pb_value_type(frame) != PB_MAP) {
        snprintf(err, errlen, "prof frame is not a map");
        return -EINVAL;
    }
    pb_profile_t *p = calloc(1, sizeof(pb_profile_t));
    if (!p)
        return -ENOMEM;
    int rc = s_fill(p, frame);
    if (rc < 0) {
        pb_profile_destroy(&p);
        return rc;
    }
    *out_p = p;
    return 0;
}

void pb_profile_destroy(pb_profile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->boxes);
    free(*self_p);
    *self_p = NULL;
}
