/* pb-mpread-cost: one frame decoded N times by pb_frame_reader, pb_mpread_walk or pb_codec_decode +
 * a tree walk, for callgrind. */
#include "pb_codec.h"
#include "pb_frame_reader.h"
#include "pb_mpread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What both paths hand a consumer per leaf: its path and its number. */
typedef struct {
    size_t leaves;
    double sum;
    size_t path_bytes;
} s_sink_t;

static int s_leaf(const pb_mpread_leaf_t *leaf, void *arg)
{
    s_sink_t *sink = arg;
    sink->leaves++;
    sink->path_bytes += leaf->path_len;
    if (leaf->item.type == PB_FLOAT)
        sink->sum += leaf->item.f;
    else if (leaf->item.type == PB_UINT)
        sink->sum += (double)leaf->item.u;
    return 0;
}

/* The tree's leaves with the same paths as pb_mpread_walk builds. */
static void s_tree_leaves(const pb_value_t *v, char *path, size_t len, unsigned depth,
                          s_sink_t *sink)
{
    pb_type_t t = pb_value_type(v);
    size_t n = pb_value_len(v);
    if ((t == PB_MAP || t == PB_ARRAY) && n > 0) {
        for (size_t i = 0; i < n; i++) {
            size_t at = len;
            if (t == PB_MAP) {
                const char *key = pb_value_map_key_at(v, i);
                size_t klen = strlen(key);
                if (depth > 1)
                    path[at++] = '.';
                memcpy(path + at, key, klen);
                at += klen;
            } else {
                memcpy(path + at, "[]", 2);
                at += 2;
            }
            s_tree_leaves(pb_value_array_at(v, i), path, at, depth + 1, sink);
        }
        return;
    }
    path[len] = '\0';
    sink->leaves++;
    sink->path_bytes += len;
    double d;
    if (pb_value_get_f64(v, &d) == 0)
        sink->sum += d;
}

/* One decode each; noinline so that callgrind --toggle-collect can find them. */
__attribute__((noinline)) void pb_cost_walk(const char *buf, size_t len, s_sink_t *sink)
{
    if (pb_mpread_walk(buf, len, s_leaf, sink, NULL, 0) != 0)
        abort();
}

__attribute__((noinline)) void pb_cost_tree(const char *buf, size_t len, s_sink_t *sink)
{
    static char path[16384];
    pb_value_t *tree = NULL;
    if (pb_codec_decode(buf, len, &tree, NULL, 0) != 0)
        abort();
    s_tree_leaves(tree, path, 0, 1, sink);
    pb_value_destroy(&tree);
}

__attribute__((noinline)) void pb_cost_decode(const char *buf, size_t len, s_sink_t *sink)
{
    pb_value_t *tree = NULL;
    if (pb_codec_decode(buf, len, &tree, NULL, 0) != 0)
        abort();
    sink->leaves++;
    pb_value_destroy(&tree);
}

__attribute__((noinline)) void pb_cost_reader(const char *buf, size_t len, s_sink_t *sink)
{
    static pb_frame_reader_t *reader; /* reused, as perfbus-sub's: its cache warm */
    const pb_frame_view_t *view = NULL;
    if ((!reader && !(reader = pb_frame_reader_new())) ||
        pb_frame_reader_read(reader, buf, len, &view, NULL, 0) != 0)
        abort();
    for (size_t i = 0; i < view->nnumbers; i++)
        sink->sum += view->numbers[i].value;
    sink->leaves += view->nnumbers;
}

static char *s_slurp(const char *path, size_t *len_p)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    *len_p = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pb-mpread-cost reader|walk|tree|decode FRAME_FILE N\n");
        return 2;
    }
    size_t len = 0;
    const char *buf = s_slurp(argv[2], &len);
    long n = atol(argv[3]);
    if (!buf || n <= 0) {
        fprintf(stderr, "pb-mpread-cost: cannot read %s or bad N %s\n", argv[2], argv[3]);
        return 1;
    }
    void (*fn)(const char *, size_t, s_sink_t *) = strcmp(argv[1], "reader") == 0 ? pb_cost_reader
                                                   : strcmp(argv[1], "walk") == 0 ? pb_cost_walk
                                                   : strcmp(argv[1], "tree") == 0 ? pb_cost_tree
                                                                                  : pb_cost_decode;
    s_sink_t sink = {0};
    for (long i = 0; i < n; i++)
        fn(buf, len, &sink);
    printf("%s: %zu bytes, %zu leaves per frame, %zu path bytes, sum %g\n", argv[1], len,
           sink.leaves / (size_t)n, sink.path_bytes / (size_t)n, sink.sum);
    return 0;
}
