/* pb_catalog: the metric catalogue (schemas/pb_catalog.def) as a C table, with lookups. */
#ifndef PB_CATALOG_H
#define PB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

/* Frame types. PB_FT_ENV holds the envelope keys every frame carries. */
typedef enum {
    PB_FT_ENV,
    PB_FT_SYS,
    PB_FT_PROC,
    PB_FT_HB,
    PB_FT_PROF,
    PB_FT_COUNT
} pb_catalog_frame_t;

/* Kinds: a closed set, described in pb_catalog.def. */
typedef enum {
    PB_KIND_COUNTER,
    PB_KIND_GAUGE,
    PB_KIND_RATE,
    PB_KIND_ATTR,
    PB_KIND_FLAG,
    PB_KIND_MAP,
    PB_KIND_LIST
} pb_catalog_kind_t;

/* Units as sent on the wire; `scale` converts to the Prometheus base unit. */
typedef enum {
    PB_CU_NONE,
    PB_CU_BYTES,
    PB_CU_S,
    PB_CU_MS,
    PB_CU_NS,
    PB_CU_TICKS,
    PB_CU_COUNT,
    PB_CU_PCT,
    PB_CU_BYTES_PER_S,
    PB_CU_COUNT_PER_S,
    PB_CU_ONE,
    PB_CU_HZ,
    PB_CU_US
} pb_catalog_unit_t;

/* JSON type of the value (BIN: a msgpack bin, which JSON has no type for). */
typedef enum {
    PB_JT_INTEGER,
    PB_JT_NUMBER,
    PB_JT_STRING,
    PB_JT_BOOLEAN,
    PB_JT_BIN,
    PB_JT_OBJECT,
    PB_JT_ARRAY
} pb_catalog_json_t;

/* Flag bits, from the letters of the flags column. */
enum {
    PB_CF_OPTIONAL = 1 << 0, /* o: may be absent from any frame */
    PB_CF_IO = 1 << 1,   /* i: absent, with the other i fields, when /proc/PID/io is unreadable */
    PB_CF_FD = 1 << 2,   /* f: absent when /proc/PID/fd is unreadable */
    PB_CF_UTF8 = 1 << 3, /* v: absent when its str is valid UTF-8 */
    PB_CF_GONE = 1 << 4, /* g: also in a proc frame's final {pid, comm, gone} form */
    PB_CF_GONE_ONLY = 1 << 5, /* G: only in that form */
    PB_CF_PER_TICK = 1 << 6,  /* t: scale is per tick; divide by cpu.clk_tck as well */
    PB_CF_OPEN = 1 << 7       /* x: its contents are not catalogued */
};

/* One field. Entries are static and never change: callers keep the pointers for the life of
 * the process (a decoder resolves its slots once). Strings are never NULL ("" when empty). */
typedef struct {
    pb_catalog_frame_t frame;
    const char *path; /* "cpu.cores[].user_pct" */
    const char *name; /* the last key, inside path: "user_pct" */
    pb_catalog_kind_t kind;
    pb_catalog_unit_t unit;
    pb_catalog_json_t json;
    double lo, hi;       /* JSON Schema minimum / maximum; NAN when unbounded */
    const char *flags;   /* the letters, as written */
    unsigned bits;       /* the same as PB_CF_* bits */
    const char *group;   /* maps and lists whose fields are shared ("cpu_state"), else "" */
    const char *prom;    /* Prometheus name of a counter or gauge, else "" */
    const char *labels;  /* "cpu=@id,mode=user": see pb_catalog_label */
    double scale;        /* value x scale is in the Prometheus base unit (see PB_CF_PER_TICK) */
    const char *counter; /* a rate's counter(s) in the same map, '+'-joined; else "" */
    const char *schema;  /* extra JSON Schema keywords of an attr or flag ("minLength=1") */
    const char *help;    /* one line */
    int min_items;       /* a list's minimum length */
    int parent;          /* index of the enclosing map or list, -1 at the top */
    int index;           /* index in the catalogue */
} pb_catalog_field_t;

/* One label of a field's Prometheus series: name=value, the value being the field `value` of
 * the same map when from_field (an @ in the catalogue), else the text itself. Not terminated. */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
    bool from_field;
} pb_catalog_label_t;

/* A bound on pb_catalog_size(), checked at compile time: for tables indexed by field->index. */
#define PB_CATALOG_MAX 512

/* Every entry, in catalogue order (parents before children). These can't fail. */
size_t pb_catalog_size(void);
const pb_catalog_field_t *pb_catalog_at(size_t index); /* NULL past the end */

/* The fields of one frame type in catalogue order: pass NULL for the first; NULL when done.
 * The envelope's fields are listed under PB_FT_ENV only. */
const pb_catalog_field_t *pb_catalog_next(pb_catalog_frame_t frame, const pb_catalog_field_t *prev);

/* The field at `path` in a frame of type `frame` ("cpu.cores[].id"; an envelope key is found
 * under any frame type), by hash, without allocating. NULL when the catalogue has no such
 * field, including paths that step into a list without "[]" or into an uncatalogued map. */
const pb_catalog_field_t *pb_catalog_find(pb_catalog_frame_t frame, const char *path);

/* The key `key` (len bytes, need not be terminated) of the map `parent` (NULL: the frame's
 * top level, where envelope keys are found too; a list: its items). NULL when unknown. */
const pb_catalog_field_t *pb_catalog_child(pb_catalog_frame_t frame,
                                           const pb_catalog_field_t *parent, const char *key,
                                           size_t len);

/* The i-th counter a rate derives from (a sibling in the same map); NULL past the last one
 * or when field is not a rate. */
const pb_catalog_field_t *pb_catalog_counter(const pb_catalog_field_t *rate, size_t i);

/* The i-th label of field's Prometheus series into *out: 0, or -ENOENT past the last. */
int pb_catalog_label(const pb_catalog_field_t *field, size_t i, pb_catalog_label_t *out);

/* A value of field in the Prometheus base unit: value x scale, / clk_tck for ticks. */
double pb_catalog_to_base(const pb_catalog_field_t *field, double value, double clk_tck);

/* The frame type whose wire name ("sys", "proc", "hb", "prof") is the len bytes of type:
 * 0, or -EINVAL (the envelope is not a frame type on the wire). */
int pb_catalog_frame_parse(const char *type, size_t len, pb_catalog_frame_t *out);

/* Names and texts; "" for an out-of-range argument. Borrowed, static. */
const char *pb_catalog_frame_name(pb_catalog_frame_t frame);  /* "sys", or "envelope" */
const char *pb_catalog_frame_topic(pb_catalog_frame_t frame); /* "sys.<host>" */
const char *pb_catalog_frame_title(pb_catalog_frame_t frame);
const char *pb_catalog_frame_help(pb_catalog_frame_t frame);
const char *pb_catalog_kind_name(pb_catalog_kind_t kind); /* "counter" */
const char *pb_catalog_unit_name(pb_catalog_unit_t unit); /* "bytes/s"; "" for NONE */
const char *pb_catalog_json_name(pb_catalog_json_t json); /* "integer"; "bin" */

#endif
