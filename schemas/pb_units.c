/* pb_units: the one parser of durations (250ms, 1.5s, 5m, 2h, 7d) and sizes (512K, 5G, 5GiB). */
#include "pb_units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    double scale;
} s_unit_t;

/* Longest names first where one is a prefix of another (ms before m, min before m). */
static const s_unit_t s_durations[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
                                       {"min", 60},  {"s", 1},     {"m", 60},
                                       {"h", 3600},  {"d", 86400}, {"w", 604800}};
static const s_unit_t s_sizes[] = {{"KiB", 1024.0},
                                   {"MiB", 1048576.0},
                                   {"GiB", 1073741824.0},
                                   {"TiB", 1099511627776.0},
                                   {"kB", 1e3},
                                   {"KB", 1e3},
                                   {"MB", 1e6},
                                   {"GB", 1e9},
                                   {"TB", 1e12},
                                   {"K", 1024.0},
                                   {"M", 1048576.0},
                                   {"G", 1073741824.0},
                                   {"T", 1099511627776.0},
                                   {"B", 1}};

/* The unit at *p among n (advancing past it), or NULL. */
static const s_unit_t *s_unit(const char **p, const s_unit_t *units, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(units[i].name);
        if (strncmp(*p, units[i].name, len) == 0 && !isalpha((unsigned char)(*p)[len])) {
            *p += len;
            return &units[i];
        }
    }
    return NULL;
}

/* Sums "number unit" terms; a lone bare number takes bare. 0 or -EINVAL. */
static int s_parse(const char *text, const s_unit_t *units, size_t n, double bare, double *out)
{
    const char *p = text;
    double sum = 0;
    int terms = 0;
    while (*p) {
        char *end = NULL;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -EINVAL; /* no sign, no "inf", no "nan", no blanks */
        double v = strtod(p, &end);
        if (end == p || !isfinite(v))
            return -EINVAL;
        p = end;
        const s_unit_t *u = s_unit(&p, units, n);
        if (!u && (*p || terms > 0))
            return -EINVAL;
        sum += v * (u ? u->scale : bare);
        terms++;
    }
    if (terms == 0 || !isfinite(sum))
        return -EINVAL;
    *out = sum;
    return 0;
}

int pb_units_duration(const char *what, const char *text, double bare_unit_s, double *seconds,
                      char *err, size_t errlen)
{
    double v = 0;
    if (!text || s_parse(text, s_durations, sizeof s_durations / sizeof s_durations[0], bare_unit_s,
                         &v) < 0) {
        snprintf(err, errlen, "%s: '%.60s' is not a duration (e.g. 250ms, 1.5s, 90s, 5m, 2h, 7d)",
                 what, text ? text : "");
        return -EINVAL;
    }
    *seconds = v;
    return 0;
}

int pb_units_size(const char *what, const char *text, double bare_unit_bytes, uint64_t *bytes,
                  char *err, size_t errlen)
{
    double v = 0;
    if (!text ||
        s_parse(text, s_sizes, sizeof s_sizes / sizeof s_sizes[0], bare_unit_bytes, &v) < 0 ||
        v >= 9.2e18) {
        snprintf(err, errlen, "%s: '%.60s' is not a size (e.g. 512K, 64M, 5G, 5GiB, 100MB)", what,
                 text ? text : "");
        return -EINVAL;
    }
    *bytes = (uint64_t)llround(v);
    return 0;
}
