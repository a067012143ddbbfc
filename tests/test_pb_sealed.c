/* Unit tests of pb_sealed: sealing segments into zstd blocks, the time index, damaged blocks. */
#include "pb_sealed.h"

#include "pb_segment.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NREC 1200 /* ~3.6 MiB of records: four blocks */
#define PLEN 3000

static char s_dir[64], s_pbl[128], s_pbz[128];
static int s_problems;
static uint64_t s_problem_offset;
static char s_problem_path[256], s_problem_msg[512];

static void s_setup(void)
{
    strcpy(s_dir, "/tmp/pb_sealed_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_pbl, sizeof s_pbl, "%s/segment-000001.pbl", s_dir);
    snprintf(s_pbz, sizeof s_pbz, "%s/segment-000001.pbz", s_dir);
    s_problems = 0;
    s_problem_msg[0] = '\0';
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_problem(const char *path, uint64_t offset, const char *msg, void *arg)
{
    (void)arg;
    if (s_problems++ == 0 || strstr(msg, "compressed")) {
        snprintf(s_problem_path, sizeof s_problem_path, "%s", path);
        snprintf(s_problem_msg, sizeof s_problem_msg, "%s", msg);
        s_problem_offset = offset;
    }
}

/* Payload i: compressible text with its number, so every record can be recognised. */
static size_t s_payload(int i, char *buf)
{
    int n = snprintf(buf, PLEN, "record %06d ", i);
    for (int k = n; k < PLEN; k++)
        buf[k] = (char)('a' + (k * 7 + i) % 26);
    return PLEN;
}

/* Writes NREC records at recv_ts 1000 s + i s into s_pbl and seals it. */
static void s_write_and_seal(void)
{
    pb_segment_writer_t *w = pb_segment_writer_new(s_pbl);
    ck_assert_ptr_nonnull(w);
    char payload[PLEN];
    for (int i = 0; i < NREC; i++) {
        size_t n = s_payload(i, payload);
        uint64_t ts = (1000ull + (uint64_t)i) * 1000000000ull;
        ck_assert_int_eq(pb_segment_writer_append(w, ts, "sys.h", 5, payload, n), 0);
    }
    pb_segment_writer_destroy(&w);
    ck_assert_int_eq(pb_sealed_seal(s_pbl, 1), 0);
}

/* Reads s_pbz; marks seen[i] for every record i returned; returns the count. */
static int s_read(uint64_t from, uint64_t to, char *seen, pb_segment_damage_t *d)
{
    pb_segment_reader_t *r = pb_segment_reader_new(s_pbz);
    ck_assert_ptr_nonnull(r);
    pb_segment_reader_set_problem_fn(r, s_problem, NULL);
    pb_segment_reader_set_window(r, from, to);
    pb_record_t rec;
    int n = 0;
    char want[PLEN];
    while (pb_segment_reader_next(r, &rec) == 1) {
        int i = atoi((const char *)rec.payload + 7);
        ck_assert_int_lt(i, NREC);
        s_payload(i, want);
        ck_assert_uint_eq(rec.payload_len, PLEN);
        ck_assert_mem_eq(rec.payload, want, PLEN);
        ck_assert_uint_eq(rec.recv_ts, (1000ull + (uint64_t)i) * 1000000000ull);
        ck_assert_str_eq(rec.topic, "sys.h");
        seen[i] = 1;
        n++;
    }
    *d = pb_segment_reader_damage(r);
    pb_segment_reader_destroy(&r);
    return n;
}

static void s_map(const char *path, unsigned char **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(*size);
    ck_assert_uint_eq(fread(*buf, 1, *size, f), *size);
    fclose(f);
}

static void s_flip(const char *path, uint64_t at)
{
    int fd = open(path, O_RDWR);
    unsigned char b;
    ck_assert_int_eq(pread(fd, &b, 1, (off_t)at), 1);
    b ^= 0x5a;
    ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)at), 1);
    close(fd);
}

