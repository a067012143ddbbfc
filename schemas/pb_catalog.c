/* pb_catalog: compiles pb_catalog.def into a table and indexes it by (frame, parent, key).
 *
 * The table is built by the preprocessor; the derived members (name, bits, parent) and the
 * hash index are filled once, under pthread_once, into static storage: lookups never
 * allocate. The index is open addressing over a power of two at least twice the number of
 * entries, keyed by FNV-1a of the key mixed with the frame and the parent's index. */
#include "pb_catalog.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define S_U64MAX 18446744073709551615.0

/* One row of every kind of field; the PB_* macros of pb_catalog.def fill in the defaults.
 * They paste the enum prefixes themselves: a ## operand is not macro-expanded, so the unit
 * NONE stays a name while the bound NONE becomes NAN. */
#define S_ROW(fr, p, k, u, j, l, h, fl, g, pr, lb, sc, ctr, sch, mi, hp)                           \
    {fr, p, NULL, k, u, j, l, h, fl, 0, g, pr, lb, sc, ctr, sch, hp, mi, -1, 0},

#define NONE   NAN
#define U64MAX S_U64MAX
#define TSMIN  1e18
#define PB_FRAME(fr, type, topic, title, help)
#define PB_MAP(fr, p, g, fl, hp)                                                                   \
    S_ROW(PB_FT_##fr, p, PB_KIND_MAP, PB_CU_NONE, PB_JT_OBJECT, NAN, NAN, fl, g, "", "", 1, "",    \
          "", 0, hp)
#define PB_LIST(fr, p, g, fl, mi, hp)                                                              \
    S_ROW(PB_FT_##fr, p, PB_KIND_LIST, PB_CU_NONE, PB_JT_ARRAY, NAN, NAN, fl, g, "", "", 1, "",    \
          "", mi, hp)
#define PB_COUNTER(fr, p, u, fl, pr, lb, sc, hp)                                                   \
    S_ROW(PB_FT_##fr, p, PB_KIND_COUNTER, PB_CU_##u, PB_JT_INTEGER, 0, S_U64MAX, fl, "", pr, lb,   \
          sc, "", "", 0, hp)
#define PB_GAUGE(fr, p, u, j, l, h, fl, pr, lb, sc, hp)                                            \
    S_ROW(PB_FT_##fr, p, PB_KIND_GAUGE, PB_CU_##u, PB_JT_##j, l, h, fl, "", pr, lb, sc, "", "", 0, \
          hp)
#define PB_RATE(fr, p, u, h, fl, ctr, hp)                                                          \
    S_ROW(PB_FT_##fr, p, PB_KIND_RATE, PB_CU_##u, PB_JT_NUMBER, 0, h, fl, "", "", "", 1, ctr, "",  \
          0, hp)
#define PB_ATTR(fr, p, j, u, l, h, fl, sch, hp)                                                    \
    S_ROW(PB_FT_##fr, p, PB_KIND_ATTR, PB_CU_##u, PB_JT_##j, l, h, fl, "", "", "", 1, "", sch, 0,  \
          hp)
#define PB_FLAG(fr, p, fl, sch, hp)                                                                \
    S_ROW(PB_FT_##fr, p, PB_KIND_FLAG, PB_CU_NONE, PB_JT_BOOLEAN, NAN, NAN, fl, "", "", "", 1, "", \
          sch, 0, hp)
/* An info map is a map with a Prometheus name: one gauge = 1 labelled by its attrs. */
#define PB_INFO(fr, p, fl, pr, lb, hp)                                                             \
    S_ROW(PB_FT_##fr, p, PB_KIND_MAP, PB_CU_NONE, PB_JT_OBJECT, NAN, NAN, fl, "", pr, lb, 1, "",   \
          "", 0, hp)

static pb_catalog_field_t s_fields[] = {
#include "pb_catalog.def"
};
#define S_NFIELDS (sizeof s_fields / sizeof s_fields[0])
_Static_assert(S_NFIELDS <= PB_CATALOG_MAX, "the catalogue outgrew PB_CATALOG_MAX");

#undef PB_FRAME
#undef PB_MAP
#undef PB_LIST
#undef PB_COUNTER
#undef PB_GAUGE
#undef PB_RATE
#undef PB_ATTR
#undef PB_FLAG
#undef PB_INFO

typedef struct {
    pb_catalog_frame_t frame;
    const char *name, *topic, *title, *help;
} s_frame_t;

