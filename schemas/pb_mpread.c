/* pb_mpread: the one decoder of msgpack headers — a cursor that never allocates, and a frame walk.
 */
#include "pb_mpread.h"

#include "pb_utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef enum { S_SCALAR, S_STR, S_BIN, S_ARRAY, S_MAP, S_EXT, S_UNUSED } s_kind_t;

typedef struct {
    s_kind_t kind;
    unsigned char lenbytes; /* size of the big-endian length or count after the type byte */
    unsigned char body;     /* payload bytes of a fixed-size scalar or fixext */
    const char *name;
} s_head_t;

/* Type bytes 0xc0..0xdf; the fix ranges are decoded in s_head_of. */
static const s_head_t s_heads[32] = {
    {S_SCALAR, 0, 0, "nil"},    {S_UNUSED, 0, 0, "0xc1"},    {S_SCALAR, 0, 0, "false"},
    {S_SCALAR, 0, 0, "true"},   {S_BIN, 1, 0, "bin8"},       {S_BIN, 2, 0, "bin16"},
    {S_BIN, 4, 0, "bin32"},     {S_EXT, 1, 1, "ext8"},       {S_EXT, 2, 1, "ext16"},
    {S_EXT, 4, 1, "ext32"},     {S_SCALAR, 0, 4, "float32"}, {S_SCALAR, 0, 8, "float64"},
    {S_SCALAR, 0, 1, "uint8"},  {S_SCALAR, 0, 2, "uint16"},  {S_SCALAR, 0, 4, "uint32"},
    {S_SCALAR, 0, 8, "uint64"}, {S_SCALAR, 0, 1, "int8"},    {S_SCALAR, 0, 2, "int16"},
    {S_SCALAR, 0, 4, "int32"},  {S_SCALAR, 0, 8, "int64"},   {S_EXT, 0, 2, "fixext1"},
    {S_EXT, 0, 3, "fixext2"},   {S_EXT, 0, 5, "fixext4"},    {S_EXT, 0, 9, "fixext8"},
    {S_EXT, 0, 17, "fixext16"}, {S_STR, 1, 0, "str8"},       {S_STR, 2, 0, "str16"},
    {S_STR, 4, 0, "str32"},     {S_ARRAY, 2, 0, "array16"},  {S_ARRAY, 4, 0, "array32"},
    {S_MAP, 2, 0, "map16"},     {S_MAP, 4, 0, "map32"},
};

static const s_head_t s_fixint = {S_SCALAR, 0, 0, "fixint"};
static const s_head_t s_fixmap = {S_MAP, 0, 0, "fixmap"};
static const s_head_t s_fixarray = {S_ARRAY, 0, 0, "fixarray"};
static const s_head_t s_fixstr = {S_STR, 0, 0, "fixstr"};

/* The head of type byte t; *inline_n gets the length a fix type carries. */
static const s_head_t *s_head_of(unsigned char t, uint32_t *inline_n)
{
    *inline_n = 0;
    if (t <= 0x7f || t >= 0xe0)
        return &s_fixint;
    if (t >= 0xc0)
        return &s_heads[t - 0xc0];
    *inline_n = t <= 0x9f ? t & 0x0fu : t & 0x1fu;
    if (t <= 0x8f)
        return &s_fixmap;
    return t <= 0x9f ? &s_fixarray : &s_fixstr;
}

static int s_fail(pb_mpread_t *self, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(pb_mpread_t *self, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->err, sizeof self->err, fmt, ap);
    va_end(ap);
    self->fail = rc;
    return rc;
}

/* A big-endian number of n = 0, 1, 2, 4 or 8 bytes (the only widths msgpack has). */
static uint64_t s_read_be(const unsigned char *p, unsigned n)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (n) {
    case 1:
        return p[0];
    case 2:
        memcpy(&v16, p, 2);
        return __builtin_bswap16(v16);
    case 4:
        memcpy(&v32, p, 4);
        return __builtin_bswap32(v32);
    case 8:
        memcpy(&v64, p, 8);
        return __builtin_bswap64(v64);
    default:
        return 0;
    }
}

