/* pb_value: the in-memory form of a wire payload — a tree of msgpack values. */
#ifndef PB_VALUE_H
#define PB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PB_NIL,
    PB_BOOL,
    PB_INT,   /* negative integers only (msgpack's negative fixint/int*) */
    PB_UINT,  /* non-negative integers */
    PB_FLOAT, /* float32 and float64 both decode to double */
    PB_STR,
    PB_BIN,
    PB_ARRAY,
    PB_MAP,
} pb_type_t;

/* Opaque. A map keeps insertion order; keys are strings, stored as valid UTF-8
 * (invalid sequences become U+FFFD, as on the wire: see pb_utf8). A value belongs to
 * exactly one parent: putting it into a map or array transfers ownership. */
typedef struct pb_value pb_value_t;

/* The longest map key in bytes, as stored (valid UTF-8): perfbus's rule for the
 * wire, which decoders enforce, so no map can be built that they would refuse. */
#define PB_VALUE_KEY_MAX 255

/* Constructors return NULL on allocation failure. Strings are copied. */
pb_value_t *pb_value_nil_new(void);
pb_value_t *pb_value_bool_new(bool b);
pb_value_t *pb_value_int_new(int64_t i); /* stored as PB_UINT when i >= 0 */
pb_value_t *pb_value_uint_new(uint64_t u);
pb_value_t *pb_value_float_new(double d);
pb_value_t *pb_value_str_new(const char *s);
pb_value_t *pb_value_strn_new(const char *s, size_t len);
pb_value_t *pb_value_bin_new(const void *data, size_t len);
pb_value_t *pb_value_array_new(void);
pb_value_t *pb_value_map_new(void);

/* Deep copy; NULL on allocation failure. */
pb_value_t *pb_value_dup(const pb_value_t *self);

/* Frees the tree. Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_value_destroy(pb_value_t **self_p);

pb_type_t pb_value_type(const pb_value_t *self);
const char *pb_value_type_name(pb_type_t type);

/* Container building. Each takes ownership of *item_p (even on failure, where
 * the item is freed) and sets *item_p to NULL. Returns 0 or -ENOMEM; -EINVAL
 * if self is not a map/array. map_put replaces an existing key, and returns
 * -E2BIG for a key longer than PB_VALUE_KEY_MAX once invalid UTF-8 is replaced. */
int pb_value_array_push(pb_value_t *self, pb_value_t **item_p);
int pb_value_map_put(pb_value_t *self, const char *key, pb_value_t **item_p);

/* Moves every entry of *other_p (a map) to the end of self, replacing equal
 * keys, then frees it and sets *other_p to NULL. Returns 0, -EINVAL or -ENOMEM. */
int pb_value_map_merge(pb_value_t *self, pb_value_t **other_p);

/* Shorthands for map_put of scalars: 0 or -ENOMEM. */
int pb_value_map_put_bool(pb_value_t *self, const char *key, bool b);
int pb_value_map_put_int(pb_value_t *self, const char *key, int64_t i);
int pb_value_map_put_uint(pb_value_t *self, const char *key, uint64_t u);
int pb_value_map_put_float(pb_value_t *self, const char *key, double d);
int pb_value_map_put_str(pb_value_t *self, const char *key, const char *s);

/* Container access; all returned pointers are borrowed from self. */
size_t pb_value_len(const pb_value_t *self); /* items of array/map, bytes of str/bin, else 0 */
pb_value_t *pb_value_array_at(const pb_value_t *self, size_t i); /* NULL if out of range */
const char *pb_value_map_key_at(const pb_value_t *self, size_t i);
pb_value_t *pb_value_map_value_at(const pb_value_t *self, size_t i);
pb_value_t *pb_value_map_get(const pb_value_t *self, const char *key); /* NULL if absent */
/* Follows a dotted path of map keys ("cpu.total.busy_pct"); NULL if absent. */
pb_value_t *pb_value_path(const pb_value_t *self, const char *path);

/* Scalar access. Return 0, or -EINVAL when the type does not fit, or -ERANGE
 * when the number does not fit the requested C type. get_f64 accepts any
 * number. get_str returns a borrowed NUL-terminated string. */
int pb_value_get_bool(const pb_value_t *self, bool *out);
int pb_value_get_i64(const pb_value_t *self, int64_t *out);
int pb_value_get_u64(const pb_value_t *self, uint64_t *out);
int pb_value_get_f64(const pb_value_t *self, double *out);
int pb_value_get_str(const pb_value_t *self, const char **out);
/* Raw bytes of a str or bin (not necessarily NUL-terminated for bin). */
int pb_value_get_bytes(const pb_value_t *self, const void **data, size_t *len);

/* Map lookups that combine map_get and a get_*: -ENOENT if the key is absent. */
int pb_value_map_get_u64(const pb_value_t *self, const char *key, uint64_t *out);
int pb_value_map_get_i64(const pb_value_t *self, const char *key, int64_t *out);
int pb_value_map_get_f64(const pb_value_t *self, const char *key, double *out);
int pb_value_map_get_str(const pb_value_t *self, const char *key, const char **out);

#endif
