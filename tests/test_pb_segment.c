/* Unit tests of pb_segment: writing records, reading them back, and damaged files. */
#include "pb_segment.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char s_dir[64];
static char s_path[128];
static int s_problems;

static void s_setup(void)
{
    strcpy(s_dir, "/tmp/pb_segment_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/segment-000001.pbl", s_dir);
    s_problems = 0;
}

static void s_teardown(void)
{
    unlink(s_path);
    rmdir(s_dir);
}

static void s_count_problem(const char *path, uint64_t offset, const char *message, void *arg)
{
    (void)path, (void)offset, (void)arg;
    ck_assert_ptr_nonnull(message);
    s_problems++;
}

/* Writes n records "topic.i" / "payload-i" with recv_ts 1000 + i. */
static void s_write(int n)
{
    pb_segment_writer_t *w = pb_segment_writer_new(s_path);
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < n; i++) {
        char topic[32], payload[32];
        int tl = snprintf(topic, sizeof topic, "sys.host.%d", i);
        int pl = snprintf(payload, sizeof payload, "payload-%d", i);
        ck_assert_int_eq(pb_segment_writer_append(w, 1000 + i, topic, tl, payload, pl), 0);
    }
    ck_assert_int_eq(pb_segment_writer_flush(w, 1), 0);
    pb_segment_writer_destroy(&w);
    ck_assert_ptr_null(w);
}

/* Reads the segment back; returns the number of good records, checks their content. */
static int s_read(pb_segment_damage_t *damage)
{
    pb_segment_reader_t *r = pb_segment_reader_new(s_path);
    ck_assert_ptr_nonnull(r);
    pb_segment_reader_set_problem_fn(r, s_count_problem, NULL);
    pb_record_t rec;
    int n = 0, rc;
    while ((rc = pb_segment_reader_next(r, &rec)) == 1) {
        int i = (int)(rec.recv_ts - 1000);
        char payload[32];
        snprintf(payload, sizeof payload, "payload-%d", i);
        ck_assert_uint_eq(rec.payload_len, strlen(payload));
        ck_assert_mem_eq(rec.payload, payload, rec.payload_len);
        ck_assert_uint_eq(strlen(rec.topic), rec.topic_len);
        n++;
    }
    ck_assert_int_eq(rc, 0);
    *damage = pb_segment_reader_damage(r);
    pb_segment_reader_destroy(&r);
    pb_segment_reader_destroy(&r); /* idempotent */
    return n;
}

static off_t s_size(void)
{
    struct stat st;
    ck_assert_int_eq(stat(s_path, &st), 0);
    return st.st_size;
}

static void s_flip(off_t offset)
{
    int fd = open(s_path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char b;
    ck_assert_int_eq(pread(fd, &b, 1, offset), 1);
    b ^= 0x40;
    ck_assert_int_eq(pwrite(fd, &b, 1, offset), 1);
    close(fd);
}

START_TEST(crc_matches_zlib)
{
    /* zlib.crc32(b"123456789") == 0xCBF43926, the standard check value. */
    ck_assert_uint_eq(pb_segment_crc32(0, "123456789", 9), 0xCBF43926u);
    uint32_t part = pb_segment_crc32(0, "12345", 5);
    ck_assert_uint_eq(pb_segment_crc32(part, "6789", 4), 0xCBF43926u);
    ck_assert_uint_eq(pb_segment_crc32(0, "", 0), 0);
}
END_TEST

START_TEST(roundtrip)
{
    s_write(100);
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 100);
    ck_assert_uint_eq(d.records, 100);
    ck_assert_uint_eq(d.corrupt + d.torn + d.skipped_bytes + d.bad_header, 0);
    ck_assert_int_eq(s_problems, 0);
}
END_TEST

START_TEST(records_are_laid_out_as_documented)
{
    s_write(1);
    FILE *f = fopen(s_path, "rb");
    unsigned char buf[64];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* header 16 + head 18 + "sys.host.0" (10) + "payload-0" (9) */
    ck_assert_uint_eq(n, 16 + 18 + 10 + 9);
    ck_assert_mem_eq(buf, "PBSEGMNT\x01\0\0\0\0\0\0\0", 16);
    ck_assert_uint_eq(buf[16], 8 + 2 + 10 + 9); /* len, LE */
    uint32_t crc = buf[20] | buf[21] << 8 | buf[22] << 16 | (uint32_t)buf[23] << 24;
    ck_assert_uint_eq(crc, pb_segment_crc32(0, buf + 24, 29));
    ck_assert_uint_eq(buf[24], 1000 & 0xFF);
    ck_assert_uint_eq(buf[25], 1000 >> 8);
    ck_assert_uint_eq(buf[32], 10); /* topic length */
    ck_assert_mem_eq(buf + 34, "sys.host.0payload-0", 19);
}
END_TEST