#define PB_FRAME(fr, type, topic, title, help)                                                     \
    [PB_FT_##fr] = {PB_FT_##fr, type, topic, title, help},
#define PB_MAP(...)
#define PB_LIST(...)
#define PB_COUNTER(...)
#define PB_GAUGE(...)
#define PB_RATE(...)
#define PB_ATTR(...)
#define PB_FLAG(...)
#define PB_INFO(...)

static const s_frame_t s_frames[PB_FT_COUNT] = {
#include "pb_catalog.def"
};

#undef NONE
#undef U64MAX
#undef TSMIN

#define S_SLOTS 1024 /* > 2 x entries: the Check suite asserts it */
static int16_t s_index[S_SLOTS];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static uint32_t s_hash(pb_catalog_frame_t frame, int parent, const char *key, size_t len)
{
    uint32_t h = 2166136261u ^ (uint32_t)frame * 16777619u ^ (uint32_t)(parent + 1) * 40503u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

static bool s_is(const pb_catalog_field_t *f, pb_catalog_frame_t frame, int parent, const char *key,
                 size_t len)
{
    return f->frame == frame && f->parent == parent && strlen(f->name) == len &&
           memcmp(f->name, key, len) == 0;
}

static const pb_catalog_field_t *s_lookup(pb_catalog_frame_t frame, int parent, const char *key,
                                          size_t len)
{
    for (uint32_t h = s_hash(frame, parent, key, len);; h++) {
        int i = s_index[h & (S_SLOTS - 1)];
        if (i < 0)
            return NULL;
        if (s_is(&s_fields[i], frame, parent, key, len))
            return &s_fields[i];
    }
}

/* The entry of path, or NULL; the parents are already indexed when init asks. */
static const pb_catalog_field_t *s_walk(pb_catalog_frame_t frame, const char *path)
{
    const pb_catalog_field_t *at = NULL;
    const char *p = path;
    for (;;) {
        size_t len = strcspn(p, ".[");
        if (at && at->kind != PB_KIND_MAP && at->kind != PB_KIND_LIST)
            return NULL;
        at = s_lookup(frame, at ? at->index : -1, p, len);
        if (at == NULL || (at->bits & PB_CF_OPEN && p[len] != '\0'))
            return NULL;
        p += len;
        bool item = strncmp(p, "[]", 2) == 0;
        if (item != (at->kind == PB_KIND_LIST && *p != '\0'))
            return NULL;
        if (*p == '\0')
            return at;
        p += item ? 2 : 0; /* a path names a list, or a field of its items: not "list[]" */
        if (*p++ != '.')
            return NULL;
    }
}

static unsigned s_bits(const char *flags)
{
    static const char letters[] = "oifvgGtx";
    unsigned bits = 0;
    for (const char *c = flags; *c; c++) {
        const char *at = strchr(letters, *c);
        bits |= at ? 1u << (at - letters) : 0;
    }
    return bits;
}

/* Parent and name from the path; the parent precedes its children in the .def. */
static void s_derive(pb_catalog_field_t *f)
{
    const char *dot = strrchr(f->path, '.');
    f->name = dot ? dot + 1 : f->path;
    f->bits = s_bits(f->flags);
    if (dot == NULL)
        return;
    char parent[128];
    size_t len = (size_t)(dot - f->path);
    if (len >= 2 && strncmp(dot - 2, "[]", 2) == 0)
        len -= 2;
    if (len >= sizeof parent)
        return;
    memcpy(parent, f->path, len);
    parent[len] = '\0';
    const pb_catalog_field_t *p = s_walk(f->frame, parent);
    f->parent = p ? p->index : -2; /* -2: an orphan, which the Check suite reports */
}

static void s_init(void)
{
    memset(s_index, 0xff, sizeof s_index);
    for (size_t i = 0; i < S_NFIELDS; i++) {
        pb_catalog_field_t *f = &s_fields[i];
        f->index = (int)i;
        s_derive(f);
        uint32_t h = s_hash(f->frame, f->parent, f->name, strlen(f->name));
        while (s_index[h & (S_SLOTS - 1)] >= 0)
            h++;
        s_index[h & (S_SLOTS - 1)] = (int16_t)i;
    }
}

static void s_ready(void)
{
    pthread_once(&s_once, s_init);
}

size_t pb_catalog_size(void)
{
    return S_NFIELDS;
}

const pb_catalog_field_t *pb_catalog_at(size_t index)
{
    s_ready();
    return index < S_NFIELDS ? &s_fields[index] : NULL;
}

const pb_catalog_field_t *pb_catalog_next(pb_catalog_frame_t frame, const pb_catalog_field_t *prev)
{
    s_ready();
    for (size_t i = prev ? (size_t)prev->index + 1 : 0; i < S_NFIELDS; i++)
        if (s_fields[i].frame == frame)
            return &s_fields[i];
    return NULL;
}

const pb_catalog_field_t *pb_catalog_find(pb_catalog_frame_t frame, const char *path)
{
    s_ready();
    const pb_catalog_field_t *f = s_walk(frame, path);
    return f || frame == PB_FT_ENV ? f : s_walk(PB_FT_ENV, path);
}

const pb_catalog_field_t *pb_catalog_child(pb_catalog_frame_t frame,
                                           const pb_catalog_field_t *parent, const char *key,
                                           size_t len)
{
    s_ready();
    if (parent && (parent->bits & PB_CF_OPEN ||
                   (parent->kind != PB_KIND_MAP && parent->kind != PB_KIND_LIST)))
        return NULL;
    const pb_catalog_field_t *f = s_lookup(frame, parent ? parent->index : -1, key, len);
    if (f == NULL && parent == NULL && frame != PB_FT_ENV)
        f = s_lookup(PB_FT_ENV, -1, key, len);
    return f;
}

const pb_catalog_field_t *pb_catalog_counter(const pb_catalog_field_t *rate, size_t i)
{
    if (rate == NULL || rate->kind != PB_KIND_RATE)
        return NULL;
    const char *p = rate->counter;
    for (; i > 0 && p; i--) {
        p = strchr(p, '+');
        p = p ? p + 1 : NULL;
    }
    if (p == NULL || *p == '\0')
        return NULL;
    const pb_catalog_field_t *parent = rate->parent >= 0 ? &s_fields[rate->parent] : NULL;
    return pb_catalog_child(rate->frame, parent, p, strcspn(p, "+"));
}

int pb_catalog_label(const pb_catalog_field_t *field, size_t i, pb_catalog_label_t *out)
{
    const char *p = field->labels;
    for (; i > 0 && *p; i--)
        p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',');
    size_t len = strcspn(p, ","), eq = strcspn(p, "=");
    if (len == 0 || eq >= len)
        return -ENOENT;
    out->name = p;
    out->name_len = eq;
    out->from_field = p[eq + 1] == '@';
    out->value = p + eq + 1 + out->from_field;
    out->value_len = len - eq - 1 - out->from_field;
    return 0;
}

double pb_catalog_to_base(const pb_catalog_field_t *field, double value, double clk_tck)
{
    double v = value * field->scale;
    return field->bits & PB_CF_PER_TICK ? v / clk_tck : v;
}

int pb_catalog_frame_parse(const char *type, size_t len, pb_catalog_frame_t *out)
{
    for (int f = PB_FT_SYS; f < PB_FT_COUNT; f++) {
        if (strlen(s_frames[f].name) == len && memcmp(s_frames[f].name, type, len) == 0) {
            *out = (pb_catalog_frame_t)f;
            return 0;
        }
    }
    return -EINVAL;
}

static const s_frame_t *s_frame(pb_catalog_frame_t frame)
{
    static const s_frame_t none = {PB_FT_COUNT, "", "", "", ""};
    return (unsigned)frame < PB_FT_COUNT ? &s_frames[frame] : &none;
}

const char *pb_catalog_frame_name(pb_catalog_frame_t frame)
{
    return s_frame(frame)->name;
}

const char *pb_catalog_frame_topic(pb_catalog_frame_t frame)
{
    return s_frame(frame)->topic;
}

const char *pb_catalog_frame_title(pb_catalog_frame_t frame)
{
    return s_frame(frame)->title;
}

const char *pb_catalog_frame_help(pb_catalog_frame_t frame)
{
    return s_frame(frame)->help;
}

const char *pb_catalog_kind_name(pb_catalog_kind_t kind)
{
    static const char *const names[] = {"counter", "gauge", "rate", "attr", "flag", "map", "list"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "";
}

const char *pb_catalog_unit_name(pb_catalog_unit_t unit)
{
    static const char *const names[] = {"",  "bytes",   "s",       "ms", "ns", "ticks", "count",
                                        "%", "bytes/s", "count/s", "1",  "Hz", "us"};
    return (unsigned)unit < sizeof names / sizeof names[0] ? names[unit] : "";
}

const char *pb_catalog_json_name(pb_catalog_json_t json)
{
    static const char *const names[] = {"integer", "number", "string", "boolean",
                                        "bin",     "object", "array"};
    return (unsigned)json < sizeof names / sizeof names[0] ? names[json] : "";
}
