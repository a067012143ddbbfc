/* pb_num: a finite double as the shortest decimal text that reads back as the same double. */
#include "pb_num.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A whole number below 1e15 in decimal, as %.15g would write it, without
 * printf's arbitrary-precision path: most values are counts of bytes, pages
 * and ticks. */
static size_t s_integer(double v, char buf[32])
{
    char digits[24];
    uint64_t u = (uint64_t)(v < 0 ? -v : v);
    size_t n = 0, len = 0;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = digits[--n];
    buf[len] = '\0';
    return len;
}

size_t pb_num_format(double v, char buf[32])
{
    if (fabs(v) < 1e15 && v == trunc(v) && !(v == 0 && signbit(v)))
        return s_integer(v, buf);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return n > 0 ? (size_t)n : 0;
}
