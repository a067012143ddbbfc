/* pb_cli_fmt: the CLI's human numbers: units from the catalogue, thousands grouped.
 *
 * The unit of a catalogued value is the catalogue's (pb_catalog.def); this file only knows
 * how each unit is written. Grouping is by commas every three digits, whatever the locale,
 * so that output is the same in every terminal and test. */
#include "pb_cli_fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Copies digits (an optional '-', then digits, then maybe ".fraction") into buf with a comma
 * every three digits of the whole part. */
static void s_group(char *buf, size_t size, const char *digits)
{
    const char *start = digits[0] == '-' ? digits + 1 : digits;
    size_t whole = strcspn(start, ".e"), o = 0;
    if (start != digits && o + 1 < size)
        buf[o++] = '-';
    for (size_t i = 0; i < whole && o + 1 < size; i++) {
        if (i > 0 && (whole - i) % 3 == 0 && o + 2 < size)
            buf[o++] = ',';
        buf[o++] = start[i];
    }
    for (const char *rest = start + whole; *rest && o + 1 < size; rest++)
        buf[o++] = *rest;
    buf[o] = '\0';
}

/* Decimals of a fraction: one past 100, else two; below 0.01 up to six, trailing zeros
 * dropped (0.00012; 4e-16, a float's rounding, is 0.00). */
static void s_fraction(char *digits, size_t size, double v)
{
    double a = fabs(v);
    snprintf(digits, size, "%.*f", a >= 100 ? 1 : a >= 0.01 ? 2 : 6, v);
    size_t n = strlen(digits), point = strcspn(digits, ".");
    while (n > point + 3 && digits[n - 1] == '0')
        digits[--n] = '\0';
}

char *pb_cli_fmt_num(char *buf, size_t size, double v)
{
    char digits[64];
    if (isnan(v)) {
        snprintf(buf, size, "-");
        return buf;
    }
    if (!isfinite(v) || fabs(v) >= 1e21) { /* beyond %.0f's 21 digits */
        snprintf(buf, size, "%.3g", v);
        return buf;
    }
    if (v == floor(v))
        snprintf(digits, sizeof digits, "%.0f", v);
    else
        s_fraction(digits, sizeof digits, v);
    s_group(buf, size, digits);
    return buf;
}

const char *pb_cli_grouped(double v)
{
    static char ring[16][40];
    static unsigned next;
    char *buf = ring[next++ % 16];
    return pb_cli_fmt_num(buf, sizeof ring[0], v);
}

char *pb_cli_fmt_bytes(char *buf, size_t size, double bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    if (isnan(bytes)) {
        snprintf(buf, size, "-");
        return buf;
    }
    while (fabs(bytes) >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

char *pb_cli_fmt_rate(char *buf, size_t size, double bytes_per_s)
{
    pb_cli_fmt_bytes(buf, size, bytes_per_s);
    if (!isnan(bytes_per_s) && strlen(buf) + 3 < size)
        strcat(buf, "/s");
    return buf;
}

char *pb_cli_fmt_pct(char *buf, size_t size, double pct)
{
    if (isnan(pct))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", pct);
    return buf;
}

/* A grouped number followed by suffix ("/s", " ms"). */
static char *s_with(char *buf, size_t size, double v, int decimals, const char *suffix)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.*f", decimals, v);
    s_group(buf, size, digits);
    if (strlen(buf) + strlen(suffix) < size)
        strcat(buf, suffix);
    return buf;
}

char *pb_cli_fmt_unit(char *buf, size_t size, pb_catalog_unit_t unit, bool integer, double value)
{
    if (isnan(value)) {
        snprintf(buf, size, "-");
        return buf;
    }
    switch (unit) {
    case PB_CU_PCT:
        return pb_cli_fmt_pct(buf, size, value);
    case PB_CU_BYTES:
        return pb_cli_fmt_bytes(buf, size, value);
    case PB_CU_BYTES_PER_S:
        return pb_cli_fmt_rate(buf, size, value);
    case PB_CU_COUNT_PER_S:
        return s_with(buf, size, value, fabs(value) < 100 ? 1 : 0, "/s");
    case PB_CU_S:
        return value >= 3600 ? s_with(buf, size, value / 3600, 1, " h")
                             : s_with(buf, size, value, fabs(value) < 10 && !integer ? 2 : 0, " s");
    case PB_CU_MS:
        return s_with(buf, size, value, fabs(value) < 100 ? 1 : 0, " ms");
    case PB_CU_US:
        return s_with(buf, size, value, 0, " us");
    case PB_CU_HZ:
        return s_with(buf, size, value, 0, " Hz");
    default:
        break;
    }
    if (integer)
        return s_with(buf, size, value, 0, "");
    return pb_cli_fmt_num(buf, size, value);
}
