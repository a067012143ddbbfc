/* Check suite for pb_procfs: reading files under a root, listing pids, tokenising /proc text. */
#include "pb_procfs.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 PB_FIXTURES "/proc-t0"

/* Every pread of the library goes through here (-Wl,--wrap=pread in
 * samplers.cmake), so a test can count the reads a file costs. */
ssize_t __real_pread(int fd, void *buf, size_t count, off_t offset);
ssize_t __wrap_pread(int fd, void *buf, size_t count, off_t offset);
static unsigned s_preads;

ssize_t __wrap_pread(int fd, void *buf, size_t count, off_t offset)
{
    s_preads++;
    return __real_pread(fd, buf, count, offset);
}

/* Writes a file of size bytes of short lines into dir; returns an fd open on it. */
static int s_sized_file(const char *dir, const char *name, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < size; i++)
        fputc(i % 64 == 63 ? '\n' : 'a' + (int)(i % 26), f);
    fclose(f);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* The preads one read of fd costs, checking that all size bytes came. */
static unsigned s_reads_of(int fd, size_t size, bool records)
{
    pb_procfs_buf_t buf = {0};
    s_preads = 0;
    ck_assert_int_eq(records ? pb_procfs_reread(fd, &buf) : pb_procfs_pread_all(fd, &buf), 0);
    ck_assert_uint_eq(buf.len, size);
    ck_assert_uint_eq(strlen(buf.data), size);
    pb_procfs_buf_release(&buf);
    close(fd);
    return s_preads;
}

START_TEST(path_joins_root_and_relative)
{
    char buf[64];
    ck_assert_int_eq(pb_procfs_path(buf, sizeof buf, "", "proc/stat"), 0);
    ck_assert_str_eq(buf, "/proc/stat");
    ck_assert_int_eq(pb_procfs_path(buf, sizeof buf, "/", "proc/stat"), 0);
    ck_assert_str_eq(buf, "/proc/stat");
    ck_assert_int_eq(pb_procfs_path(buf, sizeof buf, "/tmp/x", "proc/stat"), 0);
    ck_assert_str_eq(buf, "/tmp/x/proc/stat");
    ck_assert_int_eq(pb_procfs_path(buf, sizeof buf, "/tmp/x/", "proc"), 0);
    ck_assert_str_eq(buf, "/tmp/x/proc");
    ck_assert_int_eq(pb_procfs_path(buf, 8, "/tmp/x", "proc/stat"), -ENAMETOOLONG);
}
END_TEST

START_TEST(slurp_reads_whole_files_and_reuses_the_buffer)
{
    pb_procfs_buf_t buf = {0};
    ck_assert_int_eq(pb_procfs_slurp(T0, "proc/loadavg", &buf), 0);
    ck_assert_str_eq(buf.data, "0.82 0.28 0.12 3/88 5268\n");
    ck_assert_uint_eq(buf.len, strlen(buf.data));
    char *first = buf.data;
    ck_assert_int_eq(pb_procfs_slurp(T0, "proc/uptime", &buf), 0);
    ck_assert_str_eq(buf.data, "1900.00 2270.20\n");
    ck_assert_ptr_eq(buf.data, first); /* fits: no new allocation */
    /* /proc/stat of the real system: size 0 in stat(2), read until EOF */
    ck_assert_int_eq(pb_procfs_slurp("", "proc/stat", &buf), 0);
    ck_assert(strncmp(buf.data, "cpu ", 4) == 0);
    ck_assert(strstr(buf.data, "\nctxt ") != NULL);
    /* a binary file keeps its NULs; len tells where it ends */
    ck_assert_int_eq(pb_procfs_slurp(T0, "proc/300/cmdline", &buf), 0);
    ck_assert_uint_eq(buf.len, strlen("busy--threads4") + 3);
    ck_assert_int_eq(pb_procfs_slurp(T0, "proc/4242/stat", &buf), -ENOENT);
    ck_assert_int_eq(pb_procfs_slurp("/nonexistent-root", "proc/stat", &buf), -ENOENT);
    pb_procfs_buf_release(&buf);
    ck_assert_ptr_null(buf.data);
    pb_procfs_buf_release(&buf); /* idempotent */
}
END_TEST

