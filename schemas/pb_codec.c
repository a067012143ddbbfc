/* pb_codec: msgpack bytes <-> pb_value trees; the only caller of msgpack-c. */
#include "pb_codec.h"

#include "pb_err.h"
#include "pb_mpread.h"
#include "pb_utf8.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(PB_CODEC_MAX_DEPTH == PB_MPREAD_MAX_DEPTH, "the pre-scan is pb_mpread's");

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

/* The pre-scan: pb_mpread's walk over the headers, which never allocates, so
 * that a header claiming 4 G entries in 5 bytes is refused before msgpack-c
 * reserves room for them. Objects are counted when a container declares them,
 * so that a request of 160 k keys is refused at its header rather than after
 * walking them. */
static int s_scan(const void *buf, size_t len, const pb_codec_limits_t *lim, char *err,
                  size_t errlen)
{
    pb_mpread_t rd;
    pb_mpread_item_t item;
    uint64_t objects = 1;
    int rc = 0;
    pb_mpread_init(&rd, buf, len, lim->max_depth);
    while (rc == 0 && !pb_mpread_done(&rd)) {
        rc = pb_mpread_next(&rd, &item);
        if (rc < 0)
            break;
        objects += item.type == PB_MAP     ? 2 * (uint64_t)item.len
                   : item.type == PB_ARRAY ? item.len
                                           : 0;
        if (objects > lim->max_objects)
            return pb_err_set(err, errlen, -EOVERFLOW, "payload has more than %zu msgpack objects",
                              lim->max_objects);
    }
    if (rc == 0)
        rc = pb_mpread_finish(&rd);
    if (rc < 0)
        pb_err_set(err, errlen, rc, "%s", pb_mpread_error(&rd));
    return rc;
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
    char key[PB_VALUE_KEY_MAX + 1];
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
        int put = item ? pb_value_map_put(map, key, &item) : -ENOMEM;
        if (put == -E2BIG)
            *rc = -EBADMSG; /* a key too long once its invalid UTF-8 is replaced */
        if (put < 0)
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
    if (len == 0)
        return pb_err_set(err, errlen, -EBADMSG, "empty payload");
    if (lim->max_bytes && len > lim->max_bytes)
        return pb_err_set(err, errlen, -EMSGSIZE, "payload of %zu bytes exceeds the %zu-byte limit",
                          len, lim->max_bytes);
    int rc = s_scan(buf, len, lim, err, errlen);
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
