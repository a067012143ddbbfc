/* Check suite for pb_proc_read: one-shot reads from a captured /proc tree, and when status is
 * carried over. */
#include "pb_proc_read.h"
#include "pb_proc_sampler.h" /* declares pb_proc_read_once */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pid 7: a comm cut inside a character, a cmdline with Latin-1 and a
 * surrogate; pid 8: a comm with parentheses, ESC and a newline, valid UTF-8. */
#define STRINGS PB_FIXTURES "/proc-strings"

static void s_assert_bytes(const pb_value_t *body, const char *key, pb_type_t type,
                           const char *expected)
{
    const pb_value_t *v = pb_value_map_get(body, key);
    const void *data = NULL;
    size_t len = 0;
    ck_assert_msg(v != NULL, "%s absent", key);
    ck_assert_int_eq(pb_value_type(v), type);
    ck_assert_int_eq(pb_value_get_bytes(v, &data, &len), 0);
    ck_assert_msg(len == strlen(expected) && memcmp(data, expected, len) == 0, "%s: %.*s", key,
                  (int)len, (const char *)data);
}

START_TEST(read_once_sends_utf8_comm_and_cmdline)
{
    pb_value_t *b = NULL;
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 7, &b), 0);
    s_assert_bytes(b, "comm", PB_STR, "abcdefghijklm\xef\xbf\xbd");
    s_assert_bytes(b, "comm_raw", PB_BIN, "abcdefghijklm\xe2\x82");
    s_assert_bytes(b, "cmdline", PB_STR,
                   "tool caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    pb_value_destroy(&b);
}
END_TEST

START_TEST(read_once_keeps_valid_odd_names)
{
    pb_value_t *b = NULL;
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 8, &b), 0);
    s_assert_bytes(b, "comm", PB_STR, "a) (b\x1b[2J\ncaf\xc3\xa9");
    ck_assert_ptr_null(pb_value_map_get(b, "comm_raw"));
    s_assert_bytes(b, "cmdline", PB_STR, "ok caf\xc3\xa9");
    pb_value_destroy(&b);
    ck_assert_int_eq(pb_proc_read_once(STRINGS, 9, &b), -ENOENT);
    ck_assert_ptr_null(b);
}
END_TEST

/* A scratch <root>/proc/5 whose files the test rewrites between reads. */
typedef struct {
    char root[64];
    char pid_dir[96];
} s_tree_t;

static void s_tree_start(s_tree_t *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/pb-proc-read.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t->root));
    char proc[80];
    snprintf(proc, sizeof proc, "%s/proc", t->root);
    ck_assert_int_eq(mkdir(proc, 0700), 0);
    snprintf(t->pid_dir, sizeof t->pid_dir, "%s/5", proc);
    ck_assert_int_eq(mkdir(t->pid_dir, 0700), 0);
}

static void s_tree_write(const s_tree_t *t, const char *name, const char *text)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", t->pid_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void s_tree_end(s_tree_t *t)
{
    const char *names[] = {"status", "io", "schedstat"};
    char path[160];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", t->pid_dir, names[i]);
        unlink(path);
    }
    rmdir(t->pid_dir);
    snprintf(path, sizeof path, "%s/proc", t->root);
    rmdir(path);
    rmdir(t->root);
}

static void s_status(const s_tree_t *t, unsigned uid, unsigned vol, unsigned invol)
{
    char text[160];
    snprintf(text, sizeof text,
             "Name:\tx\nUid:\t%u\t%u\t%u\t%u\nvoluntary_ctxt_switches:\t%u\n"
             "nonvoluntary_ctxt_switches:\t%u\n",
             uid, uid, uid, uid, vol, invol);
    s_tree_write(t, "status", text);
}

static pb_proc_reading_t s_read_rest(const s_tree_t *t, const pb_proc_reading_t *prev)
{
    pb_proc_dir_t dir;
    pb_procfs_buf_t buf = {0};
    pb_proc_reading_t r = {0};
    ck_assert_int_eq(pb_proc_read_open(t->root, &dir), 0);
    ck_assert_int_eq(pb_proc_read_rest(&dir, 5, NULL, prev, &buf, &r), 0);
    pb_proc_read_close(&dir);
    pb_procfs_buf_release(&buf);
    return r;
}

/* status is read again as soon as schedstat moves (the leader ran or was
 * switched out), and carried over only while it stands still. */
START_TEST(status_is_carried_only_while_schedstat_stands_still)
{
    s_tree_t t;
    s_tree_start(&t);
    s_tree_write(&t, "io", "rchar: 1\nwchar: 2\nread_bytes: 3\nwrite_bytes: 4\n");
    s_tree_write(&t, "schedstat", "1000 50 7\n");
    s_status(&t, 1000, 10, 2);
    pb_proc_reading_t first = s_read_rest(&t, NULL);
    ck_assert(first.has_sched);
    ck_assert_uint_eq(first.sched.run_ns, 1000);
    ck_assert_uint_eq(first.sched.runs, 7);
    ck_assert_uint_eq(first.status.vol_ctxsw, 10);
    s_status(&t, 1000, 11, 2); /* only possible after a run: proves the carry */
    pb_proc_reading_t carried = s_read_rest(&t, &first);
    ck_assert_uint_eq(carried.status.vol_ctxsw, 10);
    s_tree_write(&t, "schedstat", "1500 50 7\n"); /* switched out: ran 500 ns more */
    pb_proc_reading_t after_out = s_read_rest(&t, &carried);
    ck_assert_uint_eq(after_out.status.vol_ctxsw, 11);
    s_status(&t, 1000, 11, 3);
    s_tree_write(&t, "schedstat", "1500 60 8\n"); /* switched in again */
    pb_proc_reading_t after_in = s_read_rest(&t, &after_out);
    ck_assert_uint_eq(after_in.status.invol_ctxsw, 3);
    ck_assert_uint_eq(s_read_rest(&t, NULL).status.invol_ctxsw, 3); /* no prev: always read */
    s_tree_end(&t);
}
END_TEST

/* A schedstat of zeros (sched_info off) or none at all never carries. */
START_TEST(status_is_read_without_a_counting_schedstat)
{
    s_tree_t t;
    s_tree_start(&t);
    s_tree_write(&t, "io", "rchar: 1\nwchar: 2\nread_bytes: 3\nwrite_bytes: 4\n");
    s_tree_write(&t, "schedstat", "0 0 0\n");
    s_status(&t, 0, 1, 1);
    pb_proc_reading_t first = s_read_rest(&t, NULL);
    ck_assert(!first.has_sched);
    s_status(&t, 0, 2, 1);
    pb_proc_reading_t second = s_read_rest(&t, &first);
    ck_assert_uint_eq(second.status.vol_ctxsw, 2);
    s_tree_write(&t, "schedstat", "garbage\n");
    s_status(&t, 0, 3, 1);
    ck_assert_uint_eq(s_read_rest(&t, &second).status.vol_ctxsw, 3);
    s_tree_end(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_read");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, read_once_sends_utf8_comm_and_cmdline);
    tcase_add_test(tc, read_once_keeps_valid_odd_names);
    tcase_add_test(tc, status_is_carried_only_while_schedstat_stands_still);
    tcase_add_test(tc, status_is_read_without_a_counting_schedstat);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