START_TEST(slurp_grows_for_large_files)
{
    char dir[] = "/tmp/pb_procfs_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/big", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    pb_procfs_buf_t buf = {0};
    ck_assert_int_eq(pb_procfs_slurp(dir, "big", &buf), 0);
    ck_assert(buf.len > 100000);
    ck_assert(strstr(buf.data, "line 19999\n") != NULL);
    pb_procfs_buf_release(&buf);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(short_read_is_the_end_of_a_one_piece_file)
{
    char dir[] = "/tmp/pb_procfs_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "small", 100), 100, false), 1);
    /* exactly the room of the first buffer (4 KiB less the NUL): full, so read on */
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "full", 4095), 4095, false), 2);
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "over", 4096), 4096, false), 2);
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "empty", 0), 0, false), 1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(reread_ends_a_short_read_well_below_the_page)
{
    char dir[] = "/tmp/pb_procfs_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end_max = page - PB_PROCFS_RECORD_MAX;
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "small", 600), 600, true), 1);
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "edge", end_max), end_max, true), 1);
    /* within a record of the page: the kernel may have stopped before a record */
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "near", end_max + 1), end_max + 1, true), 2);
    ck_assert_uint_eq(s_reads_of(s_sized_file(dir, "full", 4095), 4095, true), 2);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The real record files read whole with the rule: as many lines as read to EOF. */
START_TEST(reread_reads_real_record_files_whole)
{
    const char *files[] = {"/proc/diskstats", "/proc/net/dev"};
    for (int i = 0; i < 2; i++) {
        pb_procfs_buf_t a = {0}, b = {0};
        int fd = open(files[i], O_RDONLY);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(pb_procfs_reread(fd, &a), 0);
        ck_assert_int_eq(pb_procfs_slurp("", files[i] + 1, &b), 0);
        size_t la = 0, lb = 0;
        for (size_t k = 0; k < a.len; k++)
            la += a.data[k] == '\n';
        for (size_t k = 0; k < b.len; k++)
            lb += b.data[k] == '\n';
        ck_assert_uint_eq(la, lb);
        ck_assert(a.len > 0 && a.data[a.len - 1] == '\n');
        close(fd);
        pb_procfs_buf_release(&a);
        pb_procfs_buf_release(&b);
    }
}
END_TEST

START_TEST(pids_are_numeric_dirs_in_order)
{
    uint32_t *pids = NULL;
    size_t cap = 0;
    int n = pb_procfs_pids(T0, &pids, &cap);
    ck_assert_int_eq(n, 6);
    uint32_t want[] = {2, 300, 777, 1234, 4242, 4321};
    for (int i = 0; i < n; i++)
        ck_assert_uint_eq(pids[i], want[i]);
    /* the real system: our own pid is there */
    n = pb_procfs_pids("", &pids, &cap);
    ck_assert_int_gt(n, 1);
    int found = 0;
    for (int i = 0; i < n; i++)
        found += pids[i] == (uint32_t)getpid();
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(pb_procfs_pids("/nonexistent-root", &pids, &cap), -ENOENT);
    free(pids);
}
END_TEST

