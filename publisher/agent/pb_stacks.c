/* pb_stacks: aggregates call stacks into per-function counts, a call tree and folded stacks. */
#include "pb_stacks.h"

#include "pb_grow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Functions are interned by name (open-addressing table of indices + 1).
 * The tree has a virtual root, node 0; every other node is one call path, so
 * folded stacks are the nodes with self samples, read back to the root.
 * `stamp` makes a recursive function count once per stack in its total. */
typedef struct {
    char *name;
    char *file;
    int line;
    uint64_t self, total, stamp;
} s_fn_t;

typedef struct {
    uint32_t fn;
    int32_t parent, child, sibling;
    uint64_t self, total;
} s_node_t;

struct pb_stacks {
    s_fn_t *fns;
    size_t nfns, capfns;
    uint32_t *slots; /* fn index + 1, 0 = empty */
    size_t nslots;
    s_node_t *nodes;
    size_t nnodes, capnodes;
    uint64_t samples, stamp;
};

pb_stacks_t *pb_stacks_new(void)
{
    pb_stacks_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->nslots = 256;
    self->slots = calloc(self->nslots, sizeof *self->slots);
    self->capnodes = 256;
    self->nodes = calloc(self->capnodes, sizeof *self->nodes);
    if (!self->slots || !self->nodes) {
        pb_stacks_destroy(&self);
        return NULL;
    }
    self->nodes[0] = (s_node_t){.parent = -1, .child = -1, .sibling = -1};
    self->nnodes = 1;
    return self;
}

void pb_stacks_destroy(pb_stacks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_stacks_t *self = *self_p;
    for (size_t i = 0; i < self->nfns; i++) {
        free(self->fns[i].name);
        free(self->fns[i].file);
    }
    free(self->fns);
    free(self->slots);
    free(self->nodes);
    free(self);
    *self_p = NULL;
}

static size_t s_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint32_t *s_find(const pb_stacks_t *self, uint32_t *slots, size_t nslots, const char *name)
{
    size_t i = s_hash(name) & (nslots - 1);
    while (slots[i] != 0 && strcmp(self->fns[slots[i] - 1].name, name) != 0)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

static int s_rehash(pb_stacks_t *self)
{
    size_t nslots = self->nslots * 2;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < self->nfns; i++)
        *s_find(self, slots, nslots, self->fns[i].name) = (uint32_t)i + 1;
    free(self->slots);
    self->slots = slots;
    self->nslots = nslots;
    return 0;
}

static int s_new_fn(pb_stacks_t *self, const pb_frame_t *frame)
{
    if (pb_grow((void **)&self->fns, &self->capfns, self->nfns, sizeof *self->fns, 64) < 0)
        return -ENOMEM;
    s_fn_t *fn = &self->fns[self->nfns];
    memset(fn, 0, sizeof *fn);
    fn->name = strdup(frame->name);
    fn->file = frame->file ? strdup(frame->file) : NULL;
    fn->line = frame->line;
    if (!fn->name) {
        free(fn->file);
        return -ENOMEM;
    }
    return (int)self->nfns++;
}

/* Index of the function called frame->name, interning it on first sight. */
static int s_intern(pb_stacks_t *self, const pb_frame_t *frame)
{
    if (self->nfns * 2 >= self->nslots && s_rehash(self) < 0)
        return -ENOMEM;
    const char *name = frame->name ? frame->name : "[unknown]";
    uint32_t *slot = s_find(self, self->slots, self->nslots, name);
    if (*slot != 0)
        return (int)*slot - 1;
    pb_frame_t named = *frame;
    named.name = name;
    int ix = s_new_fn(self, &named);
    if (ix >= 0)
        *slot = (uint32_t)ix + 1;
    return ix;
}

