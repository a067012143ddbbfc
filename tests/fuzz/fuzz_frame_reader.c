/* fuzz_frame_reader: pb_frame_reader on any bytes must agree with the tree path (pb_frame_oracle).
 */
#include "fuzz_util.h"
#include "pb_frame_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    FUZZ_CHECK(pb_frame_oracle_check(data, size, why, sizeof why) == 0, "%s", why);
    return 0;
}
