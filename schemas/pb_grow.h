/* pb_grow: room for one more item of a growable array (doubling), and a lookup by name. */
#ifndef PB_GROW_H
#define PB_GROW_H

#include <stddef.h>

/* Makes room for item n of *items (each `size` bytes, *cap allocated):
 * when n == *cap the array is reallocated to twice *cap (`first` items the
 * first time). New slots are not initialised. Returns 0, or -ENOMEM with
 * *items and *cap unchanged (also when the size would overflow). */
int pb_grow(void **items, size_t *cap, size_t n, size_t size, size_t first);

/* The index of the item named name among the n items of `size` bytes at
 * items, whose name is the `char *` at offset name_at of each: *last is tried
 * first (the item found the time before: a sample's frames come from one
 * host), then each in order, and *last set to the one found. n when none. */
size_t pb_grow_find_name(const void *items, size_t n, size_t size, size_t name_at, const char *name,
                         size_t *last);

#endif