static int32_t s_child(pb_stacks_t *self, int32_t parent, uint32_t fn)
{
    for (int32_t c = self->nodes[parent].child; c >= 0; c = self->nodes[c].sibling)
        if (self->nodes[c].fn == fn)
            return c;
    if (self->nnodes == self->capnodes) {
        s_node_t *nodes = realloc(self->nodes, self->capnodes * 2 * sizeof *nodes);
        if (!nodes)
            return -ENOMEM;
        self->nodes = nodes;
        self->capnodes *= 2;
    }
    int32_t c = (int32_t)self->nnodes++;
    self->nodes[c] =
        (s_node_t){.fn = fn, .parent = parent, .child = -1, .sibling = self->nodes[parent].child};
    self->nodes[parent].child = c;
    return c;
}

int pb_stacks_add(pb_stacks_t *self, const pb_frame_t *frames, size_t n, uint64_t count)
{
    if (n == 0)
        return -EINVAL;
    self->stamp++;
    int32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        int fn = s_intern(self, &frames[i]);
        if (fn < 0)
            return fn;
        node = s_child(self, node, (uint32_t)fn);
        if (node < 0)
            return node;
        self->nodes[node].total += count;
        if (self->fns[fn].stamp != self->stamp) {
            self->fns[fn].stamp = self->stamp;
            self->fns[fn].total += count;
        }
    }
    self->nodes[node].self += count;
    self->fns[self->nodes[node].fn].self += count;
    self->samples += count;
    return 0;
}

uint64_t pb_stacks_samples(const pb_stacks_t *self)
{
    return self->samples;
}

void pb_stacks_wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959964;
    double p = (double)k / (double)n, nn = (double)n;
    double denom = 1 + z * z / nn;
    double centre = (p + z * z / (2 * nn)) / denom;
    double half = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
    *lo = fmax(0, centre - half);
    *hi = fmin(1, centre + half);
}

static int s_by_total(const void *a, const void *b, void *ctx)
{
    const pb_stacks_t *self = ctx;
    const s_fn_t *x = &self->fns[*(const uint32_t *)a];
    const s_fn_t *y = &self->fns[*(const uint32_t *)b];
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    if (x->self != y->self)
        return x->self < y->self ? 1 : -1;
    return strcmp(x->name, y->name);
}

static int s_put_ci(pb_value_t *map, const char *key, uint64_t k, uint64_t n)
{
    double lo, hi;
    pb_stacks_wilson(k, n, &lo, &hi);
    pb_value_t *pair = pb_value_array_new();
    pb_value_t *a = pb_value_float_new(lo * 100), *b = pb_value_float_new(hi * 100);
    int rc = pair ? pb_value_array_push(pair, &a) : -ENOMEM;
    if (rc == 0)
        rc = pb_value_array_push(pair, &b);
    pb_value_destroy(&a);
    pb_value_destroy(&b);
    return rc == 0 ? pb_value_map_put(map, key, &pair) : (pb_value_destroy(&pair), rc);
}

