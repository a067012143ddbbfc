/* pb_mpread_leaves: a frame's leaves as text, from pb_mpread_walk or from a pb_value tree, to
 * compare. */
#ifndef PB_MPREAD_LEAVES_H
#define PB_MPREAD_LEAVES_H

#include "pb_mpread.h"
#include "pb_utf8.h"
#include "pb_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line per leaf: "path#i,j,=type:value", str/bin bytes in hex. The walk's
 * path is taken through pb_utf8 as pb_value does with keys, so that both
 * sides name a key the same way. Test code: it allocates freely. */
typedef struct {
    char **line;
    size_t n, cap;
} leaves_t;

static inline void leaves_free(leaves_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        free(self->line[i]);
    free(self->line);
    *self = (leaves_t){0};
}

static inline int leaves_push(leaves_t *self, char *line)
{
    if (!line)
        return -1;
    if (self->n == self->cap) {
        size_t cap = self->cap ? 2 * self->cap : 64;
        char **grown = realloc(self->line, cap * sizeof *grown);
        if (!grown) {
            free(line);
            return -1;
        }
        self->line = grown;
        self->cap = cap;
    }
    self->line[self->n++] = line;
    return 0;
}

/* The value part of a leaf line. */
static inline void leaves_value(char *out, size_t outlen, pb_type_t type, bool b, int64_t i,
                                uint64_t u, double f, const void *data, size_t len)
{
    int at = snprintf(out, outlen, "%s:", pb_value_type_name(type));
    if (type == PB_BOOL)
        snprintf(out + at, outlen - at, "%d", b);
    else if (type == PB_INT)
        snprintf(out + at, outlen - at, "%lld", (long long)i);
    else if (type == PB_UINT)
        snprintf(out + at, outlen - at, "%llu", (unsigned long long)u);
    else if (type == PB_FLOAT)
        snprintf(out + at, outlen - at, "%.17g", f);
    else if (type == PB_STR || type == PB_BIN || type == PB_ARRAY || type == PB_MAP) {
        at += snprintf(out + at, outlen - at, "%zu:", len);
        for (size_t k = 0; data && k < len && (size_t)at + 3 < outlen; k++)
            at += snprintf(out + at, outlen - at, "%02x", ((const unsigned char *)data)[k]);
    }
}

static inline int leaves_add(leaves_t *self, const char *path, size_t path_len,
                             const uint32_t *index, unsigned nindex, const char *value)
{
    size_t clean_len;
    char *clean = pb_utf8_sanitize_new(path, path_len, &clean_len);
    size_t cap = clean_len + 12 * (size_t)nindex + strlen(value) + 4;
    char *line = clean ? malloc(cap) : NULL;
    if (line) {
        int at = snprintf(line, cap, "%s#", clean);
        for (unsigned k = 0; k < nindex; k++)
            at += snprintf(line + at, cap - at, "%u,", index[k]);
        snprintf(line + at, cap - at, "=%s", value);
    }
    free(clean);
    return leaves_push(self, line);
}

/* pb_mpread_leaf_fn: arg is a leaves_t. */
static inline int leaves_walk_cb(const pb_mpread_leaf_t *leaf, void *arg)
{
    static char value[16384];
    const pb_mpread_item_t *it = &leaf->item;
    bool bytes = it->type == PB_STR || it->type == PB_BIN;
    leaves_value(value, sizeof value, it->type, it->b, it->i, it->u, it->f, bytes ? it->data : NULL,
                 it->len);
    return leaves_add(arg, leaf->path, leaf->path_len, leaf->index, leaf->nindex, value) < 0 ? -12
                                                                                             : 0;
}

/* The same lines from a tree, with the walk's rules: the top map's keys start
 * the path, deeper keys join with '.', array items add "[]" and an index, and
 * an empty container is a leaf (but an empty frame has none). */
static inline void leaves_of_tree(leaves_t *self, const pb_value_t *v, char *path, size_t len,
                                  uint32_t *index, unsigned nindex, unsigned depth)
{
    pb_type_t t = pb_value_type(v);
    size_t n = pb_value_len(v);
    if ((t == PB_MAP || t == PB_ARRAY) && n > 0) {
        for (size_t k = 0; k < n; k++) {
            size_t at = len;
            if (t == PB_MAP) {
                const char *key = pb_value_map_key_at(v, k);
                at += (size_t)sprintf(path + at, "%s%s", depth > 1 ? "." : "", key);
            } else {
                at += (size_t)sprintf(path + at, "[]");
                index[nindex] = (uint32_t)k;
            }
            leaves_of_tree(self, pb_value_array_at(v, k), path, at, index, nindex + (t == PB_ARRAY),
                           depth + 1);
        }
        return;
    }
    if (depth == 1) /* an empty frame has no leaves */
        return;
    static char value[16384];
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    const void *data = NULL;
    size_t blen = n;
    pb_value_get_bool(v, &b);
    pb_value_get_i64(v, &i);
    pb_value_get_u64(v, &u);
    pb_value_get_f64(v, &f);
    if (t == PB_STR || t == PB_BIN)
        pb_value_get_bytes(v, &data, &blen);
    leaves_value(value, sizeof value, t, b, i, u, f, data, blen);
    leaves_add(self, path, len, index, nindex, value);
}

/* All leaves of a tree whose top is a map. */
static inline void leaves_from_tree(leaves_t *self, const pb_value_t *tree)
{
    static char path[PB_MPREAD_MAX_DEPTH * (PB_MPREAD_MAX_KEY * 3 + 3) + 1];
    uint32_t index[PB_MPREAD_MAX_DEPTH];
    leaves_of_tree(self, tree, path, 0, index, 0, 1);
}

/* -1 if equal, else the first line that differs. */
static inline long leaves_diff(const leaves_t *a, const leaves_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->line[i], b->line[i]) != 0)
            return (long)i;
    return a->n == b->n ? -1 : (long)n;
}

#endif
