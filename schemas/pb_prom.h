/* pb_prom: the one naming function for Prometheus pull (/metrics) and push (remote_write). */
#ifndef PB_PROM_H
#define PB_PROM_H

/* A catalogue field with a Prometheus name (a counter or gauge) becomes one
 * sample: the catalogue's name, type and help, the label set `host` plus the
 * catalogue's labels (name=@field takes the value of a sibling field of the
 * same map or list item, supplied by the caller), and the value in base units
 * (pb_catalog_to_base, ticks divided by the host's clk_tck). Label values are
 * kept unescaped, so that remote_write can sort and send them as they are;
 * the writers below escape them for the text formats:
 *   Prometheus text 0.0.4: label values escape \ " and newline, HELP \ and newline;
 *   OpenMetrics 1.0: the same, and HELP escapes " too; a counter's family is
 *   its name without `_total`, its sample is family_total; the text ends in # EOF.
 * Bytes that are not UTF-8 become U+FFFD (the wire sanitizes strings already;
 * this guards the exposition from a publisher that does not). */

#include "pb_catalog.h"

#include <stdbool.h>
#include <stddef.h>

#define PB_PROM_MAX_LABELS 8 /* host + the catalogue's (at most 3 today) */

typedef enum { PB_PROM_COUNTER, PB_PROM_GAUGE } pb_prom_type_t;
typedef enum { PB_PROM_TEXT, PB_PROM_OPENMETRICS } pb_prom_format_t;

/* A label, unescaped; name and value are borrowed (not NUL-terminated). */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} pb_prom_label_t;

/* One sample. name and help are static (the catalogue's); label values are
 * borrowed from the caller's arguments for as long as those live. */
typedef struct {
    const pb_catalog_field_t *field;
    const char *name, *help;
    pb_prom_type_t type;
    size_t nlabels;
    pb_prom_label_t labels[PB_PROM_MAX_LABELS];
    double value;
} pb_prom_sample_t;

/* Gives the text of the sibling field `sibling` (an @field label's source) of
 * the sample being named: 0 with *text / *len set (borrowed until the sample
 * is written), or -ENOENT when the frame did not carry it. */
typedef int(pb_prom_sibling_fn)(const pb_catalog_field_t *sibling, const char **text, size_t *len,
                                void *arg);

/* Names the value `raw` (wire units) of field for host. Returns 0, -ENOENT
 * when the field is not exported (no Prometheus name: attrs, rates, maps),
 * or -ENODATA when a label's sibling is missing (the sample is not made).
 * An info map (pb_prom_is_info) is a gauge = 1 whatever raw is; its labels
 * name=@attr are attrs inside the map, which fn is asked for. */
int pb_prom_sample(const pb_catalog_field_t *field, double raw, double clk_tck, const char *host,
                   pb_prom_sibling_fn *fn, void *arg, pb_prom_sample_t *out);

/* True for an info map: a map with a Prometheus name (node_uname_info). */
bool pb_prom_is_info(const pb_catalog_field_t *field);

/* True when field, met in a frame of type frame, is a sample: a counter,
 * gauge or info map with a Prometheus name; an envelope field (in every
 * frame) only in sys frames, so that a host has one series of it. */
bool pb_prom_exported(const pb_catalog_field_t *field, pb_catalog_frame_t frame);

/* The sys frame's field whose value divides every PB_CF_PER_TICK counter
 * (USER_HZ: the catalogue's one attr in HZ), found once. Static; NULL only if
 * the catalogue lost it. */
const pb_catalog_field_t *pb_prom_clock_field(void);

/* The family a field's samples belong to, in format: the Prometheus name,
 * without `_total` for an OpenMetrics counter. Writes at most size - 1 bytes
 * and a NUL; returns the family's length. */
size_t pb_prom_family(const pb_catalog_field_t *field, pb_prom_format_t format, char *buf,
                      size_t size);

/* A growable output buffer; the fields are private (public for embedding).
 * Writes that fail for memory set `failed` and are dropped. */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} pb_prom_out_t;

void pb_prom_out_reset(pb_prom_out_t *out); /* empties it, keeping the memory */
void pb_prom_out_free(pb_prom_out_t *out);  /* frees the memory; the buffer is empty after */
void pb_prom_out_append(pb_prom_out_t *out, const char *s, size_t n);

/* `# HELP` and `# TYPE` of the field's family. */
void pb_prom_write_family(pb_prom_out_t *out, const pb_catalog_field_t *field,
                          pb_prom_format_t format);

/* A family's header from its parts, for families that are not frame fields
 * (perfbus-sub's own health): name is the family (see pb_prom_family). */
void pb_prom_write_header(pb_prom_out_t *out, const char *family, pb_prom_type_t type,
                          const char *help, pb_prom_format_t format);

/* One line `name{labels} value`: counters in OpenMetrics take the family
 * name + "_total". */
void pb_prom_write_sample(pb_prom_out_t *out, const pb_prom_sample_t *sample,
                          pb_prom_format_t format);

/* The same from parts: family, its type, labels and value. */
void pb_prom_write_line(pb_prom_out_t *out, const char *family, pb_prom_type_t type,
                        const pb_prom_label_t *labels, size_t nlabels, double value,
                        pb_prom_format_t format);

/* `# EOF` in OpenMetrics, nothing in the text format. */
void pb_prom_write_end(pb_prom_out_t *out, pb_prom_format_t format);

/* A label value escaped (\ " newline; bad UTF-8 as U+FFFD), and a HELP text. */
void pb_prom_write_label_value(pb_prom_out_t *out, const char *s, size_t n);
void pb_prom_write_help(pb_prom_out_t *out, const char *s, pb_prom_format_t format);

/* A value as the formats write it: NaN, +Inf, -Inf, else the shortest
 * decimal that reads back as the same double. buf holds 32 bytes; returns
 * the length. This function can't fail. */
size_t pb_prom_format_value(double v, char buf[32]);

/* True for a valid metric name [a-zA-Z_:][a-zA-Z0-9_:]* and label name
 * [a-zA-Z_][a-zA-Z0-9_]* (names starting with __ are reserved). */
bool pb_prom_metric_name_valid(const char *s, size_t n);
bool pb_prom_label_name_valid(const char *s, size_t n);

/* The Content-Type of format (with version and charset). Static. */
const char *pb_prom_content_type(pb_prom_format_t format);

/* True when an Accept header asks for OpenMetrics (application/openmetrics-text). */
bool pb_prom_wants_openmetrics(const char *accept);

#endif
