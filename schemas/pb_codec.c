/* pb_codec: msgpack bytes <-> pb_value trees; the only caller of msgpack-c. */
#include "pb_codec.h"

#include "pb_utf8.h"

#include <errno.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_pack(msgpack_packer *pk, const pb_value_t *v);

/* Every str that leaves perfbus is valid UTF-8: this is the one place all
 * producers go through, so invalid bytes become U+FFFD here (a copy is made
 * only then; valid strings, nearly all of them ASCII, are packed as they are). */
static int s_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    if (pb_utf8_is_valid(s, len))
        return msgpack_pack_str_with_body(pk, s, len);
    size_t clean_len;
    char *clean = pb_utf8_sanitize_new(s, len, &clean_len);
    if (!clean)
        return -ENOMEM;
    int rc = msgpack_pack_str_with_body(pk, clean, clean_len);
    free(clean);
    return rc;
}

static int s_pack_bytes(msgpack_packer *pk, const pb_value_t *v)
{
    const void *data;
    size_t len;
    pb_value_get_bytes(v, &data, &len);
    if (pb_value_type(v) == PB_STR)
        return s_pack_str(pk, data, len);
    return msgpack_pack_bin_with_body(pk, data, len);
}

static int s_pack_list(msgpack_packer *pk, const pb_value_t *v)
{
    size_t n = pb_value_len(v);
    bool is_map = pb_value_type(v) == PB_MAP;
    int rc = is_map ? msgpack_pack_map(pk, n) : msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (is_map) {
            const char *key = pb_value_map_key_at(v, i); /* valid UTF-8 (pb_value) */
            rc = msgpack_pack_str_with_body(pk, key, strlen(key));
        }
        if (rc == 0)
            rc = s_pack(pk, pb_value_array_at(v, i));
    }
    return rc == -ENODATA ? -EBADMSG : rc;
}

static int s_pack(msgpack_packer *pk, const pb_value_t *v)
{
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    switch (pb_value_type(v)) {
    case PB_BOOL:
        pb_value_get_bool(v, &b);
        return b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    case PB_INT:
        pb_value_get_i64(v, &i);
        return msgpack_pack_int64(pk, i);
    case PB_UINT:
        pb_value_get_u64(v, &u);
        return msgpack_pack_uint64(pk, u);
    case PB_FLOAT:
        pb_value_get_f64(v, &d);
        return msgpack_pack_double(pk, d);
    case PB_STR:
    case PB_BIN:
        return s_pack_bytes(pk, v);
    case PB_ARRAY:
    case PB_MAP:
        return s_pack_list(pk, v);
    default:
        return msgpack_pack_nil(pk);
    }
}

int pb_codec_encode(const pb_value_t *self, char **buf_p, size_t *len_p)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (s_pack(&pk, self) != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        return -ENOMEM;
    }
    *len_p = sbuf.size;
    *buf_p = msgpack_sbuffer_release(&sbuf);
    if (!*buf_p) /* an empty tree never happens: nil still packs one byte */
        return -ENOMEM;
    return 0;
}

const pb_codec_limits_t pb_codec_request_limits = {
    .max_bytes = PB_CODEC_MAX_BYTES,
    .max_objects = PB_CODEC_REQUEST_OBJECTS,
    .max_depth = PB_CODEC_MAX_DEPTH,
};

const pb_codec_limits_t pb_codec_frame_limits = {
    .max_bytes = 0,
    .max_objects = PB_CODEC_FRAME_OBJECTS,
    .max_depth = PB_CODEC_MAX_DEPTH,
};

/* The pre-scan: a walk over type bytes that never allocates, so that a header
 * claiming 4 G entries in 5 bytes is refused before msgpack-c reserves room
 * for them. Every object needs at least one byte, so a container may not
 * declare more objects than bytes remain. */
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

/* The head of type byte t; *inline_n gets the length a fix type carries. */
static s_head_t s_head_of(unsigned char t, uint32_t *inline_n)
{
    *inline_n = 0;
    if (t <= 0x7f || t >= 0xe0)
        return (s_head_t){S_SCALAR, 0, 0, "fixint"};
    if (t >= 0xc0)
        return s_heads[t - 0xc0];
    *inline_n = t <= 0x9f ? t & 0x0fu : t & 0x1fu;
    if (t <= 0x8f)
        return (s_head_t){S_MAP, 0, 0, "fixmap"};
    return t <= 0x9f ? (s_head_t){S_ARRAY, 0, 0, "fixarray"} : (s_head_t){S_STR, 0, 0, "fixstr"};
}

typedef struct {
    const unsigned char *p;
    size_t len, off;
    char *err;
    size_t errlen;
} s_scan_t;

