/* pb_ring: a bounded history of samples — one timestamp per row, named numeric columns. */
#ifndef PB_RING_H
#define PB_RING_H

/* Invariants: the ring holds at most `capacity` rows; pushing onto a full
 * ring overwrites the oldest row (rows are addressed 0 = oldest .. len-1 =
 * newest, physical slot (head + i) % capacity). A column is created the first
 * time a field is set, with every slot NaN (= absent), so every column is
 * aligned with the timestamps; at most `max_fields` columns exist. Memory is
 * at most 8 bytes * capacity * (1 + columns) (4 for a narrow column): slots are allocated as rows
 * arrive, doubling from 16, so a young series holds little. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_ring pb_ring_t;

/* Returns a new empty ring, or NULL (capacity 0 or ENOMEM). */
pb_ring_t *pb_ring_new(size_t capacity, size_t max_fields);
void pb_ring_destroy(pb_ring_t **self_p);

/* Starts a new newest row at ts with every column absent, dropping the
 * oldest row when full. This function can't fail. */
void pb_ring_push(pb_ring_t *self, uint64_t ts);

/* The index of the column `name`, created with every slot absent when new.
 * name is borrowed and must outlive the ring (catalogue paths are static). A
 * narrow column stores floats: for values that need no more precision (rates,
 * percentages), at half the memory. Returns the index, -ENOSPC (max_fields
 * columns exist already) or -ENOMEM. Callers resolve a column once and keep
 * its index: the lookup compares names. */
int pb_ring_column(pb_ring_t *self, const char *name, bool narrow);

/* Sets column j in the newest row. Returns 0, -ENODATA (no row pushed yet) or
 * -ENOENT (no such column). */
int pb_ring_set_at(pb_ring_t *self, size_t j, double value);

/* Drops the oldest rows with ts < before_ns; returns how many. */
size_t pb_ring_drop_before(pb_ring_t *self, uint64_t before_ns);

size_t pb_ring_len(const pb_ring_t *self);
size_t pb_ring_capacity(const pb_ring_t *self);
/* Timestamp of row i (0 = oldest); 0 when out of range. */
uint64_t pb_ring_ts(const pb_ring_t *self, size_t i);

size_t pb_ring_nfields(const pb_ring_t *self);
/* Borrowed name of column j, NULL when out of range. */
const char *pb_ring_field_at(const pb_ring_t *self, size_t j);
/* Value of column j in row i; NaN when absent or out of range. */
double pb_ring_value(const pb_ring_t *self, size_t j, size_t i);

/* Copies timestamps and column j, oldest first, into arrays of at least
 * pb_ring_len() entries. Returns the number of rows copied. */
size_t pb_ring_copy(const pb_ring_t *self, size_t j, uint64_t *ts, double *values);

/* Bytes held by the ring (for the documented memory bound). */
size_t pb_ring_memory(const pb_ring_t *self);

#endif
