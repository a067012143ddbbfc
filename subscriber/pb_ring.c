/* pb_ring: fixed-capacity ring of timestamped rows with lazily created numeric columns. */
#include "pb_ring.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A column's slots are doubles or floats (half the memory): see
 * pb_ring_store_t. `narrow` says which they are now. */
typedef struct {
    const char *name; /* borrowed */
    pb_ring_store_t store;
    bool narrow;
    void *slots;
} s_column_t;

/* Slots are allocated as rows arrive, doubling up to `capacity`, so that a
 * series seen for a minute does not hold an hour of memory. Growing copies
 * the rows oldest first to slot 0; the ring only wraps once it has all its
 * slots (or when growing fails). */
struct pb_ring {
    size_t capacity, max_fields;
    size_t alloc;     /* slots allocated, <= capacity: the ring's modulus */
    size_t head, len; /* head: physical slot of the oldest row */
    uint64_t *ts;
    s_column_t *columns;
    size_t ncolumns;
};

pb_ring_t *pb_ring_new(size_t capacity, size_t max_fields)
{
    if (capacity == 0)
        return NULL;
    pb_ring_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->capacity = capacity;
    self->max_fields = max_fields;
    self->alloc = capacity < 16 ? capacity : 16;
    self->ts = calloc(self->alloc, sizeof *self->ts);
    self->columns = calloc(max_fields ? max_fields : 1, sizeof *self->columns);
    if (!self->ts || !self->columns)
        pb_ring_destroy(&self);
    return self;
}

void pb_ring_destroy(pb_ring_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_ring_t *self = *self_p;
    for (size_t j = 0; j < self->ncolumns; j++)
        free(self->columns[j].slots);
    free(self->columns);
    free(self->ts);
    free(self);
    *self_p = NULL;
}

static size_t s_slot(const pb_ring_t *self, size_t i)
{
    return (self->head + i) % self->alloc;
}

static size_t s_width(const s_column_t *c)
{
    return c->narrow ? sizeof(float) : sizeof(double);
}

static void s_put(s_column_t *c, size_t slot, double value)
{
    if (c->narrow)
        ((float *)c->slots)[slot] = (float)value;
    else
        ((double *)c->slots)[slot] = value;
}

/* A float holds integers up to 2^24 exactly, and their multiples of powers of
 * two (page-sized byte counts up to 64 GiB); NaN (absent) too. */
static bool s_fits_float(double value)
{
    return isnan(value) || (double)(float)value == value;
}

/* Turns a compact column's floats into doubles, each value unchanged. */
static int s_widen(pb_ring_t *self, s_column_t *c)
{
    double *wide = malloc(self->alloc * sizeof *wide);
    if (!wide)
        return -ENOMEM;
    for (size_t k = 0; k < self->alloc; k++)
        wide[k] = (double)((const float *)c->slots)[k];
    free(c->slots);
    c->slots = wide;
    c->narrow = false;
    return 0;
}

static double s_get(const s_column_t *c, size_t slot)
{
    return c->narrow ? (double)((const float *)c->slots)[slot] : ((const double *)c->slots)[slot];
}

/* A copy of a ring array with the rows oldest first, `size` slots long. */
static void *s_unwrapped(const pb_ring_t *self, const void *old, size_t elem, size_t size)
{
    char *fresh = malloc(size * elem);
    for (size_t i = 0; fresh && i < self->len; i++)
        memcpy(fresh + i * elem, (const char *)old + s_slot(self, i) * elem, elem);
    return fresh;
}

/* Doubles the slots (up to capacity). -ENOMEM leaves the ring unchanged. */
static int s_grow(pb_ring_t *self)
{
    size_t size = self->alloc * 2 < self->capacity ? self->alloc * 2 : self->capacity;
    void *ts = s_unwrapped(self, self->ts, sizeof *self->ts, size);
    void **slots = calloc(self->ncolumns ? self->ncolumns : 1, sizeof *slots);
    int rc = ts && slots ? 0 : -ENOMEM;
    for (size_t j = 0; rc == 0 && j < self->ncolumns; j++) {
        const s_column_t *c = &self->columns[j];
        if (!(slots[j] = s_unwrapped(self, c->slots, s_width(c), size)))
            rc = -ENOMEM;
    }
    if (rc < 0) {
        for (size_t j = 0; slots && j < self->ncolumns; j++)
            free(slots[j]);
        free(slots);
        free(ts);
        return rc;
    }
    free(self->ts);
    self->ts = ts;
    for (size_t j = 0; j < self->ncolumns; j++) {
        free(self->columns[j].slots);
        self->columns[j].slots = slots[j];
    }
    free(slots);
    self->alloc = size;
    self->head = 0;
    return 0;
}

