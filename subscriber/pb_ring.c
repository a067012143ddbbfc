/* pb_ring: fixed-capacity ring of timestamped rows in lazily allocated blocks, numeric columns. */
#include "pb_ring.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A column's slots are doubles or floats (half the memory): see
 * pb_ring_store_t. `narrow` says which they are now. blocks[b] holds the
 * slots b * PB_RING_BLOCK ..., NULL until a row reaches it. */
typedef struct {
    const char *name; /* borrowed */
    pb_ring_store_t store;
    bool narrow;
    void **blocks;
} s_column_t;

/* Physical slots are numbered modulo `slots` (capacity rounded up to whole
 * blocks) from the start, so that no row ever moves: the ring grows by
 * allocating the block a new row falls into, in the timestamps and in every
 * column at once, and a full ring overwrites its oldest row in place. */
struct pb_ring {
    size_t capacity, max_fields;
    size_t slots, nblocks;
    size_t head, len; /* head: physical slot of the oldest row */
    uint64_t **ts;    /* blocks of timestamps */
    size_t allocated; /* blocks allocated (the same in ts and in every column) */
    s_column_t *columns;
    size_t ncolumns;
};

static size_t s_width(const s_column_t *c)
{
    return c->narrow ? sizeof(float) : sizeof(double);
}

pb_ring_t *pb_ring_new(size_t capacity, size_t max_fields)
{
    if (capacity == 0 || capacity > SIZE_MAX / 2)
        return NULL;
    pb_ring_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->capacity = capacity;
    self->max_fields = max_fields;
    self->nblocks = (capacity + PB_RING_BLOCK - 1) / PB_RING_BLOCK;
    self->slots = self->nblocks * PB_RING_BLOCK;
    self->ts = calloc(self->nblocks, sizeof *self->ts);
    self->columns = calloc(max_fields ? max_fields : 1, sizeof *self->columns);
    if (!self->ts || !self->columns)
        pb_ring_destroy(&self);
    return self;
}

static void s_free_blocks(void **blocks, size_t n)
{
    for (size_t b = 0; blocks && b < n; b++)
        free(blocks[b]);
    free(blocks);
}

void pb_ring_destroy(pb_ring_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_ring_t *self = *self_p;
    for (size_t j = 0; j < self->ncolumns; j++)
        s_free_blocks(self->columns[j].blocks, self->nblocks);
    free(self->columns);
    s_free_blocks((void **)self->ts, self->nblocks);
    free(self);
    *self_p = NULL;
}

static size_t s_slot(const pb_ring_t *self, size_t i)
{
    return (self->head + i) % self->slots;
}

static void s_put(s_column_t *c, size_t slot, double value)
{
    void *block = c->blocks[slot / PB_RING_BLOCK];
    size_t k = slot % PB_RING_BLOCK;
    if (c->narrow)
        ((float *)block)[k] = (float)value;
    else
        ((double *)block)[k] = value;
}

static double s_get(const s_column_t *c, size_t slot)
{
    const void *block = c->blocks[slot / PB_RING_BLOCK];
    size_t k = slot % PB_RING_BLOCK;
    return c->narrow ? (double)((const float *)block)[k] : ((const double *)block)[k];
}

/* A block of a column with every slot absent. */
static void *s_new_block(const s_column_t *c)
{
    void *block = malloc(PB_RING_BLOCK * s_width(c));
    for (size_t k = 0; block && k < PB_RING_BLOCK; k++) {
        if (c->narrow)
            ((float *)block)[k] = NAN;
        else
            ((double *)block)[k] = NAN;
    }
    return block;
}

/* Allocates block b in the timestamps and in every column (blocks are
 * allocated in order: b == allocated). All or nothing: -ENOMEM leaves the
 * ring as it was. */
