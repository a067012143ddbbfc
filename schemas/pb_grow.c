/* pb_grow: capacity doubling for the growable arrays of every module. */
#include "pb_grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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