START_TEST(nothing_reaches_the_file_before_flush)
{
    pb_segment_writer_t *w = pb_segment_writer_new(s_path);
    ck_assert_int_eq(pb_segment_writer_append(w, 1, "t", 1, "p", 1), 0);
    ck_assert_int_eq(s_size(), 16);
    ck_assert_uint_eq(pb_segment_writer_size(w), 16 + 18 + 2);
    ck_assert_int_eq(pb_segment_writer_flush(w, 0), 0);
    ck_assert_int_eq(s_size(), 16 + 18 + 2);
    pb_segment_writer_destroy(&w);
}
END_TEST

START_TEST(writer_refuses_bad_input)
{
    pb_segment_writer_t *w = pb_segment_writer_new(s_path);
    static char big_topic[70000];
    ck_assert_int_eq(pb_segment_writer_append(w, 1, big_topic, sizeof big_topic, "p", 1), -EINVAL);
    ck_assert_int_eq(pb_segment_writer_append(w, 1, "t", 1, "p", PB_SEGMENT_MAX_RECORD + 1),
                     -EINVAL);
    pb_segment_writer_destroy(&w);
    /* an existing file is never overwritten */
    ck_assert_ptr_null(pb_segment_writer_new(s_path));
    ck_assert_int_eq(errno, EEXIST);
    pb_segment_writer_destroy(NULL);
}
END_TEST

START_TEST(empty_payload_and_topic)
{
    pb_segment_writer_t *w = pb_segment_writer_new(s_path);
    ck_assert_int_eq(pb_segment_writer_append(w, 7, "", 0, NULL, 0), 0);
    pb_segment_writer_destroy(&w);
    pb_segment_reader_t *r = pb_segment_reader_new(s_path);
    pb_record_t rec;
    ck_assert_int_eq(pb_segment_reader_next(r, &rec), 1);
    ck_assert_uint_eq(rec.recv_ts, 7);
    ck_assert_str_eq(rec.topic, "");
    ck_assert_uint_eq(rec.payload_len, 0);
    ck_assert_int_eq(pb_segment_reader_next(r, &rec), 0);
    pb_segment_reader_destroy(&r);
}
END_TEST

START_TEST(truncated_file_loses_only_the_torn_record)
{
    s_write(10);
    ck_assert_int_eq(truncate(s_path, s_size() - 5), 0);
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 9);
    ck_assert_uint_eq(d.torn, 1);
    ck_assert_uint_eq(d.corrupt, 0);
    ck_assert_uint_eq(d.skipped_bytes, 18 + 10 + 9 - 5);
    ck_assert_int_eq(s_problems, 1);
}
END_TEST

START_TEST(truncated_inside_the_record_head)
{
    s_write(3);
    ck_assert_int_eq(truncate(s_path, s_size() - (10 + 9 + 12)), 0);
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 2);
    ck_assert_uint_eq(d.torn, 1);
}
END_TEST

START_TEST(flipped_payload_byte_skips_one_record)
{
    s_write(10);
    s_flip(16 + 37 * 4 + 30); /* inside the payload of record 4 (each is 37 bytes) */
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 9);
    ck_assert_uint_eq(d.corrupt, 1);
    ck_assert_uint_eq(d.torn, 0);
    ck_assert_uint_eq(d.skipped_bytes, 37);
    ck_assert_int_eq(s_problems, 1);
}
END_TEST

START_TEST(flipped_length_byte_resyncs)
{
    s_write(10);
    s_flip(16 + 37 * 2); /* the length of record 2 */
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 9);
    ck_assert_uint_eq(d.corrupt, 1);
    ck_assert_uint_eq(d.torn, 0);
}
END_TEST

START_TEST(empty_file_and_bad_header)
{
    int fd = open(s_path, O_CREAT | O_WRONLY, 0644);
    close(fd);
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 0);
    ck_assert_uint_eq(d.bad_header, 1);
    ck_assert_int_eq(s_problems, 1);
    FILE *f = fopen(s_path, "w");
    fputs("this is not a segment at all", f);
    fclose(f);
    ck_assert_int_eq(s_read(&d), 0);
    ck_assert_uint_eq(d.bad_header, 1);
    ck_assert_uint_eq(d.skipped_bytes, 28);
}
END_TEST

START_TEST(header_only_is_an_empty_segment)
{
    s_write(0);
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 0);
    ck_assert_uint_eq(d.bad_header + d.torn + d.corrupt, 0);
}
END_TEST

