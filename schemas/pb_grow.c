/* pb_grow: capacity doubling for the growable arrays of every module, and a lookup by name. */
#include "pb_grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int pb_grow(void **items, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : (first ? first : 1);
    if (want < *cap || size == 0 || want > SIZE_MAX / size)
        return -ENOMEM;
    void *grown = realloc(*items, want * size);
    if (!grown)
        return -ENOMEM;
    *items = grown;
    *cap = want;
    return 0;
}

/* The name of item i. */
static const char *s_name(const void *items, size_t i, size_t size, size_t name_at)
{
    const char *name;
    memcpy(&name, (const char *)items + i * size + name_at, sizeof name);
    return name;
}

size_t pb_grow_find_name(const void *items, size_t n, size_t size, size_t name_at, const char *name,
                         size_t *last)
{
    if (*last < n && strcmp(s_name(items, *last, size, name_at), name) == 0)
        return *last;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s_name(items, i, size, name_at), name) == 0)
            return *last = i;
    return n;
}