START_TEST(seal_roundtrip_replaces_the_segment)
{
    s_write_and_seal();
    struct stat st;
    ck_assert_int_ne(stat(s_pbl, &st), 0); /* the .pbl is gone */
    ck_assert_int_eq(stat(s_pbz, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, PB_SEGMENT_FILE_MODE);
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(0, UINT64_MAX, seen, &d), NREC);
    ck_assert_uint_eq(d.corrupt + d.torn + d.bad_header, 0);
    ck_assert_int_eq(s_problems, 0);
    pb_sealed_info_t info;
    ck_assert_int_eq(pb_sealed_info(s_pbz, &info), 0);
    ck_assert_int_eq(info.sealed, 1);
    ck_assert_uint_eq(info.records, NREC);
    ck_assert_uint_eq(info.raw_bytes,
                      PB_SEGMENT_HEADER_SIZE + NREC * pb_segment_record_size(5, PLEN));
    ck_assert_uint_lt(info.disk_bytes * 5, info.raw_bytes); /* text compresses */
    ck_assert_uint_eq(info.first_ts, 1000ull * 1000000000ull);
    ck_assert_uint_eq(info.last_ts, (1000ull + NREC - 1) * 1000000000ull);
}
END_TEST

START_TEST(index_lists_every_block)
{
    s_write_and_seal();
    unsigned char *map;
    size_t size;
    s_map(s_pbz, &map, &size);
    pb_sealed_index_t idx;
    ck_assert_int_eq(pb_sealed_index(map, size, &idx), 0);
    ck_assert_uint_ge(idx.nblocks, 3);
    uint64_t prev_last = 0, records = 0;
    for (uint32_t i = 0; i < idx.nblocks; i++) {
        uint64_t off, first, last;
        pb_sealed_block_t b;
        pb_sealed_entry(&idx, i, &off, &first, &last);
        ck_assert_int_eq(pb_sealed_block_at(map, idx.index_offset, off, &b), 1);
        ck_assert_uint_eq(b.first_ts, first);
        ck_assert_uint_eq(b.last_ts, last);
        ck_assert_uint_gt(first, prev_last);
        ck_assert_uint_le(b.raw_len, PB_SEALED_BLOCK_RAW);
        prev_last = last;
        records += b.records;
    }
    ck_assert_uint_eq(records, NREC);
    free(map);
}
END_TEST

/* Offset of block i, from the index. */
static uint64_t s_block_offset(uint32_t i, pb_sealed_block_t *b)
{
    unsigned char *map;
    size_t size;
    s_map(s_pbz, &map, &size);
    pb_sealed_index_t idx;
    ck_assert_int_eq(pb_sealed_index(map, size, &idx), 0);
    uint64_t off, first, last;
    pb_sealed_entry(&idx, i, &off, &first, &last);
    ck_assert_int_eq(pb_sealed_block_at(map, size, off, b), 1);
    free(map);
    return off;
}

START_TEST(flipped_byte_costs_one_block)
{
    s_write_and_seal();
    pb_sealed_block_t b;
    uint64_t off = s_block_offset(1, &b);
    s_flip(s_pbz, off + PB_SEALED_BLOCK_HEAD + b.comp_len / 2);
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    int n = s_read(0, UINT64_MAX, seen, &d);
    ck_assert_int_eq(n, NREC - (int)b.records);
    ck_assert_uint_eq(d.corrupt, 1);
    ck_assert_int_eq(s_problems, 1);
    ck_assert_str_eq(s_problem_path, s_pbz);
    ck_assert_uint_eq(s_problem_offset, off);
    ck_assert_ptr_nonnull(strstr(s_problem_msg, "damaged compressed block"));
    /* exactly block 1's records are missing, the blocks after it are read */
    uint64_t first = b.first_ts / 1000000000ull - 1000, last = b.last_ts / 1000000000ull - 1000;
    for (int i = 0; i < NREC; i++)
        ck_assert_int_eq(seen[i], (uint64_t)i < first || (uint64_t)i > last);
}
END_TEST

START_TEST(damaged_block_header_and_index)
{
    s_write_and_seal();
    pb_sealed_block_t b;
    uint64_t off = s_block_offset(2, &b);
    s_flip(s_pbz, off + 9); /* raw_len: the header CRC no longer checks */
    struct stat st;
    ck_assert_int_eq(stat(s_pbz, &st), 0);
    s_flip(s_pbz, (uint64_t)st.st_size - 10); /* the trailer's index CRC */
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    int n = s_read(0, UINT64_MAX, seen, &d);
    ck_assert_int_eq(n, NREC - (int)b.records); /* found by walking, block 2 lost */
    ck_assert_uint_eq(d.corrupt, 1);
    ck_assert_int_eq(s_problems, 2); /* index damaged; block header damaged */
    ck_assert_ptr_nonnull(strstr(s_problem_msg, "time index"));
}
END_TEST

