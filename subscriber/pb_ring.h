/* pb_ring: a bounded history of samples — one timestamp per row, named numeric columns. */
#ifndef PB_RING_H
#define PB_RING_H

/* Invariants: the ring holds at most `capacity` rows; pushing onto a full
 * ring drops the oldest row (rows are addressed 0 = oldest .. len-1 =
 * newest). A column is created the first time a field is set, with every slot
 * NaN (= absent), so every column is aligned with the timestamps; at most
 * `max_fields` columns exist. Rows never move: storage is blocks of
 * PB_RING_BLOCK rows, allocated as rows first reach them, in the timestamps
 * and every column at once, so a young series holds little and a push costs
 * the same whether the ring grows or not (no copy). Memory is at most
 * 8 bytes * capacity rounded up to whole blocks * (1 + columns) (4 per float
 * column), plus a pointer per block and column. */

#define PB_RING_BLOCK 128 /* rows per block */

#include <stddef.h>
#include <stdint.h>

typedef struct pb_ring pb_ring_t;

/* Returns a new empty ring, or NULL (capacity 0 or ENOMEM). */
pb_ring_t *pb_ring_new(size_t capacity, size_t max_fields);
void pb_ring_destroy(pb_ring_t **self_p);

/* Starts a new newest row at ts with every column absent, dropping the
 * oldest row when full. Returns 0, or -ENOMEM when the row needed a new block
 * that could not be had (the ring is unchanged). */
int pb_ring_push(pb_ring_t *self, uint64_t ts);

/* How a column stores its values. */
typedef enum {
    PB_RING_DOUBLE,  /* doubles: every value exactly */
    PB_RING_COMPACT, /* floats while every value is exactly a float (integers up to 2^24 and
                        their multiples of powers of two: counts, ticks, page-sized byte
                        counts up to 64 GiB), then doubles from the first value that is not:
                        exact, at half the memory until then */
    PB_RING_FLOAT    /* floats, values rounded to 24 bits (~7 digits): for rates and
                        percentages, whose source precision is lower */
} pb_ring_store_t;

/* The index of the column `name`, created with every slot absent when new
 * (an existing column keeps its store). name is borrowed and must outlive the
 * ring (catalogue paths are static). Returns the index, -ENOSPC (max_fields
 * columns exist already) or -ENOMEM. Callers resolve a column once and keep
 * its index: the lookup compares names. */
int pb_ring_column(pb_ring_t *self, const char *name, pb_ring_store_t store);

/* Sets column j in the newest row. Returns 0, -ENODATA (no row pushed yet),
 * -ENOENT (no such column) or -ENOMEM (a compact column could not widen; the
 * slot stays absent). */
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
