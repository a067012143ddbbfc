/* pb_report: what perfbus-report does with a loaded model — formats, checks, atomic output. */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include "pb_model.h"
#include "pb_progress.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PB_FORMAT_PDF = 1,
    PB_FORMAT_HTML = 2,
    PB_FORMAT_CSV = 4,
    PB_FORMAT_JSON = 8,
} pb_format_t;

/* Parses a comma-separated list ("pdf,html") into a set of pb_format_t
 * bits. Returns 0, or -EINVAL naming the bad word in err. */
int pb_report_parse_formats(const char *list, unsigned *formats, char *err, size_t errlen);

/* File extension of a format without the dot ("pdf"); NULL if unknown. */
const char *pb_report_extension(pb_format_t format);

/* Parses a duration: a number with an optional unit s, m, h or d ("90s",
 * "1h", "2d"; no unit = seconds). Returns 0 with *secs > 0, or -EINVAL. */
int pb_report_parse_duration(const char *text, uint64_t *secs);

/* Parses a time: "2026-01-01T10:00:00Z" (also with a space, without seconds
 * or without the Z; always UTC), "@EPOCH_SECONDS", or "now" / "now-1h".
 * now_ns is the reference for "now". Returns 0 or -EINVAL. */
int pb_report_parse_time(const char *text, uint64_t now_ns, uint64_t *ns);

/* Checks that the model can make a report: -ENODATA with a message naming
 * source when it holds no frame, or neither a profile nor two samples (sys
 * or proc) of some host: nothing can be drawn from one point. Returns 0
 * otherwise. */
int pb_report_check(const pb_model_t *model, const char *source, char *err, size_t errlen);

/* Renders model in one format to path: written to a temporary file next to
 * it, flushed, then renamed over path, so path is either the whole report
 * or untouched (never empty or half-written). progress may be NULL.
 * Returns 0 or negative errno with a message in err. */
int pb_report_render(const pb_model_t *model, const char *source, pb_format_t format,
                     const char *path, pb_progress_t *progress, char *err, size_t errlen);

#endif
