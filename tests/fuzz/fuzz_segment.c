/* fuzz_segment: the segment reader over any file contents — records it returns must lie in the
 * file. */
#include "fuzz_util.h"
#include "pb_sealed.h"
#include "pb_segment.h"

static void s_problem(const char *path, uint64_t offset, const char *message, void *arg)
{
    (void)path;
    (void)offset;
    FUZZ_CHECK(message && message[0], "problem reported without a message");
    (*(size_t *)arg)++;
}

/* A record must point into the file and its topic be NUL-terminated where it says. */
static void s_check_record(const pb_record_t *rec, size_t size, int sealed)
{
    /* a sealed file's record comes from a decoded block: its offset is the block's */
    FUZZ_CHECK(sealed ? rec->offset < size
                      : rec->offset + PB_SEGMENT_RECORD_HEAD + rec->topic_len + rec->payload_len <=
                            size,
               "record at %llu runs past the end of a %zu-byte file",
               (unsigned long long)rec->offset, size);
    FUZZ_CHECK(rec->topic[rec->topic_len] == '\0', "topic not NUL-terminated");
    if (rec->payload_len) {
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < rec->payload_len; i++)
            sum ^= ((const unsigned char *)rec->payload)[i]; /* ASan checks every byte */
        (void)sum;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    pb_segment_reader_t *reader = pb_segment_reader_new(path);
    FUZZ_CHECK(reader != NULL, "reader_new failed on a readable file");
    size_t problems = 0;
    pb_segment_reader_set_problem_fn(reader, s_problem, &problems);
    pb_record_t rec;
    uint64_t n = 0;
    int rc;
    while ((rc = pb_segment_reader_next(reader, &rec)) == 1) {
        s_check_record(&rec, size, pb_sealed_is_sealed(data, size));
        n++;
    }
    FUZZ_CHECK(rc == 0, "reader_next returned %d", rc);
    pb_segment_damage_t d = pb_segment_reader_damage(reader);
    FUZZ_CHECK(d.records == n, "damage says %llu records, %llu returned",
               (unsigned long long)d.records, (unsigned long long)n);
    FUZZ_CHECK(pb_sealed_is_sealed(data, size) || d.skipped_bytes <= size,
               "skipped %llu bytes of %zu", (unsigned long long)d.skipped_bytes, size);
    pb_segment_reader_destroy(&reader);
    close(fd);
    return 0;
}
