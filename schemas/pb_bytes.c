/* pb_bytes: a growing byte buffer to write and a checked cursor to read, little-endian. */
#include "pb_bytes.h"

#include "pb_le.h"

#include <stdlib.h>
#include <string.h>

void pb_wbuf_put(pb_wbuf_t *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (data)
        memcpy(b->p + b->len, data, n);
    else
        memset(b->p + b->len, 0, n);
    b->len += n;
}

void pb_wbuf_le(pb_wbuf_t *b, uint64_t v, int bytes)
{
    unsigned char le[8];
    pb_le_put(le, v, bytes);
    pb_wbuf_put(b, le, (size_t)bytes);
}

void pb_wbuf_f64(pb_wbuf_t *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    pb_wbuf_le(b, v, 8);
}

void pb_wbuf_str16(pb_wbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    n = n > UINT16_MAX ? UINT16_MAX : n;
    pb_wbuf_le(b, n, 2);
    pb_wbuf_put(b, s, n);
}

uint64_t pb_rcur_le(pb_rcur_t *c, int bytes)
{
    if (c->bad || c->len - c->pos < (size_t)bytes) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = pb_le_get(c->p + c->pos, bytes);
    c->pos += (size_t)bytes;
    return v;
}

double pb_rcur_f64(pb_rcur_t *c)
{
    uint64_t v = pb_rcur_le(c, 8);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

const unsigned char *pb_rcur_take(pb_rcur_t *c, uint64_t n)
{
    if (c->bad || c->len - c->pos < n) {
        c->bad = 1;
        return NULL;
    }
    c->pos += (size_t)n;
    return c->p + c->pos - n;
}

const char *pb_rcur_str16(pb_rcur_t *c, size_t *n)
{
    *n = (size_t)pb_rcur_le(c, 2);
    const unsigned char *s = pb_rcur_take(c, *n);
    if (!s)
        *n = 0;
    return s ? (const char *)s : "";
}