/* Integers as msgpack-c reads them: any non-negative value is PB_UINT. */
static void s_set_int(pb_mpread_item_t *item, int64_t i)
{
    item->type = i < 0 ? PB_INT : PB_UINT;
    item->i = i;
    item->u = (uint64_t)i;
}

static double s_float_of(const unsigned char *p, unsigned n)
{
    uint64_t bits = s_read_be(p, n);
    if (n == 8) {
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    uint32_t bits32 = (uint32_t)bits;
    float f;
    memcpy(&f, &bits32, sizeof f);
    return f;
}

/* The value of a scalar whose type byte is t and whose body starts at p. */
static void s_scalar(pb_mpread_item_t *item, unsigned char t, const unsigned char *p, unsigned body)
{
    uint64_t raw = s_read_be(p, body);
    item->type = PB_UINT;
    if (t <= 0x7f || (t >= 0xcc && t <= 0xcf)) {
        item->u = t <= 0x7f ? t : raw;
        item->i = (int64_t)item->u;
    } else if (t >= 0xe0) {
        s_set_int(item, (int8_t)t);
    } else if (t >= 0xd0 && t <= 0xd3) { /* sign-extend from the body's width */
        unsigned shift = 64 - 8 * body;
        s_set_int(item, (int64_t)(raw << shift) >> shift);
    } else if (t == 0xca || t == 0xcb) {
        item->type = PB_FLOAT;
        item->f = s_float_of(p, body);
    } else {
        item->type = t == 0xc0 ? PB_NIL : PB_BOOL;
        item->b = t == 0xc3;
    }
}

/* perfbus's rules for map keys past msgpack's (a str, checked in s_check_head):
 * short once invalid UTF-8 is replaced (as pb_value stores it), without NUL.
 * The body is known to fit. */
static int s_check_key(pb_mpread_t *self, size_t at, uint64_t n, const unsigned char *body)
{
    if (n > PB_MPREAD_MAX_KEY)
        return s_fail(self, -EBADMSG,
                      "malformed msgpack: map key at offset %zu is %llu bytes; at most %d", at,
                      (unsigned long long)n, PB_MPREAD_MAX_KEY);
    /* a bad byte becomes the 3 bytes of U+FFFD: a key of at most a third of
     * the limit fits whatever it holds, without scanning it */
    size_t stored = n * 3 <= PB_MPREAD_MAX_KEY ? 0 : pb_utf8_sanitized_len((const char *)body, n);
    if (stored > PB_MPREAD_MAX_KEY)
        return s_fail(self, -EBADMSG,
                      "malformed msgpack: map key at offset %zu is %zu bytes once invalid UTF-8 "
                      "is replaced; at most %d",
                      at, stored, PB_MPREAD_MAX_KEY);
    if (n && memchr(body, '\0', (size_t)n))
        return s_fail(self, -EBADMSG, "malformed msgpack: map key at offset %zu holds a NUL byte",
                      at);
    return 0;
}

/* Checks a str/bin/scalar body or a container's count against the bytes that
 * remain after the header at `at`, which is hdr bytes long. */
static int s_check_body(pb_mpread_t *self, const s_head_t *h, size_t at, size_t hdr, uint64_t n)
{
    size_t left = self->len - at - hdr;
    if (h->kind == S_SCALAR && h->body > left)
        return s_fail(self, -ENODATA,
                      "truncated msgpack: %s at offset %zu needs %u bytes, %zu remain", h->name, at,
                      h->body, left);
    if ((h->kind == S_STR || h->kind == S_BIN) && n > left)
        return s_fail(self, -ENODATA,
                      "truncated msgpack: %s header at offset %zu declares %llu bytes, %zu remain",
                      h->name, at, (unsigned long long)n, left);
    uint64_t children = h->kind == S_MAP ? 2 * n : h->kind == S_ARRAY ? n : 0;
    if (children > left)
        return s_fail(
            self, -ENODATA,
            "truncated msgpack: %s header at offset %zu declares %llu %s, %zu bytes remain",
            h->name, at, (unsigned long long)n, h->kind == S_MAP ? "entries" : "items", left);
    return 0;
}

/* Refuses the type bytes that carry nothing here, a key that is not a str,
 * and a header cut short. */
static int s_check_head(pb_mpread_t *self, const s_head_t *h, size_t at, bool is_key)
{
    if (h->kind == S_UNUSED)
        return s_fail(self, -EBADMSG, "malformed msgpack: bad type byte 0xc1 at offset %zu", at);
    if (h->kind == S_EXT)
        return s_fail(self, -EBADMSG,
                      "malformed msgpack: %s at offset %zu (ext types carry no meaning here)",
                      h->name, at);
    if (is_key && h->kind != S_STR)
        return s_fail(self, -EBADMSG,
                      "malformed msgpack: map key at offset %zu is a %s; keys must be strings", at,
                      h->name);
    if (h->lenbytes >= self->len - at)
        return s_fail(self, -ENODATA,
                      "truncated msgpack: %s header at offset %zu needs %u bytes, %zu remain",
                      h->name, at, h->lenbytes + 1u, self->len - at);
    return 0;
}

static void s_fill(pb_mpread_item_t *item, const s_head_t *h, unsigned char t,
                   const unsigned char *body, uint64_t n)
{
    static const pb_type_t types[] = {
        [S_STR] = PB_STR, [S_BIN] = PB_BIN, [S_ARRAY] = PB_ARRAY, [S_MAP] = PB_MAP};
    item->b = false; /* fields that do not apply are zero, never stale */
    item->i = 0;
    item->u = 0;
    item->f = 0;
    item->len = (uint32_t)n; /* lenbytes <= 4: always fits */
    item->data = (const char *)body;
    if (h->kind == S_SCALAR)
        s_scalar(item, t, body, h->body);
    else
        item->type = types[h->kind];
}

/* True when one of the 8 bytes of w is zero. */
static inline bool s_word_has_zero(uint64_t w)
{
    return ((w - 0x0101010101010101u) & ~w & 0x8080808080808080u) != 0;
}

/* True when one of the n bytes at p is NUL, a word at a time (keys are short:
 * a call to memchr costs more than the scan). `avail` bytes may be read from p
 * (avail >= n): a short key with a word's worth of buffer behind it is checked
 * in one load, the bytes past the key forced non-zero. */
static inline __attribute__((always_inline)) bool s_has_nul(const unsigned char *p, size_t n,
                                                            size_t avail)
{
    uint64_t w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 8 && avail >= 8) {
        memcpy(&w, p, sizeof w);
        return n && s_word_has_zero(w | (~0ull << (8 * n)));
    }
#endif
    if (n >= 8) { /* whole words, the last one overlapping its predecessor */
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&w, p + i, sizeof w);
            if (s_word_has_zero(w))
                return true;
        }
        memcpy(&w, p + n - 8, sizeof w);
        return s_word_has_zero(w);
    }
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0)
            return true;
    return false;
}