START_TEST(window_reads_only_its_blocks)
{
    s_write_and_seal();
    pb_sealed_block_t b;
    s_block_offset(2, &b);
    s_flip(s_pbz, b.offset + PB_SEALED_BLOCK_HEAD + 3); /* never decoded by a window before it */
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    uint64_t from = 1100ull * 1000000000ull, to = 1110ull * 1000000000ull;
    int n = s_read(from, to, seen, &d);
    ck_assert_int_eq(s_problems, 0);
    ck_assert_uint_eq(d.corrupt, 0);
    for (int i = 100; i <= 110; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_lt(n, NREC / 2); /* one block or two, not the segment */
}
END_TEST

START_TEST(seal_refuses_bad_names_and_missing_files)
{
    ck_assert_int_eq(pb_sealed_seal("/tmp/x.txt", 1), -EINVAL);
    ck_assert_int_eq(pb_sealed_seal(s_pbl, 1), -ENOENT);
    pb_sealed_info_t info;
    ck_assert_int_eq(pb_sealed_info(s_pbl, &info), -ENOENT);
}
END_TEST

START_TEST(truncated_sealed_file_keeps_whole_blocks)
{
    s_write_and_seal();
    pb_sealed_block_t b;
    uint64_t off = s_block_offset(3, &b);
    ck_assert_int_eq(truncate(s_pbz, (off_t)(off + 100)), 0);
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    int n = s_read(0, UINT64_MAX, seen, &d);
    ck_assert_int_eq(n, (int)(b.first_ts / 1000000000ull - 1000));
    ck_assert_int_ge(s_problems, 2); /* no index; a block cut short */
}
END_TEST

/* Regression (fuzz.sealed, repro/sealed/index-offset-overflow): an index entry
 * whose offset is near 2^64 passed the index check (off + 40 wrapped) and made
 * a pointer past the mapping. Such an index is damage: the blocks are walked. */
START_TEST(index_offset_near_2_64_is_damage)
{
    s_write_and_seal();
    unsigned char *map;
    size_t size;
    s_map(s_pbz, &map, &size);
    pb_sealed_index_t idx;
    ck_assert_int_eq(pb_sealed_index(map, size, &idx), 0);
    unsigned char *e = map + idx.index_offset + PB_SEALED_INDEX_HEAD; /* entry 0's offset */
    uint64_t bad = UINT64_MAX - 10;
    for (int i = 0; i < 8; i++)
        e[i] = (unsigned char)(bad >> (8 * i));
    uint32_t crc =
        pb_segment_crc32(0, map + idx.index_offset, size - PB_SEALED_TRAILER - idx.index_offset);
    for (int i = 0; i < 4; i++)
        map[size - 8 + i] = (unsigned char)(crc >> (8 * i));
    ck_assert_int_eq(pb_sealed_index(map, size, &idx), -EBADMSG);
    FILE *f = fopen(s_pbz, "wb");
    ck_assert_uint_eq(fwrite(map, 1, size, f), size);
    fclose(f);
    free(map);
    char seen[NREC] = {0};
    pb_segment_damage_t d;
    ck_assert_int_eq(s_read(0, UINT64_MAX, seen, &d), NREC); /* every block, by walking */
    ck_assert_int_eq(s_problems, 1);
    ck_assert_ptr_nonnull(strstr(s_problem_msg, "time index"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sealed");
    TCase *tc = tcase_create("sealed");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, seal_roundtrip_replaces_the_segment);
    tcase_add_test(tc, index_lists_every_block);
    tcase_add_test(tc, flipped_byte_costs_one_block);
    tcase_add_test(tc, damaged_block_header_and_index);
    tcase_add_test(tc, window_reads_only_its_blocks);
    tcase_add_test(tc, seal_refuses_bad_names_and_missing_files);
    tcase_add_test(tc, truncated_sealed_file_keeps_whole_blocks);
    tcase_add_test(tc, index_offset_near_2_64_is_damage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