static int s_add_block(pb_ring_t *self, size_t b)
{
    uint64_t *ts = malloc(PB_RING_BLOCK * sizeof *ts);
    size_t j = 0;
    for (; ts && j < self->ncolumns; j++)
        if (!(self->columns[j].blocks[b] = s_new_block(&self->columns[j])))
            break;
    if (!ts || j < self->ncolumns) {
        while (j-- > 0) {
            free(self->columns[j].blocks[b]);
            self->columns[j].blocks[b] = NULL;
        }
        free(ts);
        return -ENOMEM;
    }
    self->ts[b] = ts;
    self->allocated++;
    return 0;
}

int pb_ring_push(pb_ring_t *self, uint64_t ts)
{
    /* positions only ever advance: blocks are reached, and allocated, in order */
    size_t slot = s_slot(self, self->len), b = slot / PB_RING_BLOCK;
    while (self->allocated <= b) {
        int rc = s_add_block(self, self->allocated);
        if (rc < 0)
            return rc;
    }
    if (self->len == self->capacity) { /* full: the oldest row goes */
        self->head = (self->head + 1) % self->slots;
        self->len--;
    }
    self->ts[b][slot % PB_RING_BLOCK] = ts;
    for (size_t j = 0; j < self->ncolumns; j++)
        s_put(&self->columns[j], slot, NAN);
    self->len++;
    return 0;
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
    void **wide = calloc(self->nblocks, sizeof *wide);
    size_t b = 0;
    for (; wide && b < self->allocated; b++) {
        double *block = malloc(PB_RING_BLOCK * sizeof *block);
        if (!(wide[b] = block))
            break;
        for (size_t k = 0; k < PB_RING_BLOCK; k++)
            block[k] = (double)((const float *)c->blocks[b])[k];
    }
    if (!wide || b < self->allocated) {
        s_free_blocks(wide, self->nblocks);
        return -ENOMEM;
    }
    s_free_blocks(c->blocks, self->nblocks);
    c->blocks = wide;
    c->narrow = false;
    return 0;
}

int pb_ring_column(pb_ring_t *self, const char *name, pb_ring_store_t store)
{
    for (size_t j = 0; j < self->ncolumns; j++)
        if (strcmp(self->columns[j].name, name) == 0)
            return (int)j;
    if (self->ncolumns >= self->max_fields)
        return -ENOSPC;
    s_column_t c = {name, store, store != PB_RING_DOUBLE, calloc(self->nblocks, sizeof(void *))};
    size_t b = 0;
    for (; c.blocks && b < self->allocated; b++) /* the blocks the rows already have */
        if (!(c.blocks[b] = s_new_block(&c)))
            break;
    if (!c.blocks || b < self->allocated) {
        s_free_blocks(c.blocks, self->nblocks);
        return -ENOMEM;
    }
    self->columns[self->ncolumns] = c;
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

uint64_t pb_ring_ts(const pb_ring_t *self, size_t i)
{
    if (i >= self->len)
        return 0;
    size_t slot = s_slot(self, i);
    return self->ts[slot / PB_RING_BLOCK][slot % PB_RING_BLOCK];
}

size_t pb_ring_drop_before(pb_ring_t *self, uint64_t before_ns)
{
    size_t n = 0;
    while (self->len > 0 && pb_ring_ts(self, 0) < before_ns) {
        self->head = (self->head + 1) % self->slots;
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
        ts[i] = pb_ring_ts(self, i);
        values[i] = j < self->ncolumns ? s_get(&self->columns[j], s_slot(self, i)) : NAN;
    }
    return self->len;
}

size_t pb_ring_memory(const pb_ring_t *self)
{
    size_t pointers = self->nblocks * sizeof(void *);
    size_t bytes = sizeof *self + pointers + self->allocated * PB_RING_BLOCK * sizeof(uint64_t);
    bytes += self->max_fields * sizeof *self->columns;
    for (size_t j = 0; j < self->ncolumns; j++)
        bytes += pointers + self->allocated * PB_RING_BLOCK * s_width(&self->columns[j]);
    return bytes;
}
