/* Check suite for pb_curve_allow: the allow directory, its changes picked up on lookup. */
#include "pb_curve.h"
#include "pb_curve_allow.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static char s_dir[64], s_keys[96], s_allow[96];

static uint64_t s_clock = 1000000000ull;

/* A clock that moves 250 ms per look: a change made within the same file
 * system timestamp tick as a scan is found by the rescan after 200 ms, which
 * pb_curve_allow_has promises; the test need not sleep for it. */
static uint64_t s_now(void)
{
    s_clock += 250000000ull;
    return s_clock;
}

static void s_setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/pballow-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_keys, sizeof s_keys, "%s/keys", s_dir);
    snprintf(s_allow, sizeof s_allow, "%s/allow", s_dir);
    ck_assert_int_eq(mkdir(s_keys, 0700), 0);
    ck_assert_int_eq(mkdir(s_allow, 0700), 0);
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A new pair in keys/; its public key in bin. With dir, also written there. */
static void s_key(const char *name, const char *dir, uint8_t bin[32])
{
    char pub[256], sec[256], z85[41], err[256];
    ck_assert_int_eq(pb_curve_keygen(dir ? dir : s_keys, name, false, pub, sec, sizeof pub, z85,
                                     err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(zmq_z85_decode(bin, z85));
}

START_TEST(finds_keys_and_picks_up_changes)
{
    uint8_t a[32], b[32], c[32];
    char err[256] = "", path[256];
    s_key("a", s_allow, a); /* a pair in the allow dir: a_secret is skipped, a loaded */
    s_key("b", s_keys, b);
    s_key("c", s_keys, c);
    FILE *f = fopen(strcat(strcpy(path, s_allow), "/junk"), "w");
    fputs("not a certificate\n", f);
    fclose(f);
    pb_curve_allow_t *allow = pb_curve_allow_new(s_allow, err, sizeof err);
    ck_assert_ptr_nonnull(allow);
    ck_assert_uint_eq(pb_curve_allow_count(allow), 1);
    ck_assert(pb_curve_allow_has(allow, a, s_now()));
    ck_assert(!pb_curve_allow_has(allow, b, s_now()));
    /* added by copy-then-rename, the way `cp` + `mv` or an editor does it */
    char from[256], to[256];
    snprintf(from, sizeof from, "%s/b", s_keys);
    snprintf(to, sizeof to, "%s/b", s_allow);
    ck_assert_int_eq(rename(from, to), 0);
    ck_assert(pb_curve_allow_has(allow, b, s_now()));
    ck_assert_uint_eq(pb_curve_allow_count(allow), 2);
    uint64_t scans = pb_curve_allow_scans(allow);
    ck_assert(!pb_curve_allow_has(allow, c, s_now()));
    ck_assert_uint_le(pb_curve_allow_scans(allow), scans + 1); /* no change: at most a racy one */
    ck_assert_int_eq(unlink(to), 0);
    ck_assert(!pb_curve_allow_has(allow, b, s_now()));
    ck_assert(pb_curve_allow_has(allow, a, s_now()));
    ck_assert_str_eq(pb_curve_allow_dir(allow), s_allow);
    /* the directory gone: every key denied */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_allow);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert(!pb_curve_allow_has(allow, a, s_now()));
    pb_curve_allow_destroy(&allow);
    ck_assert_ptr_null(allow);
    pb_curve_allow_destroy(NULL);
}
END_TEST

START_TEST(stat_only_while_nothing_changes)
{
    uint8_t a[32];
    char err[256] = "";
    s_key("a", s_allow, a);
    pb_curve_allow_t *allow = pb_curve_allow_new(s_allow, err, sizeof err);
    ck_assert_ptr_nonnull(allow);
    /* within 200 ms of a fresh directory, at most one racy rescan; 1000 lookups never 1000 */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    for (int i = 0; i < 1000; i++)
        ck_assert(pb_curve_allow_has(allow, a, now + (uint64_t)i * 1000));
    ck_assert_uint_le(pb_curve_allow_scans(allow), 2);
    pb_curve_allow_destroy(&allow);
}
END_TEST

START_TEST(refuses_what_is_not_a_directory)
{
    char err[256] = "", path[256];
    ck_assert_ptr_null(pb_curve_allow_new("/nonexistent-allow", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no such directory"));
    uint8_t a[32];
    s_key("f", s_keys, a);
    snprintf(path, sizeof path, "%s/f", s_keys);
    ck_assert_ptr_null(pb_curve_allow_new(path, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "not a directory"));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_curve_allow");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, finds_keys_and_picks_up_changes);
    tcase_add_test(tc, stat_only_while_nothing_changes);
    tcase_add_test(tc, refuses_what_is_not_a_directory);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? 1 : 0;
}
