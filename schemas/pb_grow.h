/* pb_grow: the one growable-array step of perfbus — room for one more item, doubling when full. */
#ifndef PB_GROW_H
#define PB_GROW_H

#include <stddef.h>

/* Makes room for item n of *items (each `size` bytes, *cap allocated):
 * when n == *cap the array is reallocated to twice *cap (`first` items the
 * first time). New slots are not initialised. Returns 0, or -ENOMEM with
 * *items and *cap unchanged (also when the size would overflow). */
int pb_grow(void **items, size_t *cap, size_t n, size_t size, size_t first);

#endif
