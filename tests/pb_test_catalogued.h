/* pb_test_catalogued: asserts that every key of a frame body is a catalogue field of its type. */
#ifndef PB_TEST_CATALOGUED_H
#define PB_TEST_CATALOGUED_H

#include "pb_catalog.h"
#include "pb_value.h"

#include <check.h>
#include <string.h>

/* The JSON type of the catalogue that a decoded value of type t has. */
static inline pb_catalog_json_t pb_test_json_of(pb_type_t t)
{
    switch (t) {
    case PB_INT:
    case PB_UINT:
        return PB_JT_INTEGER;
    case PB_FLOAT:
        return PB_JT_NUMBER;
    case PB_STR:
        return PB_JT_STRING;
    case PB_BOOL:
        return PB_JT_BOOLEAN;
    case PB_BIN:
        return PB_JT_BIN;
    case PB_ARRAY:
        return PB_JT_ARRAY;
    default:
        return PB_JT_OBJECT;
    }
}

/* Every key of map (the body, or a map inside it under parent) is a field of
 * frame in the catalogue, and its value has the field's JSON type: what the
 * writer puts, key for key and type for type. Returns the keys checked. */
static inline size_t pb_test_catalogued(pb_catalog_frame_t frame, const pb_catalog_field_t *parent,
                                        const pb_value_t *map)
{
    size_t n = 0;
    for (size_t i = 0; i < pb_value_len(map); i++) {
        const char *key = pb_value_map_key_at(map, i);
        const pb_value_t *v = pb_value_map_value_at((pb_value_t *)map, i);
        const pb_catalog_field_t *f = pb_catalog_child(frame, parent, key, strlen(key));
        ck_assert_msg(f != NULL, "'%s' (under %s) is not in the catalogue", key,
                      parent ? parent->path : "the top");
        pb_catalog_json_t want = f->json; /* a number is always sent as a float64 */
        ck_assert_msg(pb_test_json_of(pb_value_type(v)) == want, "%s: a %s, the catalogue says %s",
                      f->path, pb_value_type_name(pb_value_type(v)), pb_catalog_json_name(want));
        n++;
        if (pb_value_type(v) == PB_MAP && !(f->bits & PB_CF_OPEN))
            n += pb_test_catalogued(frame, f, v);
        for (size_t j = 0; pb_value_type(v) == PB_ARRAY && j < pb_value_len(v); j++) {
            const pb_value_t *item = pb_value_array_at(v, j);
            if (pb_value_type(item) == PB_MAP)
                n += pb_test_catalogued(frame, f, item);
        }
    }
    return n;
}

#endif