static void s_mkdir(const char *root, const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void s_pids_are(pb_procfs_pidlist_t *l, uint64_t stamp, const uint32_t *want, size_t nwant)
{
    const uint32_t *pids = NULL;
    size_t n = 0;
    ck_assert_int_eq(pb_procfs_pidlist_pids_at(l, stamp, &pids, &n), 0);
    ck_assert_uint_eq(n, nwant);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(pids[i], want[i]);
}

/* One listing per cycle serves both samplers: the pids asked for with the
 * stamp of the count come from that count's listing once the previous cycle
 * asked for pids too; a new stamp always lists anew. */
START_TEST(pidlist_lists_once_per_cycle)
{
    char dir[] = "/tmp/pb_pidlist_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    s_mkdir(dir, "proc");
    s_mkdir(dir, "proc/5");
    s_mkdir(dir, "proc/3");
    s_mkdir(dir, "proc/10");
    s_mkdir(dir, "proc/self");
    pb_procfs_pidlist_t *l = pb_procfs_pidlist_new(dir);
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 1, false), 3);
    s_mkdir(dir, "proc/7");
    /* the count kept no pids: listed again */
    s_pids_are(l, 1, (const uint32_t[]){3, 5, 7, 10}, 4);
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 2, false), 4);
    s_mkdir(dir, "proc/8");
    s_pids_are(l, 2, (const uint32_t[]){3, 5, 7, 10}, 4); /* cycle 2's listing, not a new one */
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 3, false), 5);
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 4, false), 5);
    s_pids_are(l, 4, (const uint32_t[]){3, 5, 7, 8, 10}, 5);
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 4, false), 5); /* same stamp: lists anew */
    pb_procfs_pidlist_destroy(&l);
    ck_assert_ptr_null(l);
    pb_procfs_pidlist_destroy(&l);
    l = pb_procfs_pidlist_new("/nonexistent-root");
    ck_assert_int_eq(pb_procfs_pidlist_update(l, 1, false), -ENOENT);
    const uint32_t *pids;
    size_t n;
    ck_assert_int_eq(pb_procfs_pidlist_pids_at(l, 1, &pids, &n), -ENOENT);
    pb_procfs_pidlist_destroy(&l);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* On the real /proc the directory stays open and is rewound: a child forked
 * between two listings is in the second. */
START_TEST(pidlist_rewinds_the_real_proc)
{
    pb_procfs_pidlist_t *l = pb_procfs_pidlist_new("");
    int before = pb_procfs_pidlist_update(l, 1, true);
    ck_assert_int_ge(before, 1);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    ck_assert_int_gt(child, 0);
    const uint32_t *pids;
    size_t n;
    ck_assert_int_eq(pb_procfs_pidlist_pids_at(l, 2, &pids, &n), 0);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= pids[i] == (uint32_t)child;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert(found);
    ck_assert_int_ge(pb_procfs_pidlist_update(l, 3, false), 1);
    pb_procfs_pidlist_destroy(&l);
}
END_TEST

START_TEST(count_counts_directory_entries)
{
    ck_assert_int_eq(pb_procfs_count(T0, "proc/300/fd"), 4);
    ck_assert_int_eq(pb_procfs_count(T0, "sys/block/dm-0/slaves"), 1);
    ck_assert_int_eq(pb_procfs_count(T0, "sys/block/sda/slaves"), -ENOENT);
    ck_assert_int_eq(pb_procfs_count(T0, "proc/stat"), -ENOTDIR);
    ck_assert_int_ge(pb_procfs_count("", "proc/self/fd"), 3);
}
END_TEST