static pb_value_t *s_function(const pb_stacks_t *self, const s_fn_t *fn, double seconds)
{
    pb_value_t *m = pb_value_map_new();
    double n = self->samples ? (double)self->samples : 1;
    int rc = m ? pb_value_map_put_str(m, "name", fn->name) : -ENOMEM;
    if (rc == 0 && fn->file)
        rc = pb_value_map_put_str(m, "file", fn->file);
    if (rc == 0 && fn->file)
        rc = pb_value_map_put_uint(m, "line", (uint64_t)(fn->line > 0 ? fn->line : 0));
    rc = rc ? rc : pb_value_map_put_uint(m, "self", fn->self);
    rc = rc ? rc : pb_value_map_put_uint(m, "total", fn->total);
    rc = rc ? rc : pb_value_map_put_float(m, "self_pct", 100.0 * (double)fn->self / n);
    rc = rc ? rc : pb_value_map_put_float(m, "total_pct", 100.0 * (double)fn->total / n);
    rc = rc ? rc : s_put_ci(m, "self_ci_pct", fn->self, self->samples);
    rc = rc ? rc : s_put_ci(m, "total_ci_pct", fn->total, self->samples);
    rc = rc ? rc : pb_value_map_put_float(m, "self_s", seconds * (double)fn->self / n);
    rc = rc ? rc : pb_value_map_put_float(m, "total_s", seconds * (double)fn->total / n);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_stacks_functions(const pb_stacks_t *self, double seconds, size_t limit)
{
    uint32_t *order = malloc((self->nfns + 1) * sizeof *order);
    pb_value_t *out = order ? pb_value_array_new() : NULL;
    for (size_t i = 0; order && i < self->nfns; i++)
        order[i] = (uint32_t)i;
    if (out)
        qsort_r(order, self->nfns, sizeof *order, s_by_total, (void *)self);
    for (size_t i = 0; out && i < self->nfns && i < limit; i++) {
        pb_value_t *fn = s_function(self, &self->fns[order[i]], seconds);
        if (!fn || pb_value_array_push(out, &fn) < 0)
            pb_value_destroy(&out);
    }
    free(order);
    return out;
}

/* Writes "root;...;node" into a new string; NULL on ENOMEM. */
static char *s_path(const pb_stacks_t *self, int32_t node)
{
    size_t len = 0;
    for (int32_t n = node; n > 0; n = self->nodes[n].parent)
        len += strlen(self->fns[self->nodes[n].fn].name) + 1;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    size_t at = len;
    buf[len] = '\0';
    for (int32_t n = node; n > 0; n = self->nodes[n].parent) {
        const char *name = self->fns[self->nodes[n].fn].name;
        size_t l = strlen(name);
        at -= l + 1;
        buf[at] = ';';
        memcpy(buf + at + 1, name, l);
    }
    memmove(buf, buf + 1, len); /* drop the leading ';' */
    return buf;
}

static int s_by_self(const void *a, const void *b, void *ctx)
{
    const pb_stacks_t *self = ctx;
    const s_node_t *x = &self->nodes[*(const int32_t *)a];
    const s_node_t *y = &self->nodes[*(const int32_t *)b];
    if (x->self != y->self)
        return x->self < y->self ? 1 : -1;
    return *(const int32_t *)a - *(const int32_t *)b;
}

static pb_value_t *s_folded_entry(const pb_stacks_t *self, int32_t node)
{
    char *path = s_path(self, node);
    pb_value_t *m = path ? pb_value_map_new() : NULL;
    int rc = m ? pb_value_map_put_str(m, "stack", path) : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put_uint(m, "count", self->nodes[node].self);
    free(path);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_stacks_folded(const pb_stacks_t *self, size_t limit)
{
    int32_t *leaves = malloc(self->nnodes * sizeof *leaves);
    pb_value_t *out = leaves ? pb_value_array_new() : NULL;
    size_t n = 0;
    for (size_t i = 1; leaves && i < self->nnodes; i++)
        if (self->nodes[i].self > 0)
            leaves[n++] = (int32_t)i;
    if (out)
        qsort_r(leaves, n, sizeof *leaves, s_by_self, (void *)self);
    for (size_t i = 0; out && i < n && i < limit; i++) {
        pb_value_t *entry = s_folded_entry(self, leaves[i]);
        if (!entry || pb_value_array_push(out, &entry) < 0)
            pb_value_destroy(&out);
    }
    free(leaves);
    return out;
}

static pb_value_t *s_tree_node(const pb_stacks_t *self, size_t i)
{
    const s_node_t *node = &self->nodes[i];
    pb_value_t *m = pb_value_map_new();
    int rc = m ? pb_value_map_put_uint(m, "id", i - 1) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_int(m, "parent", node->parent > 0 ? node->parent - 1 : -1);
    rc = rc ? rc : pb_value_map_put_str(m, "name", self->fns[node->fn].name);
    rc = rc ? rc : pb_value_map_put_uint(m, "self", node->self);
    rc = rc ? rc : pb_value_map_put_uint(m, "total", node->total);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_stacks_tree(const pb_stacks_t *self, size_t limit)
{
    pb_value_t *out = pb_value_array_new();
    for (size_t i = 1; out && i < self->nnodes && i <= limit; i++) {
        pb_value_t *node = s_tree_node(self, i);
        if (!node || pb_value_array_push(out, &node) < 0)
            pb_value_destroy(&out);
    }
    return out;
}
