/* fuzz_codec: pb_codec_decode on any bytes; what it accepts must re-encode to a stable form. */
#include "fuzz_util.h"
#include "pb_codec.h"

#include <errno.h>

/* decode(encode(t)) must succeed and encode to the same bytes again. */
static void s_check_round_trip(const pb_value_t *tree)
{
    char *buf1 = NULL, *buf2 = NULL;
    size_t len1 = 0, len2 = 0;
    pb_value_t *again = NULL;
    char err[256] = "";
    if (pb_codec_encode(tree, &buf1, &len1) < 0)
        return;
    int rc = pb_codec_decode(buf1, len1, &again, err, sizeof err);
    FUZZ_CHECK(rc == 0, "re-decoding an encoded tree failed: %d %s", rc, err);
    if (pb_codec_encode(again, &buf2, &len2) == 0) {
        FUZZ_CHECK(len1 == len2 && memcmp(buf1, buf2, len1) == 0,
                   "encoding is not stable: %zu vs %zu bytes", len1, len2);
    }
    free(buf1);
    free(buf2);
    pb_value_destroy(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_value_t *tree = NULL;
    char err[256] = "";
    int rc = pb_codec_decode(data, size, &tree, err, sizeof err);
    if (rc == 0) {
        FUZZ_CHECK(tree != NULL, "decode returned 0 without a tree");
        s_check_round_trip(tree);
    } else {
        FUZZ_CHECK(tree == NULL, "decode failed (%d) but set a tree", rc);
        FUZZ_CHECK(rc == -EBADMSG || rc == -E2BIG || rc == -ELOOP || rc == -ENOMEM,
                   "undocumented error %d (%s)", rc, err);
        FUZZ_CHECK(err[0] != '\0', "error %d without a reason", rc);
    }
    pb_value_destroy(&tree);
    return 0;
}
