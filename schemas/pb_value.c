/* pb_value: a tree of msgpack values; maps keep insertion order. */
#include "pb_value.h"

#include "pb_utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Containers grow by doubling. A map stores keys and values in parallel
 * arrays (insertion order). Small maps (frames of a few dozen keys) are
 * searched linearly; past S_INDEX_MIN keys a map also keeps an open-addressing
 * index over the stored hashes, so that a hostile request of 160 k keys
 * decodes in linear time instead of quadratic. */
struct pb_value {
    pb_type_t type;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        struct {
            char *data; /* NUL-terminated for PB_STR and PB_BIN alike */
            size_t len;
        } bytes;
        struct {
            pb_value_t **items;
            char **keys;      /* map only */
            uint32_t *hashes; /* map only: hash of each key, checked before strcmp */
            size_t len, cap;
            size_t *slots; /* map index: position + 1 of a key, 0 = empty; NULL while small */
            size_t nslots; /* a power of two, at least twice len */
        } list;
    } as;
};

static pb_value_t *s_new(pb_type_t type)
{
    pb_value_t *self = calloc(1, sizeof *self);
    if (self)
        self->type = type;
    return self;
}

pb_value_t *pb_value_nil_new(void)
{
    return s_new(PB_NIL);
}

pb_value_t *pb_value_bool_new(bool b)
{
    pb_value_t *self = s_new(PB_BOOL);
    if (self)
        self->as.b = b;
    return self;
}

pb_value_t *pb_value_int_new(int64_t i)
{
    if (i >= 0)
        return pb_value_uint_new((uint64_t)i);
    pb_value_t *self = s_new(PB_INT);
    if (self)
        self->as.i = i;
    return self;
}

pb_value_t *pb_value_uint_new(uint64_t u)
{
    pb_value_t *self = s_new(PB_UINT);
    if (self)
        self->as.u = u;
    return self;
}

pb_value_t *pb_value_float_new(double d)
{
    pb_value_t *self = s_new(PB_FLOAT);
    if (self)
        self->as.d = d;
    return self;
}

static pb_value_t *s_bytes_new(pb_type_t type, const void *data, size_t len)
{
    pb_value_t *self = s_new(type);
    if (!self)
        return NULL;
    self->as.bytes.data = malloc(len + 1);
    if (!self->as.bytes.data) {
        free(self);
        return NULL;
    }
    if (len)
        memcpy(self->as.bytes.data, data, len);
    self->as.bytes.data[len] = '\0';
    self->as.bytes.len = len;
    return self;
}

pb_value_t *pb_value_str_new(const char *s)
{
    return s_bytes_new(PB_STR, s, strlen(s));
}

pb_value_t *pb_value_strn_new(const char *s, size_t len)
{
    return s_bytes_new(PB_STR, s, len);
}

pb_value_t *pb_value_bin_new(const void *data, size_t len)
{
    return s_bytes_new(PB_BIN, data, len);
}

pb_value_t *pb_value_array_new(void)
{
    return s_new(PB_ARRAY);
}

pb_value_t *pb_value_map_new(void)
{
    return s_new(PB_MAP);
}

static bool s_is_list(const pb_value_t *self)
{
    return self && (self->type == PB_ARRAY || self->type == PB_MAP);
}

static bool s_is_bytes(const pb_value_t *self)
{
    return self && (self->type == PB_STR || self->type == PB_BIN);
}

void pb_value_destroy(pb_value_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_value_t *self = *self_p;
    if (s_is_list(self)) {
        for (size_t i = 0; i < self->as.list.len; i++) {
            pb_value_destroy(&self->as.list.items[i]);
            if (self->as.list.keys)
                free(self->as.list.keys[i]);
        }
        free(self->as.list.items);
        free(self->as.list.keys);
        free(self->as.list.hashes);
        free(self->as.list.slots);
    } else if (s_is_bytes(self)) {
        free(self->as.bytes.data);
    }
    free(self);
    *self_p = NULL;
}

