/* pb_mpwrite: encodes msgpack straight into one reused buffer, keys taken from the catalogue. */
#include "pb_mpwrite.h"

#include "pb_utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RESERVED 5 /* map32 / array32 header: the widest a count needs */

/* One open container: where its reserved header is, how many entries it has. */
typedef struct {
    size_t at;
    uint32_t count;
    bool is_map;
} s_open_t;

struct pb_mpwrite {
    unsigned char *buf;
    size_t len, cap;
    int err;
    size_t depth;
    s_open_t open[PB_MPWRITE_MAX_DEPTH];
};

pb_mpwrite_t *pb_mpwrite_new(void)
{
    return calloc(1, sizeof(pb_mpwrite_t));
}

void pb_mpwrite_destroy(pb_mpwrite_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

void pb_mpwrite_reset(pb_mpwrite_t *self)
{
    self->len = 0;
    self->err = 0;
    self->depth = 0;
}

const char *pb_mpwrite_data(const pb_mpwrite_t *self)
{
    return (const char *)self->buf;
}

size_t pb_mpwrite_len(const pb_mpwrite_t *self)
{
    return self->len;
}

size_t pb_mpwrite_depth(const pb_mpwrite_t *self)
{
    return self->depth;
}

int pb_mpwrite_status(const pb_mpwrite_t *self)
{
    return self->err;
}

static int s_fail(pb_mpwrite_t *self, int rc)
{
    if (self->err == 0)
        self->err = rc;
    return self->err;
}

/* Grows the buffer to hold n more bytes: 0, or -ENOMEM with the error set. */
static int s_grow(pb_mpwrite_t *self, size_t n)
{
    size_t cap = self->cap ? self->cap : 1024;
    while (cap - self->len < n)
        cap *= 2;
    unsigned char *buf = realloc(self->buf, cap);
    if (!buf)
        return s_fail(self, -ENOMEM);
    self->buf = buf;
    self->cap = cap;
    return 0;
}

/* Room for n more bytes: a pointer to them, or NULL with the error set. Every
 * byte written goes through here, so the common case is inline. */
static inline unsigned char *s_room(pb_mpwrite_t *self, size_t n)
{
    if (self->cap - self->len < n && s_grow(self, n) < 0)
        return NULL;
    unsigned char *p = self->buf + self->len;
    self->len += n;
    return p;
}

static inline void s_be(unsigned char *p, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

/* A type byte followed by v in `bytes` big-endian bytes. */
static inline void s_head(pb_mpwrite_t *self, unsigned char type, uint64_t v, size_t bytes)
{
    unsigned char *p = s_room(self, 1 + bytes);
    if (!p)
        return;
    p[0] = type;
    s_be(p + 1, v, bytes);
}

/* A str header in the smallest form; the body follows. */
static void s_str_head(pb_mpwrite_t *self, size_t len)
{
    if (len < 32)
        s_head(self, (unsigned char)(0xa0 | len), 0, 0);
    else if (len < 256)
        s_head(self, 0xd9, len, 1);
    else if (len < 65536)
        s_head(self, 0xda, len, 2);
    else
        s_head(self, 0xdb, len, 4);
}

static void s_bytes(pb_mpwrite_t *self, const void *data, size_t len)
{
    unsigned char *p = s_room(self, len);
    if (p && len > 0)
        memcpy(p, data, len);
}

/* Checks that key fits where the value goes, counts the entry and writes the key. */
static int s_key(pb_mpwrite_t *self, const pb_catalog_field_t *key)
{
    if (self->err)
        return self->err;
    s_open_t *top = self->depth ? &self->open[self->depth - 1] : NULL;
    bool in_map = top && top->is_map;
    if (in_map != (key != NULL))
        return s_fail(self, -EINVAL);
    if (top)
        top->count++;
    if (key) { /* a key is at most PB_VALUE_KEY_MAX (255) bytes: fixstr or str8 */
        size_t len = strlen(key->name);
        size_t head = len < 32 ? 1 : 2;
        unsigned char *p = len < 256 ? s_room(self, head + len) : NULL;
        if (!p)
            return s_fail(self, -E2BIG); /* s_room's -ENOMEM stays the first error */
        if (head == 1) {
            p[0] = (unsigned char)(0xa0 | len);
        } else {
            p[0] = 0xd9;
            p[1] = (unsigned char)len;
        }
        memcpy(p + head, key->name, len);
    }
    return self->err;
}

static int s_open(pb_mpwrite_t *self, const pb_catalog_field_t *key, bool is_map)
{
    if (s_key(self, key) < 0)
        return self->err;
    if (self->depth == PB_MPWRITE_MAX_DEPTH)
        return s_fail(self, -ELOOP);
    size_t at = self->len;
    if (!s_room(self, S_RESERVED))
        return self->err;
    self->open[self->depth++] = (s_open_t){at, 0, is_map};
    return 0;
}

int pb_mpwrite_map(pb_mpwrite_t *self, const pb_catalog_field_t *key)
{
    return s_open(self, key, true);
}

int pb_mpwrite_array(pb_mpwrite_t *self, const pb_catalog_field_t *key)
{
    return s_open(self, key, false);
}

/* Writes the count into the reserved header, in the smallest form, moving the
 * contents back over the bytes that form leaves unused. */
int pb_mpwrite_end(pb_mpwrite_t *self)
{
    if (self->err)
        return self->err;
    if (self->depth == 0)
        return s_fail(self, -EINVAL);
    s_open_t o = self->open[--self->depth];
    unsigned char *p = self->buf + o.at;
    size_t head;
    if (o.count < 16) {
        p[0] = (unsigned char)((o.is_map ? 0x80 : 0x90) | o.count);
        head = 1;
    } else if (o.count < 65536) {
        p[0] = o.is_map ? 0xde : 0xdc;
        s_be(p + 1, o.count, 2);
        head = 3;
    } else {
        p[0] = o.is_map ? 0xdf : 0xdd;
        s_be(p + 1, o.count, 4);
        head = 5;
    }
    size_t body = self->len - o.at - S_RESERVED;
    if (head < S_RESERVED)
        memmove(p + head, p + S_RESERVED, body);
    self->len -= S_RESERVED - head;
    return 0;
}

static void s_uint(pb_mpwrite_t *self, uint64_t v)
{
    if (v < 128)
        s_head(self, (unsigned char)v, 0, 0);
    else if (v < 256)
        s_head(self, 0xcc, v, 1);
    else if (v < 65536)
        s_head(self, 0xcd, v, 2);
    else if (v <= UINT32_MAX)
        s_head(self, 0xce, v, 4);
    else
        s_head(self, 0xcf, v, 8);
}

int pb_mpwrite_uint(pb_mpwrite_t *self, const pb_catalog_field_t *key, uint64_t v)
{
    if (s_key(self, key) == 0)
        s_uint(self, v);
    return self->err;
}

int pb_mpwrite_int(pb_mpwrite_t *self, const pb_catalog_field_t *key, int64_t v)
{
    if (s_key(self, key) < 0)
        return self->err;
    if (v >= 0)
        s_uint(self, (uint64_t)v);
    else if (v >= -32)
        s_head(self, (unsigned char)(int8_t)v, 0, 0);
    else if (v >= INT8_MIN)
        s_head(self, 0xd0, (uint8_t)(int8_t)v, 1);
    else if (v >= INT16_MIN)
        s_head(self, 0xd1, (uint16_t)(int16_t)v, 2);
    else if (v >= INT32_MIN)
        s_head(self, 0xd2, (uint32_t)(int32_t)v, 4);
    else
        s_head(self, 0xd3, (uint64_t)v, 8);
    return self->err;
}

int pb_mpwrite_float(pb_mpwrite_t *self, const pb_catalog_field_t *key, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (s_key(self, key) == 0)
        s_head(self, 0xcb, bits, 8);
    return self->err;
}

int pb_mpwrite_bool(pb_mpwrite_t *self, const pb_catalog_field_t *key, bool v)
{
    if (s_key(self, key) == 0)
        s_head(self, v ? 0xc3 : 0xc2, 0, 0);
    return self->err;
}

int pb_mpwrite_strn(pb_mpwrite_t *self, const pb_catalog_field_t *key, const char *s, size_t len)
{
    if (s_key(self, key) < 0)
        return self->err;
    bool valid = pb_utf8_is_valid(s, len);
    size_t out_len = valid ? len : pb_utf8_sanitized_len(s, len);
    if (out_len > UINT32_MAX)
        return s_fail(self, -E2BIG);
    s_str_head(self, out_len);
    if (valid) {
        s_bytes(self, s, len);
        return self->err;
    }
    unsigned char *p = s_room(self, out_len);
    if (p)
        pb_utf8_sanitize(s, len, (char *)p);
    return self->err;
}

int pb_mpwrite_str(pb_mpwrite_t *self, const pb_catalog_field_t *key, const char *s)
{
    return pb_mpwrite_strn(self, key, s, strlen(s));
}

int pb_mpwrite_bin(pb_mpwrite_t *self, const pb_catalog_field_t *key, const void *data, size_t len)
{
    if (s_key(self, key) < 0)
        return self->err;
    if (len > UINT32_MAX)
        return s_fail(self, -E2BIG);
    if (len < 256)
        s_head(self, 0xc4, len, 1);
    else if (len < 65536)
        s_head(self, 0xc5, len, 2);
    else
        s_head(self, 0xc6, len, 4);
    s_bytes(self, data, len);
    return self->err;
}

int pb_mpwrite_resolve(pb_catalog_frame_t frame, const char *parent_path, const char *const *names,
                       size_t n, const pb_catalog_field_t **out, char *err, size_t errlen)
{
    const pb_catalog_field_t *parent = NULL;
    const char *fname = pb_catalog_frame_name(frame);
    if (parent_path[0] && !(parent = pb_catalog_find(frame, parent_path))) {
        snprintf(err, errlen, "the catalogue has no %s field '%s'", fname, parent_path);
        return -ENOENT;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = pb_catalog_child(frame, parent, names[i], strlen(names[i]));
        if (!out[i]) {
            snprintf(err, errlen, "the catalogue has no %s field '%s%s%s'", fname, parent_path,
                     parent_path[0] ? "." : "", names[i]);
            return -ENOENT;
        }
    }
    return 0;
}
