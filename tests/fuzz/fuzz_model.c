/* fuzz_model: the reporter's frame intake (pb_model_add) and its readers over what was kept.
 * Input: frames as [u16 LE length][msgpack payload]... */
#include "fuzz_util.h"
#include "pb_model.h"

#include <errno.h>

static void s_read_back(const pb_model_t *model)
{
    pb_model_info_t info;
    pb_model_info(model, &info);
    for (size_t h = 0; h < pb_model_host_count(model); h++) {
        FUZZ_CHECK(pb_model_host(model, h) != NULL, "host %zu is NULL", h);
        for (size_t m = 0; m < pb_model_metric_count(); m++) {
            pb_series_t s = pb_model_sys(model, h, m);
            FUZZ_CHECK(s.n == 0 || (s.ts && s.v), "series without arrays");
        }
        for (size_t rank = 0; rank < pb_model_proc_count(model, h); rank++) {
            pb_model_proc_t proc;
            int rc = pb_model_proc(model, h, rank % 2 ? PB_ORDER_RSS : PB_ORDER_CPU, rank, &proc);
            FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "proc rank %zu: %d", rank, rc);
        }
    }
    for (size_t i = 0; i < pb_model_profile_count(model); i++)
        FUZZ_CHECK(pb_model_profile(model, i) != NULL, "profile %zu is NULL", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_model_t *model = pb_model_new();
    if (!model)
        return 0;
    const uint8_t *part;
    size_t len;
    while (fuzz_next_part(&data, &size, &part, &len)) {
        char err[256] = "";
        static const uint64_t pids[] = {1, 7, 1234};
        pb_model_filter_t filter = {NULL, pids, 3}, *use = len % 3 == 0 ? &filter : NULL;
        int rc = pb_model_add(model, part, len, use, err, sizeof err);
        FUZZ_CHECK(rc == 0 || rc == -ENOMEM || ((rc == -EINVAL || rc == -EBADMSG) && err[0]),
                   "pb_model_add returned %d (%s)", rc, err);
    }
    s_read_back(model);
    pb_model_destroy(&model);
    return 0;
}