static int s_list_copy(pb_value_t *copy, const pb_value_t *self)
{
    for (size_t i = 0; i < self->as.list.len; i++) {
        pb_value_t *item = pb_value_dup(self->as.list.items[i]);
        if (!item)
            return -ENOMEM;
        int rc = self->type == PB_MAP ? pb_value_map_put(copy, self->as.list.keys[i], &item)
                                      : pb_value_array_push(copy, &item);
        if (rc < 0)
            return rc;
    }
    return 0;
}

pb_value_t *pb_value_dup(const pb_value_t *self)
{
    if (!self)
        return NULL;
    if (s_is_bytes(self))
        return s_bytes_new(self->type, self->as.bytes.data, self->as.bytes.len);
    pb_value_t *copy = s_new(self->type);
    if (!copy)
        return NULL;
    if (!s_is_list(self)) {
        copy->as = self->as;
        return copy;
    }
    if (s_list_copy(copy, self) < 0)
        pb_value_destroy(&copy);
    return copy;
}

pb_type_t pb_value_type(const pb_value_t *self)
{
    return self ? self->type : PB_NIL;
}

const char *pb_value_type_name(pb_type_t type)
{
    static const char *names[] = {"nil", "bool",   "int",   "uint", "float",
                                  "str", "binary", "array", "map"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

/* Makes room for one more item; keys are allocated for maps only. */
static int s_list_reserve(pb_value_t *self)
{
    if (self->as.list.len < self->as.list.cap)
        return 0;
    size_t cap = self->as.list.cap ? self->as.list.cap * 2 : 8;
    pb_value_t **items = realloc(self->as.list.items, cap * sizeof *items);
    if (!items)
        return -ENOMEM;
    self->as.list.items = items;
    if (self->type == PB_MAP) {
        char **keys = realloc(self->as.list.keys, cap * sizeof *keys);
        if (keys)
            self->as.list.keys = keys;
        uint32_t *hashes = keys ? realloc(self->as.list.hashes, cap * sizeof *hashes) : NULL;
        if (!hashes)
            return -ENOMEM;
        self->as.list.hashes = hashes;
    }
    self->as.list.cap = cap;
    return 0;
}

int pb_value_array_push(pb_value_t *self, pb_value_t **item_p)
{
    int rc = -EINVAL;
    if (!item_p || !*item_p || !self || self->type != PB_ARRAY)
        goto cleanup;
    rc = s_list_reserve(self);
    if (rc < 0)
        goto cleanup;
    self->as.list.items[self->as.list.len++] = *item_p;
    *item_p = NULL;
    return 0;
cleanup:
    pb_value_destroy(item_p);
    return rc;
}

/* FNV-1a: cheap, and good enough to make strcmp a formality. */
static uint32_t s_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

#define S_INDEX_MIN 16 /* below this many keys a linear scan is cheaper than an index */

/* FNV-1a's low bits mix poorly; the index uses them, so spread the high bits down first. */
static size_t s_slot(uint32_t hash, size_t mask)
{
    hash ^= hash >> 16;
    hash *= 0x85ebca6bu;
    hash ^= hash >> 13;
    return hash & mask;
}

static ssize_t s_map_index(const pb_value_t *self, const char *key, uint32_t hash)
{
    const size_t *slots = self->as.list.slots;
    if (!slots) {
        for (size_t i = 0; i < self->as.list.len; i++)
            if (self->as.list.hashes[i] == hash && strcmp(self->as.list.keys[i], key) == 0)
                return (ssize_t)i;
        return -1;
    }
    size_t mask = self->as.list.nslots - 1;
    for (size_t s = s_slot(hash, mask); slots[s]; s = (s + 1) & mask) {
        size_t i = slots[s] - 1;
        if (self->as.list.hashes[i] == hash && strcmp(self->as.list.keys[i], key) == 0)
            return (ssize_t)i;
    }
    return -1;
}

/* Records key number i in the index (linear probing; keys are never removed). */
static void s_index_add(pb_value_t *self, size_t i)
{
    size_t mask = self->as.list.nslots - 1;
    size_t s = s_slot(self->as.list.hashes[i], mask);
    while (self->as.list.slots[s])
        s = (s + 1) & mask;
    self->as.list.slots[s] = i + 1;
}

/* Keeps the index at most half full once the map is big enough to have one. */
static int s_index_reserve(pb_value_t *self, size_t len)
{
    if (len < S_INDEX_MIN || len * 2 <= self->as.list.nslots)
        return 0;
    size_t nslots = self->as.list.nslots ? self->as.list.nslots : 2 * S_INDEX_MIN;
    while (nslots < len * 2)
        nslots *= 2;
    size_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    free(self->as.list.slots);
    self->as.list.slots = slots;
    self->as.list.nslots = nslots;
    for (size_t i = 0; i < self->as.list.len; i++)
        s_index_add(self, i);
    return 0;
}

static int s_map_append(pb_value_t *self, const char *key, uint32_t hash, pb_value_t *item)
{
    char *copy = strdup(key);
    if (!copy || s_list_reserve(self) < 0 || s_index_reserve(self, self->as.list.len + 1) < 0) {
        free(copy);
        return -ENOMEM;
    }
    size_t at = self->as.list.len++;
    self->as.list.keys[at] = copy;
    self->as.list.hashes[at] = hash;
    self->as.list.items[at] = item;
    if (self->as.list.slots)
        s_index_add(self, at);
    return 0;
}

int pb_value_map_put(pb_value_t *self, const char *key, pb_value_t **item_p)
{
    int rc = -EINVAL;
    char *clean = NULL;
    if (!item_p || !*item_p || !self || self->type != PB_MAP || !key)
        goto cleanup;
    /* keys are kept as the wire will carry them, so two that differ only in
     * invalid bytes are one key here, never a duplicate on the wire */
    size_t len = strlen(key);
    if (!pb_utf8_is_valid(key, len)) {
        rc = -ENOMEM;
        clean = pb_utf8_sanitize_new(key, len, NULL);
        if (!clean)
            goto cleanup;
        key = clean;
    }
    rc = -E2BIG;
    if (strlen(key) > PB_VALUE_KEY_MAX)
        goto cleanup;
    uint32_t hash = s_hash(key);
    ssize_t at = s_map_index(self, key, hash);
    if (at >= 0) {
        pb_value_destroy(&self->as.list.items[at]);
        self->as.list.items[at] = *item_p;
    } else {
        rc = s_map_append(self, key, hash, *item_p);
        if (rc < 0)
            goto cleanup;
    }
    *item_p = NULL;
    free(clean);
    return 0;
cleanup:
    free(clean);
    pb_value_destroy(item_p);
    return rc;
}

int pb_value_map_merge(pb_value_t *self, pb_value_t **other_p)
{
    int rc = -EINVAL;
    pb_value_t *other = other_p ? *other_p : NULL;
    if (!self || self->type != PB_MAP || !other || other->type != PB_MAP)
        goto cleanup;
    rc = 0;
    for (size_t i = 0; i < other->as.list.len && rc == 0; i++)
        rc = pb_value_map_put(self, other->as.list.keys[i], &other->as.list.items[i]);
cleanup:
    pb_value_destroy(other_p);
    return rc;
}

static int s_put_new(pb_value_t *self, const char *key, pb_value_t *item)
{
    if (!item)
        return -ENOMEM;
    return pb_value_map_put(self, key, &item);
}

int pb_value_map_put_bool(pb_value_t *self, const char *key, bool b)
{
    return s_put_new(self, key, pb_value_bool_new(b));
}

int pb_value_map_put_int(pb_value_t *self, const char *key, int64_t i)
{
    return s_put_new(self, key, pb_value_int_new(i));
}

int pb_value_map_put_uint(pb_value_t *self, const char *key, uint64_t u)
{
    return s_put_new(self, key, pb_value_uint_new(u));
}

int pb_value_map_put_float(pb_value_t *self, const char *key, double d)
{
    return s_put_new(self, key, pb_value_float_new(d));
}

int pb_value_map_put_str(pb_value_t *self, const char *key, const char *s)
{
    return s_put_new(self, key, pb_value_str_new(s ? s : ""));
}

size_t pb_value_len(const pb_value_t *self)
{
    if (s_is_list(self))
        return self->as.list.len;
    if (s_is_bytes(self))
        return self->as.bytes.len;
    return 0;
}

pb_value_t *pb_value_array_at(const pb_value_t *self, size_t i)
{
    if (!s_is_list(self) || i >= self->as.list.len)
        return NULL;
    return self->as.list.items[i];
}

const char *pb_value_map_key_at(const pb_value_t *self, size_t i)
{
    if (!self || self->type != PB_MAP || i >= self->as.list.len)
        return NULL;
    return self->as.list.keys[i];
}

pb_value_t *pb_value_map_value_at(const pb_value_t *self, size_t i)
{
    if (!self || self->type != PB_MAP)
        return NULL;
    return pb_value_array_at(self, i);
}

pb_value_t *pb_value_map_get(const pb_value_t *self, const char *key)
{
    if (!self || self->type != PB_MAP || !key)
        return NULL;
    ssize_t at = s_map_index(self, key, s_hash(key));
    return at < 0 ? NULL : self->as.list.items[at];
}

pb_value_t *pb_value_path(const pb_value_t *self, const char *path)
{
    char key[256];
    const pb_value_t *node = self;
    while (node && path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        if (len >= sizeof key)
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        node = pb_value_map_get(node, key);
        path = dot ? dot + 1 : NULL;
    }
    return (pb_value_t *)node;
}

int pb_value_get_bool(const pb_value_t *self, bool *out)
{
    if (!self || self->type != PB_BOOL)
        return -EINVAL;
    *out = self->as.b;
    return 0;
}

int pb_value_get_i64(const pb_value_t *self, int64_t *out)
{
    if (self && self->type == PB_INT) {
        *out = self->as.i;
        return 0;
    }
    if (!self || self->type != PB_UINT)
        return -EINVAL;
    if (self->as.u > (uint64_t)INT64_MAX)
        return -ERANGE;
    *out = (int64_t)self->as.u;
    return 0;
}

int pb_value_get_u64(const pb_value_t *self, uint64_t *out)
{
    if (self && self->type == PB_INT)
        return -ERANGE;
    if (!self || self->type != PB_UINT)
        return -EINVAL;
    *out = self->as.u;
    return 0;
}

int pb_value_get_f64(const pb_value_t *self, double *out)
{
    switch (pb_value_type(self)) {
    case PB_FLOAT:
        *out = self->as.d;
        return 0;
    case PB_INT:
        *out = (double)self->as.i;
        return 0;
    case PB_UINT:
        *out = (double)self->as.u;
        return 0;
    default:
        return -EINVAL;
    }
}

int pb_value_get_str(const pb_value_t *self, const char **out)
{
    if (!self || self->type != PB_STR)
        return -EINVAL;
    *out = self->as.bytes.data;
    return 0;
}

int pb_value_get_bytes(const pb_value_t *self, const void **data, size_t *len)
{
    if (!s_is_bytes(self))
        return -EINVAL;
    *data = self->as.bytes.data;
    *len = self->as.bytes.len;
    return 0;
}

static const pb_value_t *s_lookup(const pb_value_t *self, const char *key)
{
    return pb_value_map_get(self, key);
}

int pb_value_map_get_u64(const pb_value_t *self, const char *key, uint64_t *out)
{
    const pb_value_t *v = s_lookup(self, key);
    return v ? pb_value_get_u64(v, out) : -ENOENT;
}

int pb_value_map_get_i64(const pb_value_t *self, const char *key, int64_t *out)
{
    const pb_value_t *v = s_lookup(self, key);
    return v ? pb_value_get_i64(v, out) : -ENOENT;
}

int pb_value_map_get_f64(const pb_value_t *self, const char *key, double *out)
{
    const pb_value_t *v = s_lookup(self, key);
    return v ? pb_value_get_f64(v, out) : -ENOENT;
}

int pb_value_map_get_str(const pb_value_t *self, const char *key, const char **out)
{
    const pb_value_t *v = s_lookup(self, key);
    return v ? pb_value_get_str(v, out) : -ENOENT;
}