static int s_scan_fail(s_scan_t *sc, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_scan_fail(s_scan_t *sc, int rc, const char *fmt, ...)
{
    if (sc->err && sc->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sc->err, sc->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static uint64_t s_read_be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Checks a str/bin/scalar body or a container's count against what remains;
 * advances past the object's own bytes and sets *children for containers. */
static int s_scan_body(s_scan_t *sc, const s_head_t *h, size_t at, uint64_t n, bool is_key,
                       uint64_t *children)
{
    size_t left = sc->len - sc->off;
    if (h->kind == S_SCALAR && h->body > left)
        return s_scan_fail(sc, -ENODATA,
                           "truncated msgpack: %s at offset %zu needs %u bytes, %zu remain",
                           h->name, at, h->body, left);
    if ((h->kind == S_STR || h->kind == S_BIN) && n > left)
        return s_scan_fail(
            sc, -ENODATA,
            "truncated msgpack: %s header at offset %zu declares %llu bytes, %zu remain", h->name,
            at, (unsigned long long)n, left);
    if (is_key && n > 255)
        return s_scan_fail(sc, -EBADMSG,
                           "malformed msgpack: map key at offset %zu is %llu bytes; at most 255",
                           at, (unsigned long long)n);
    *children = h->kind == S_MAP ? 2 * n : h->kind == S_ARRAY ? n : 0;
    if (h->kind == S_STR || h->kind == S_BIN)
        sc->off += (size_t)n;
    else if (h->kind == S_SCALAR)
        sc->off += h->body;
    if (*children > left)
        return s_scan_fail(
            sc, -ENODATA,
            "truncated msgpack: %s header at offset %zu declares %llu %s, %zu bytes remain",
            h->name, at, (unsigned long long)n, h->kind == S_MAP ? "entries" : "items", left);
    return 0;
}

/* Steps over one object's header (and body, for anything but a container). */
static int s_scan_one(s_scan_t *sc, bool is_key, uint64_t *children, bool *is_map)
{
    size_t at = sc->off;
    if (at >= sc->len)
        return s_scan_fail(sc, -ENODATA, "truncated msgpack: ends at offset %zu inside a container",
                           at);
    uint32_t inline_n;
    s_head_t h = s_head_of(sc->p[at], &inline_n);
    if (h.kind == S_UNUSED)
        return s_scan_fail(sc, -EBADMSG, "malformed msgpack: bad type byte 0xc1 at offset %zu", at);
    if (h.kind == S_EXT)
        return s_scan_fail(sc, -EBADMSG,
                           "malformed msgpack: %s at offset %zu (ext types carry no meaning here)",
                           h.name, at);
    if (is_key && h.kind != S_STR)
        return s_scan_fail(sc, -EBADMSG,
                           "malformed msgpack: map key at offset %zu is a %s; keys must be strings",
                           at, h.name);
    if (h.lenbytes >= sc->len - at)
        return s_scan_fail(sc, -ENODATA,
                           "truncated msgpack: %s header at offset %zu needs %u bytes, %zu remain",
                           h.name, at, h.lenbytes + 1u, sc->len - at);
    uint64_t n = h.lenbytes ? s_read_be(sc->p + at + 1, h.lenbytes) : inline_n;
    sc->off = at + 1 + h.lenbytes;
    *is_map = h.kind == S_MAP;
    return s_scan_body(sc, &h, at, n, is_key, children);
}

/* Walks the one object at the start of the buffer with an explicit stack of
 * objects still owed per open container, so hostile nesting cannot recurse.
 * Objects are counted when a container declares them, so that a request of
 * 160 k keys is refused at its header rather than after walking them. */
static int s_scan(s_scan_t *sc, const pb_codec_limits_t *lim)
{
    uint64_t owed[PB_CODEC_MAX_DEPTH + 1] = {1};
    bool in_map[PB_CODEC_MAX_DEPTH + 1] = {false};
    unsigned max_depth = lim->max_depth < PB_CODEC_MAX_DEPTH ? lim->max_depth : PB_CODEC_MAX_DEPTH;
    uint64_t objects = 1;
    for (int top = 0; top >= 0;) {
        if (owed[top] == 0) {
            top--;
            continue;
        }
        bool is_key = in_map[top] && owed[top] % 2 == 0;
        owed[top]--;
        if ((unsigned)top + 1 > max_depth)
            return s_scan_fail(sc, -ELOOP, "payload nested deeper than %u levels (offset %zu)",
                               max_depth, sc->off);
        uint64_t children = 0;
        bool is_map = false;
        int rc = s_scan_one(sc, is_key, &children, &is_map);
        if (rc < 0)
            return rc;
        objects += children;
        if (objects > lim->max_objects)
            return s_scan_fail(sc, -EOVERFLOW, "payload has more than %zu msgpack objects",
                               lim->max_objects);
        if (children) {
            owed[++top] = children;
            in_map[top] = is_map;
        }
    }
    if (sc->off != sc->len)
        return s_scan_fail(sc, -E2BIG, "trailing bytes after the msgpack object");
    return 0;
}

/* Conversion from msgpack-c's object graph. Depth is counted per container so
 * that a hostile payload cannot recurse us off the stack. */
static pb_value_t *s_convert(const msgpack_object *o, int depth, int *rc);

static pb_value_t *s_convert_array(const msgpack_object *o, int depth, int *rc)
{
    pb_value_t *arr = pb_value_array_new();
    for (uint32_t i = 0; arr && i < o->via.array.size; i++) {
        pb_value_t *item = s_convert(&o->via.array.ptr[i], depth + 1, rc);
        if (!item || pb_value_array_push(arr, &item) < 0)
            pb_value_destroy(&arr);
    }
    return arr;
}

static pb_value_t *s_convert_map(const msgpack_object *o, int depth, int *rc)
{
    pb_value_t *map = pb_value_map_new();
    char key[256];
    for (uint32_t i = 0; map && i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size >= sizeof key ||
            (kv->key.via.str.size && memchr(kv->key.via.str.ptr, '\0', kv->key.via.str.size))) {
            *rc = -EBADMSG; /* map keys must be short strings */
            pb_value_destroy(&map);
            break;
        }
        if (kv->key.via.str.size) /* an empty key may come with a NULL pointer */
            memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
        key[kv->key.via.str.size] = '\0';
        pb_value_t *item = s_convert(&kv->val, depth + 1, rc);
        if (!item || pb_value_map_put(map, key, &item) < 0)
            pb_value_destroy(&map);
    }
    return map;
}

static pb_value_t *s_convert(const msgpack_object *o, int depth, int *rc)
{
    if (depth > PB_CODEC_MAX_DEPTH) {
        *rc = -ELOOP;
        return NULL;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return pb_value_nil_new();
    case MSGPACK_OBJECT_BOOLEAN:
        return pb_value_bool_new(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return pb_value_uint_new(o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return pb_value_int_new(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return pb_value_float_new(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return pb_value_strn_new(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return pb_value_bin_new(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:
        return s_convert_array(o, depth, rc);
    case MSGPACK_OBJECT_MAP:
        return s_convert_map(o, depth, rc);
    default:
        *rc = -EBADMSG; /* ext types carry no meaning on this bus */
        return NULL;
    }
}

static void s_reason(char *err, size_t errlen, int rc)
{
    if (!err || !errlen)
        return;
    const char *why = rc == -ELOOP    ? "payload nested deeper than 32 levels"
                      : rc == -E2BIG  ? "trailing bytes after the msgpack object"
                      : rc == -ENOMEM ? "out of memory while decoding"
                      : rc == -EBADMSG
                          ? "malformed msgpack (bad type byte, ext type or non-string map key)"
                          : "truncated msgpack (ends inside an object)";
    snprintf(err, errlen, "%s", why);
}

/* The pre-scan has already refused excessive depth, so msgpack-c running out
 * of its fixed stack or of memory now means just that. */
static int s_unpack_rc(msgpack_unpack_return ret)
{
    switch (ret) {
    case MSGPACK_UNPACK_SUCCESS:
        return 0;
    case MSGPACK_UNPACK_EXTRA_BYTES:
        return -E2BIG;
    case MSGPACK_UNPACK_CONTINUE:
        return -ENODATA;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        return -ENOMEM;
    default:
        return -EBADMSG;
    }
}

/* Size and shape checks that need no allocation; the reason goes into err. */
static int s_precheck(const void *buf, size_t len, const pb_codec_limits_t *lim, char *err,
                      size_t errlen)
{
    s_scan_t sc = {.p = buf, .len = len, .err = err, .errlen = errlen};
    if (len == 0)
        return s_scan_fail(&sc, -EBADMSG, "empty payload");
    if (lim->max_bytes && len > lim->max_bytes)
        return s_scan_fail(&sc, -EMSGSIZE, "payload of %zu bytes exceeds the %zu-byte limit", len,
                           lim->max_bytes);
    int rc = s_scan(&sc, lim);
    /* truncated and malformed share one public code: "not a whole msgpack object" */
    return rc == -ENODATA ? -EBADMSG : rc;
}

int pb_codec_decode_limited(const void *buf, size_t len, const pb_codec_limits_t *limits,
                            pb_value_t **out_p, char *err, size_t errlen)
{
    *out_p = NULL;
    int rc = s_precheck(buf, len, limits, err, errlen);
    if (rc < 0)
        return rc;
    msgpack_unpacked msg;
    size_t off = 0;
    msgpack_unpacked_init(&msg);
    rc = s_unpack_rc(msgpack_unpack_next(&msg, buf, len, &off));
    if (rc == 0 && off != len)
        rc = -E2BIG;
    if (rc == 0) {
        int conv_rc = 0;
        *out_p = s_convert(&msg.data, 1, &conv_rc);
        if (!*out_p)
            rc = conv_rc < 0 ? conv_rc : -ENOMEM;
    }
    msgpack_unpacked_destroy(&msg);
    if (rc < 0)
        s_reason(err, errlen, rc);
    return rc == -ENODATA ? -EBADMSG : rc;
}

int pb_codec_decode(const void *buf, size_t len, pb_value_t **out_p, char *err, size_t errlen)
{
    return pb_codec_decode_limited(buf, len, &pb_codec_frame_limits, out_p, err, errlen);
}