/* The objects frames are made of — fixstr keys and values, positive fixints,
 * uints, float64 — read without the general checks, which cannot fail for
 * them once their bytes are known to be there (a fixstr key is at most 31
 * bytes: only NUL is to be refused). Returns 1 when *item was read, 0 to take
 * the general path. */
static inline __attribute__((always_inline)) int
s_read_common(pb_mpread_t *self, pb_mpread_item_t *item, bool is_key, unsigned char t, size_t at)
{
    size_t left = self->len - at - 1;
    const unsigned char *body = self->p + at + 1;
    size_t n;
    item->b = false;
    item->i = 0;
    item->u = 0;
    item->f = 0;
    item->len = 0;
    item->data = (const char *)body;
    if (t >= 0xa0 && t <= 0xbf) {
        n = t & 0x1fu;
        if (n > left || (is_key && s_has_nul(body, n, left)))
            return 0;
        item->type = PB_STR;
        item->len = (uint32_t)n;
    } else if (is_key) {
        return 0;
    } else if (t <= 0x7f) {
        n = 0;
        item->type = PB_UINT;
        item->u = t;
        item->i = t;
    } else if ((t == 0xcb && left >= 8) || (t >= 0xcc && t <= 0xcf && left >= (1u << (t - 0xcc)))) {
        n = t == 0xcb ? 8 : 1u << (t - 0xcc);
        s_scalar(item, t, body, (unsigned)n);
    } else {
        return 0;
    }
    self->off = at + 1 + n;
    return 1;
}

