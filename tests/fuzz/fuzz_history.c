/* fuzz_history: the subscriber's frame intake — frame reader, history rings — and the
 * queries over what was kept. Input: frames as [u16 LE length][msgpack payload]... */
#include "fuzz_util.h"
#include "pb_frame_reader.h"
#include "pb_history.h"

#include <errno.h>

/* What pb_sub_ingest does with one payload after the socket. */
static void s_ingest(pb_history_t *history, pb_frame_reader_t *reader, const uint8_t *payload,
                     size_t len, uint64_t now)
{
    const pb_frame_view_t *frame = NULL;
    char err[256];
    if (pb_frame_reader_read(reader, payload, len, &frame, err, sizeof err) == 0) {
        int rc = pb_history_add(history, frame, now);
        FUZZ_CHECK(rc == 0 || rc == -ENOSPC || rc == -ENOMEM || rc == -EINVAL,
                   "history_add returned %d", rc);
    }
}

static void s_query(pb_history_t *history, int64_t pid, double last_s)
{
    static const char *const fields[] = {"cpu", "mem.used_bytes", "cpu_pct"};
    pb_history_query_t q = {.pid = pid, .last_s = last_s, .to_ns = UINT64_MAX};
    pb_value_t *out = NULL;
    int rc = pb_history_history(history, &q, &out);
    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -ENOMEM, "history returned %d", rc);
    pb_value_destroy(&out);
    q.fields = fields;
    q.nfields = 3;
    rc = pb_history_summary(history, &q, &out);
    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -ENOMEM, "summary returned %d", rc);
    pb_value_destroy(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_history_config_t config = {
        .capacity = 8, .max_fields = 64, .max_procs = 4, .gone_ns = 1000000000ull};
    pb_history_t *history = pb_history_new(&config);
    pb_frame_reader_t *reader = pb_frame_reader_new();
    if (!history || !reader) {
        pb_history_destroy(&history);
        pb_frame_reader_destroy(&reader);
        return 0;
    }
    const uint8_t *part;
    size_t len;
    uint64_t now = 1700000000000000000ull;
    while (fuzz_next_part(&data, &size, &part, &len)) {
        s_ingest(history, reader, part, len, now);
        now += 500000000ull;
        pb_history_expire(history, now);
    }
    s_query(history, -1, 0);
    s_query(history, 1234, 1.5);
    for (int what = 0; what <= 2; what++) {
        pb_history_query_t q = {.pid = -1, .to_ns = UINT64_MAX};
        pb_value_t *out = NULL;
        int rc = pb_history_processes(history, &q, what, &out);
        FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "processes(%d) returned %d", what, rc);
        pb_value_destroy(&out);
    }
    pb_history_destroy(&history);
    pb_frame_reader_destroy(&reader);
    return 0;
}