START_TEST(next_u64_checks_every_conversion)
{
    const char *p = "  12\t34 5\nnext";
    uint64_t v;
    ck_assert_int_eq(pb_procfs_next_u64(&p, &v), 0);
    ck_assert_uint_eq(v, 12);
    ck_assert_int_eq(pb_procfs_next_u64(&p, &v), 0);
    ck_assert_uint_eq(v, 34);
    ck_assert_int_eq(pb_procfs_next_u64(&p, &v), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(pb_procfs_next_u64(&p, &v), -ENODATA); /* end of line */

    const char *bad[] = {
        "abc", "-1", "+1", "12abc", "99999999999999999999", "18446744073709551616", "0x10", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = bad[i];
        int rc = pb_procfs_next_u64(&p, &v);
        ck_assert_msg(rc == -EINVAL || (bad[i][0] == '\0' && rc == -ENODATA), "'%s' gave %d",
                      bad[i], rc);
        ck_assert_ptr_eq(p, bad[i]); /* cursor unmoved on failure */
    }
    p = "18446744073709551615";
    ck_assert_int_eq(pb_procfs_next_u64(&p, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(pid_rel_is_snprintf_of_pid_and_name)
{
    char buf[32], want[32];
    const uint32_t pids[] = {0, 7, 10, 4242, 4294967295u};
    for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
        snprintf(want, sizeof want, "%u/status", pids[i]);
        ck_assert_int_eq(pb_procfs_pid_rel(buf, sizeof buf, pids[i], "status"), (int)strlen(want));
        ck_assert_str_eq(buf, want);
        snprintf(want, sizeof want, "%u", pids[i]);
        ck_assert_int_eq(pb_procfs_pid_rel(buf, sizeof buf, pids[i], NULL), (int)strlen(want));
        ck_assert_str_eq(buf, want);
    }
    ck_assert_int_eq(pb_procfs_pid_rel(buf, 8, 1234, "io"), 7); /* "1234/io" and its NUL */
    ck_assert_int_eq(pb_procfs_pid_rel(buf, 7, 1234, "io"), -ENAMETOOLONG);
    ck_assert_int_eq(pb_procfs_pid_rel(buf, 7, 12345, "io"), -ENAMETOOLONG);
    ck_assert_int_eq(pb_procfs_pid_rel(buf, 1, 0, NULL), -ENAMETOOLONG);
}
END_TEST

START_TEST(next_i64_and_f64)
{
    const char *p = "-20 7 0.82 1178.79\n";
    int64_t i;
    double d;
    ck_assert_int_eq(pb_procfs_next_i64(&p, &i), 0);
    ck_assert_int_eq(i, -20);
    ck_assert_int_eq(pb_procfs_next_i64(&p, &i), 0);
    ck_assert_int_eq(i, 7);
    ck_assert_int_eq(pb_procfs_next_f64(&p, &d), 0);
    ck_assert_double_eq_tol(d, 0.82, 1e-12);
    ck_assert_int_eq(pb_procfs_next_f64(&p, &d), 0);
    ck_assert_double_eq_tol(d, 1178.79, 1e-9);
    ck_assert_int_eq(pb_procfs_next_f64(&p, &d), -ENODATA);
    const char *bad[] = {"nan", "inf", "-1.0", "1.5x", "--3"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        p = bad[k];
        ck_assert_int_eq(pb_procfs_next_f64(&p, &d), -EINVAL);
    }
    p = "-";
    ck_assert_int_eq(pb_procfs_next_i64(&p, &i), -EINVAL);
    p = "-9223372036854775809";
    ck_assert_int_eq(pb_procfs_next_i64(&p, &i), -EINVAL);
}
END_TEST

START_TEST(lines_and_keys)
{
    const char *text = "MemTotal: 1 kB\nMemFree: 2 kB\nCached: 3 kB\n";
    const char *line = pb_procfs_next_line(text);
    ck_assert_str_eq(line, "MemFree: 2 kB\nCached: 3 kB\n");
    ck_assert_ptr_null(pb_procfs_next_line("last line\n"));
    ck_assert_ptr_null(pb_procfs_next_line("no newline"));
    ck_assert_str_eq(pb_procfs_find_key(text, "Cached:"), " 3 kB\n");
    ck_assert_ptr_null(pb_procfs_find_key(text, "SwapCached:"));
    ck_assert_ptr_null(pb_procfs_find_key(text, "kB")); /* keys start lines */
    const char *p = "word1  word2\n";
    ck_assert_int_eq(pb_procfs_skip_word(&p), 0);
    ck_assert_int_eq(pb_procfs_skip_word(&p), 0);
    ck_assert_int_eq(pb_procfs_skip_word(&p), -ENODATA);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_procfs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, path_joins_root_and_relative);
    tcase_add_test(tc, slurp_reads_whole_files_and_reuses_the_buffer);
    tcase_add_test(tc, slurp_grows_for_large_files);
    tcase_add_test(tc, short_read_is_the_end_of_a_one_piece_file);
    tcase_add_test(tc, reread_ends_a_short_read_well_below_the_page);
    tcase_add_test(tc, reread_reads_real_record_files_whole);
    tcase_add_test(tc, pids_are_numeric_dirs_in_order);
    tcase_add_test(tc, pidlist_lists_once_per_cycle);
    tcase_add_test(tc, pidlist_rewinds_the_real_proc);
    tcase_add_test(tc, count_counts_directory_entries);
    tcase_add_test(tc, next_u64_checks_every_conversion);
    tcase_add_test(tc, pid_rel_is_snprintf_of_pid_and_name);
    tcase_add_test(tc, next_i64_and_f64);
    tcase_add_test(tc, lines_and_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