/* Reads the header at the offset, checks it and fills *item; advances past
 * the object's own bytes (not a container's items) only on success. Apart
 * from the common objects' short path, so that the short path's callers
 * carry none of this one's registers. */
static __attribute__((noinline)) int s_read_general(pb_mpread_t *self, pb_mpread_item_t *item,
                                                    bool is_key)
{
    size_t at = self->off;
    if (at >= self->len)
        return s_fail(self, -ENODATA, "truncated msgpack: ends at offset %zu%s", at,
                      self->top > 0 ? " inside a container" : "");
    uint32_t inline_n;
    unsigned char t = self->p[at];
    const s_head_t *h = s_head_of(t, &inline_n);
    int rc = s_check_head(self, h, at, is_key);
    if (rc < 0)
        return rc;
    uint64_t n = h->lenbytes ? s_read_be(self->p + at + 1, h->lenbytes) : inline_n;
    size_t hdr = 1 + (size_t)h->lenbytes;
    const unsigned char *body = self->p + at + hdr;
    rc = s_check_body(self, h, at, hdr, n);
    if (rc == 0 && is_key)
        rc = s_check_key(self, at, n, body);
    if (rc < 0)
        return rc;
    s_fill(item, h, t, body, n);
    bool bytes = h->kind == S_STR || h->kind == S_BIN;
    self->off = at + hdr + (bytes ? (size_t)n : h->kind == S_SCALAR ? h->body : 0);
    return 0;
}

static inline __attribute__((always_inline)) int s_read_one(pb_mpread_t *self,
                                                            pb_mpread_item_t *item, bool is_key)
{
    size_t at = self->off;
    if (at < self->len && s_read_common(self, item, is_key, self->p[at], at))
        return 0;
    return s_read_general(self, item, is_key);
}

void pb_mpread_init(pb_mpread_t *self, const void *buf, size_t len, unsigned max_depth)
{
    self->p = buf;
    self->len = len;
    self->off = 0;
    self->max_depth = max_depth < PB_MPREAD_MAX_DEPTH ? max_depth : PB_MPREAD_MAX_DEPTH;
    self->top = 0;
    self->fail = 0;
    self->owed[0] = 1;
    self->in_map[0] = false;
    self->err[0] = '\0';
}

/* Closes every level whose objects have all been read. */
static void s_settle(pb_mpread_t *self)
{
    while (self->top >= 0 && self->owed[self->top] == 0)
        self->top--;
}

/* pb_mpread_next, static so that the walk inlines it (pb_schemas is built
 * -fPIC, where a public function may be interposed and is not inlined). */
