/* fuzz_mpread: pb_mpread on any bytes; it must agree with pb_codec_decode and walk like the tree.
 */
#include "../pb_mpread_leaves.h"
#include "fuzz_util.h"
#include "pb_codec.h"
#include "pb_mpread.h"

#include <errno.h>

static bool s_is_map_byte(const uint8_t *data, size_t size)
{
    return size > 0 && ((data[0] >= 0x80 && data[0] <= 0x8f) || data[0] == 0xde || data[0] == 0xdf);
}

/* The cursor alone, skipping every container below the top: it must reach the
 * same verdict as a plain read of every object. */
static int s_read(const uint8_t *data, size_t size, bool skip)
{
    pb_mpread_t rd;
    pb_mpread_item_t item;
    pb_mpread_init(&rd, data, size, PB_MPREAD_MAX_DEPTH);
    int rc = 0;
    while (rc == 0 && !pb_mpread_done(&rd)) {
        rc = pb_mpread_next(&rd, &item);
        if (rc == 0 && skip && item.depth == 2)
            rc = pb_mpread_skip(&rd, &item);
    }
    if (rc == 0)
        rc = pb_mpread_finish(&rd);
    FUZZ_CHECK(pb_mpread_offset(&rd) <= size, "offset %zu past %zu", pb_mpread_offset(&rd), size);
    FUZZ_CHECK(rc == 0 || pb_mpread_error(&rd)[0], "error %d without a reason", rc);
    return rc;
}

/* Encodes the tree (which makes str values valid UTF-8 and keys unique) and
 * walks the bytes: the walk must give exactly the leaves of their tree. */
static void s_check_canonical(const pb_value_t *tree)
{
    char *buf = NULL;
    size_t len = 0;
    pb_value_t *back = NULL;
    if (pb_codec_encode(tree, &buf, &len) < 0)
        return;
    FUZZ_CHECK(pb_codec_decode(buf, len, &back, NULL, 0) == 0, "re-decoding failed");
    leaves_t want = {0}, got = {0};
    leaves_from_tree(&want, back);
    FUZZ_CHECK(pb_mpread_walk(buf, len, leaves_walk_cb, &got, NULL, 0) == 0,
               "walk of the encoded tree failed");
    FUZZ_CHECK(leaves_diff(&want, &got) < 0, "walk of the encoded tree differs");
    leaves_free(&want);
    leaves_free(&got);
    pb_value_destroy(&back);
    free(buf);
}

/* A tree the codec accepted: the input walks like it unless it held keys that
 * pb_value merged (then the walk has strictly more leaves: every entry yields
 * at least one). */
static void s_check_leaves(const uint8_t *data, size_t size, const pb_value_t *tree)
{
    leaves_t want = {0}, got = {0};
    leaves_from_tree(&want, tree);
    FUZZ_CHECK(pb_mpread_walk(data, size, leaves_walk_cb, &got, NULL, 0) == 0, "walk failed");
    FUZZ_CHECK(got.n >= want.n, "walk has %zu leaves, tree %zu", got.n, want.n);
    FUZZ_CHECK(got.n > want.n || leaves_diff(&want, &got) < 0, "walk differs from the tree");
    leaves_free(&want);
    leaves_free(&got);
    s_check_canonical(tree);
}

static int s_count(const pb_mpread_leaf_t *leaf, void *arg)
{
    FUZZ_CHECK(leaf->path_hash == pb_mpread_hash(leaf->path, leaf->path_len), "path hash");
    ++*(size_t *)arg;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_value_t *tree = NULL;
    int codec_rc = pb_codec_decode(data, size, &tree, NULL, 0);
    int read_rc = s_read(data, size, false);
    FUZZ_CHECK(s_read(data, size, true) == read_rc, "skipping changed the verdict");
    FUZZ_CHECK((read_rc == 0) == (codec_rc == 0), "reader %d, codec %d", read_rc, codec_rc);
    char err[256] = "";
    size_t leaves = 0;
    int rc = pb_mpread_walk(data, size, s_count, &leaves, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -ENODATA || rc == -EBADMSG || rc == -ELOOP || rc == -E2BIG,
               "undocumented error %d (%s)", rc, err);
    FUZZ_CHECK(rc == 0 || err[0], "walk error %d without a reason", rc);
    if (s_is_map_byte(data, size))
        FUZZ_CHECK((rc == 0) == (codec_rc == 0), "walk %d (%s), codec %d", rc, err, codec_rc);
    else
        FUZZ_CHECK(rc != 0, "walk accepted a top level that is not a map");
    if (rc == 0 && tree)
        s_check_leaves(data, size, tree);
    pb_value_destroy(&tree);
    return 0;
}
