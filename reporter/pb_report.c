/* pb_report: glue between the CLI and the renderers; output is atomic (temp file + rename). */
#include "pb_report.h"

#include "pb_units.h"

#include "pb_export.h"
#include "pb_html.h"
#include "pb_pdf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
    pb_format_t format;
    const char *name;
} s_formats[] = {{PB_FORMAT_PDF, "pdf"},
                 {PB_FORMAT_HTML, "html"},
                 {PB_FORMAT_CSV, "csv"},
                 {PB_FORMAT_JSON, "json"}};
#define S_NFORMATS (sizeof(s_formats) / sizeof(s_formats[0]))

const char *pb_report_extension(pb_format_t format)
{
    for (size_t f = 0; f < S_NFORMATS; f++)
        if (s_formats[f].format == format)
            return s_formats[f].name;
    return NULL;
}

static int s_format_word(const char *word, size_t len, unsigned *formats)
{
    for (size_t f = 0; f < S_NFORMATS; f++)
        if (strlen(s_formats[f].name) == len && strncmp(word, s_formats[f].name, len) == 0) {
            *formats |= s_formats[f].format;
            return 0;
        }
    return -EINVAL;
}

int pb_report_parse_formats(const char *list, unsigned *formats, char *err, size_t errlen)
{
    *formats = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (s_format_word(p, len, formats) < 0) {
            snprintf(err, errlen, "unknown format '%.*s' (use pdf, html, csv, json)", (int)len, p);
            return -EINVAL;
        }
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

int pb_report_parse_duration(const char *text, uint64_t *secs)
{
    char err[160];
    double d = 0;
    if (pb_units_duration("duration", text, 1, &d, err, sizeof err) < 0 || !(d >= 1) || d > 1e10)
        return -EINVAL;
    *secs = (uint64_t)d;
    return 0;
}

static int s_parse_utc(const char *text, uint64_t *ns)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                          "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        const char *end = strptime(text, formats[f], &tm);
        if (!end || (strcmp(end, "") != 0 && strcmp(end, "Z") != 0))
            continue;
        time_t secs = timegm(&tm);
        if (secs < 0)
            return -EINVAL;
        *ns = (uint64_t)secs * 1000000000ULL;
        return 0;
    }
    return -EINVAL;
}

int pb_report_parse_time(const char *text, uint64_t now_ns, uint64_t *ns)
{
    uint64_t secs;
    if (strcmp(text, "now") == 0) {
        *ns = now_ns;
        return 0;
    }
    if (strncmp(text, "now-", 4) == 0) {
        if (pb_report_parse_duration(text + 4, &secs) < 0 || secs * 1000000000ULL > now_ns)
            return -EINVAL;
        *ns = now_ns - secs * 1000000000ULL;
        return 0;
    }
    if (text[0] == '@') {
        char *end;
        errno = 0;
        unsigned long long value = strtoull(text + 1, &end, 10);
        if (end == text + 1 || *end || errno || value > 17179869184ULL)
            return -EINVAL;
        *ns = value * 1000000000ULL;
        return 0;
    }
    return s_parse_utc(text, ns);
}

static size_t s_max_samples(const pb_model_t *model)
{
    size_t best = 0;
    for (size_t h = 0; h < pb_model_host_count(model); h++) {
        pb_model_proc_t proc;
        if (pb_model_sys_count(model, h) > best)
            best = pb_model_sys_count(model, h);
        for (size_t r = 0; pb_model_proc(model, h, PB_ORDER_CPU, r, &proc) == 0; r++)
            best = proc.cpu.n > best ? proc.cpu.n : best;
    }
    return best;
}

int pb_report_check(const pb_model_t *model, const char *source, char *err, size_t errlen)
{
    pb_model_info_t info;
    pb_model_info(model, &info);
    if (info.frames == 0) {
        snprintf(err, errlen, "%s holds no frames: nothing to report", source);
        return -ENODATA;
    }
    size_t samples = s_max_samples(model);
    if (samples < 2 && pb_model_profile_count(model) == 0) {
        snprintf(err, errlen,
                 "%s holds %llu frame(s) and %zu sample(s) per host: a report needs at least 2 "
                 "samples of a host (rates and charts need two points)",
                 source, (unsigned long long)info.frames, samples);
        return -ENODATA;
    }
    return 0;
}

static int s_write(FILE *out, const pb_model_t *model, const char *source, pb_format_t format,
                   char *err, size_t errlen)
{
    switch (format) {
    case PB_FORMAT_PDF:
        return pb_pdf_write(out, model, source, err, errlen);
    case PB_FORMAT_HTML:
        return pb_html_write(out, model, source, err, errlen);
    case PB_FORMAT_CSV:
        return pb_export_csv(out, model, err, errlen);
    case PB_FORMAT_JSON:
        return pb_export_json(out, model, source, err, errlen);
    }
    snprintf(err, errlen, "unknown format %d", (int)format);
    return -EINVAL;
}

/* Writes to an open temporary file and makes its content durable. */
static int s_write_tmp(int fd, const pb_model_t *model, const char *source, pb_format_t format,
                       char *err, size_t errlen)
{
    FILE *out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        snprintf(err, errlen, "fdopen: %s", strerror(errno));
        return -errno;
    }
    int rc = s_write(out, model, source, format, err, errlen);
    if (rc == 0 && (fflush(out) != 0 || fsync(fileno(out)) != 0)) {
        rc = -errno;
        snprintf(err, errlen, "writing: %s", strerror(errno));
    }
    if (fclose(out) != 0 && rc == 0) {
        rc = -EIO;
        snprintf(err, errlen, "closing: %s", strerror(errno));
    }
    return rc;
}

int pb_report_render(const pb_model_t *model, const char *source, pb_format_t format,
                     const char *path, pb_progress_t *progress, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp)) {
        snprintf(err, errlen, "output path too long");
        return -ENAMETOOLONG;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        return rc;
    }
    fchmod(fd, 0644); /* a report is for reading; mkstemp made it 0600 */
    pb_progress_update(progress, "rendering %s", pb_report_extension(format));
    int rc = s_write_tmp(fd, model, source, format, err, errlen);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot rename to '%s': %s", path, strerror(errno));
    }
    if (rc < 0)
        unlink(tmp);
    return rc;
}