static inline int s_next(pb_mpread_t *self, pb_mpread_item_t *item)
{
    if (self->fail)
        return self->fail;
    if (self->top < 0)
        return -ENOENT;
    int top = self->top;
    bool is_key = self->in_map[top] && self->owed[top] % 2 == 0;
    if ((unsigned)top + 1 > self->max_depth)
        return s_fail(self, -ELOOP, "payload nested deeper than %u levels (offset %zu)",
                      self->max_depth, self->off);
    size_t at = self->off;
    int rc = s_read_one(self, item, is_key);
    if (rc < 0)
        return rc;
    item->offset = at;
    item->depth = (unsigned)top + 1;
    item->is_key = is_key;
    self->owed[top]--;
    uint64_t children = item->type == PB_MAP     ? 2 * (uint64_t)item->len
                        : item->type == PB_ARRAY ? item->len
                                                 : 0;
    if (children) {
        self->owed[++self->top] = children;
        self->in_map[self->top] = item->type == PB_MAP;
    }
    s_settle(self);
    return 0;
}

int pb_mpread_next(pb_mpread_t *self, pb_mpread_item_t *item)
{
    return s_next(self, item);
}

int pb_mpread_next_entry(pb_mpread_t *self, pb_mpread_item_t *key, pb_mpread_item_t *value)
{
    int rc = s_next(self, key);
    if (rc == 0 && !key->is_key)
        return s_fail(self, -EBADMSG, "a %s at offset %zu where a map key was expected",
                      pb_value_type_name(key->type), key->offset);
    return rc ? rc : s_next(self, value);
}

static inline bool s_done(const pb_mpread_t *self)
{
    return self->top < 0 || self->fail != 0;
}

int pb_mpread_skip(pb_mpread_t *self, const pb_mpread_item_t *item)
{
    pb_mpread_item_t sub;
    while (self->top >= (int)item->depth) {
        int rc = s_next(self, &sub);
        if (rc < 0)
            return rc;
    }
    return self->fail;
}

bool pb_mpread_done(const pb_mpread_t *self)
{
    return s_done(self);
}

int pb_mpread_finish(pb_mpread_t *self)
{
    if (self->fail)
        return self->fail;
    if (self->top >= 0) {
        snprintf(self->err, sizeof self->err, "msgpack object not complete at offset %zu",
                 self->off);
        return -ENODATA;
    }
    if (self->off != self->len)
        return s_fail(self, -E2BIG, "trailing bytes after the msgpack object (offset %zu of %zu)",
                      self->off, self->len);
    return 0;
}

size_t pb_mpread_offset(const pb_mpread_t *self)
{
    return self->off;
}

const char *pb_mpread_error(const pb_mpread_t *self)
{
    return self->err;
}

#define S_FNV_OFFSET 0xcbf29ce484222325ull
#define S_FNV_PRIME  0x100000001b3ull

static uint64_t s_hash_more(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= S_FNV_PRIME;
    }
    return h;
}

uint64_t pb_mpread_hash(const char *s, size_t len)
{
    return s_hash_more(S_FNV_OFFSET, s, len);
}

/* The walk. One level per open container, indexed by its depth: where its
 * own path ends (an array's includes its "[]"), and for a map where the path
 * of the current key ends. Deeper levels only write past their parent's end,
 * so returning to a level needs no copy, only its lengths. The longest path:
 * 31 levels below the top map, each at most '.' and a 255-byte key. */
#define S_PATH_MAX (PB_MPREAD_MAX_DEPTH * (PB_MPREAD_MAX_KEY + 1) + 1)

typedef struct {
    size_t base_len, key_len;
    uint64_t base_hash, key_hash;
    uint32_t next;   /* arrays: index of the next item */
    unsigned nindex; /* indices on the path of this level's items */
    bool is_map;
} s_level_t;

typedef struct {
    pb_mpread_t rd;
    pb_mpread_leaf_fn fn;
    void *arg;
    size_t ordinal, leaf_at; /* leaf_at: offset of the last leaf, for the callback's stop */
    s_level_t lvl[PB_MPREAD_MAX_DEPTH + 1];
    uint32_t index[PB_MPREAD_MAX_DEPTH];
    char path[S_PATH_MAX];
} s_walk_t;