void pb_ring_push(pb_ring_t *self, uint64_t ts)
{
    bool full = self->len == self->alloc;
    if (full && self->alloc < self->capacity && s_grow(self) == 0)
        full = false;
    if (full) { /* at capacity, or out of memory: drop the oldest row */
        self->head = (self->head + 1) % self->alloc;
        self->len--;
    }
    size_t slot = s_slot(self, self->len);
    self->ts[slot] = ts;
    for (size_t j = 0; j < self->ncolumns; j++)
        s_put(&self->columns[j], slot, NAN);
    self->len++;
}

int pb_ring_column(pb_ring_t *self, const char *name, pb_ring_store_t store)
{
    for (size_t j = 0; j < self->ncolumns; j++)
        if (strcmp(self->columns[j].name, name) == 0)
            return (int)j;
    if (self->ncolumns >= self->max_fields)
        return -ENOSPC;
    s_column_t *c = &self->columns[self->ncolumns];
    bool narrow = store != PB_RING_DOUBLE;
    *c = (s_column_t){name, store, narrow,
                      malloc(self->alloc * (narrow ? sizeof(float) : sizeof(double)))};
    if (!c->slots)
        return -ENOMEM;
    for (size_t k = 0; k < self->alloc; k++)
        s_put(c, k, NAN);
    return (int)self->ncolumns++;
}

int pb_ring_set_at(pb_ring_t *self, size_t j, double value)
{
    if (self->len == 0)
        return -ENODATA;
    if (j >= self->ncolumns)
        return -ENOENT;
    s_column_t *c = &self->columns[j];
    if (c->narrow && c->store == PB_RING_COMPACT && !s_fits_float(value)) {
        int rc = s_widen(self, c);
        if (rc < 0)
            return rc;
    }
    s_put(c, s_slot(self, self->len - 1), value);
    return 0;
}

size_t pb_ring_drop_before(pb_ring_t *self, uint64_t before_ns)
{
    size_t n = 0;
    while (self->len > 0 && self->ts[self->head] < before_ns) {
        self->head = (self->head + 1) % self->alloc;
        self->len--;
        n++;
    }
    return n;
}

size_t pb_ring_len(const pb_ring_t *self)
{
    return self->len;
}

size_t pb_ring_capacity(const pb_ring_t *self)
{
    return self->capacity;
}

uint64_t pb_ring_ts(const pb_ring_t *self, size_t i)
{
    return i < self->len ? self->ts[s_slot(self, i)] : 0;
}

size_t pb_ring_nfields(const pb_ring_t *self)
{
    return self->ncolumns;
}

const char *pb_ring_field_at(const pb_ring_t *self, size_t j)
{
    return j < self->ncolumns ? self->columns[j].name : NULL;
}

double pb_ring_value(const pb_ring_t *self, size_t j, size_t i)
{
    if (j >= self->ncolumns || i >= self->len)
        return NAN;
    return s_get(&self->columns[j], s_slot(self, i));
}

size_t pb_ring_copy(const pb_ring_t *self, size_t j, uint64_t *ts, double *values)
{
    for (size_t i = 0; i < self->len; i++) {
        ts[i] = self->ts[s_slot(self, i)];
        values[i] = j < self->ncolumns ? s_get(&self->columns[j], s_slot(self, i)) : NAN;
    }
    return self->len;
}

size_t pb_ring_memory(const pb_ring_t *self)
{
    size_t bytes = sizeof *self + self->alloc * sizeof *self->ts;
    bytes += self->max_fields * sizeof *self->columns;
    for (size_t j = 0; j < self->ncolumns; j++)
        bytes += self->alloc * s_width(&self->columns[j]);
    return bytes;
}
