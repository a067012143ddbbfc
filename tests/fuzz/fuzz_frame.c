/* fuzz_frame: the envelope check every consumer runs on a decoded frame, and the topic it implies.
 */
#include "fuzz_util.h"
#include "pb_codec.h"
#include "pb_frame.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_value_t *frame = NULL;
    if (pb_codec_decode(data, size, &frame, NULL, 0) < 0)
        return 0;
    pb_envelope_t env;
    char err[256] = "";
    int rc = pb_frame_envelope(frame, &env, err, sizeof err);
    if (rc == 0) {
        FUZZ_CHECK(env.type && env.host && env.src, "envelope accepted without type/host/src");
        char topic[256];
        rc = pb_frame_topic(topic, sizeof topic, env.type, env.host, env.src);
        FUZZ_CHECK(rc == 0 || rc == -ENAMETOOLONG, "pb_frame_topic returned %d", rc);
    } else {
        FUZZ_CHECK(rc == -EINVAL && err[0], "envelope refused with %d and reason '%s'", rc, err);
    }
    pb_value_destroy(&frame);
    return 0;
}