/* Appends s to the path at `at`; returns the new length. */
static size_t s_append(s_walk_t *w, size_t at, const char *s, size_t n, uint64_t *hash)
{
    memcpy(w->path + at, s, n);
    *hash = s_hash_more(*hash, s, n);
    return at + n;
}

/* A map key names the path of the value that follows it. */
static void s_walk_key(s_walk_t *w, s_level_t *parent, unsigned depth, const pb_mpread_item_t *key)
{
    uint64_t h = parent->base_hash;
    size_t at = parent->base_len;
    if (depth > 2) /* keys of the top map start the path; deeper ones join with '.' */
        at = s_append(w, at, ".", 1, &h);
    parent->key_len = s_append(w, at, key->data, key->len, &h);
    parent->key_hash = h;
}

static void s_walk_open(s_walk_t *w, const pb_mpread_item_t *item, size_t len, uint64_t hash,
                        unsigned nindex)
{
    s_level_t *lvl = &w->lvl[item->depth];
    lvl->is_map = item->type == PB_MAP;
    lvl->nindex = nindex + !lvl->is_map;
    lvl->next = 0;
    lvl->base_hash = hash;
    lvl->base_len = lvl->is_map ? len : s_append(w, len, "[]", 2, &lvl->base_hash);
}

static int s_walk_leaf(s_walk_t *w, const pb_mpread_item_t *item, size_t len, uint64_t hash,
                       unsigned nindex)
{
    w->path[len] = '\0';
    w->leaf_at = item->offset;
    pb_mpread_leaf_t leaf = {.path = w->path,
                             .path_len = len,
                             .path_hash = hash,
                             .index = w->index,
                             .nindex = nindex,
                             .ordinal = w->ordinal++,
                             .item = *item};
    return w->fn(&leaf, w->arg);
}

static int s_walk_item(s_walk_t *w, const pb_mpread_item_t *item)
{
    if (item->depth == 1) {
        if (item->type != PB_MAP)
            return s_fail(&w->rd, -EBADMSG, "frame is not a map: the top level is a %s",
                          pb_value_type_name(item->type));
        s_walk_open(w, item, 0, S_FNV_OFFSET, 0);
        return 0;
    }
    s_level_t *parent = &w->lvl[item->depth - 1];
    if (item->is_key) {
        s_walk_key(w, parent, item->depth, item);
        return 0;
    }
    size_t len = parent->is_map ? parent->key_len : parent->base_len;
    uint64_t hash = parent->is_map ? parent->key_hash : parent->base_hash;
    if (!parent->is_map)
        w->index[parent->nindex - 1] = parent->next++;
    bool container = item->type == PB_MAP || item->type == PB_ARRAY;
    if (container && item->len > 0) {
        s_walk_open(w, item, len, hash, parent->nindex);
        return 0;
    }
    return s_walk_leaf(w, item, len, hash, parent->nindex);
}

static int s_walk_run(s_walk_t *w)
{
    int rc = 0;
    while (rc == 0 && !s_done(&w->rd)) {
        pb_mpread_item_t item;
        rc = s_next(&w->rd, &item);
        if (rc == 0)
            rc = s_walk_item(w, &item);
    }
    if (rc == 0)
        return pb_mpread_finish(&w->rd);
    if (!w->rd.fail)
        snprintf(w->rd.err, sizeof w->rd.err,
                 "the leaf callback stopped the walk (%d) at offset %zu", rc, w->leaf_at);
    return rc;
}

int pb_mpread_walk(const void *buf, size_t len, pb_mpread_leaf_fn fn, void *arg, char *err,
                   size_t errlen)
{
    s_walk_t w;
    w.fn = fn;
    w.arg = arg;
    w.ordinal = 0;
    w.leaf_at = 0;
    pb_mpread_init(&w.rd, buf, len, PB_MPREAD_MAX_DEPTH);
    int rc = s_walk_run(&w);
    if (rc != 0 && err && errlen)
        snprintf(err, errlen, "%s", w.rd.err);
    return rc;
}