START_TEST(missing_file_and_directory)
{
    ck_assert_ptr_null(pb_segment_reader_new("/nonexistent/segment-000001.pbl"));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_null(pb_segment_reader_new(s_dir));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(pb_segment_writer_new("/nonexistent/x.pbl"));
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- damage scans: linear in the size of the damage ---- */

/* Appends n bytes of deterministic pseudo-random garbage (xorshift64). */
static void s_append_garbage(FILE *f, size_t n, uint64_t seed)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fputc((int)(x >> 32) & 0xff, f);
    }
}

/* Appends the records of the segment at path (its bytes after the header). */
static void s_append_records_of(FILE *f, const char *path)
{
    FILE *in = fopen(path, "rb");
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(fseek(in, PB_SEGMENT_HEADER_SIZE, SEEK_SET), 0);
    int c;
    while ((c = fgetc(in)) != EOF)
        fputc(c, f);
    fclose(in);
}

/* A segment of a valid header followed by mib MiB of garbage. */
static void s_write_garbage(size_t mib)
{
    s_write(0);
    FILE *f = fopen(s_path, "ab");
    ck_assert_ptr_nonnull(f);
    s_append_garbage(f, mib << 20, 0x9e3779b97f4a7c15u + mib);
    fclose(f);
}

static double s_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds to read the garbage segment of mib MiB; all of it is skipped. */
static double s_time_garbage(size_t mib)
{
    s_write_garbage(mib);
    double t0 = s_cpu_seconds();
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 0);
    double t = s_cpu_seconds() - t0;
    ck_assert_uint_eq(d.skipped_bytes, mib << 20);
    ck_assert_uint_eq(d.corrupt + d.torn, 1);
    unlink(s_path);
    return t;
}

/* 16 times the garbage may cost at most 3 x 16 times the CPU (plus 50 ms of
 * timer noise): a scan that re-reads from each byte grows as the cube. The
 * 4 MiB step comes first so that a super-linear reader fails fast. */
START_TEST(garbage_is_scanned_in_linear_time)
{
    double t1 = s_time_garbage(1);
    double t4 = s_time_garbage(4);
    ck_assert_msg(t4 <= 3 * 4 * t1 + 0.05, "1 MiB %.3f s, 4 MiB %.3f s", t1, t4);
    double t16 = s_time_garbage(16);
    ck_assert_msg(t16 <= 3 * 16 * t1 + 0.05, "1 MiB %.3f s, 16 MiB %.3f s", t1, t16);
}
END_TEST

/* Records 0..49, 1 MiB of garbage, records 50..99, a flipped record, 100..149:
 * every valid record around the damage comes back. */
START_TEST(records_around_garbage_are_all_recovered)
{
    char part[160];
    snprintf(part, sizeof part, "%s.part", s_path);
    pb_segment_writer_t *w = pb_segment_writer_new(part);
    ck_assert_ptr_nonnull(w);
    for (int i = 50; i < 150; i++) {
        char topic[32], payload[32];
        int tl = snprintf(topic, sizeof topic, "proc.host.%d", i);
        int pl = snprintf(payload, sizeof payload, "payload-%d", i);
        ck_assert_int_eq(pb_segment_writer_append(w, 1000 + i, topic, tl, payload, pl), 0);
    }
    pb_segment_writer_destroy(&w);
    s_write(50);
    FILE *f = fopen(s_path, "ab");
    s_append_garbage(f, 1 << 20, 42);
    s_append_records_of(f, part);
    fclose(f);
    unlink(part);
    s_flip(s_size() - 40 * 30); /* inside one record of the tail */
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(&d), 149);
    ck_assert_uint_eq(d.records, 149);
    ck_assert_uint_eq(d.corrupt, 2);
    ck_assert_uint_eq(d.torn, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_segment");
    TCase *tc = tcase_create("segment");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, crc_matches_zlib);
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, records_are_laid_out_as_documented);
    tcase_add_test(tc, nothing_reaches_the_file_before_flush);
    tcase_add_test(tc, writer_refuses_bad_input);
    tcase_add_test(tc, empty_payload_and_topic);
    tcase_add_test(tc, truncated_file_loses_only_the_torn_record);
    tcase_add_test(tc, truncated_inside_the_record_head);
    tcase_add_test(tc, flipped_payload_byte_skips_one_record);
    tcase_add_test(tc, flipped_length_byte_resyncs);
    tcase_add_test(tc, empty_file_and_bad_header);
    tcase_add_test(tc, header_only_is_an_empty_segment);
    tcase_add_test(tc, missing_file_and_directory);
    suite_add_tcase(s, tc);
    TCase *damage = tcase_create("damage");
    tcase_add_checked_fixture(damage, s_setup, s_teardown);
    tcase_set_timeout(damage, 120);
    tcase_add_test(damage, garbage_is_scanned_in_linear_time);
    tcase_add_test(damage, records_around_garbage_are_all_recovered);
    suite_add_tcase(s, damage);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
